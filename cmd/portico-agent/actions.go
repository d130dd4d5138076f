package main

import (
	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/agent/actions"
)

// builtinActions returns the remote actions compiled into this agent for this OS.
func builtinActions() agent.Actions {
	streams := map[string]agent.StreamHandler{}
	for name, h := range actions.Streams() {
		streams[name] = agent.StreamHandler(h)
	}
	return agent.Actions{Streams: streams, RunCommand: actions.RunCommand, Supported: actions.Supported()}
}
