package actions

import "github.com/portico-dev/portico/internal/agent"

// Builtin returns the remote actions compiled in for this OS, in the form the agent takes them.
func Builtin() agent.Actions {
	streams := map[string]agent.StreamHandler{}
	for name, h := range Streams() {
		streams[name] = agent.StreamHandler(h)
	}
	return agent.Actions{Streams: streams, RunCommand: RunCommand, Supported: Supported()}
}
