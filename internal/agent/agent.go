package agent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime"
	"runtime/debug"
	"strings"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/jsonstrict"
	"github.com/portico-dev/portico/internal/protocol"
)

// ErrRevoked is returned by Run when the server refuses the credential: the device was deleted or its
// credential revoked, and retrying cannot help.
var ErrRevoked = errors.New("agent: the server refused the device credential (401): the device was deleted or its credential revoked; enroll again")

// StoppedError is returned by Run when the server told the agent to stop for good.
type StoppedError struct{ Reason string }

func (e *StoppedError) Error() string { return "agent: stopped by the server: " + e.Reason }

// Defaults of Options.
const (
	DefaultInventoryEvery = 5 * time.Minute
	defaultHeartbeat      = 30 * time.Second
	defaultHelloTimeout   = 30 * time.Second
	defaultStableAfter    = 30 * time.Second
	outboxSize            = 256
)

// Options configure an Agent. Config and Sessions are required.
type Options struct {
	Config Config
	// ConfigPath is the config file whose credential is removed when the server says stop. Empty
	// leaves files alone (tests).
	ConfigPath string
	Version    string
	Actions    Actions
	Sessions   *Sessions
	Logger     *slog.Logger
	// TLSConfig is used for https servers; nil means the system's CA pool.
	TLSConfig *tls.Config
	// Inventory collects the device's inventory; CollectInventory when nil.
	Inventory      func(ctx context.Context) protocol.Inventory
	InventoryEvery time.Duration // DefaultInventoryEvery when zero
	Backoff        Backoff
	// StableAfter is how long a connection must live for the backoff to start over.
	StableAfter  time.Duration
	HelloTimeout time.Duration
	// Endpoint is where the agent connects and how it names itself there: ManagedEndpoint when zero,
	// OnDemandEndpoint for the support agent (Config.DeviceID then holds the on-demand session's id).
	Endpoint Endpoint
	// OnConnected, when set, is called each time a server welcomes the agent.
	OnConnected func(server string)
}

// Endpoint is the server's WebSocket endpoint for agents and the header that names the agent there.
type Endpoint struct {
	Path     string // the path under the server URL
	IDHeader string // the header carrying Config.DeviceID
}

// The endpoints of managed agents and of support agents (docs/on-demand.md).
var (
	ManagedEndpoint  = Endpoint{Path: "/api/v1/agent/connect", IDHeader: "X-Portico-Device"}
	OnDemandEndpoint = Endpoint{Path: "/api/v1/on-demand/agent/connect", IDHeader: "X-Portico-On-Demand"}
)

// Agent keeps the device connected to one of its servers.
type Agent struct {
	opt     Options
	log     *slog.Logger
	dialer  *websocket.Dialer
	lastInv atomic.Pointer[string] // fingerprint of the inventory last sent
}

// New returns an agent; Run starts it.
func New(opt Options) *Agent {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Sessions == nil {
		opt.Sessions = NewSessions(SessionsOptions{Logger: opt.Logger})
	}
	if opt.InventoryEvery <= 0 {
		opt.InventoryEvery = DefaultInventoryEvery
	}
	if opt.StableAfter <= 0 {
		opt.StableAfter = defaultStableAfter
	}
	if opt.HelloTimeout <= 0 {
		opt.HelloTimeout = defaultHelloTimeout
	}
	if opt.Endpoint == (Endpoint{}) {
		opt.Endpoint = ManagedEndpoint
	}
	if opt.Inventory == nil {
		opt.Inventory = func(ctx context.Context) protocol.Inventory {
			return CollectInventory(ctx, CollectOptions{AgentVersion: opt.Version, Supported: opt.Actions.Supported})
		}
	}
	return &Agent{opt: opt, log: opt.Logger, dialer: protocol.Dialer(opt.TLSConfig)}
}

// ConnectURL is the WebSocket URL of a server's agent endpoint: wss for https servers.
func ConnectURL(server string) (string, error) { return connectURL(server, ManagedEndpoint.Path) }

func connectURL(server, path string) (string, error) {
	s, err := NormalizeServerURL(server)
	if err != nil {
		return "", err
	}
	switch {
	case strings.HasPrefix(s, "https://"):
		s = "wss://" + strings.TrimPrefix(s, "https://")
	default:
		s = "ws://" + strings.TrimPrefix(s, "http://")
	}
	return s + path, nil
}

