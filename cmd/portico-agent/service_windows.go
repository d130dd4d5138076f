//go:build windows

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/windows/svc"
	"golang.org/x/sys/windows/svc/mgr"

	"github.com/portico-dev/portico/internal/agent"
)

// serviceName is the Windows service's name.
const serviceName = "PorticoAgent"

// isWindowsService reports whether the process was started by the service control manager.
func isWindowsService() bool {
	ok, err := svc.IsWindowsService()
	return err == nil && ok
}

// runService runs the agent under the service control manager until it asks the service to stop.
func runService(run func(ctx context.Context) int) int {
	h := &serviceHandler{run: run}
	if err := svc.Run(serviceName, h); err != nil {
		return 1
	}
	return h.code
}

type serviceHandler struct {
	run  func(ctx context.Context) int
	code int
}

// Execute implements svc.Handler.
func (h *serviceHandler) Execute(_ []string, req <-chan svc.ChangeRequest, status chan<- svc.Status) (bool, uint32) {
	status <- svc.Status{State: svc.StartPending}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int, 1)
	go func() { done <- h.run(ctx) }()
	status <- svc.Status{State: svc.Running, Accepts: svc.AcceptStop | svc.AcceptShutdown}
	for {
		select {
		case h.code = <-done:
			status <- svc.Status{State: svc.StopPending}
			return false, uint32(h.code)
		case c := <-req:
			switch c.Cmd {
			case svc.Interrogate:
				status <- c.CurrentStatus
			case svc.Stop, svc.Shutdown:
				status <- svc.Status{State: svc.StopPending}
				cancel()
				h.code = <-done
				return false, 0
			}
		}
	}
}

// serviceLogWriter appends the service's log next to its config file, since a service has no console.
func serviceLogWriter(configPath string) io.Writer {
	f, err := os.OpenFile(filepath.Join(filepath.Dir(configPath), "agent.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return io.Discard
	}
	return f
}

func installService(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("install-service", flag.ContinueOnError)
	fs.SetOutput(stderr)
	configPath := fs.String("config", agent.DefaultConfigPath(), "the config file written by enroll")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent install-service: %v\n", err)
		return 1
	}
	m, err := mgr.Connect()
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent install-service: %v (run as Administrator)\n", err)
		return 1
	}
	defer m.Disconnect()
	if s, err := m.OpenService(serviceName); err == nil {
		s.Close()
		fmt.Fprintf(stderr, "portico-agent install-service: service %s already exists\n", serviceName)
		return 1
	}
	s, err := m.CreateService(serviceName, exe, mgr.Config{DisplayName: "Portico agent", StartType: mgr.StartAutomatic,
		Description: "Keeps this device connected to its Portico server for remote support and management."},
		"run", "--config", *configPath)
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent install-service: %v\n", err)
		return 1
	}
	defer s.Close()
	// Restart after a crash, waiting longer each time.
	err = s.SetRecoveryActions([]mgr.RecoveryAction{{Type: mgr.ServiceRestart, Delay: 5 * time.Second},
		{Type: mgr.ServiceRestart, Delay: 30 * time.Second}, {Type: mgr.ServiceRestart, Delay: 2 * time.Minute}}, 24*60*60)
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent install-service: recovery actions: %v\n", err)
	}
	if err := s.Start(); err != nil {
		fmt.Fprintf(stderr, "portico-agent install-service: installed, but starting failed: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "service %s installed and started\n", serviceName)
	return 0
}

func uninstallService(_ []string, stdout, stderr io.Writer) int {
	m, err := mgr.Connect()
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent uninstall-service: %v (run as Administrator)\n", err)
		return 1
	}
	defer m.Disconnect()
	s, err := m.OpenService(serviceName)
	if err != nil {
		fmt.Fprintf(stderr, "portico-agent uninstall-service: service %s: %v\n", serviceName, err)
		return 1
	}
	defer s.Close()
	if st, err := s.Control(svc.Stop); err == nil {
		for i := 0; i < 20 && st.State != svc.Stopped; i++ {
			time.Sleep(500 * time.Millisecond)
			if st, err = s.Query(); err != nil {
				break
			}
		}
	}
	if err := s.Delete(); err != nil {
		fmt.Fprintf(stderr, "portico-agent uninstall-service: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "service %s removed\n", serviceName)
	return 0
}
