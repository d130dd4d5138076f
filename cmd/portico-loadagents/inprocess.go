package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/netip"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/portico-dev/portico/internal/server"
)

// inProcessURL is the nominal base URL of a server run inside this process: requests never leave
// the process, so it only fills the Host header.
const inProcessURL = "http://portico.in-process"

// inProcessServer is a Portico server run inside the load generator: the same store, application,
// hub and API handler `portico serve` runs, reached through in-memory connections instead of
// sockets. It exists for agent counts beyond the open-file limit: a server process needs one
// descriptor per agent socket, and where that limit cannot be raised no real server can be given
// 100,000 sockets on one machine. Kernel socket buffers are not part of a process's resident memory
// either way, so what is measured is the same code with the same per-connection state.
type inProcessServer struct {
	ln     *memListener
	srv    *server.Server
	cancel context.CancelFunc
	served chan struct{} // closed when Run has returned
	close  sync.Once
}

// startInProcess opens the store in dataDir (created by `portico admin create-account --data`) and
// serves the node `portico serve` builds (without the portal) on an in-memory listener whose clients
// appear to come from ips.
func startInProcess(ctx context.Context, dataDir string, ips []netip.Addr, log *slog.Logger) (*inProcessServer, error) {
	ln := newMemListener(ips)
	srv, err := server.New(ctx, server.Config{DataDir: dataDir, KeyDir: dataDir, Listener: ln, PublicURL: inProcessURL,
		NoPortal: true, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("start the in-process server: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	s := &inProcessServer{ln: ln, srv: srv, cancel: cancel, served: make(chan struct{})}
	ready := make(chan struct{})
	go func() {
		defer close(s.served)
		if err := srv.Run(runCtx, func() { close(ready) }); err != nil {
			log.Error("in-process server", "err", err)
		}
	}()
	select {
	case <-ready:
	case <-s.served:
		return nil, errors.New("the in-process server stopped at start")
	}
	return s, nil
}

// dial opens a connection to the server; network and address are ignored.
func (s *inProcessServer) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	return s.ln.dial(ctx)
}

// stop ends every agent connection, the HTTP server and the store.
func (s *inProcessServer) stop() {
	s.close.Do(func() {
		s.cancel()
		<-s.served
	})
}

// memListener hands out the server ends of in-memory connections (net.Pipe). Each connection is given
// a distinct TCP-like remote address, as a socket from one of the source addresses would have, since
// the server logs and audits clients by address.
type memListener struct {
	conns  chan net.Conn
	done   chan struct{}
	once   sync.Once
	addr   *net.TCPAddr
	ips    []netip.Addr
	dialed atomic.Uint64
}

func newMemListener(ips []netip.Addr) *memListener {
	return &memListener{conns: make(chan net.Conn), done: make(chan struct{}),
		addr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}, ips: ips}
}

// Accept implements net.Listener.
func (l *memListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close implements net.Listener.
func (l *memListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

// Addr implements net.Listener.
func (l *memListener) Addr() net.Addr { return l.addr }

func (l *memListener) dial(ctx context.Context) (net.Conn, error) {
	n := l.dialed.Add(1)
	ip := l.ips[n%uint64(len(l.ips))]
	remote := &net.TCPAddr{IP: ip.AsSlice(), Port: 1024 + int(n/uint64(len(l.ips)))%64000}
	server, client := net.Pipe()
	select {
	case l.conns <- &memConn{Conn: server, local: l.addr, remote: remote}:
		return &memConn{Conn: client, local: remote, remote: l.addr}, nil
	case <-l.done:
		server.Close()
		client.Close()
		return nil, net.ErrClosed
	case <-ctx.Done():
		server.Close()
		client.Close()
		return nil, ctx.Err()
	}
}

// memConn is one end of an in-memory connection with socket-like addresses.
type memConn struct {
	net.Conn
	local, remote net.Addr
}

func (c *memConn) LocalAddr() net.Addr  { return c.local }
func (c *memConn) RemoteAddr() net.Addr { return c.remote }

// heapSplit is the live heap of one process that holds both the server and the simulated agents,
// divided by which side allocated it.
type heapSplit struct {
	ServerMiB float64 `json:"server_heap_mib"`
	AgentsMiB float64 `json:"agents_heap_mib"`
	// Goroutines, and the goroutine stacks divided in proportion to them (a goroutine's stack size is
	// not reported one by one).
	ServerGoroutines int     `json:"server_goroutines"`
	AgentGoroutines  int     `json:"agent_goroutines"`
	ServerStacksMiB  float64 `json:"server_stacks_mib"`
	AgentStacksMiB   float64 `json:"agent_stacks_mib"`
}

// measureSplit attributes the live heap from the memory profile: an allocation made with a function of
// this command on its stack belongs to the simulated agents (their connections, read loops and
// schedule); everything else (HTTP server connections, the hub, the store, the access snapshot) to
// the server. The profile samples one allocation per runtime.MemProfileRate bytes and is scaled up the
// way pprof does, so the split is an estimate with sampling error well under 1% at these sizes.
func measureSplit() heapSplit {
	runtime.GC()
	runtime.GC() // the profile describes the heap as of the last completed collection
	var recs []runtime.MemProfileRecord
	for n := 1024; ; n *= 2 {
		recs = make([]runtime.MemProfileRecord, n)
		got, ok := runtime.MemProfile(recs, false)
		if ok {
			recs = recs[:got]
			break
		}
	}
	rate := float64(runtime.MemProfileRate)
	var split heapSplit
	for i := range recs {
		r := &recs[i]
		live := float64(r.InUseBytes())
		if live <= 0 || r.AllocObjects == 0 {
			continue
		}
		if rate > 1 { // unsample, as pprof does: each object of this size was sampled with this probability
			avg := float64(r.AllocBytes) / float64(r.AllocObjects)
			live /= 1 - math.Exp(-avg/rate)
		}
		if stackHasOwnFrame(r.Stack()) {
			split.AgentsMiB += live / (1 << 20)
		} else {
			split.ServerMiB += live / (1 << 20)
		}
	}

	stacks := make([]runtime.StackRecord, runtime.NumGoroutine()+1024)
	if n, ok := runtime.GoroutineProfile(stacks); ok {
		for _, s := range stacks[:n] {
			if stackHasOwnFrame(s.Stack()) {
				split.AgentGoroutines++
			} else {
				split.ServerGoroutines++
			}
		}
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	if total := split.ServerGoroutines + split.AgentGoroutines; total > 0 {
		mib := float64(m.StackInuse) / (1 << 20)
		split.ServerStacksMiB = mib * float64(split.ServerGoroutines) / float64(total)
		split.AgentStacksMiB = mib * float64(split.AgentGoroutines) / float64(total)
	}
	return split
}

// stackHasOwnFrame reports whether a function of this command (package main) is on the stack, other
// than the one that starts the in-process server (what it allocates, such as the store, is the
// server's). The server's connections are served on goroutines the HTTP server starts, whose stacks
// begin in net/http.
func stackHasOwnFrame(pcs []uintptr) bool {
	frames := runtime.CallersFrames(pcs)
	own := false
	for {
		f, more := frames.Next()
		if strings.HasPrefix(f.Function, ownPackage+"startInProcess") {
			return false
		}
		if strings.HasPrefix(f.Function, ownPackage) {
			own = true
		}
		if !more {
			return own
		}
	}
}

// ownPackage is the prefix of this command's function names: "main." in the binary, the import path
// in its tests.
var ownPackage = strings.TrimSuffix(runtime.FuncForPC(reflect.ValueOf(newMemListener).Pointer()).Name(), "newMemListener")

// errInProcessFlags explains the flags that do not go with --in-process.
var errInProcessFlags = errors.New("--in-process runs the server itself: --server and --server-pid do not apply")