// Run keeps the agent connected until ctx ends (it returns nil then), the server refuses the
// credential (ErrRevoked) or tells the agent to stop (*StoppedError, after removing the credential
// from the config file). Every other failure is retried on the next server of the config's list
// (see failover): quickly while some server may still answer, with jittered exponential backoff once
// all of them failed.
func (a *Agent) Run(ctx context.Context) error {
	servers := a.opt.Config.ServerURLs()
	if len(servers) == 0 {
		return errors.New("agent: no server URL in the config")
	}
	for _, s := range servers {
		if _, err := connectURL(s, a.opt.Endpoint.Path); err != nil {
			return fmt.Errorf("agent: %w", err)
		}
	}
	sessions := a.opt.Sessions
	revoked, stoppedReason := "the server refused this device", "the device was removed from Portico"
	if a.opt.Endpoint == OnDemandEndpoint {
		revoked, stoppedReason = "the support session has ended", "the support session has ended"
	}
	fo := newFailover(servers, a.opt.Backoff)
	for {
		server := fo.server()
		sessions.SetServer(server)
		sessions.SetConnection(ConnConnecting)
		a.log.Info("connecting", "server", server)
		welcomed, err := a.connect(ctx, server)
		var stopped *StoppedError
		switch {
		case ctx.Err() != nil:
			sessions.Detach(ConnStopped, "the agent is stopping")
			return nil
		case errors.Is(err, ErrRevoked):
			// Every node shares one database: another would refuse the credential too.
			sessions.Detach(ConnStopped, revoked)
			return err
		case errors.As(err, &stopped):
			sessions.Detach(ConnStopped, stoppedReason)
			return err
		}
		sessions.Detach(ConnDisconnected, "connection to the server lost")
		established := !welcomed.IsZero()
		wait := fo.ended(established, established && time.Since(welcomed) >= a.opt.StableAfter)
		a.log.Warn("not connected to the server; retrying", "server", server, "err", err,
			"next", fo.server(), "retry_in", wait.Round(time.Millisecond))
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			sessions.Detach(ConnStopped, "the agent is stopping")
			return nil
		case <-t.C:
		}
	}
}

// link is the state of one connection.
type link struct {
	a        *Agent
	ctx      context.Context // ends with the connection
	conn     *protocol.Conn
	out      chan outMsg
	welcome  chan protocol.Welcome
	stop     chan protocol.Stop
	lastAck  atomic.Int64 // unix nanoseconds of the last heartbeat ack
	invBusy  atomic.Bool
	invReady chan protocol.Inventory
}

type outMsg struct {
	typ  string
	body any
}

