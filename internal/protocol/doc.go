// Package protocol is the wire protocol between the Portico server and its agents.
//
// An agent keeps one WebSocket connection to the server. Every WebSocket binary message carries exactly
// one frame (see Frame). Stream 0 carries control messages (JSON, see Message); other streams are
// opened by either side for one remote action of one session (terminal bytes, file chunks, screen
// frames…) and are flow-controlled, so that a slow reader makes the writer wait instead of making
// anyone buffer without bound.
//
// The protocol is versioned by a single integer, exchanged in Hello and Welcome. A peer refuses a
// version it does not speak with a clear error rather than guessing.
//
// Version history:
//
//	1 (2026-11-28) first version: frames Control, Open, Data, Window, Close; control messages hello,
//	               welcome, heartbeat, heartbeat_ack, inventory, session_request, session_answer,
//	               session_update, session_end, chat, command, stop, error.
package protocol

// Version is the protocol version this build speaks.
const Version = 1

// MinVersion is the oldest protocol version this build still accepts from a peer.
const MinVersion = 1
