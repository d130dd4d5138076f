package main

import "github.com/portico-dev/portico/internal/agent"

// builtinActions returns the remote actions compiled into this agent.
func builtinActions() agent.Actions {
	return agent.Actions{}
}
