package actions

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/portico-dev/portico/internal/protocol"
)

// systemd manages services through systemctl.
type systemd struct {
	run runner
}

func systemServices() serviceManager {
	if _, err := exec.LookPath("systemctl"); err != nil {
		return nil
	}
	return systemd{run: execRunner{}}
}

func (m systemd) List(ctx context.Context) ([]protocol.Service, error) {
	out, err := m.run.Output(ctx, "systemctl", "list-units", "--type=service", "--all", "--no-pager", "--plain", "--no-legend")
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	return parseSystemctlUnits(out), nil
}

func (m systemd) Control(ctx context.Context, name, verb string) error {
	if _, err := m.run.Output(ctx, "systemctl", verb, "--no-ask-password", "--", name); err != nil {
		return fmt.Errorf("%s %s: %w", verb, name, err)
	}
	return nil
}

// parseSystemctlUnits reads `systemctl list-units --plain --no-legend` output: UNIT LOAD ACTIVE SUB
// DESCRIPTION, one unit a line.
func parseSystemctlUnits(out []byte) []protocol.Service {
	var list []protocol.Service
	for _, line := range bytes.Split(out, []byte("\n")) {
		f := strings.Fields(string(line))
		if len(f) < 4 || !strings.HasSuffix(f[0], ".service") {
			continue
		}
		svc := protocol.Service{Name: f[0], State: serviceState(f[2], f[3])}
		if len(f) > 4 {
			svc.Description = truncate(strings.Join(f[4:], " "), 512)
		}
		list = append(list, svc)
	}
	return list
}

// serviceState maps systemd's ACTIVE and SUB columns to the states the portal shows.
func serviceState(active, sub string) string {
	switch active {
	case "active":
		if sub == "running" {
			return "running"
		}
		return sub // exited, waiting…
	case "inactive":
		return "stopped"
	case "failed":
		return "failed"
	case "activating":
		return "starting"
	case "deactivating":
		return "stopping"
	}
	return active
}
