package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/protocol"
)

// endDelay slows the recording of a connection's end, for tests of shutdown (zero otherwise).
var endDelay time.Duration

// helloTimeout bounds how long a new connection may take to say hello.
const helloTimeout = 10 * time.Second

// agent is one connected agent.
type agent struct {
	h    *Hub
	ac   *app.Actor
	conn *protocol.Conn
	// connID names this connection in the database's presence record; recorded is set once its
	// "connected" event is written (the record names it from then on, until a newer one takes over).
	connID   string
	recorded atomic.Bool

	hello    chan protocol.Message // the first control message
	greeted  atomic.Bool
	lastBeat atomic.Int64 // unix nanoseconds of the last heartbeat (or of the connection)
	// ackSeq is the newest heartbeat to acknowledge; acking is set while an acknowledgement is being
	// written, so an agent that floods heartbeats without reading costs one goroutine, not one each.
	ackSeq atomic.Uint64
	acking atomic.Bool

	// inv is the latest inventory, kept for finding a neighbour to wake a device; invPending hands
	// inventories to a goroutine that stores them (started when one waits, invBusy while it runs),
	// so the read loop never waits on the database and a flood of inventories costs one write at a
	// time.
	inv        atomic.Pointer[protocol.Inventory]
	invPending atomic.Pointer[pendingInventory]
	invBusy    atomic.Bool

	cmdMu    sync.Mutex
	commands map[string]*pendingCommand // command id on the wire → who waits for its result
}

type pendingInventory struct {
	inv protocol.Inventory
	raw json.RawMessage
}

// pendingCommand is a command sent to this agent on behalf of a session.
type pendingCommand struct {
	s      *session
	techID string
}

func (a *agent) lastBeatTime() time.Time { return time.Unix(0, a.lastBeat.Load()) }

// ServeAgent upgrades an authenticated agent's request to the agent WebSocket and serves it until the
// connection ends. The caller has authenticated the device's credential (ac is the agent's actor).
func (h *Hub) ServeAgent(w http.ResponseWriter, r *http.Request, ac *app.Actor) {
	ws, err := protocol.Upgrader().Upgrade(w, r, nil)
	if err != nil {
		h.log.Info("agent upgrade failed", "device", ac.DeviceID, "err", err)
		return
	}
	a := &agent{h: h, ac: ac, hello: make(chan protocol.Message, 1), connID: portico.NewID("conn"),
		commands: map[string]*pendingCommand{}}
	a.lastBeat.Store(time.Now().UnixNano())
	a.conn = protocol.NewConn(protocol.WebSocket(ws), protocol.Options{Role: protocol.RoleServer, OnControl: a.onControl})
	h.mu.Lock()
	if h.closing {
		h.mu.Unlock()
		_ = protocol.CloseWebSocket(ws, websocket.CloseTryAgainLater, "the server is shutting down", nil)
		return
	}
	h.conns.Add(1)
	h.mu.Unlock()
	runDone := make(chan error, 1)
	registered := make(chan bool, 1)
	// The read loop's goroutine is the connection's only one once it is registered: it also records
	// the end. The handler returns after registration, so the HTTP server's goroutine, its request and
	// buffers are not held for the life of the connection.
	go func() {
		defer h.conns.Done()
		err := a.conn.Run(h.ctx)
		runDone <- err
		if <-registered {
			if endDelay > 0 {
				time.Sleep(endDelay)
			}
			h.log.Info("agent disconnected", "device", ac.DeviceID, "err", err)
			h.unregister(a, err)
		}
	}()

	if err := a.greet(runDone); err != nil {
		h.log.Info("agent refused", "device", ac.DeviceID, "err", err)
		_ = a.conn.Close(err.Error())
		registered <- false
		<-runDone
		return
	}
	h.register(a)
	registered <- true
}

