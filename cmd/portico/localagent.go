package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/agent/actions"
	"github.com/portico-dev/portico/internal/app"
)

// localAgent runs a managed agent for this computer inside the demo process, so that a newcomer has
// a live device to open sessions on. It enrolls once (the config is kept in the demo's data
// directory) and enrolls again if its device was deleted.
type localAgent struct {
	app       *app.App
	accountID string
	dataDir   string
	server    string
	stdout    io.Writer
	log       *slog.Logger
}

func (l *localAgent) configPath() string { return filepath.Join(l.dataDir, "agent", "agent.json") }

// run keeps the agent going until ctx ends.
func (l *localAgent) run(ctx context.Context) {
	for ctx.Err() == nil {
		cfg, err := l.config(ctx)
		if err != nil {
			l.log.Error("local agent: cannot enroll this computer", "err", err)
			return
		}
		err = l.runOnce(ctx, cfg)
		var stopped *agent.StoppedError
		switch {
		case ctx.Err() != nil:
			return
		case errors.As(err, &stopped), errors.Is(err, agent.ErrRevoked):
			// The device was deleted in the demo: enroll this computer again.
			l.log.Info("local agent: device removed; enrolling again", "err", err)
			if err := os.Remove(l.configPath()); err != nil && !errors.Is(err, os.ErrNotExist) {
				l.log.Error("local agent: remove the old config", "err", err)
				return
			}
		default:
			l.log.Error("local agent stopped", "err", err)
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// runOnce runs the agent of one enrollment, with its end-user window, until it stops.
func (l *localAgent) runOnce(ctx context.Context, cfg agent.Config) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sessions := agent.NewSessions(agent.SessionsOptions{Logger: l.log, Server: cfg.Server, DeviceID: cfg.DeviceID,
		AgentVersion: version, Notify: agent.DesktopNotify})
	window := "no end-user window"
	if w, err := agent.NewWindow("127.0.0.1:0", sessions, l.log); err != nil {
		l.log.Error("local agent: end-user window unavailable; sessions needing approval will be denied", "err", err)
	} else {
		window = "the person at it sees sessions at " + w.URL()
		go func() {
			if err := w.Serve(ctx); err != nil {
				l.log.Error("local agent: end-user window stopped", "err", err)
			}
		}()
	}
	fmt.Fprintf(l.stdout, "This computer runs a live agent as device %s; %s\n", cfg.DeviceID, window)
	a := agent.New(agent.Options{Config: cfg, ConfigPath: l.configPath(), Version: version, Actions: actions.Builtin(),
		Sessions: sessions, Logger: l.log})
	return a.Run(ctx)
}

// config returns the agent's config, enrolling this computer first when there is none.
func (l *localAgent) config(ctx context.Context) (agent.Config, error) {
	if cfg, err := agent.LoadConfig(l.configPath()); err == nil {
		// The demo may listen elsewhere than last time; its own agent always talks to this process.
		cfg.Server = l.server
		return cfg, nil
	}
	_, token, err := l.app.CreateEnrollmentToken(ctx, app.SystemActor(l.accountID), "")
	if err != nil {
		return agent.Config{}, fmt.Errorf("create an enrollment token: %w", err)
	}
	inv := agent.CollectInventory(ctx, agent.CollectOptions{AgentVersion: version})
	cfg, err := agent.Enroll(ctx, agent.EnrollOptions{Server: l.server, Token: token, Inventory: inv,
		HTTPClient: &http.Client{Timeout: time.Minute}})
	if err != nil {
		return agent.Config{}, err
	}
	if err := os.MkdirAll(filepath.Dir(l.configPath()), 0o700); err != nil {
		return agent.Config{}, err
	}
	if err := agent.SaveConfig(l.configPath(), cfg); err != nil {
		return agent.Config{}, err
	}
	return cfg, nil
}
