package hub_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/hub"
	"github.com/portico-dev/portico/internal/protocol"
	"github.com/portico-dev/portico/internal/store"
)

const password = "correct horse battery staple"

var seq atomic.Int64

func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

// env is a real app over SQLite, a started hub, and the API served over real HTTP.
type env struct {
	t     testing.TB
	app   *app.App
	hub   *hub.Hub
	srv   *httptest.Server
	acc   *app.CreatedAccount
	sys   *app.Actor
	group *portico.DeviceGroup
	token string
	// heartbeat is the hub's period; fake agents beat twice as often.
	heartbeat time.Duration
}

// newEnv uses a heartbeat period long enough for a busy machine (or the race detector) to keep fake
// agents connected; TestHeartbeatTimeout shortens it.
func newEnv(t testing.TB) *env { return newEnvHeartbeat(t, time.Second) }

func newEnvHeartbeat(t testing.TB, heartbeat time.Duration) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: t.TempDir()})
	must(t, err)
	t.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := app.New(st, log)
	h := hub.New(a, hub.Options{Heartbeat: heartbeat, FlushEvery: 50 * time.Millisecond, RecheckEvery: 200 * time.Millisecond,
		AnswerTimeout: 5 * time.Second, CommandTimeout: 2 * time.Second, Logger: log})
	must(t, h.Start(ctx))
	srv := httptest.NewServer(api.New(a, api.Options{Logger: log, Strict: true, Hub: h}))
	t.Cleanup(func() { h.Close(); srv.Close() })
	e := &env{t: t, app: a, hub: h, srv: srv, heartbeat: heartbeat}
	e.acc, err = a.CreateAccount(ctx, app.NewAccount{Company: uniq("Acme "), OwnerEmail: uniq("owner") + "@example.test",
		OwnerName: "Olive Owner", OwnerPassword: password})
	must(t, err)
	e.sys = app.SystemActor(e.acc.Account.ID)
	settings := e.acc.Account.Settings
	settings.SeatLimit, settings.ManagedLicences = 100, 100
	_, err = a.UpdateAccount(ctx, e.sys, app.AccountUpdate{Settings: &settings})
	must(t, err)
	e.group, err = a.CreateDeviceGroup(ctx, e.sys, app.GroupInput{Name: "Lab", Colour: "#123456"})
	must(t, err)
	_, e.token, err = a.CreateEnrollmentToken(ctx, e.sys, "")
	must(t, err)
	return e
}

// device enrolls a device, moves it into the lab group and returns its id and credential.
func (e *env) device() (string, string) {
	e.t.Helper()
	id, cred, err := e.app.Enroll(context.Background(), app.EnrollInput{Token: e.token, Hostname: uniq("pc-"), OSName: "Linux"})
	must(e.t, err)
	must(e.t, e.app.MoveDevices(context.Background(), e.sys, []string{id}, e.group.ID))
	return id, cred
}

func (e *env) getDevice(id string) *portico.Device {
	e.t.Helper()
	d, err := e.app.GetDevice(context.Background(), e.sys, id)
	must(e.t, err)
	return &d.Device
}

func (e *env) waitStatus(id string, want portico.DeviceStatus) {
	e.t.Helper()
	eventually.True(e.t, 5*time.Second, fmt.Sprintf("device %s %s", id, want), func() bool { return e.getDevice(id).Status == want })
}

func (e *env) wsURL(path string) string { return "ws" + strings.TrimPrefix(e.srv.URL, "http") + path }

// fakeAgent is a minimal agent written with internal/protocol.
type fakeAgent struct {
	t       testing.TB
	conn    *protocol.Conn
	ctrl    chan protocol.Message
	welcome protocol.Welcome
	done    chan error
	// accept answers session requests: "yes", "no", or "" to leave them unanswered.
	accept atomic.Value
	// silent stops the heartbeats; lastAck is the sequence number of the last acknowledgement.
	heartbeat time.Duration
	silent    atomic.Bool
	lastAck   atomic.Uint64
	mu        sync.Mutex
}

// dialAgent connects as the device. It returns the HTTP status when the upgrade is refused.
func (e *env) dialAgent(deviceID, cred string) (*websocket.Conn, int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hdr := http.Header{}
	if cred != "" {
		hdr.Set("Authorization", "Bearer "+cred)
	}
	if deviceID != "" {
		hdr.Set(api.AgentDeviceHeader, deviceID)
	}
	c, resp, err := protocol.Dialer(nil).DialContext(ctx, e.wsURL("/api/v1/agent/connect"), hdr)
	status := 0
	if resp != nil {
		status = resp.StatusCode
	}
	return c, status, err
}

