package protocol

import "encoding/json"

// This file holds the technician messages: the JSON messages of the technician's session WebSocket
// (docs/sessions.md), spoken by the hub and by every technician client (the portal's page, tests,
// tools).

// TechState tells the technician the session's state and its actions.
type TechState struct {
	Type      string   `json:"type"` // "state"
	State     string   `json:"state"`
	SessionID string   `json:"session_id"`
	Actions   []string `json:"actions"`
	By        string   `json:"by,omitempty"`
	Reason    string   `json:"reason,omitempty"`
}

// TechChannel tells that a channel opened or closed.
type TechChannel struct {
	Type    string `json:"type"` // "opened" or "closed"
	Channel int    `json:"channel"`
	Reason  string `json:"reason,omitempty"`
}

// TechChat is a chat line, either way.
type TechChat struct {
	Type string `json:"type"` // "chat"
	Chat
}

// TechCommandResult answers a one-shot command.
type TechCommandResult struct {
	Type   string          `json:"type"` // "command_result"
	ID     string          `json:"id"`
	OK     bool            `json:"ok"`
	Error  string          `json:"error,omitempty"`
	Result json.RawMessage `json:"result,omitempty"`
}

// TechActions tells the technician the actions left after a narrowing.
type TechActions struct {
	Type    string   `json:"type"` // "actions"
	Actions []string `json:"actions"`
	Reason  string   `json:"reason,omitempty"`
}

// TechError reports an error to the technician.
type TechError struct {
	Type    string `json:"type"` // "error"
	Message string `json:"message"`
	// Status is an HTTP-like status for errors that have one (409: no neighbour can wake the device).
	Status int `json:"status,omitempty"`
	// ID is the command the error is about, if any.
	ID string `json:"id,omitempty"`
}

// TechRequest is any message the technician sends; fields depend on the type. It is decoded
// strictly (see jsonstrict), args included: what the agent would refuse as malformed, and drop the
// connection for, never leaves here.
type TechRequest struct {
	Type    string          `json:"type"`
	Channel int             `json:"channel"`
	Action  string          `json:"action"`
	Args    json.RawMessage `json:"args" jsonstrict:"null"` // absent or null: none
	Text    string          `json:"text"`
	ID      string          `json:"id"`
}
