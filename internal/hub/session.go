package hub

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/jsonstrict"
	"github.com/portico-dev/portico/internal/protocol"
)

// streamActions are the actions used through a stream (see protocol's action formats); the others,
// but chat, are one-shot commands.
var streamActions = []string{"screen_view", "remote_control", "screenshot", "file_transfer", "terminal",
	"registry", "task_manager", "clipboard"}

// commandActions are the one-shot actions sent as a Command.
var commandActions = []string{"message", "blank_screen", "ctrl_alt_del", "wake", "reboot", "lock"}

// Limits of what a technician sends.
const (
	maxChatLen      = 4000 // characters of one chat line
	maxCommandIDLen = 64
	// techBuffer is how many JSON messages may wait for a slow technician before chat lines are
	// dropped (stream data is never dropped: it waits instead).
	techBuffer = 256
	// maxTechMessage is the largest message a technician may send: a channel byte and a stream
	// message.
	maxTechMessage = 1 + protocol.MaxPayload
)

// session is one live remote session: a technician's WebSocket relayed to an agent.
type session struct {
	h        *Hub
	id       string
	deviceID string
	grant    *app.SessionGrant
	agent    *agent
	ws       *techConn

	ctx    context.Context // ends when the session ends
	cancel context.CancelFunc

	mu      sync.Mutex
	rec     portico.RemoteSession
	streams map[int]*relay // channel → stream

	answer  chan protocol.SessionAnswer
	toTech  chan any
	endOnce sync.Once
	ended   chan struct{}
	relays  sync.WaitGroup
}

// relay is one channel of a session: a stream to the agent for one action.
type relay struct {
	action string
	stream *protocol.Stream
}

func (s *session) isActive() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec.State == portico.RemoteSessionActive
}

func (s *session) record() portico.RemoteSession {
	s.mu.Lock()
	defer s.mu.Unlock()
	r := s.rec
	r.Actions = slices.Clone(r.Actions)
	return r
}

func (s *session) actions() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.rec.Actions)
}

func (s *session) allows(action string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.rec.State != portico.RemoteSessionEnded && slices.Contains(s.rec.Actions, action)
}

// ServeSession upgrades an authorized technician's request to the session WebSocket and runs the
// session until either side ends it. The caller has authorized the grant and checked that the agent is
// online; if it went offline since, the session ends at once with that reason.
func (h *Hub) ServeSession(w http.ResponseWriter, r *http.Request, g *app.SessionGrant) {
	conn, err := protocol.Upgrader().Upgrade(w, r, nil) // its origin check refuses another site's page
	if err != nil {
		h.log.Info("session upgrade failed", "device", g.Device.ID, "err", err)
		return
	}
	conn.SetReadLimit(maxTechMessage)
	ws := newTechConn(conn, h.opts.TechTimeout)
	a := h.agent(g.Device.ID)
	if a == nil {
		ws.close(websocket.CloseTryAgainLater, "device is offline", false)
		return
	}
	ctx, cancel := context.WithTimeout(h.ctx, writeTimeout)
	rec, err := h.app.StartSession(ctx, g, h.opts.NodeID)
	cancel()
	if err != nil {
		h.log.Error("start session", "device", g.Device.ID, "err", err)
		ws.close(websocket.CloseInternalServerErr, "the session could not be recorded", false)
		return
	}
	s := &session{h: h, id: rec.ID, deviceID: g.Device.ID, grant: g, agent: a, ws: ws, rec: *rec,
		streams: map[int]*relay{}, answer: make(chan protocol.SessionAnswer, 1), toTech: make(chan any, techBuffer),
		ended: make(chan struct{})}
	s.ctx, s.cancel = context.WithCancel(h.ctx)
	h.mu.Lock()
	h.sessions[s.id] = s
	h.mu.Unlock()

	writerDone := make(chan struct{})
	go func() { defer close(writerDone); s.writeLoop() }()
	readerDone := make(chan struct{})
	go func() { defer close(readerDone); s.readLoop() }()

	s.sendState("")
	err = a.send(protocol.MsgSessionRequest, protocol.SessionRequest{SessionID: s.id, Technician: g.Technician,
		Actions: s.actions(), AckRequired: g.AckRequired})
	if err != nil {
		s.end("server", "the device could not be reached")
	} else {
		s.awaitAnswer()
	}
	<-s.ended
	<-readerDone
	s.relays.Wait()
	<-writerDone
}

