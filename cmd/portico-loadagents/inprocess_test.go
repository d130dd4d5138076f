package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/netip"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/store"
)

func TestMemListener(t *testing.T) {
	ips := []netip.Addr{netip.MustParseAddr("127.0.0.2"), netip.MustParseAddr("127.0.0.3")}
	l := newMemListener(ips)
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				close(accepted)
				return
			}
			accepted <- c
		}
	}()
	seen := map[string]bool{}
	for range 3 {
		c, err := l.dial(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		s := <-accepted
		if c.RemoteAddr().String() != s.LocalAddr().String() || c.LocalAddr().String() != s.RemoteAddr().String() {
			t.Errorf("addresses do not mirror: client %v→%v, server %v→%v", c.LocalAddr(), c.RemoteAddr(), s.LocalAddr(), s.RemoteAddr())
		}
		if _, _, err := net.SplitHostPort(s.RemoteAddr().String()); err != nil {
			t.Errorf("remote address %q is not host:port: %v", s.RemoteAddr(), err)
		}
		seen[s.RemoteAddr().String()] = true
		go func() { _, _ = c.Write([]byte("ping")) }()
		buf := make([]byte, 4)
		if _, err := io.ReadFull(s, buf); err != nil || string(buf) != "ping" {
			t.Errorf("server read %q, %v", buf, err)
		}
		c.Close()
		s.Close()
	}
	if len(seen) != 3 {
		t.Errorf("remote addresses %v, want 3 distinct", seen)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	// Nobody accepts this one until the listener closes.
	l.Close()
	if _, ok := <-accepted; ok {
		t.Error("accepted after close")
	}
	if _, err := l.dial(ctx); !errors.Is(err, net.ErrClosed) {
		t.Errorf("dial after close: %v, want net.ErrClosed", err)
	}
}

func TestMemListenerDialGivesUpWithContext(t *testing.T) {
	l := newMemListener([]netip.Addr{netip.MustParseAddr("127.0.0.1")})
	defer l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := l.dial(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("dial with nobody accepting: %v, want the context's error", err)
	}
}

// TestInProcessRun runs the whole command against a server inside the test's process: devices are
// enrolled through the API, every agent connects and heartbeats, and the live memory is divided
// between the server and the agents.
func TestInProcessRun(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a server")
	}
	// The split samples the heap; at the default rate (one sample per 512 KiB) the small server of
	// this test can go unsampled when the machine is busy. Sample densely so that both sides show.
	defer func(rate int) { runtime.MemProfileRate = rate }(runtime.MemProfileRate)
	runtime.MemProfileRate = 4096
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	acc, err := app.New(st, nil).CreateAccount(ctx, app.NewAccount{Company: "Load", OwnerEmail: "o@load.test",
		OwnerPassword: "correct horse battery", WithAPIKey: true})
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	args := []string{"--in-process", dir, "--api-key", acc.APIKey, "--agents", "25", "--duration", "1500ms",
		"--heartbeat-every", "100ms", "--devices-file", filepath.Join(dir, "devices.jsonl")}
	if err := run(ctx, args, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	var rep report
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s", err, stdout.String())
	}
	if !rep.InProcess || rep.FinalConnected != 25 || rep.ConnectFailed != 0 || rep.Dropped != 0 || rep.Enrolled != 25 {
		t.Errorf("report: in-process %v, connected %d, failed %d, dropped %d, enrolled %d\n%s", rep.InProcess,
			rep.FinalConnected, rep.ConnectFailed, rep.Dropped, rep.Enrolled, stderr.String())
	}
	if rep.Heartbeat.Count == 0 {
		t.Errorf("no heartbeat acknowledged during the hold\n%s", stderr.String())
	}
	sp := rep.Split
	if sp == nil || sp.ServerMiB <= 0 || sp.AgentsMiB <= 0 || sp.ServerGoroutines < 25 || sp.AgentGoroutines < 25 {
		t.Errorf("memory split %+v: want both sides' heap and at least one goroutine per agent on each", sp)
	}
	if !strings.Contains(stderr.String(), "server and agents in one process") {
		t.Errorf("summary does not say the server ran in process:\n%s", stderr.String())
	}
}
