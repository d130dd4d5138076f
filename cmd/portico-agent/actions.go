package main

import (
	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/agent/actions"
)

// builtinActions returns the remote actions compiled into this agent for this OS.
func builtinActions() agent.Actions { return actions.Builtin() }
