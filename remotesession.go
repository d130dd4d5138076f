package portico

import "time"

// Remote session states.
const (
	RemoteSessionConnecting = "connecting"
	RemoteSessionActive     = "active"
	RemoteSessionEnded      = "ended"
)

// RemoteSession is the record of one remote session of a technician on a device: who, where, which
// actions, and how it ended. It is kept after the session ends, the device is deleted or the
// technician leaves.
type RemoteSession struct {
	ID         string   `json:"id"`
	AccountID  string   `json:"account_id"`
	DeviceID   string   `json:"device_id"`
	DeviceName string   `json:"device_name"`
	UserID     string   `json:"user_id"`
	UserName   string   `json:"user_name"`
	Actions    []string `json:"actions"`
	// State is connecting (waiting for the agent or the end user), active or ended.
	State     string     `json:"state"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	// EndedBy is technician, end_user, server or agent.
	EndedBy   string `json:"ended_by,omitempty"`
	EndReason string `json:"end_reason,omitempty"`
	// NodeID is the server node that relays the session (the one its agent is connected to).
	NodeID string `json:"node_id,omitempty"`
	// OnDemand marks a session on an on-demand session's support agent: DeviceID then names the
	// on-demand session and DeviceName its computer.
	OnDemand bool `json:"on_demand,omitempty"`
}