// greet waits for the agent's hello and answers welcome, or refuses a version this server does not
// speak.
func (a *agent) greet(runDone chan error) error {
	t := time.NewTimer(helloTimeout)
	defer t.Stop()
	var m protocol.Message
	select {
	case m = <-a.hello:
	case err := <-runDone:
		runDone <- err // for the caller
		return fmt.Errorf("connection ended before hello: %w", err)
	case <-t.C:
		return fmt.Errorf("no hello within %s", helloTimeout)
	case <-a.h.ctx.Done():
		return fmt.Errorf("the server is shutting down")
	}
	ctx, cancel := context.WithTimeout(a.h.ctx, writeTimeout)
	defer cancel()
	var hello protocol.Hello
	if m.Type != protocol.MsgHello {
		err := fmt.Errorf("the first message must be hello, got %s", m.Type)
		_ = a.conn.Send(ctx, protocol.MsgError, protocol.Error{Code: "bad_hello", Message: err.Error()})
		return err
	}
	if err := protocol.DecodeBody(m, &hello); err != nil {
		_ = a.conn.Send(ctx, protocol.MsgError, protocol.Error{Code: "bad_hello", Message: err.Error()})
		return err
	}
	if hello.ProtocolVersion < protocol.MinVersion || hello.ProtocolVersion > protocol.Version {
		err := fmt.Errorf("unsupported protocol version %d; this server speaks %d..%d", hello.ProtocolVersion,
			protocol.MinVersion, protocol.Version)
		_ = a.conn.Send(ctx, protocol.MsgError, protocol.Error{Code: "unsupported_version", Message: err.Error()})
		return err
	}
	secs := int((a.h.opts.Heartbeat + time.Second - 1) / time.Second)
	return a.conn.Send(ctx, protocol.MsgWelcome, protocol.Welcome{ProtocolVersion: protocol.Version,
		DeviceID: a.ac.DeviceID, HeartbeatSeconds: secs, ServerTime: time.Now().UTC()})
}

// register makes a the device's connection, replacing (and closing) an older one.
func (h *Hub) register(a *agent) {
	a.lastBeat.Store(time.Now().UnixNano())
	h.mu.Lock()
	old := h.agents[a.ac.DeviceID]
	h.agents[a.ac.DeviceID] = a
	h.mu.Unlock()
	if old != nil {
		_ = old.conn.Close("replaced by a new connection of the same device")
	}
	h.refreshStatus(a, "connected", "from "+a.ac.SourceIP+" on server "+h.opts.NodeID)
}

// unregister forgets a ended connection, ends its sessions and records the disconnection, unless a
// newer connection of the device replaced it.
func (h *Hub) unregister(a *agent, cause error) {
	h.mu.Lock()
	current := h.agents[a.ac.DeviceID] == a
	if current {
		delete(h.agents, a.ac.DeviceID)
	}
	var ended []*session
	for _, s := range h.sessions {
		if s.agent == a {
			ended = append(ended, s)
		}
	}
	h.mu.Unlock()
	for _, s := range ended {
		s.end("agent", "the device disconnected")
	}
	a.failCommands()
	if !current {
		return
	}
	detail := "connection closed"
	if cause != nil {
		detail = cause.Error()
	}
	h.refreshStatus(a, "disconnected", detail)
}

// stop tells the agent to stop for good and closes its connection.
func (a *agent) stop(reason string) {
	ctx, cancel := context.WithTimeout(a.h.ctx, writeTimeout)
	defer cancel()
	if err := a.conn.Send(ctx, protocol.MsgStop, protocol.Stop{Reason: reason}); err != nil {
		a.h.log.Info("send stop", "device", a.ac.DeviceID, "err", err)
	}
	_ = a.conn.Close(reason)
}

// send sends a control message, bounded in time.
func (a *agent) send(typ string, body any) error {
	ctx, cancel := context.WithTimeout(a.h.ctx, writeTimeout)
	defer cancel()
	return a.conn.Send(ctx, typ, body)
}

