package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// TestRunProcessAgainstFakeServer runs the real binary: it connects, publishes its window address,
// and exits cleanly on SIGTERM.
func TestRunProcessAgainstFakeServer(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "portico-agent")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	srv, hellos := fakeAgentServer(t)
	cfgPath := filepath.Join(dir, "agent.json")
	if err := agent.SaveConfig(cfgPath, agent.Config{Server: srv.URL, DeviceID: "dev_1", Credential: "agc_x"}); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--config", cfgPath, "--window-addr", "127.0.0.1:0")
	var logs lockedBuffer
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()

	select {
	case h := <-hellos:
		if h.OS != runtime.GOOS {
			t.Errorf("hello = %+v", h)
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no hello; logs:\n%s", logs.String())
	}
	addrFile := agent.WindowAddrPath(cfgPath)
	var addr string
	eventually.Within(10*time.Second, func() bool { // a timeout is reported below, with the logs
		b, err := os.ReadFile(addrFile)
		if err == nil {
			addr = strings.TrimSpace(string(b))
		}
		return err == nil
	})
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("window.addr = %q; logs:\n%s", addr, logs.String())
	}
	var st agent.State
	eventually.Within(10*time.Second, func() bool { // a timeout is reported below, with the state
		resp, err := http.Get("http://" + addr + "/api/state")
		if err != nil {
			t.Fatal(err)
		}
		json.NewDecoder(resp.Body).Decode(&st)
		resp.Body.Close()
		return st.Connection == agent.ConnConnected
	})
	if st.Connection != agent.ConnConnected || st.DeviceID != "dev_1" {
		t.Errorf("window state = %+v", st)
	}
	if !strings.Contains(logs.String(), "end-user window on http://"+addr) {
		t.Errorf("the window address is not logged:\n%s", logs.String())
	}

	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-exited:
		if err != nil {
			t.Errorf("exit after SIGTERM: %v; logs:\n%s", err, logs.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit after SIGTERM; logs:\n%s", logs.String())
	}
	if _, err := os.Stat(addrFile); err == nil {
		t.Error("window.addr left behind")
	}
}

// fakeAgentServer answers the agent endpoint: it welcomes every agent and hands over its hello.
func fakeAgentServer(t *testing.T) (*httptest.Server, <-chan protocol.Hello) {
	t.Helper()
	hellos := make(chan protocol.Hello, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := protocol.Upgrader().Upgrade(w, r, nil)
		if err != nil {
			return
		}
		var conn *protocol.Conn
		conn = protocol.NewConn(protocol.WebSocket(ws), protocol.Options{Role: protocol.RoleServer, OnControl: func(m protocol.Message) {
			if m.Type == protocol.MsgHello {
				var h protocol.Hello
				protocol.DecodeBody(m, &h)
				hellos <- h
				go conn.Send(context.Background(), protocol.MsgWelcome, protocol.Welcome{ProtocolVersion: protocol.Version,
					DeviceID: "dev_1", HeartbeatSeconds: 30, ServerTime: time.Now()})
			}
		}})
		conn.Run(r.Context())
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv, hellos
}

// lockedBuffer collects a process's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
