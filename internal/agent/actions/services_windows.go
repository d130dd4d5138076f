package actions

import (
	"context"
	"fmt"
	"sort"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/portico-dev/portico/internal/protocol"
)

// winServices manages services through the Service Control Manager.
type winServices struct{}

func systemServices() serviceManager { return winServices{} }

func (winServices) List(ctx context.Context) ([]protocol.Service, error) {
	m, err := mgr.Connect()
	if err != nil {
		return nil, fmt.Errorf("connect to the service manager: %w", err)
	}
	defer m.Disconnect()
	names, err := m.ListServices()
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	sort.Strings(names)
	out := make([]protocol.Service, 0, len(names))
	for _, name := range names {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s, err := m.OpenService(name)
		if err != nil {
			continue
		}
		item := protocol.Service{Name: name, State: "unknown"}
		if st, err := s.Query(); err == nil {
			item.State = winState(st.State)
		}
		if cfg, err := s.Config(); err == nil {
			item.Description = truncate(cfg.DisplayName, 512)
		}
		s.Close()
		out = append(out, item)
	}
	return out, nil
}

func winState(s svc.State) string {
	switch s {
	case svc.Running:
		return "running"
	case svc.Stopped:
		return "stopped"
	case svc.StartPending, svc.ContinuePending:
		return "starting"
	case svc.StopPending, svc.PausePending:
		return "stopping"
	case svc.Paused:
		return "paused"
	}
	return "unknown"
}

// serviceStopWait bounds how long a restart waits for the service to stop.
const serviceStopWait = 30 * time.Second

func (winServices) Control(ctx context.Context, name, verb string) error {
	m, err := mgr.Connect()
	if err != nil {
		return fmt.Errorf("connect to the service manager: %w", err)
	}
	defer m.Disconnect()
	s, err := m.OpenService(name)
	if err != nil {
		return fmt.Errorf("service %s: %w", name, err)
	}
	defer s.Close()
	if verb == "stop" || verb == "restart" {
		if _, err := s.Control(svc.Stop); err != nil && verb == "stop" {
			return fmt.Errorf("stop %s: %w", name, err)
		}
		if verb == "restart" {
			if err := waitStopped(ctx, s); err != nil {
				return fmt.Errorf("restart %s: %w", name, err)
			}
		}
	}
	if verb == "start" || verb == "restart" {
		if err := s.Start(); err != nil {
			return fmt.Errorf("start %s: %w", name, err)
		}
	}
	return nil
}

func waitStopped(ctx context.Context, s *mgr.Service) error {
	ctx, cancel := context.WithTimeout(ctx, serviceStopWait)
	defer cancel()
	for {
		st, err := s.Query()
		if err != nil {
			return err
		}
		if st.State == svc.Stopped {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the service did not stop: %w", ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
