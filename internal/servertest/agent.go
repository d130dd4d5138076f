package servertest

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/agent/actions"
)

// Agent is a real agent run in the test's process: enrolled through the API, then connected to its
// servers (tried in order, then round robin, as the agent binary does).
type Agent struct {
	DeviceID string
	// Config is the agent's enrolled configuration (its credential), for running a second copy.
	Config agent.Config
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartAgent enrolls a device with token through the first of servers and keeps it connected.
func StartAgent(t testing.TB, name, token string, servers ...string) *Agent {
	t.Helper()
	ctx := context.Background()
	inv := agent.CollectInventory(ctx, agent.CollectOptions{AgentVersion: "test"})
	cfg, err := agent.Enroll(ctx, agent.EnrollOptions{Server: servers[0], Servers: servers[1:], Token: token, Name: name,
		Inventory: inv, HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatalf("enroll an agent: %v", err)
	}
	return RunAgent(t, name, cfg, servers...)
}

// RunAgent runs an agent already enrolled (cfg) against servers, until the test ends.
func RunAgent(t testing.TB, name string, cfg agent.Config, servers ...string) *Agent {
	t.Helper()
	cfg.SetServerURLs(servers)
	var w io.Writer = io.Discard
	if os.Getenv("PORTICO_TEST_LOGS") != "" {
		w = os.Stderr
	}
	log := slog.New(slog.NewTextHandler(w, nil)).With("agent", name)
	sessions := agent.NewSessions(agent.SessionsOptions{Logger: log, Server: cfg.Server, DeviceID: cfg.DeviceID, AgentVersion: "test"})
	runCtx, cancel := context.WithCancel(context.Background())
	a := &Agent{DeviceID: cfg.DeviceID, Config: cfg, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(a.done)
		ag := agent.New(agent.Options{Config: cfg, Version: "test", Actions: actions.Builtin(), Sessions: sessions, Logger: log})
		if err := ag.Run(runCtx); err != nil && runCtx.Err() == nil {
			log.Info("agent stopped", "err", err)
		}
	}()
	t.Cleanup(a.Stop)
	return a
}

// Stop disconnects the agent.
func (a *Agent) Stop() {
	a.once.Do(func() {
		a.cancel()
		<-a.done
	})
}
