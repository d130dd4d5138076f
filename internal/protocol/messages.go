package protocol

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico-dev/portico/internal/jsonstrict"
)

// Message is a control message: its type names the body's Go type (see the Msg* constants).
type Message struct {
	Type string `json:"type"`
	// Body is absent, or null, in a message that has none.
	Body json.RawMessage `json:"body,omitempty" jsonstrict:"null"`
}

// Control message types and who sends them.
const (
	MsgHello          = "hello"           // agent → server, first message: Hello
	MsgWelcome        = "welcome"         // server → agent, answer to hello: Welcome
	MsgHeartbeat      = "heartbeat"       // agent → server: Heartbeat
	MsgHeartbeatAck   = "heartbeat_ack"   // server → agent: Heartbeat (same sequence number)
	MsgInventory      = "inventory"       // agent → server, at connect and on change: Inventory
	MsgSessionRequest = "session_request" // server → agent: SessionRequest
	MsgSessionAnswer  = "session_answer"  // agent → server: SessionAnswer
	MsgSessionUpdate  = "session_update"  // server → agent, the session's actions narrowed: SessionUpdate
	MsgSessionEnd     = "session_end"     // either way: SessionEnd
	MsgChat           = "chat"            // either way, within a session: Chat
	MsgCommand        = "command"         // server → agent, one-shot actions: Command
	MsgCommandResult  = "command_result"  // agent → server: CommandResult
	MsgStop           = "stop"            // server → agent, the device was deleted: Stop
	MsgError          = "error"           // either way, before closing: Error
)

// MaxControlPayload bounds a control message; inventory with a long software list is the largest.
const MaxControlPayload = MaxPayload

// EncodeMessage builds the payload of a control frame.
func EncodeMessage(typ string, body any) ([]byte, error) {
	m := Message{Type: typ}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("protocol: encode %s: %w", typ, err)
		}
		m.Body = b
	}
	b, err := json.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("protocol: encode %s: %w", typ, err)
	}
	if len(b) > MaxControlPayload {
		return nil, fmt.Errorf("%w: %s message of %d bytes", ErrFrameTooLarge, typ, len(b))
	}
	return b, nil
}

// DecodeMessage decodes the payload of a control frame strictly (see jsonstrict: no key twice, valid
// UTF-8, no unknown field…). Of the body it checks only what holds for any JSON; use DecodeBody for
// the rest.
func DecodeMessage(payload []byte) (Message, error) {
	var m Message
	if len(payload) > MaxControlPayload {
		return m, fmt.Errorf("%w: control message of %d bytes", ErrFrameTooLarge, len(payload))
	}
	if err := jsonstrict.Unmarshal(payload, &m); err != nil {
		return m, fmt.Errorf("%w: control message: %v", ErrMalformed, err)
	}
	if m.Type == "" {
		return m, fmt.Errorf("%w: control message without a type", ErrMalformed)
	}
	return m, nil
}

// DecodeBody decodes a message's body into v strictly (see jsonstrict), so that a mistyped field, a
// key given twice or bytes that are not UTF-8 are an error naming the field rather than a guess.
func DecodeBody(m Message, v any) error {
	if len(m.Body) == 0 {
		return fmt.Errorf("%w: %s message without a body", ErrMalformed, m.Type)
	}
	if err := jsonstrict.Unmarshal(m.Body, v); err != nil {
		return fmt.Errorf("%w: %s message: %v", ErrMalformed, m.Type, err)
	}
	return nil
}

// Hello is the agent's first message on a connection. The credential itself travels in the HTTP
// upgrade request (Authorization: Bearer), never in a frame.
type Hello struct {
	ProtocolVersion int    `json:"protocol_version"`
	AgentVersion    string `json:"agent_version"`
	OS              string `json:"os"`   // runtime.GOOS
	Arch            string `json:"arch"` // runtime.GOARCH
}

// Welcome is the server's answer to Hello.
type Welcome struct {
	ProtocolVersion  int       `json:"protocol_version"`
	DeviceID         string    `json:"device_id"`
	HeartbeatSeconds int       `json:"heartbeat_seconds"`
	ServerTime       time.Time `json:"server_time"`
}

// Heartbeat is sent by the agent every HeartbeatSeconds; the server echoes the sequence number.
type Heartbeat struct {
	Seq    uint64    `json:"seq"`
	SentAt time.Time `json:"sent_at"`
}

// Inventory describes the device. The agent sends it whole at connect and whenever it changes.
type Inventory struct {
	Hostname         string            `json:"hostname"`
	IPAddresses      []string          `json:"ip_addresses,omitempty"`
	MACAddresses     []string          `json:"mac_addresses,omitempty"`
	LoggedInUser     string            `json:"logged_in_user,omitempty"`
	OSName           string            `json:"os_name,omitempty"`
	OSVersion        string            `json:"os_version,omitempty"`
	DeviceType       string            `json:"device_type,omitempty"` // workstation, laptop, server, virtual machine
	Manufacturer     string            `json:"manufacturer,omitempty"`
	Model            string            `json:"model,omitempty"`
	AssetID          string            `json:"asset_id,omitempty"`
	AgentVersion     string            `json:"agent_version,omitempty"`
	CPU              []CPU             `json:"cpu,omitempty"`
	BIOS             *BIOS             `json:"bios,omitempty"`
	MemoryBytes      uint64            `json:"memory_bytes,omitempty"`
	Storage          []Disk            `json:"storage,omitempty"`
	NetworkAdapters  []NetworkAdapter  `json:"network_adapters,omitempty"`
	DisplayAdapters  []DisplayAdapter  `json:"display_adapters,omitempty"`
	Software         []Software        `json:"software,omitempty"`
	SupportedActions []string          `json:"supported_actions,omitempty"`
	Extra            map[string]string `json:"extra,omitempty"`
}

