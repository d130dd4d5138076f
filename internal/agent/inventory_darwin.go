//go:build darwin

package agent

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/portico-dev/portico/internal/protocol"
)

// platformOSVersion is macOS and the version sw_vers reports.
func platformOSVersion(ctx context.Context) (name, version string) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "sw_vers", "-productVersion").Output(); err == nil {
		version = strings.TrimSpace(string(out))
	}
	return "macOS", version
}

func platformInventory(ctx context.Context, inv *protocol.Inventory) {
	name, version := platformOSVersion(ctx)
	inv.OSName = name
	if version != "" {
		inv.OSVersion = version
	}
	inv.Manufacturer = "Apple"
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, "sysctl", "-n", "hw.model").Output(); err == nil {
		inv.Model = strings.TrimSpace(string(out))
		if inv.DeviceType == "" && strings.Contains(inv.Model, "Book") {
			inv.DeviceType = TypeLaptop
		}
	}
	inv.Software = applications("/Applications")
	if len(inv.Software) > 0 {
		inv.Extra["software_source"] = "applications"
	}
}

// applications lists the application bundles in a folder; versions would need each bundle's
// Info.plist (binary or XML), so only names are reported.
func applications(dir string) []protocol.Software {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []protocol.Software
	for _, e := range entries {
		if name, ok := strings.CutSuffix(e.Name(), ".app"); ok {
			out = append(out, protocol.Software{Name: name})
		} else if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			// One level of folders such as /Applications/Utilities.
			sub, _ := os.ReadDir(filepath.Join(dir, e.Name()))
			for _, s := range sub {
				if name, ok := strings.CutSuffix(s.Name(), ".app"); ok {
					out = append(out, protocol.Software{Name: name})
				}
			}
		}
	}
	return out
}

func linkSpeed(string) int { return 0 }

// consoleUser is found from utmp entries on this OS (see loggedInUser).
func consoleUser() string { return "" }