// connect runs one connection to server to its end. It returns when the connection was welcomed
// (zero if it never was) and why it ended.
func (a *Agent) connect(ctx context.Context, server string) (welcomed time.Time, err error) {
	url, err := connectURL(server, a.opt.Endpoint.Path)
	if err != nil {
		return time.Time{}, err
	}
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+a.opt.Config.Credential)
	hdr.Set(a.opt.Endpoint.IDHeader, a.opt.Config.DeviceID)
	hdr.Set("User-Agent", "portico-agent/"+a.opt.Version)
	dialCtx, cancelDial := context.WithTimeout(ctx, a.opt.HelloTimeout)
	ws, resp, err := a.dialer.DialContext(dialCtx, url, hdr)
	cancelDial()
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return time.Time{}, ErrRevoked
		}
		if resp != nil && resp.StatusCode >= 400 {
			// The server explains a refusal in a problem document; the dial error alone only has the status.
			return time.Time{}, fmt.Errorf("connect to %s: %w", url, responseError(resp))
		}
		return time.Time{}, fmt.Errorf("connect to %s: %w", url, err)
	}

	connCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	l := &link{a: a, ctx: connCtx, out: make(chan outMsg, outboxSize), welcome: make(chan protocol.Welcome, 1),
		stop: make(chan protocol.Stop, 1), invReady: make(chan protocol.Inventory, 1)}
	l.conn = protocol.NewConn(protocol.WebSocket(ws), protocol.Options{Role: protocol.RoleAgent,
		OnControl: l.onControl, OnStream: l.onStream})
	runErr := make(chan error, 1)
	go func() { runErr <- l.conn.Run(connCtx) }()
	writerDone := make(chan struct{})
	go func() { defer close(writerDone); l.writer() }()
	defer func() {
		l.conn.Close("agent closing the connection")
		cancel()
		<-writerDone
	}()

	l.send(protocol.MsgHello, protocol.Hello{ProtocolVersion: protocol.Version, AgentVersion: a.opt.Version,
		OS: runtime.GOOS, Arch: runtime.GOARCH})
	var w protocol.Welcome
	helloTimer := time.NewTimer(a.opt.HelloTimeout)
	select {
	case w = <-l.welcome:
		helloTimer.Stop()
	case err := <-runErr:
		helloTimer.Stop()
		return time.Time{}, fmt.Errorf("connection closed before welcome: %w", orClosed(err))
	case <-helloTimer.C:
		return time.Time{}, errors.New("no welcome from the server in time")
	case <-ctx.Done():
		helloTimer.Stop()
		return time.Time{}, ctx.Err()
	}
	if w.ProtocolVersion < protocol.MinVersion || w.ProtocolVersion > protocol.Version {
		return time.Time{}, fmt.Errorf("server speaks protocol version %d, this agent %d to %d: upgrade the agent",
			w.ProtocolVersion, protocol.MinVersion, protocol.Version)
	}
	welcomed = time.Now()
	period := time.Duration(w.HeartbeatSeconds) * time.Second
	if period <= 0 {
		period = defaultHeartbeat
	}
	a.log.Info("connected", "server", server, "device", w.DeviceID, "heartbeat", period)
	if a.opt.OnConnected != nil {
		a.opt.OnConnected(server)
	}
	l.lastAck.Store(welcomed.UnixNano())
	l.collectInventory(true)

	hb := time.NewTicker(period)
	defer hb.Stop()
	inv := time.NewTicker(a.opt.InventoryEvery)
	defer inv.Stop()
	var seq uint64
	for {
		select {
		case <-ctx.Done():
			return welcomed, ctx.Err()
		case err := <-runErr:
			return welcomed, fmt.Errorf("connection lost: %w", orClosed(err))
		case st := <-l.stop:
			return welcomed, a.stopped(st)
		case now := <-hb.C:
			if silent := now.Sub(time.Unix(0, l.lastAck.Load())); silent >= 2*period {
				return welcomed, fmt.Errorf("no heartbeat answer from the server for %s", silent.Round(time.Second))
			}
			seq++
			l.send(protocol.MsgHeartbeat, protocol.Heartbeat{Seq: seq, SentAt: now.UTC()})
		case <-inv.C:
			l.collectInventory(false)
		case v := <-l.invReady:
			fp := inventoryFingerprint(v)
			if last := a.lastInv.Load(); last != nil && *last == fp {
				continue
			}
			if err := l.send(protocol.MsgInventory, v); err == nil {
				a.lastInv.Store(&fp)
			}
		}
	}
}

// stopped handles protocol.Stop: the credential is removed so that the agent does not come back.
func (a *Agent) stopped(st protocol.Stop) error {
	a.log.Warn("the server told this agent to stop for good", "reason", st.Reason)
	if a.opt.ConfigPath != "" {
		if err := ClearCredential(a.opt.ConfigPath); err != nil {
			a.log.Error("could not remove the credential from the config file", "path", a.opt.ConfigPath, "err", err)
		}
	}
	return &StoppedError{Reason: st.Reason}
}

func orClosed(err error) error {
	if err == nil {
		return protocol.ErrClosed
	}
	return err
}

// send queues a control message; the writer goroutine sends them in order.
func (l *link) send(typ string, body any) error {
	select {
	case l.out <- outMsg{typ, body}:
		return nil
	case <-l.ctx.Done():
		return ErrNotConnected
	default:
		return fmt.Errorf("outgoing queue full, %s dropped", typ)
	}
}

func (l *link) writer() {
	for {
		select {
		case m := <-l.out:
			if err := l.conn.Send(l.ctx, m.typ, m.body); err != nil {
				if l.ctx.Err() == nil {
					l.a.log.Warn("send to the server failed", "type", m.typ, "err", err)
					l.conn.Close("send failed")
				}
				return
			}
		case <-l.ctx.Done():
			return
		}
	}
}

// collectInventory collects in the background (reading package databases takes a moment) and hands
// the result to the connection loop. On the first collection of a connection the fingerprint of the
// last one is forgotten, so the server always gets the inventory at connect.
func (l *link) collectInventory(first bool) {
	if first {
		l.a.lastInv.Store(nil)
	}
	if !l.invBusy.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer l.invBusy.Store(false)
		inv := l.a.opt.Inventory(l.ctx)
		select {
		case l.invReady <- inv:
		case <-l.ctx.Done():
		}
	}()
}