// CPU is one processor package.
type CPU struct {
	Model    string  `json:"model"`
	Cores    int     `json:"cores"`
	Threads  int     `json:"threads"`
	MHz      float64 `json:"mhz,omitempty"`
	Vendor   string  `json:"vendor,omitempty"`
	Platform string  `json:"platform,omitempty"`
}

// BIOS is the firmware.
type BIOS struct {
	Vendor  string `json:"vendor,omitempty"`
	Version string `json:"version,omitempty"`
	Date    string `json:"date,omitempty"`
	Serial  string `json:"serial,omitempty"`
}

// Disk is one mounted file system or physical disk.
type Disk struct {
	Name       string `json:"name"`
	Mount      string `json:"mount,omitempty"`
	FileSystem string `json:"file_system,omitempty"`
	TotalBytes uint64 `json:"total_bytes"`
	FreeBytes  uint64 `json:"free_bytes"`
}

// NetworkAdapter is one network interface.
type NetworkAdapter struct {
	Name      string   `json:"name"`
	MAC       string   `json:"mac,omitempty"`
	Addresses []string `json:"addresses,omitempty"`
	SpeedMbps int      `json:"speed_mbps,omitempty"`
}

// DisplayAdapter is one graphics adapter or screen.
type DisplayAdapter struct {
	Name       string `json:"name"`
	Resolution string `json:"resolution,omitempty"`
}

// Software is one installed package.
type Software struct {
	Name      string `json:"name"`
	Version   string `json:"version,omitempty"`
	Publisher string `json:"publisher,omitempty"`
}

// SessionRequest asks the agent to take part in a remote session. When AckRequired, the agent asks the
// end user first (listing the actions) and answers with SessionAnswer; otherwise it answers accepted
// at once.
type SessionRequest struct {
	SessionID  string `json:"session_id"`
	Technician string `json:"technician"` // display name shown to the end user
	// Actions may be null, which is how Go encodes an empty list it holds as nil.
	Actions     []string `json:"actions" jsonstrict:"null"`
	AckRequired bool     `json:"ack_required"`
}

// SessionAnswer is the end user's (or the agent's) answer to a SessionRequest.
type SessionAnswer struct {
	SessionID string `json:"session_id"`
	Accepted  bool   `json:"accepted"`
	Reason    string `json:"reason,omitempty"`
}

// SessionUpdate narrows a live session to the actions still allowed; the agent closes the streams
// of the others.
type SessionUpdate struct {
	SessionID string `json:"session_id"`
	// Actions may be null, which is how Go encodes an empty list it holds as nil.
	Actions []string `json:"actions" jsonstrict:"null"`
}

// SessionEnd ends a session. By is "technician", "end_user", "server" or "agent".
type SessionEnd struct {
	SessionID string `json:"session_id"`
	By        string `json:"by"`
	Reason    string `json:"reason,omitempty"`
}

// Chat is one chat line within a session.
type Chat struct {
	SessionID string    `json:"session_id"`
	From      string    `json:"from"` // "technician" or "end_user"
	Name      string    `json:"name,omitempty"`
	Text      string    `json:"text"`
	SentAt    time.Time `json:"sent_at"`
}

// Command asks the agent to perform a one-shot action (reboot, lock, message, wake_on_lan,
// ctrl_alt_del, blank_screen…). Args depend on the action.
type Command struct {
	ID        string `json:"id"`
	SessionID string `json:"session_id,omitempty"`
	Action    string `json:"action"`
	// Args are absent or null for an action that takes none.
	Args json.RawMessage `json:"args,omitempty" jsonstrict:"null"`
}

// CommandResult answers a Command. Error is set when the action failed or is not supported on the
// device's OS.
type CommandResult struct {
	ID    string `json:"id"`
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
	// Result is the action's own answer, any JSON including null.
	Result json.RawMessage `json:"result,omitempty" jsonstrict:"null"`
}

// Stop tells the agent to stop for good: its device was deleted and its credential revoked.
type Stop struct {
	Reason string `json:"reason"`
}

// Error reports a problem before the sender closes the connection.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// OpenRequest is the payload of a FrameOpen: which session and action the new stream serves.
type OpenRequest struct {
	SessionID string `json:"session_id"`
	Action    string `json:"action"`
	// Args are absent or null for an action that takes none (a technician's browser sends either).
	Args json.RawMessage `json:"args,omitempty" jsonstrict:"null"`
}
