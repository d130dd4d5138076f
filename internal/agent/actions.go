package agent

import (
	"context"
	"encoding/json"

	"github.com/portico-dev/portico/internal/protocol"
)

// StreamHandler serves one stream opened by the server for a remote action. It returns when the
// action is over; ctx ends when the session ends or the action is withdrawn from it.
type StreamHandler func(ctx context.Context, s *protocol.Stream, args json.RawMessage) error

// Actions are the remote actions this build can perform, handed to the agent by its main package
// (internal/agent/actions in production, fakes in tests).
type Actions struct {
	// Streams serves stream actions by name (terminal, file_transfer, screen_view…).
	Streams map[string]StreamHandler
	// RunCommand performs a one-shot action (reboot, lock…). Nil means none is supported.
	RunCommand func(ctx context.Context, c protocol.Command) protocol.CommandResult
	// Supported lists the actions this build supports on this OS, reported in the inventory.
	Supported []string
}
