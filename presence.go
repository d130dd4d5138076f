package portico

import "time"

// DeviceConn is where a device's agent is connected: the server node and the connection on it. In a
// cluster the newest connection of a device wins; a node holding an older one closes it.
type DeviceConn struct {
	AccountID string
	DeviceID  string
	NodeID    string
	ConnID    string
}

// DeviceSeen is when a device's agent was last heard from. Heartbeats are collected and written in
// batches of these, so that many agents do not mean as many writes.
type DeviceSeen struct {
	AccountID string
	DeviceID  string
	At        time.Time
}
