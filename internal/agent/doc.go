// Package agent is the Portico managed agent: its configuration and enrolment, the connection it keeps
// to the server (hello, heartbeats, inventory, reconnection with backoff), the remote sessions the
// server asks it to join, and the end-user window that lets the person at the device approve, follow and
// end those sessions.
//
// The remote actions themselves (terminal, file transfer, screen…) live in internal/agent/actions and
// are handed to the agent through Actions, so that this package can be tested with fake ones.
//
// The agent never imports server-side packages (store, app, api, authz) or a database driver: it must
// stay small enough to install on every device.
package agent