// onControl handles a control message from the agent. It runs on the connection's read loop, so it
// hands anything slow to another goroutine.
func (a *agent) onControl(m protocol.Message) {
	if !a.greeted.Load() {
		a.greeted.Store(true)
		a.hello <- m
		return
	}
	h := a.h
	switch m.Type {
	case protocol.MsgHeartbeat:
		var hb protocol.Heartbeat
		if err := protocol.DecodeBody(m, &hb); err != nil {
			h.log.Info("bad heartbeat", "device", a.ac.DeviceID, "err", err)
			return
		}
		now := time.Now()
		a.lastBeat.Store(now.UnixNano())
		h.markSeen(a.ac, now)
		// The acknowledgement is small; sending it off the read loop keeps a slow writer from
		// delaying the agent's streams. One at a time: a newer heartbeat arriving meanwhile is
		// acknowledged by the next one.
		a.ackSeq.Store(hb.Seq)
		if a.acking.CompareAndSwap(false, true) {
			go func() {
				defer a.acking.Store(false)
				_ = a.send(protocol.MsgHeartbeatAck, protocol.Heartbeat{Seq: a.ackSeq.Load(), SentAt: time.Now().UTC()})
			}()
		}
	case protocol.MsgInventory:
		var inv protocol.Inventory
		if err := protocol.DecodeBody(m, &inv); err != nil {
			h.log.Warn("bad inventory ignored", "device", a.ac.DeviceID, "err", err)
			return
		}
		a.inv.Store(&inv)
		a.invPending.Store(&pendingInventory{inv: inv, raw: m.Body})
		if a.invBusy.CompareAndSwap(false, true) {
			go a.storeInventories()
		}
	case protocol.MsgSessionAnswer:
		var ans protocol.SessionAnswer
		if err := protocol.DecodeBody(m, &ans); err != nil {
			h.log.Info("bad session answer", "device", a.ac.DeviceID, "err", err)
			return
		}
		if s := h.agentSession(a, ans.SessionID); s != nil {
			s.answered(ans)
		}
	case protocol.MsgSessionEnd:
		var end protocol.SessionEnd
		if err := protocol.DecodeBody(m, &end); err != nil {
			h.log.Info("bad session end", "device", a.ac.DeviceID, "err", err)
			return
		}
		if s := h.agentSession(a, end.SessionID); s != nil {
			by := end.By
			if by != "end_user" {
				by = "agent"
			}
			reason := end.Reason
			if reason == "" {
				reason = "ended at the device"
			}
			go s.end(by, reason)
		}
	case protocol.MsgChat:
		var c protocol.Chat
		if err := protocol.DecodeBody(m, &c); err != nil {
			h.log.Info("bad chat", "device", a.ac.DeviceID, "err", err)
			return
		}
		if s := h.agentSession(a, c.SessionID); s != nil {
			s.chatFromDevice(c)
		}
	case protocol.MsgCommandResult:
		var res protocol.CommandResult
		if err := protocol.DecodeBody(m, &res); err != nil {
			h.log.Info("bad command result", "device", a.ac.DeviceID, "err", err)
			return
		}
		if pc := a.takeCommand(res.ID); pc != nil {
			pc.s.commandResult(pc.techID, res)
		}
	case protocol.MsgError:
		var e protocol.Error
		_ = protocol.DecodeBody(m, &e)
		h.log.Info("agent reported an error", "device", a.ac.DeviceID, "code", e.Code, "message", e.Message)
	default:
		h.log.Info("unexpected control message from agent", "device", a.ac.DeviceID, "type", m.Type)
	}
}

// storeInventories writes the inventories the agent reports, the latest first, one at a time.
func (a *agent) storeInventories() {
	for {
		p := a.invPending.Swap(nil)
		if p == nil {
			a.invBusy.Store(false)
			// An inventory stored between the Swap and the Store would otherwise wait for the next one.
			if a.invPending.Load() == nil || !a.invBusy.CompareAndSwap(false, true) {
				return
			}
			continue
		}
		in := p.inv
		ctx, cancel := context.WithTimeout(a.h.ctx, writeTimeout)
		err := a.h.app.RecordInventory(ctx, a.ac, app.AgentInventory{Hostname: in.Hostname, IPAddresses: in.IPAddresses,
			LoggedInUser: in.LoggedInUser, OSName: in.OSName, OSVersion: in.OSVersion, DeviceType: in.DeviceType,
			Manufacturer: in.Manufacturer, AssetID: in.AssetID, AgentVersion: in.AgentVersion, Document: p.raw})
		cancel()
		if err != nil {
			a.h.log.Warn("inventory ignored", "device", a.ac.DeviceID, "err", err)
		}
	}
}

// agentSession returns the live session with this id that runs through a (and nil for a session of
// another device: an agent speaks only for its own).
func (h *Hub) agentSession(a *agent, id string) *session {
	h.mu.Lock()
	defer h.mu.Unlock()
	if s := h.sessions[id]; s != nil && s.agent == a {
		return s
	}
	return nil
}

func (a *agent) addCommand(id string, pc *pendingCommand) {
	a.cmdMu.Lock()
	a.commands[id] = pc
	a.cmdMu.Unlock()
}

func (a *agent) takeCommand(id string) *pendingCommand {
	a.cmdMu.Lock()
	defer a.cmdMu.Unlock()
	pc := a.commands[id]
	delete(a.commands, id)
	return pc
}

// failCommands answers every command still waiting on a gone connection.
func (a *agent) failCommands() {
	a.cmdMu.Lock()
	pending := a.commands
	a.commands = map[string]*pendingCommand{}
	a.cmdMu.Unlock()
	for _, pc := range pending {
		pc.s.commandResult(pc.techID, protocol.CommandResult{OK: false, Error: "the device disconnected"})
	}
}