// connect dials, says hello with the given version and returns the agent once the first control
// message (welcome or error) arrived.
func (e *env) connect(deviceID, cred string, version int) *fakeAgent {
	e.t.Helper()
	c, status, err := e.dialAgent(deviceID, cred)
	if err != nil {
		e.t.Fatalf("dial agent: %d %v", status, err)
	}
	fa := &fakeAgent{t: e.t, heartbeat: e.heartbeat, ctrl: make(chan protocol.Message, 64), done: make(chan error, 1)}
	fa.accept.Store("yes")
	fa.conn = protocol.NewConn(protocol.WebSocket(c), protocol.Options{Role: protocol.RoleAgent,
		OnControl: fa.onControl, OnStream: echoStream})
	go func() { fa.done <- fa.conn.Run(context.Background()) }()
	e.t.Cleanup(func() { fa.conn.Close("test over"); <-fa.done })
	must(e.t, fa.conn.Send(context.Background(), protocol.MsgHello, protocol.Hello{ProtocolVersion: version,
		AgentVersion: "1.0.0", OS: "linux", Arch: "amd64"}))
	go fa.heartbeats() // after hello, which must come first
	return fa
}

// online connects with the current version and checks the welcome.
func (e *env) online(deviceID, cred string) *fakeAgent {
	e.t.Helper()
	fa := e.connect(deviceID, cred, protocol.Version)
	m := fa.next(protocol.MsgWelcome)
	must(e.t, protocol.DecodeBody(m, &fa.welcome))
	if fa.welcome.DeviceID != deviceID {
		e.t.Fatalf("welcome for %s, want %s", fa.welcome.DeviceID, deviceID)
	}
	e.waitStatus(deviceID, portico.DeviceAvailable)
	return fa
}

// heartbeats beats twice a period until the connection ends or the agent is silenced.
func (fa *fakeAgent) heartbeats() {
	t := time.NewTicker(fa.heartbeat / 2)
	defer t.Stop()
	var n uint64
	for {
		select {
		case <-fa.conn.Done():
			return
		case <-t.C:
			if !fa.silent.Load() {
				n++
				_ = fa.conn.Send(context.Background(), protocol.MsgHeartbeat, protocol.Heartbeat{Seq: n, SentAt: time.Now()})
			}
		}
	}
}

func (fa *fakeAgent) onControl(m protocol.Message) {
	if m.Type == protocol.MsgHeartbeatAck {
		var hb protocol.Heartbeat
		if protocol.DecodeBody(m, &hb) == nil {
			fa.lastAck.Store(hb.Seq)
		}
		return
	}
	if m.Type == protocol.MsgSessionRequest {
		var req protocol.SessionRequest
		if protocol.DecodeBody(m, &req) == nil {
			switch fa.accept.Load() {
			case "yes":
				go fa.send(protocol.MsgSessionAnswer, protocol.SessionAnswer{SessionID: req.SessionID, Accepted: true})
			case "no":
				go fa.send(protocol.MsgSessionAnswer, protocol.SessionAnswer{SessionID: req.SessionID, Reason: "not now"})
			}
		}
	}
	if m.Type == protocol.MsgCommand {
		var cmd protocol.Command
		if protocol.DecodeBody(m, &cmd) == nil {
			res, _ := json.Marshal(map[string]string{"action": cmd.Action, "args": string(cmd.Args)})
			go fa.send(protocol.MsgCommandResult, protocol.CommandResult{ID: cmd.ID, OK: true, Result: res})
		}
	}
	fa.ctrl <- m
}

func (fa *fakeAgent) send(typ string, body any) {
	if err := fa.conn.Send(context.Background(), typ, body); err != nil {
		fa.t.Logf("fake agent send %s: %v", typ, err)
	}
}

// next returns the next control message of the type, skipping others.
func (fa *fakeAgent) next(typ string) protocol.Message {
	fa.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		select {
		case m := <-fa.ctrl:
			if m.Type == typ {
				return m
			}
		case <-deadline:
			fa.t.Fatalf("no %s message from the server", typ)
		}
	}
}

// echoStream answers every message of a stream with "echo:" and the message.
func echoStream(s *protocol.Stream) {
	ctx := context.Background()
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			return
		}
		if err := s.Send(ctx, append([]byte("echo:"+s.Request().Action+":"), msg...)); err != nil {
			return
		}
	}
}

