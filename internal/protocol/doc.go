// Package protocol is the wire protocol between the Portico server and its agents.
//
// An agent keeps one WebSocket connection to the server. Every WebSocket binary message carries exactly
// one frame (see Frame). Stream 0 carries control messages (JSON, see Message); other streams are
// opened by either side for one remote action of one session (terminal bytes, file chunks, screen
// frames…) and are flow-controlled, so that a slow reader makes the writer wait instead of making
// anyone buffer without bound.
//
// Streams. The server allocates even stream ids starting at 2, the agent odd ids starting at 1, each
// in increasing order and never reusing one. An Open for an id of the wrong parity, or not above the
// last one the peer opened, breaks the protocol. A stream ends when either side sends Close; frames
// that cross the Close on the wire (Data, Window or Close for an id that was used) are dropped. A
// receiver refuses a stream (no handler, or too many open) by answering Close with a reason.
//
// Flow control. Each side may send Window bytes of Data on a stream before the receiver grants more
// (both sides use the same Window, DefaultWindow unless configured). A Data frame costs the length
// of its payload, and at least 64 bytes, so that a window also bounds how many messages a receiver
// queues. The receiver returns credit in Window frames (payload: the increment as a uvarint) once the
// application has consumed at least half a window. Data beyond the credit, or an increment beyond
// what was sent, breaks the protocol.
//
// Violations. A peer that breaks the protocol gets an error control message (code
// "protocol_violation") when it can still be sent, then the connection is closed (WebSocket status
// 1008, policy violation).
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