// awaitAnswer waits for the agent's answer to the session request.
func (s *session) awaitAnswer() {
	t := time.NewTimer(s.h.opts.AnswerTimeout)
	defer t.Stop()
	select {
	case ans := <-s.answer:
		if !ans.Accepted {
			reason := ans.Reason
			if reason == "" {
				reason = "the end user declined the session"
			}
			s.end("end_user", reason)
			return
		}
		s.activate()
	case <-t.C:
		s.end("server", "the device did not answer in time")
	case <-s.ended:
	}
}

func (s *session) answered(ans protocol.SessionAnswer) {
	select {
	case s.answer <- ans:
	default: // a second answer means nothing
	}
}

// activate moves the session to active: stored, the device In session, the technician told.
func (s *session) activate() {
	s.mu.Lock()
	if s.rec.State != portico.RemoteSessionConnecting {
		s.mu.Unlock()
		return
	}
	s.rec.State = portico.RemoteSessionActive
	rec := s.rec
	s.mu.Unlock()
	ctx, cancel := context.WithTimeout(s.h.ctx, writeTimeout)
	if err := s.h.app.ActivateSession(ctx, &rec); err != nil && !portico.IsKind(err, portico.KindNotFound) {
		s.h.log.Error("store session state", "session", s.id, "err", err)
	}
	cancel()
	s.h.refreshStatus(s.agent, "", "")
	s.sendState("")
}

// sendState tells the technician the session's state.
func (s *session) sendState(by string) {
	r := s.record()
	s.sendTech(protocol.TechState{Type: "state", State: r.State, SessionID: s.id, Actions: r.Actions, By: by, Reason: r.EndReason})
}

// sendTech queues a JSON message for the technician. It never waits: when a technician stops reading
// and the queue is full, the message is dropped and logged.
func (s *session) sendTech(v any) {
	select {
	case s.toTech <- v:
	default:
		s.h.log.Warn("technician not reading: message dropped", "session", s.id)
	}
}

// writeLoop writes the queued JSON messages to the technician and pings them, then closes the
// WebSocket once the session ended.
func (s *session) writeLoop() {
	write := func(v any) bool {
		b, err := json.Marshal(v)
		if err != nil {
			s.h.log.Error("encode technician message", "err", err)
			return true
		}
		return s.ws.write(websocket.TextMessage, b, writeTimeout) == nil
	}
	// Two pings go unanswered before the read deadline cuts a technician off.
	ping := time.NewTicker(s.h.opts.TechTimeout * 2 / 5)
	defer ping.Stop()
	for {
		select {
		case v := <-s.toTech:
			if !write(v) {
				go s.end("technician", "the technician's connection failed")
			}
		case <-ping.C:
			// A ping that cannot be written is not the end: the read deadline judges whether the
			// technician is still there.
			_ = s.ws.ping()
		case <-s.ended:
		drain:
			for {
				select {
				case v := <-s.toTech:
					write(v)
				default:
					break drain
				}
			}
			r := s.record()
			s.ws.close(websocket.CloseNormalClosure, clip(r.EndReason, 120), true)
			return
		}
	}
}

