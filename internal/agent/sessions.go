package agent

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/portico-dev/portico/internal/protocol"
)

// Session states shown in the end-user window.
const (
	StatePending = "pending" // waiting for the end user to approve or deny
	StateActive  = "active"  // accepted; streams of its actions may open
)

// Connection states shown in the end-user window.
const (
	ConnConnecting   = "connecting"
	ConnConnected    = "connected"
	ConnDisconnected = "disconnected"
	ConnStopped      = "stopped"
)

// DefaultAckTimeout is how long a session request waits for the end user before it is denied with
// the reason "no answer".
const DefaultAckTimeout = 60 * time.Second

// Bounds on what the agent keeps for the window, so that a chatty server cannot grow it without end.
const (
	maxSessions     = 16
	maxChatLines    = 200
	maxMessages     = 50
	maxNotices      = 20
	maxTextRunes    = 4000
	reasonNoAnswer  = "no answer"
	reasonDenied    = "denied by the end user"
	reasonWithdrawn = "action no longer allowed in this session"
)

// Errors returned to the end-user window.
var (
	ErrNoSession    = errors.New("no such session")
	ErrNotPending   = errors.New("the session is not waiting for an answer")
	ErrNotActive    = errors.New("the session is not active")
	ErrNotConnected = errors.New("not connected to the server")
)

// ChatLine is one line of a session's chat.
type ChatLine struct {
	From   string    `json:"from"` // "technician" or "end_user"
	Name   string    `json:"name,omitempty"`
	Text   string    `json:"text"`
	SentAt time.Time `json:"sent_at"`
}

// ShownMessage is a message a technician sent to the device.
type ShownMessage struct {
	SessionID  string    `json:"session_id,omitempty"`
	Text       string    `json:"text"`
	ReceivedAt time.Time `json:"received_at"`
}