// onControl dispatches control messages. It runs on the connection's read loop, so nothing here may
// block: answers go through the outbox and commands run in their own goroutine.
func (l *link) onControl(m protocol.Message) {
	a, sessions := l.a, l.a.opt.Sessions
	decode := func(v any) bool {
		if err := protocol.DecodeBody(m, v); err != nil {
			a.log.Warn("bad control message from the server: ignored", "type", m.Type, "err", err)
			return false
		}
		return true
	}
	switch m.Type {
	case protocol.MsgWelcome:
		var w protocol.Welcome
		if decode(&w) {
			if w.ProtocolVersion >= protocol.MinVersion && w.ProtocolVersion <= protocol.Version {
				// Attach here, on the read loop, so that a session request right behind the welcome
				// already finds the connection to answer on.
				sessions.Attach(l.send)
			}
			select {
			case l.welcome <- w:
			default:
			}
		}
	case protocol.MsgHeartbeatAck:
		var h protocol.Heartbeat
		if decode(&h) {
			l.lastAck.Store(time.Now().UnixNano())
		}
	case protocol.MsgSessionRequest:
		var r protocol.SessionRequest
		if decode(&r) {
			sessions.Request(r)
		}
	case protocol.MsgSessionUpdate:
		var u protocol.SessionUpdate
		if decode(&u) {
			go sessions.Update(u) // closing streams writes to the connection
		}
	case protocol.MsgSessionEnd:
		var e protocol.SessionEnd
		if decode(&e) {
			go sessions.End(e)
		}
	case protocol.MsgChat:
		var c protocol.Chat
		if decode(&c) {
			sessions.Chat(c)
		}
	case protocol.MsgCommand:
		var c protocol.Command
		if decode(&c) {
			go l.command(c)
		}
	case protocol.MsgStop:
		var s protocol.Stop
		if decode(&s) {
			select {
			case l.stop <- s:
			default:
			}
		}
	case protocol.MsgError:
		var e protocol.Error
		if decode(&e) {
			a.log.Warn("the server reported an error", "code", e.Code, "message", e.Message)
		}
	default:
		a.log.Debug("unknown control message: ignored", "type", m.Type)
	}
}

// messageArgs are the arguments of the "message" command.
type messageArgs struct {
	Text string `json:"text"`
}

// command performs a one-shot action and answers with its result.
func (l *link) command(c protocol.Command) {
	a := l.a
	res := protocol.CommandResult{ID: c.ID}
	switch {
	case c.SessionID != "" && !a.opt.Sessions.SessionAllows(c.SessionID, c.Action):
		// The server checks this too; a command outside its session is refused here as well.
		res.Error = fmt.Sprintf("%s is not an action of an active session %q on this device", c.Action, c.SessionID)
	case c.Action == "message":
		var args messageArgs
		if err := jsonstrict.Unmarshal(c.Args, &args); err != nil || strings.TrimSpace(args.Text) == "" {
			res.Error = `message: args must be {"text": "…"} with a non-empty text`
			break
		}
		a.opt.Sessions.ShowMessage(c.SessionID, args.Text)
		res.OK = true
	case a.opt.Actions.RunCommand == nil:
		res.Error = "not supported on this OS: " + c.Action
	default:
		func() {
			defer func() {
				if p := recover(); p != nil {
					a.log.Error("command panicked", "action", c.Action, "panic", p, "stack", string(debug.Stack()))
					res = protocol.CommandResult{ID: c.ID, Error: c.Action + ": internal error"}
				}
			}()
			res = a.opt.Actions.RunCommand(l.ctx, c)
			res.ID = c.ID
		}()
	}
	a.log.Info("command", "action", c.Action, "id", c.ID, "ok", res.OK, "error", res.Error)
	l.send(protocol.MsgCommandResult, res)
}

// onStream serves a stream the server opened: admitted only for an active session whose actions
// include the stream's action, then handed to that action.
func (l *link) onStream(s *protocol.Stream) {
	a := l.a
	req := s.Request()
	ctx, release, err := a.opt.Sessions.OpenStream(l.ctx, s)
	if err != nil {
		a.log.Warn("stream refused", "session", req.SessionID, "action", req.Action, "err", err)
		s.Close(err.Error())
		return
	}
	defer release()
	h := a.opt.Actions.Streams[req.Action]
	if h == nil {
		s.Close("not supported on this OS: " + req.Action)
		return
	}
	a.log.Info("action started", "session", req.SessionID, "action", req.Action, "stream", s.ID())
	defer func() {
		if p := recover(); p != nil {
			a.log.Error("action panicked", "action", req.Action, "panic", p, "stack", string(debug.Stack()))
			s.Close(req.Action + ": internal error")
		}
	}()
	if err := h(ctx, s, req.Args); err != nil && ctx.Err() == nil {
		a.log.Info("action ended with an error", "session", req.SessionID, "action", req.Action, "err", err)
		s.Close(err.Error())
		return
	}
	a.log.Info("action ended", "session", req.SessionID, "action", req.Action, "stream", s.ID())
	s.Close("")
}