// readLoop reads the technician's messages until the WebSocket fails or the session ends.
func (s *session) readLoop() {
	// One buffer for every message, read into after room for a frame header, so that a channel's
	// data goes to its stream without a copy (SendInPlace); json.Unmarshal copies what it keeps.
	defer close(s.ws.readDone)
	buf := make([]byte, protocol.FrameHeadroom+maxTechMessage)
	for {
		// The read goes on after the session ended, until the technician answers the close frame
		// that writeLoop sends (or that close gives up), so that the connection ends cleanly.
		typ, r, err := s.ws.reader()
		n := 0
		if err == nil {
			n, err = readMessage(r, buf[protocol.FrameHeadroom:])
		}
		if err != nil {
			reason := "the technician disconnected"
			switch {
			case tooLarge(err):
				reason = "the technician sent a message that is too large"
			case timedOut(err):
				reason = "the technician stopped answering"
			}
			s.end("technician", reason)
			return
		}
		select {
		case <-s.ended:
			continue // what the technician sent after the end is ignored
		default:
		}
		if typ == websocket.BinaryMessage {
			s.fromTechBinary(buf[:protocol.FrameHeadroom+n])
			continue
		}
		var req protocol.TechRequest
		if err := jsonstrict.Unmarshal(buf[protocol.FrameHeadroom:protocol.FrameHeadroom+n], &req); err != nil {
			s.sendTech(protocol.TechError{Type: "error", Message: "messages must be JSON objects with a type: " + err.Error()})
			continue
		}
		s.handle(req)
	}
}

// handle acts on one technician message.
func (s *session) handle(req protocol.TechRequest) {
	connecting := s.record().State == portico.RemoteSessionConnecting
	switch req.Type {
	case "cancel":
		s.end("technician", "cancelled by the technician")
		return
	case "end":
		s.end("technician", "ended by the technician")
		return
	}
	if connecting {
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("%q is not possible while connecting: wait for the state active, or cancel", req.Type)})
		return
	}
	switch req.Type {
	case "open":
		s.open(req)
	case "close":
		s.closeChannel(req.Channel, "")
	case "chat":
		s.chatFromTech(req.Text)
	case "command":
		s.command(req)
	default:
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("unknown message type %q", req.Type)})
	}
}

// open opens a stream to the agent for one action on a channel and relays the agent's side back.
func (s *session) open(req protocol.TechRequest) {
	switch {
	case req.Channel < 1 || req.Channel > 255:
		s.sendTech(protocol.TechError{Type: "error", Message: "channel must be 1 to 255"})
		return
	case !slices.Contains(streamActions, req.Action):
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("%q is not a stream action (one of %s)", req.Action, strings.Join(streamActions, ", "))})
		return
	case !s.allows(req.Action):
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("%q is not one of this session's actions", req.Action)})
		return
	}
	s.mu.Lock()
	_, busy := s.streams[req.Channel]
	s.mu.Unlock()
	if busy {
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("channel %d is already open", req.Channel)})
		return
	}
	st, err := s.agent.conn.Open(s.ctx, protocol.OpenRequest{SessionID: s.id, Action: req.Action, Args: req.Args})
	if err != nil {
		s.sendTech(protocol.TechChannel{Type: "closed", Channel: req.Channel, Reason: "could not open: " + err.Error()})
		return
	}
	rl := &relay{action: req.Action, stream: st}
	s.mu.Lock()
	if s.rec.State == portico.RemoteSessionEnded || !slices.Contains(s.rec.Actions, req.Action) {
		s.mu.Unlock()
		_ = st.Close("the action is no longer allowed")
		s.sendTech(protocol.TechChannel{Type: "closed", Channel: req.Channel, Reason: "the action is no longer allowed"})
		return
	}
	s.streams[req.Channel] = rl
	s.mu.Unlock()
	s.sendTech(protocol.TechChannel{Type: "opened", Channel: req.Channel})
	s.relays.Add(1)
	go s.relayToTech(req.Channel, rl)
}