// Notice is an event worth telling the end user about (a session ended, the connection was lost).
type Notice struct {
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// SessionView is a session as the end-user window shows it.
type SessionView struct {
	ID          string     `json:"session_id"`
	Technician  string     `json:"technician"`
	Actions     []string   `json:"actions"`
	State       string     `json:"state"`
	RequestedAt time.Time  `json:"requested_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	ExpiresAt   *time.Time `json:"expires_at,omitempty"`
	Streams     int        `json:"streams"`
	Chat        []ChatLine `json:"chat"`
}

// Support is an on-demand support session (docs/on-demand.md) as the end-user window shows it: who
// helps, since when, and whether it is over. The managed agent has none.
type Support struct {
	SessionID  string `json:"session_id"`
	Company    string `json:"company"`
	Technician string `json:"technician"`
	// ConnectedAt is when the support agent first connected; the window counts the time from it.
	ConnectedAt *time.Time `json:"connected_at,omitempty"`
	// Ended reports that the person ended the support session.
	Ended bool `json:"ended"`
	// MovedTo is the window of the elevated support agent that took the session over: the page goes
	// there.
	MovedTo string `json:"moved_to,omitempty"`
}

// State is everything the end-user window shows.
type State struct {
	Connection   string         `json:"connection"`
	Server       string         `json:"server,omitempty"`
	DeviceID     string         `json:"device_id,omitempty"`
	AgentVersion string         `json:"agent_version,omitempty"`
	Now          time.Time      `json:"now"`
	Pending      []SessionView  `json:"pending"`
	Sessions     []SessionView  `json:"sessions"`
	Messages     []ShownMessage `json:"messages"`
	Notices      []Notice       `json:"notices"`
	Support      *Support       `json:"support,omitempty"`
}

// SendFunc queues one control message for the server. It must not block for long.
type SendFunc func(typ string, body any) error

// SessionsOptions configure Sessions; every field is optional.
type SessionsOptions struct {
	AckTimeout   time.Duration // DefaultAckTimeout when zero
	Logger       *slog.Logger
	Server       string // shown until the agent sets the server it connects to
	DeviceID     string
	AgentVersion string
	// Notify shows a message on the desktop, best effort; nil does nothing.
	Notify func(text string)
	// Support makes these the sessions of a support agent: the window shows the on-demand session
	// and ends it as a whole (EndSupport). Nil for the managed agent.
	Support *Support
	// Now and AfterFunc replace the clock in tests.
	Now       func() time.Time
	AfterFunc func(d time.Duration, f func()) (stop func() bool)
}

// Sessions holds the remote sessions the server asked this device to join, from request to end, and
// what the end-user window shows about them. It lives as long as the agent; a connection attaches its
// sender while it is up, and every session ends when the connection drops.
type Sessions struct {
	opt SessionsOptions
	log *slog.Logger

	mu       sync.Mutex
	send     SendFunc // nil while disconnected
	conn     string
	server   string // the server the agent is connected to, or trying
	sessions map[string]*session
	messages []ShownMessage
	notices  []Notice

	support    *Support      // nil for the managed agent
	supportEnd chan struct{} // closed when the person ends the support session
}

type session struct {
	req         protocol.SessionRequest
	actions     []string
	state       string
	requestedAt time.Time
	startedAt   time.Time
	stopTimer   func() bool
	chat        []ChatLine
	streams     map[*protocol.Stream]*liveStream
}

type liveStream struct {
	action string
	cancel context.CancelFunc
}

// NewSessions returns an empty, disconnected set of sessions.
func NewSessions(opt SessionsOptions) *Sessions {
	if opt.AckTimeout <= 0 {
		opt.AckTimeout = DefaultAckTimeout
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	if opt.AfterFunc == nil {
		opt.AfterFunc = func(d time.Duration, f func()) func() bool { return time.AfterFunc(d, f).Stop }
	}
	log := opt.Logger
	if log == nil {
		log = slog.Default()
	}
	m := &Sessions{opt: opt, log: log, conn: ConnDisconnected, server: opt.Server, sessions: map[string]*session{}}
	if opt.Support != nil {
		sup := *opt.Support
		m.support, m.supportEnd = &sup, make(chan struct{})
	}
	return m
}

// SetServer records the server the agent is connecting to, shown in the window: with several
// servers, the one it ends up on is worth knowing.
func (m *Sessions) SetServer(url string) {
	m.mu.Lock()
	m.server = url
	m.mu.Unlock()
}

// SetConnection records the connection state shown in the window.
func (m *Sessions) SetConnection(state string) {
	m.mu.Lock()
	m.conn = state
	m.mu.Unlock()
}

// Attach makes send the way to the server, for the connection that just said hello.
func (m *Sessions) Attach(send SendFunc) {
	m.mu.Lock()
	m.send = send
	m.conn = ConnConnected
	if m.support != nil && m.support.ConnectedAt == nil {
		now := m.opt.Now()
		m.support.ConnectedAt = &now
	}
	m.mu.Unlock()
}

// Detach forgets the connection and ends every session locally (the server ends them too when it
// loses the agent), closing their streams.
func (m *Sessions) Detach(state, reason string) {
	m.mu.Lock()
	m.send = nil
	m.conn = state
	var closing []closeReq
	for id, s := range m.sessions {
		closing = append(closing, m.dropLocked(id, s)...)
		if s.state == StateActive {
			m.noticeLocked(fmt.Sprintf("Session with %s ended: %s.", s.req.Technician, reason))
		}
	}
	m.mu.Unlock()
	closeAll(closing, reason)
}

// Request handles a SessionRequest from the server: held pending for the end user when it asks for
// acknowledgement, accepted at once otherwise.
func (m *Sessions) Request(req protocol.SessionRequest) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if req.SessionID == "" {
		m.log.Warn("session request without an id: ignored")
		return
	}
	if _, dup := m.sessions[req.SessionID]; dup {
		m.log.Warn("duplicate session request: ignored", "session", req.SessionID)
		return
	}
	if m.support != nil && m.support.Ended {
		m.sendLocked(protocol.MsgSessionAnswer, protocol.SessionAnswer{SessionID: req.SessionID,
			Reason: "the support session has ended"})
		return
	}
	if len(m.sessions) >= maxSessions {
		m.sendLocked(protocol.MsgSessionAnswer, protocol.SessionAnswer{SessionID: req.SessionID,
			Reason: fmt.Sprintf("the device already has %d sessions", maxSessions)})
		return
	}
	req.Technician = clip(req.Technician, 200)
	s := &session{req: req, actions: slices.Clone(req.Actions), requestedAt: m.opt.Now(),
		streams: map[*protocol.Stream]*liveStream{}}
	m.sessions[req.SessionID] = s
	if !req.AckRequired {
		s.state, s.startedAt = StateActive, s.requestedAt
		m.log.Info("session started", "session", req.SessionID, "technician", req.Technician, "actions", req.Actions)
		m.sendLocked(protocol.MsgSessionAnswer, protocol.SessionAnswer{SessionID: req.SessionID, Accepted: true})
		return
	}
	s.state = StatePending
	id := req.SessionID
	s.stopTimer = m.opt.AfterFunc(m.opt.AckTimeout, func() { m.expire(id) })
	m.log.Info("session waiting for the end user", "session", id, "technician", req.Technician, "actions", req.Actions)
	if m.opt.Notify != nil {
		go m.opt.Notify(fmt.Sprintf("%s asks to connect (%v). Open the Portico window to answer.", req.Technician, req.Actions))
	}
}

// Answer records the end user's answer to a pending request and tells the server.
func (m *Sessions) Answer(id string, accept bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[id]
	switch {
	case s == nil:
		return ErrNoSession
	case s.state != StatePending:
		return ErrNotPending
	case m.send == nil:
		return ErrNotConnected
	}
	if s.stopTimer != nil {
		s.stopTimer()
	}
	ans := protocol.SessionAnswer{SessionID: id, Accepted: accept}
	if accept {
		s.state, s.startedAt = StateActive, m.opt.Now()
		m.log.Info("session approved by the end user", "session", id)
	} else {
		ans.Reason = reasonDenied
		delete(m.sessions, id)
		m.log.Info("session denied by the end user", "session", id)
	}
	return m.sendLocked(protocol.MsgSessionAnswer, ans)
}

// expire denies a request nobody answered in time.
func (m *Sessions) expire(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[id]
	if s == nil || s.state != StatePending {
		return
	}
	delete(m.sessions, id)
	m.log.Info("session request not answered in time: denied", "session", id)
	m.noticeLocked(fmt.Sprintf("A request from %s was denied: no answer in time.", s.req.Technician))
	m.sendLocked(protocol.MsgSessionAnswer, protocol.SessionAnswer{SessionID: id, Reason: reasonNoAnswer})
}

// Update narrows a session to the actions still allowed and closes the streams of the others. It
// never widens a session: an action the end user did not see is not added.
func (m *Sessions) Update(u protocol.SessionUpdate) {
	m.mu.Lock()
	s := m.sessions[u.SessionID]
	if s == nil {
		m.mu.Unlock()
		return
	}
	s.actions = slices.DeleteFunc(s.actions, func(a string) bool { return !slices.Contains(u.Actions, a) })
	var closing []closeReq
	for st, ls := range s.streams {
		if !slices.Contains(s.actions, ls.action) {
			closing = append(closing, closeReq{st, ls.cancel})
			delete(s.streams, st)
		}
	}
	m.log.Info("session narrowed", "session", u.SessionID, "actions", s.actions)
	m.mu.Unlock()
	closeAll(closing, reasonWithdrawn)
}

// End ends a session the server (or technician) ended.
func (m *Sessions) End(e protocol.SessionEnd) {
	m.mu.Lock()
	s := m.sessions[e.SessionID]
	if s == nil {
		m.mu.Unlock()
		return
	}
	closing := m.dropLocked(e.SessionID, s)
	text := fmt.Sprintf("Session with %s ended", s.req.Technician)
	if by, ok := endedBy[e.By]; ok {
		text += " by " + by
	}
	if e.Reason != "" {
		text += ": " + clip(e.Reason, 300)
	}
	if s.state == StatePending {
		text = fmt.Sprintf("The request from %s was withdrawn", s.req.Technician)
	}
	m.noticeLocked(text + ".")
	m.log.Info("session ended", "session", e.SessionID, "by", e.By, "reason", e.Reason)
	m.mu.Unlock()
	closeAll(closing, "session ended")
}

// EndByUser ends a session from the end-user window and tells the server.
func (m *Sessions) EndByUser(id string) error {
	m.mu.Lock()
	s := m.sessions[id]
	if s == nil {
		m.mu.Unlock()
		return ErrNoSession
	}
	if m.send == nil {
		m.mu.Unlock()
		return ErrNotConnected
	}
	closing := m.dropLocked(id, s)
	err := m.sendLocked(protocol.MsgSessionEnd, protocol.SessionEnd{SessionID: id, By: "end_user"})
	m.noticeLocked(fmt.Sprintf("You ended the session with %s.", s.req.Technician))
	m.log.Info("session ended by the end user", "session", id)
	m.mu.Unlock()
	closeAll(closing, "session ended by the end user")
	return err
}

// EndSupport ends the support session id from the end-user window: pending requests are denied,
// active sessions ended, and the server is told the on-demand session is over (a session_end naming
// it, by the end user), to which it answers stop. SupportEnded fires even when the server cannot be
// told: the person wants the session over, and the support agent exits either way.
func (m *Sessions) EndSupport(id string) error {
	m.mu.Lock()
	if m.support == nil || id != m.support.SessionID {
		m.mu.Unlock()
		return ErrNoSession
	}
	if m.support.Ended {
		m.mu.Unlock()
		return nil
	}
	m.support.Ended = true
	var closing []closeReq
	for sid, s := range m.sessions {
		closing = append(closing, m.dropLocked(sid, s)...)
		if m.send == nil {
			continue
		}
		if s.state == StatePending {
			m.sendLocked(protocol.MsgSessionAnswer, protocol.SessionAnswer{SessionID: sid, Reason: reasonDenied})
		} else {
			m.sendLocked(protocol.MsgSessionEnd, protocol.SessionEnd{SessionID: sid, By: "end_user"})
		}
	}
	if m.send != nil {
		m.sendLocked(protocol.MsgSessionEnd, protocol.SessionEnd{SessionID: id, By: "end_user"})
	} else {
		m.log.Warn("not connected: the server is not told that the support session ended", "session", id)
	}
	m.noticeLocked("You ended the support session.")
	m.log.Info("support session ended by the end user", "session", id)
	close(m.supportEnd)
	m.mu.Unlock()
	closeAll(closing, "support session ended by the end user")
	return nil
}

// SupportEnded is closed when the person ends the support session (EndSupport). It is nil, and never
// ready, for the managed agent.
func (m *Sessions) SupportEnded() <-chan struct{} { return m.supportEnd }

// SetSupportMovedTo records the window of the elevated support agent that took the session over, so
// that the page moves there.
func (m *Sessions) SetSupportMovedTo(url string) {
	m.mu.Lock()
	if m.support != nil {
		m.support.MovedTo = url
	}
	m.mu.Unlock()
}

// Chat records a chat line from the technician.
func (m *Sessions) Chat(c protocol.Chat) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[c.SessionID]
	if s == nil || s.state != StateActive {
		return
	}
	at := c.SentAt
	if at.IsZero() {
		at = m.opt.Now()
	}
	s.addChat(ChatLine{From: "technician", Name: clip(pick(c.Name != "", c.Name, s.req.Technician), 200),
		Text: clip(c.Text, maxTextRunes), SentAt: at})
}

// SendChat sends a chat line from the end user.
func (m *Sessions) SendChat(id, text string) error {
	text = clip(text, maxTextRunes)
	if text == "" {
		return errors.New("empty chat line")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[id]
	switch {
	case s == nil:
		return ErrNoSession
	case s.state != StateActive:
		return ErrNotActive
	case m.send == nil:
		return ErrNotConnected
	}
	line := protocol.Chat{SessionID: id, From: "end_user", Text: text, SentAt: m.opt.Now().UTC()}
	if err := m.sendLocked(protocol.MsgChat, line); err != nil {
		return err
	}
	s.addChat(ChatLine{From: "end_user", Text: text, SentAt: line.SentAt})
	return nil
}

// ShowMessage shows a technician's message in the window and, best effort, on the desktop.
func (m *Sessions) ShowMessage(sessionID, text string) {
	text = clip(text, maxTextRunes)
	m.mu.Lock()
	m.messages = appendBounded(m.messages, ShownMessage{SessionID: sessionID, Text: text, ReceivedAt: m.opt.Now()}, maxMessages)
	m.mu.Unlock()
	if m.opt.Notify != nil {
		go m.opt.Notify(text)
	}
}

// SessionAllows reports whether a session is active and currently includes the action: a command
// sent within a session is refused otherwise.
func (m *Sessions) SessionAllows(id, action string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[id]
	return s != nil && s.state == StateActive && slices.Contains(s.actions, action)
}

// OpenStream admits a stream the server opened: its session must be active and its action one of the
// session's current actions. The returned context ends when the session ends or the action is
// withdrawn; release must be called when the stream is done.
func (m *Sessions) OpenStream(parent context.Context, st *protocol.Stream) (context.Context, func(), error) {
	req := st.Request()
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.sessions[req.SessionID]
	switch {
	case s == nil || s.state != StateActive:
		return nil, nil, fmt.Errorf("no active session %q on this device", req.SessionID)
	case !slices.Contains(s.actions, req.Action):
		return nil, nil, fmt.Errorf("action %q is not allowed in this session", req.Action)
	}
	ctx, cancel := context.WithCancel(parent)
	s.streams[st] = &liveStream{action: req.Action, cancel: cancel}
	release := func() {
		m.mu.Lock()
		delete(s.streams, st)
		m.mu.Unlock()
		cancel()
	}
	return ctx, release, nil
}

// State returns what the end-user window shows.
func (m *Sessions) State() State {
	m.mu.Lock()
	defer m.mu.Unlock()
	st := State{Connection: m.conn, Server: m.server, DeviceID: m.opt.DeviceID, AgentVersion: m.opt.AgentVersion,
		Now: m.opt.Now(), Pending: []SessionView{}, Sessions: []SessionView{},
		Messages: slices.Clone(m.messages), Notices: slices.Clone(m.notices)}
	if st.Messages == nil {
		st.Messages = []ShownMessage{}
	}
	if st.Notices == nil {
		st.Notices = []Notice{}
	}
	if m.support != nil {
		sup := *m.support
		st.Support = &sup
	}
	for id, s := range m.sessions {
		v := SessionView{ID: id, Technician: s.req.Technician, Actions: slices.Clone(s.actions), State: s.state,
			RequestedAt: s.requestedAt, Streams: len(s.streams), Chat: slices.Clone(s.chat)}
		if v.Actions == nil {
			v.Actions = []string{}
		}
		if v.Chat == nil {
			v.Chat = []ChatLine{}
		}
		if s.state == StateActive {
			t := s.startedAt
			v.StartedAt = &t
			st.Sessions = append(st.Sessions, v)
		} else {
			t := s.requestedAt.Add(m.opt.AckTimeout)
			v.ExpiresAt = &t
			st.Pending = append(st.Pending, v)
		}
	}
	byTime := func(list []SessionView) {
		sort.Slice(list, func(i, j int) bool { return list[i].RequestedAt.Before(list[j].RequestedAt) })
	}
	byTime(st.Pending)
	byTime(st.Sessions)
	return st
}

// endedBy names who ended a session, for the window.
var endedBy = map[string]string{"end_user": "you", "technician": "the technician", "server": "the server",
	"agent": "the agent"}

// closeReq is a stream to close once the lock is released (closing writes to the connection).
type closeReq struct {
	st     *protocol.Stream
	cancel context.CancelFunc
}

func closeAll(list []closeReq, reason string) {
	for _, c := range list {
		c.cancel()
		c.st.Close(reason)
	}
}

// dropLocked removes a session and returns its streams to close.
func (m *Sessions) dropLocked(id string, s *session) []closeReq {
	if s.stopTimer != nil {
		s.stopTimer()
	}
	delete(m.sessions, id)
	out := make([]closeReq, 0, len(s.streams))
	for st, ls := range s.streams {
		out = append(out, closeReq{st, ls.cancel})
	}
	return out
}

func (m *Sessions) sendLocked(typ string, body any) error {
	if m.send == nil {
		m.log.Warn("not connected: message to the server dropped", "type", typ)
		return ErrNotConnected
	}
	if err := m.send(typ, body); err != nil {
		m.log.Warn("message to the server dropped", "type", typ, "err", err)
		return err
	}
	return nil
}

func (m *Sessions) noticeLocked(text string) {
	m.notices = appendBounded(m.notices, Notice{Text: text, At: m.opt.Now()}, maxNotices)
}

func (s *session) addChat(l ChatLine) { s.chat = appendBounded(s.chat, l, maxChatLines) }

// appendBounded appends v and drops the oldest entries beyond max.
func appendBounded[T any](list []T, v T, max int) []T {
	list = append(list, v)
	if len(list) > max {
		list = slices.Delete(list, 0, len(list)-max)
	}
	return list
}

// clip trims s to at most n runes and replaces invalid UTF-8.
func clip(s string, n int) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s))
	}
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

func pick[T any](cond bool, a, b T) T {
	if cond {
		return a
	}
	return b
}
