package servertest

import (
	"context"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/server"
)

// Node is a node run in the test's process, assembled by server.New as `portico serve` does.
type Node struct {
	*server.Server
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
}

// StartNode starts a node with cfg (Addr defaults to a free 127.0.0.1 port, logs are discarded
// unless PORTICO_TEST_LOGS is set) and stops it when the test ends.
func StartNode(t testing.TB, cfg server.Config) *Node {
	t.Helper()
	if cfg.Addr == "" && cfg.Listener == nil {
		cfg.Addr = "127.0.0.1:0"
	}
	if cfg.Logger == nil {
		var w io.Writer = io.Discard
		if os.Getenv("PORTICO_TEST_LOGS") != "" {
			w = os.Stderr
		}
		cfg.Logger = slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	cfg.Strict = true
	srv, err := server.New(context.Background(), cfg)
	if err != nil {
		t.Fatalf("start a node: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	n := &Node{Server: srv, cancel: cancel, done: make(chan error, 1)}
	ready := make(chan struct{})
	go func() { n.done <- srv.Run(ctx, func() { close(ready) }) }()
	select {
	case <-ready:
	case err := <-n.done:
		t.Fatalf("the node stopped at start: %v", err)
	}
	t.Cleanup(n.Stop)
	return n
}

// Stop shuts the node down gracefully; later calls do nothing.
func (n *Node) Stop() {
	n.once.Do(func() {
		n.cancel()
		select {
		case <-n.done:
		case <-time.After(30 * time.Second):
		}
	})
}