// relayToTech copies the agent's messages of one stream to the technician. A slow technician blocks
// the WebSocket write, so Recv stops and the agent runs out of credit: nothing piles up here.
func (s *session) relayToTech(ch int, rl *relay) {
	defer s.relays.Done()
	reason := ""
	var writeErr error
	forward := func(buf []byte) error {
		// The channel byte goes in the room in front of the message: the message is not copied.
		out := buf[protocol.RecvRoom-1:]
		out[0] = byte(ch)
		// The write is bounded by the technician's timeout rather than the session: the final close
		// also ends a write blocked on a technician who stopped reading.
		writeErr = s.ws.write(websocket.BinaryMessage, out, s.h.opts.TechTimeout)
		return writeErr
	}
	for {
		// RecvInPlace lends the agent's message, with room for the channel byte, for the write.
		err := rl.stream.RecvInPlace(s.ctx, forward)
		if err == nil {
			continue
		}
		var se *protocol.StreamError
		switch {
		case writeErr != nil:
			reason = "the technician's connection failed"
			_ = rl.stream.Close(reason)
		case errors.Is(err, io.EOF):
		case errors.As(err, &se):
			reason = se.Reason
		default:
			reason = err.Error()
		}
		break
	}
	s.mu.Lock()
	if s.streams[ch] == rl {
		delete(s.streams, ch)
	}
	ended := s.rec.State == portico.RemoteSessionEnded
	s.mu.Unlock()
	if !ended {
		s.sendTech(protocol.TechChannel{Type: "closed", Channel: ch, Reason: reason})
	}
}

// fromTechBinary relays one binary message to its channel's stream. Send waits while the agent's
// window is full; this goroutine then stops reading the technician, which is the backpressure.
// buf holds the message after protocol.FrameHeadroom bytes of room.
func (s *session) fromTechBinary(buf []byte) {
	data := buf[protocol.FrameHeadroom:]
	if len(data) < 1 {
		s.sendTech(protocol.TechError{Type: "error", Message: "a binary message starts with its channel byte"})
		return
	}
	ch := int(data[0])
	s.mu.Lock()
	rl := s.streams[ch]
	s.mu.Unlock()
	if rl == nil {
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("channel %d is not open", ch)})
		return
	}
	// buf[1:] has the room SendInPlace needs in front of the channel's data.
	if err := rl.stream.SendInPlace(s.ctx, buf[1:]); err != nil && s.ctx.Err() == nil {
		s.closeChannel(ch, "could not send: "+err.Error())
	}
}

// closeChannel closes one channel's stream; its relay then reports it closed.
func (s *session) closeChannel(ch int, reason string) {
	s.mu.Lock()
	rl := s.streams[ch]
	s.mu.Unlock()
	if rl == nil {
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("channel %d is not open", ch)})
		return
	}
	_ = rl.stream.Close(reason)
}

func (s *session) chatFromTech(text string) {
	switch {
	case !s.allows("chat"):
		s.sendTech(protocol.TechError{Type: "error", Message: `"chat" is not one of this session's actions`})
		return
	case strings.TrimSpace(text) == "":
		s.sendTech(protocol.TechError{Type: "error", Message: "chat text is empty"})
		return
	case !utf8.ValidString(text) || utf8.RuneCountInString(text) > maxChatLen:
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("chat text must be valid UTF-8 of at most %d characters", maxChatLen)})
		return
	}
	c := protocol.Chat{SessionID: s.id, From: "technician", Name: s.grant.Technician, Text: text, SentAt: time.Now().UTC()}
	if err := s.agent.send(protocol.MsgChat, c); err != nil {
		s.sendTech(protocol.TechError{Type: "error", Message: "chat not delivered: " + err.Error()})
	}
}

// chatFromDevice relays the end user's chat line to the technician.
func (s *session) chatFromDevice(c protocol.Chat) {
	if !s.allows("chat") {
		return
	}
	c.From = "end_user"
	if !utf8.ValidString(c.Text) || utf8.RuneCountInString(c.Text) > maxChatLen || !utf8.ValidString(c.Name) {
		s.h.log.Info("chat from device dropped: invalid text", "session", s.id)
		return
	}
	s.sendTech(protocol.TechChat{Type: "chat", Chat: c})
}

