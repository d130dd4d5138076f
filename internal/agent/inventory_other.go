//go:build !linux && !windows && !darwin

package agent

import (
	"context"

	"github.com/portico-dev/portico/internal/protocol"
)

func platformInventory(context.Context, *protocol.Inventory) {}

func linkSpeed(string) int { return 0 }

// consoleUser is found from utmp entries on this OS (see loggedInUser).
func consoleUser() string { return "" }

// platformOSVersion has nothing to add to what gopsutil reads.
func platformOSVersion(context.Context) (name, version string) { return "", "" }