// techDialer dials as a browser does: each message leaves in one write, so a benchmark measures the
// relay rather than this client.
var techDialer = &websocket.Dialer{HandshakeTimeout: 5 * time.Second, ReadBufferSize: 4 << 10,
	WriteBufferSize: 2 + protocol.MaxFrameSize + 16}

// technician is a technician's session WebSocket.
type technician struct {
	t testing.TB
	c *websocket.Conn
}

// signIn returns a cookie header for the user.
func (e *env) signIn(email string) http.Header {
	e.t.Helper()
	secret, _, err := e.app.SignIn(context.Background(), email, password, "127.0.0.1")
	must(e.t, err)
	return http.Header{"Cookie": {api.SessionCookie + "=" + secret}}
}

// openSession dials the session endpoint; on refusal it returns the status and the problem's detail.
func (e *env) openSession(hdr http.Header, deviceID, actions string) (*technician, int, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	c, resp, err := techDialer.DialContext(ctx, e.wsURL("/api/v1/devices/"+deviceID+"/session?actions="+actions), hdr)
	if err != nil {
		if resp == nil {
			e.t.Fatalf("dial session: %v", err)
		}
		var p struct {
			Detail string `json:"detail"`
		}
		body, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(body, &p)
		return nil, resp.StatusCode, p.Detail
	}
	c.SetReadLimit(1 << 20)
	tc := &technician{t: e.t, c: c}
	e.t.Cleanup(func() { c.Close() })
	return tc, http.StatusSwitchingProtocols, ""
}

// techMsg is any message the server sends a technician.
type techMsg struct {
	Type      string          `json:"type"`
	State     string          `json:"state"`
	SessionID string          `json:"session_id"`
	Actions   []string        `json:"actions"`
	By        string          `json:"by"`
	Reason    string          `json:"reason"`
	Channel   int             `json:"channel"`
	Message   string          `json:"message"`
	Status    int             `json:"status"`
	ID        string          `json:"id"`
	OK        bool            `json:"ok"`
	Error     string          `json:"error"`
	Result    json.RawMessage `json:"result"`
	Text      string          `json:"text"`
	From      string          `json:"from"`
	binary    []byte
}

func (tc *technician) read() techMsg {
	tc.t.Helper()
	_ = tc.c.SetReadDeadline(time.Now().Add(5 * time.Second))
	typ, b, err := tc.c.ReadMessage()
	if err != nil {
		tc.t.Fatalf("technician read: %v", err)
	}
	if typ == websocket.BinaryMessage {
		return techMsg{Type: "binary", binary: b}
	}
	var m techMsg
	must(tc.t, json.Unmarshal(b, &m))
	return m
}

// expect reads until a message of the type (and, for state, that state) arrives.
func (tc *technician) expect(typ, state string) techMsg {
	tc.t.Helper()
	for {
		m := tc.read()
		if m.Type == typ && (state == "" || m.State == state) {
			return m
		}
		if m.Type == "state" && m.State == "ended" && state != "ended" {
			tc.t.Fatalf("session ended while waiting for %s %s: %+v", typ, state, m)
		}
	}
}

func (tc *technician) send(v any) {
	tc.t.Helper()
	b, err := json.Marshal(v)
	must(tc.t, err)
	must(tc.t, tc.c.WriteMessage(websocket.TextMessage, b))
}

// audited reports whether the account's audit log holds an entry of the action whose detail contains
// the text.
func (e *env) audited(action portico.AuditAction, text string) bool {
	evs, err := e.app.ListAudit(context.Background(), e.sys, portico.AuditFilter{Action: action})
	must(e.t, err)
	for _, ev := range evs {
		if strings.Contains(ev.Detail, text) {
			return true
		}
	}
	return false
}

// technicianUser creates an active user holding perms through a role assigned at the lab group.
func (e *env) technicianUser(perms ...portico.Permission) (*portico.User, *portico.Assignment) {
	e.t.Helper()
	ctx := context.Background()
	cu, err := e.app.CreateUser(ctx, e.sys, app.NewUser{Email: uniq("tech") + "@example.test", Name: uniq("Tess "), Password: password})
	must(e.t, err)
	name, purpose := uniq("Role "), portico.PurposeDevices
	r, err := e.app.CreateRole(ctx, e.sys, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	must(e.t, err)
	asg, err := e.app.CreateAssignment(ctx, e.sys, app.AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: cu.User.ID, RoleID: r.ID, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: e.group.ID})
	must(e.t, err)
	return cu.User, asg
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