// command sends a one-shot action to the agent and relays its result.
func (s *session) command(req protocol.TechRequest) {
	switch {
	case req.ID == "" || len(req.ID) > maxCommandIDLen:
		s.sendTech(protocol.TechError{Type: "error", Message: fmt.Sprintf("a command needs an id of 1 to %d characters", maxCommandIDLen)})
		return
	case !slices.Contains(commandActions, req.Action):
		s.sendTech(protocol.TechError{Type: "error", ID: req.ID, Message: fmt.Sprintf("%q is not a command action (one of %s)", req.Action, strings.Join(commandActions, ", "))})
		return
	case !s.allows(req.Action):
		s.sendTech(protocol.TechError{Type: "error", ID: req.ID, Message: fmt.Sprintf("%q is not one of this session's actions", req.Action)})
		return
	}
	target := s.agent
	cmd := protocol.Command{ID: s.id + "/" + req.ID, SessionID: s.id, Action: req.Action, Args: req.Args}
	if req.Action == "wake" {
		var err error
		target, cmd.Args, err = s.h.wakeRelay(s.agent, req.Args)
		if err != nil {
			s.sendTech(protocol.TechError{Type: "error", ID: req.ID, Status: http.StatusConflict, Message: err.Error()})
			return
		}
		cmd.SessionID = "" // the relaying agent has no part in this session
	}
	target.addCommand(cmd.ID, &pendingCommand{s: s, techID: req.ID})
	if err := target.send(protocol.MsgCommand, cmd); err != nil {
		if pc := target.takeCommand(cmd.ID); pc != nil {
			s.commandResult(req.ID, protocol.CommandResult{OK: false, Error: "not delivered: " + err.Error()})
		}
		return
	}
	time.AfterFunc(s.h.opts.CommandTimeout, func() {
		if pc := target.takeCommand(cmd.ID); pc != nil {
			s.commandResult(req.ID, protocol.CommandResult{OK: false, Error: "the device did not answer in time"})
		}
	})
}

func (s *session) commandResult(techID string, res protocol.CommandResult) {
	s.sendTech(protocol.TechCommandResult{Type: "command_result", ID: techID, OK: res.OK, Error: res.Error, Result: res.Result})
}

// wakeRelay finds another online agent of the same account on the same subnet as the device, and the
// wake args to send it: the MAC from args, or the device's first reported MAC.
func (h *Hub) wakeRelay(dev *agent, raw json.RawMessage) (*agent, json.RawMessage, error) {
	var args protocol.WakeArgs
	if len(raw) > 0 && string(raw) != "null" {
		if err := jsonstrict.Unmarshal(raw, &args); err != nil {
			return nil, nil, fmt.Errorf("wake args: %v", err)
		}
	}
	inv := dev.inv.Load()
	if args.MAC == "" && inv != nil && len(inv.MACAddresses) > 0 {
		args.MAC = inv.MACAddresses[0]
	}
	if args.MAC == "" {
		return nil, nil, errors.New("the device reported no MAC address to wake")
	}
	prefixes := subnets(inv)
	if len(prefixes) == 0 {
		return nil, nil, errors.New("the device reported no IP address: no neighbour can be found to wake it")
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	for id, other := range h.agents {
		if id == dev.ac.DeviceID || other.ac.AccountID != dev.ac.AccountID {
			continue
		}
		for _, ip := range addresses(other.inv.Load()) {
			for _, p := range prefixes {
				if p.Contains(ip) {
					b, _ := json.Marshal(args)
					return other, b, nil
				}
			}
		}
	}
	return nil, nil, errors.New("no other online device of this account on the same subnet can wake it")
}

// addresses lists the IP addresses an inventory reports, with or without prefix length.
func addresses(inv *protocol.Inventory) []netip.Addr {
	var out []netip.Addr
	for _, p := range subnets(inv) {
		out = append(out, p.Addr())
	}
	return out
}

// subnets returns the networks of an inventory's addresses: the adapters' prefixes when given, else
// /24 for IPv4 and /64 for IPv6.
func subnets(inv *protocol.Inventory) []netip.Prefix {
	if inv == nil {
		return nil
	}
	var out []netip.Prefix
	add := func(s string) {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			if !p.Addr().IsLoopback() {
				out = append(out, p)
			}
			return
		}
		if a, err := netip.ParseAddr(s); err == nil && !a.IsLoopback() {
			bits := 24
			if a.Is6() && !a.Is4In6() {
				bits = 64
			}
			p, _ := a.Prefix(bits)
			out = append(out, netip.PrefixFrom(a, p.Bits()))
		}
	}
	for _, n := range inv.NetworkAdapters {
		for _, s := range n.Addresses {
			add(s)
		}
	}
	for _, s := range inv.IPAddresses {
		add(s)
	}
	return out
}

