// Package hub is the live side of the server: the agents' WebSocket connections, their status, their
// inventory, and the remote sessions that technicians run through them.
//
// # Agents
//
// An agent connects to GET /api/v1/agent/connect with "Authorization: Bearer <credential>" and
// "X-Portico-Device: <device id>"; the API authenticates it before the upgrade. The connection then
// speaks internal/protocol: the agent's first control message is hello, answered by welcome (or by an
// error naming the versions this server speaks, and a close). A second connection of the same device
// replaces the first. The device is Available while connected, In session while at least one session
// is active on it, and Unavailable when the connection ends or no heartbeat arrived for two heartbeat
// periods. Status changes are written at once, with "connected" and "disconnected" in the device
// history; last-seen times are collected and written in one batch every few seconds. Inventories are
// validated like enrollment input and stored whole; invalid ones are logged and ignored. When a device
// is deleted, its agent is sent stop and disconnected (its credential no longer authenticates).
//
// # Technicians
//
// A technician opens GET /api/v1/devices/{id}/session?actions=terminal,chat (session cookie or API
// key). The API authorizes every action (device.<action>) before upgrading, and answers 409 "device is
// offline" when no agent is connected. The session is recorded (id "ses_…"), audited (session.start),
// written to the device history, and the agent is sent session_request (listing the actions, and
// whether the end user must acknowledge it, from the group setting require_acknowledgement).
//
// Text messages are JSON objects with a "type"; binary messages are [1 byte channel][payload], relayed
// unchanged to and from the agent's stream on that channel.
//
// Server to technician:
//
//	{"type":"state","state":"connecting"|"active"|"ended","session_id","actions":[…],"by"?,"reason"?}
//	{"type":"opened","channel":N}
//	{"type":"closed","channel":N,"reason"?}
//	{"type":"chat","session_id","from":"end_user","name","text","sent_at"}
//	{"type":"command_result","id","ok","error"?,"result"?}
//	{"type":"actions","actions":[…],"reason"}     the session was narrowed
//	{"type":"error","message","status"?,"id"?}    status 409: no neighbour can wake the device
//
// Technician to server:
//
//	{"type":"cancel"}                                     while connecting
//	{"type":"end"}
//	{"type":"open","channel":N,"action":"terminal","args":{…}}   N is 1…255; stream actions only
//	{"type":"close","channel":N}
//	{"type":"chat","text":"…"}
//	{"type":"command","id":"…","action":"reboot","args":{…}}
//
// Stream actions: screen_view, remote_control, screenshot, file_transfer, terminal, registry,
// task_manager, clipboard (formats in internal/protocol). Command actions: message, blank_screen,
// ctrl_alt_del, wake, reboot, lock; wake is sent to another online agent of the same account on the
// same subnet as the device. Chat needs the chat action.
//
// Backpressure: browser data is sent with Stream.Send, which waits while the agent's window is full,
// and the session stops reading the browser meanwhile; agent data is written to the browser from
// Stream.Recv, so a slow browser stops the reads and the agent runs out of credit. Nothing buffers
// without bound. JSON messages to a technician that stopped reading are dropped after a queue of 256.
//
// Either side may end the session; an agent that disconnects ends its sessions. Every end is stored
// (ended_at, by, reason), audited (session.end) and written to the device history, and the device
// returns to Available. After every access change on any node (the app's OnChange) and every second, live
// sessions are checked again: a session left with no allowed action ends ("permission revoked", "user
// disabled", "setting switched off", "device moved", "device deleted"); one that lost some actions is
// narrowed (session_update to the agent, the streams of removed actions closed, {"type":"actions"} to
// the technician, audit session.narrow).
//
// The full description, with examples, is docs/sessions.md.
package hub
