// Package agent is the Portico managed agent: its configuration and enrolment, the connection it keeps
// to the server (hello, heartbeats, inventory, reconnection with backoff), the remote sessions the
// server asks it to join, and the end-user window that lets the person at the device approve, follow and
// end those sessions.
//
// The same agent serves an on-demand support session (docs/on-demand.md, `portico-agent support`): it
// then connects to OnDemandEndpoint with the session's credential, keeps its config in memory only,
// and its Sessions and window carry a Support that names the technician and ends the whole session.
//
// The remote actions themselves (terminal, file transfer, screen…) live in internal/agent/actions and
// are handed to the agent through Actions, so that this package can be tested with fake ones.
//
// The agent never imports server-side packages (store, app, api, authz) or a database driver: it must
// stay small enough to install on every device.
package agent