// end ends the session once: the agent is told (unless it ended it), the streams close, the record
// and audit entry are written, the device's status follows, and the technician gets the final state
// before the WebSocket closes.
func (s *session) end(by, reason string) {
	s.endOnce.Do(func() {
		s.mu.Lock()
		s.rec.State = portico.RemoteSessionEnded
		s.rec.EndedBy, s.rec.EndReason = by, reason
		streams := s.streams
		s.streams = map[int]*relay{}
		rec := s.rec
		s.mu.Unlock()
		if by != "end_user" && by != "agent" {
			if err := s.agent.send(protocol.MsgSessionEnd, protocol.SessionEnd{SessionID: s.id, By: by, Reason: reason}); err != nil {
				s.h.log.Info("tell the agent the session ended", "session", s.id, "err", err)
			}
		}
		for _, rl := range streams {
			_ = rl.stream.Close("the session ended")
		}
		s.h.mu.Lock()
		delete(s.h.sessions, s.id)
		s.h.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
		if err := s.h.app.EndSession(ctx, &rec, by, reason); err != nil {
			s.h.log.Error("record session end; will retry", "session", s.id, "err", err)
			s.h.deferEnd(rec, by, reason)
		}
		cancel()
		s.h.refreshStatus(s.agent, "", "")
		s.sendState(by)
		close(s.ended)
		s.cancel()
	})
}

// narrow removes actions that are no longer allowed: their streams close, the agent and the
// technician are told, and the audit log records it.
func (s *session) narrow(allowed []string, reason string) {
	s.mu.Lock()
	if s.rec.State == portico.RemoteSessionEnded {
		s.mu.Unlock()
		return
	}
	rec := s.rec // as it was, for the audit detail
	s.rec.Actions = slices.Clone(allowed)
	var closing []*relay
	for ch, rl := range s.streams {
		if !slices.Contains(allowed, rl.action) {
			closing = append(closing, rl)
			delete(s.streams, ch)
		}
	}
	s.mu.Unlock()
	for _, rl := range closing {
		_ = rl.stream.Close(reason)
	}
	if err := s.agent.send(protocol.MsgSessionUpdate, protocol.SessionUpdate{SessionID: s.id, Actions: allowed}); err != nil {
		s.h.log.Info("tell the agent the session narrowed", "session", s.id, "err", err)
	}
	s.sendTech(protocol.TechActions{Type: "actions", Actions: allowed, Reason: reason})
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := s.h.app.NarrowSession(ctx, &rec, allowed, reason); err != nil {
		s.h.log.Error("record session narrowing", "session", s.id, "err", err)
	}
}

// EndSession ends a live session on this server; it reports false when no such session runs here.
func (h *Hub) EndSession(id, by, reason string) bool {
	h.mu.Lock()
	s := h.sessions[id]
	h.mu.Unlock()
	if s == nil {
		return false
	}
	s.end(by, reason)
	return true
}

// clip shortens s to at most n bytes without cutting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
