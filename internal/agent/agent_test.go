package agent

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// fakeServer is the server side of the agent protocol, just enough to drive the agent in tests.
type fakeServer struct {
	t       *testing.T
	srv     *httptest.Server
	conns   chan *fakeConn
	revoked atomic.Bool
	noAck   atomic.Bool // do not answer heartbeats (a dead server)
	wg      sync.WaitGroup
}

type fakeConn struct {
	conn       *protocol.Conn
	raw        net.Conn // the TCP connection under the WebSocket
	msgs       chan protocol.Message
	header     http.Header
	heartbeats atomic.Int64
}

const testCredential = "agc_test"

func newFakeServer(t *testing.T) *fakeServer { return newFakeServerTLS(t, false) }

func newFakeServerTLS(t *testing.T, useTLS bool) *fakeServer {
	fs := &fakeServer{t: t, conns: make(chan *fakeConn, 8)}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v1/agent/connect", fs.connect)
	mux.HandleFunc("GET /api/v1/on-demand/agent/connect", fs.connect)
	if useTLS {
		fs.srv = httptest.NewTLSServer(mux)
	} else {
		fs.srv = httptest.NewServer(mux)
	}
	t.Cleanup(func() {
		fs.srv.CloseClientConnections()
		fs.srv.Close()
		fs.wg.Wait()
	})
	return fs
}

func (fs *fakeServer) connect(w http.ResponseWriter, r *http.Request) {
	idHeader := ManagedEndpoint.IDHeader
	if r.URL.Path == OnDemandEndpoint.Path {
		idHeader = OnDemandEndpoint.IDHeader
	}
	if fs.revoked.Load() || r.Header.Get("Authorization") != "Bearer "+testCredential || r.Header.Get(idHeader) != "dev_1" {
		http.Error(w, "invalid agent credential", http.StatusUnauthorized)
		return
	}
	ws, err := protocol.Upgrader().Upgrade(w, r, nil)
	if err != nil {
		return
	}
	fc := &fakeConn{msgs: make(chan protocol.Message, 64), header: r.Header.Clone(), raw: ws.UnderlyingConn()}
	fc.conn = protocol.NewConn(protocol.WebSocket(ws), protocol.Options{Role: protocol.RoleServer,
		OnControl: func(m protocol.Message) {
			if m.Type == protocol.MsgHeartbeat {
				fc.heartbeats.Add(1)
				if !fs.noAck.Load() {
					var h protocol.Heartbeat
					protocol.DecodeBody(m, &h)
					go fc.conn.Send(context.Background(), protocol.MsgHeartbeatAck, h)
				}
				return
			}
			fc.msgs <- m
		}})
	fs.conns <- fc
	fs.wg.Add(1)
	defer fs.wg.Done()
	fc.conn.Run(r.Context())
}

// kill stops the server as kill -9 would: its port refuses connections and fc's TCP connection drops
// without a closing handshake.
func (fs *fakeServer) kill(fc *fakeConn) {
	fs.srv.Close() // does not wait for the WebSocket, which the server no longer tracks
	fc.raw.Close()
}

// next waits for the agent's next connection.
func (fs *fakeServer) next(t *testing.T) *fakeConn {
	t.Helper()
	select {
	case fc := <-fs.conns:
		return fc
	case <-time.After(10 * time.Second):
		t.Fatal("the agent did not connect")
	}
	return nil
}

// expect waits for the next control message and checks its type.
func (fc *fakeConn) expect(t *testing.T, typ string, body any) {
	t.Helper()
	select {
	case m := <-fc.msgs:
		if m.Type != typ {
			t.Fatalf("got %s %s, want %s", m.Type, m.Body, typ)
		}
		if body != nil {
			if err := protocol.DecodeBody(m, body); err != nil {
				t.Fatal(err)
			}
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("no %s from the agent", typ)
	}
}

func (fc *fakeConn) send(t *testing.T, typ string, body any) {
	t.Helper()
	if err := fc.conn.Send(t.Context(), typ, body); err != nil {
		t.Fatalf("send %s: %v", typ, err)
	}
}

// handshake answers the agent's hello.
func (fc *fakeConn) handshake(t *testing.T) protocol.Hello {
	t.Helper()
	var h protocol.Hello
	fc.expect(t, protocol.MsgHello, &h)
	fc.send(t, protocol.MsgWelcome, protocol.Welcome{ProtocolVersion: protocol.Version, DeviceID: "dev_1",
		HeartbeatSeconds: 1, ServerTime: time.Now()})
	return h
}

// echoAction answers every message with itself until the stream ends.
func echoAction(ctx context.Context, s *protocol.Stream, _ json.RawMessage) error {
	for {
		b, err := s.Recv(ctx)
		if err != nil {
			return nil
		}
		if err := s.Send(ctx, b); err != nil {
			return err
		}
	}
}

type runningAgent struct {
	sessions *Sessions
	window   *Window
	done     chan error
	cancel   context.CancelFunc
	config   string
}

func startAgent(t *testing.T, fs *fakeServer) *runningAgent {
	t.Helper()
	return startAgentTLS(t, fs, nil)
}

func startAgentTLS(t *testing.T, fs *fakeServer, tlsConfig *tls.Config) *runningAgent {
	t.Helper()
	return startAgentOn(t, tlsConfig, fs.srv.URL)
}

// startAgentOn starts an agent whose config lists servers.
func startAgentOn(t *testing.T, tlsConfig *tls.Config, servers ...string) *runningAgent {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "agent.json")
	cfg := Config{DeviceID: "dev_1", Credential: testCredential}
	cfg.SetServerURLs(servers)
	if err := SaveConfig(cfgPath, cfg); err != nil {
		t.Fatal(err)
	}
	sessions := NewSessions(SessionsOptions{Logger: quietLog, Server: cfg.Server, DeviceID: cfg.DeviceID})
	w := startWindow(t, sessions)
	var commands atomic.Int64
	a := New(Options{Config: cfg, ConfigPath: cfgPath, Version: "test", Sessions: sessions, Logger: quietLog,
		Actions: Actions{
			Streams: map[string]StreamHandler{"echo": echoAction},
			RunCommand: func(ctx context.Context, c protocol.Command) protocol.CommandResult {
				commands.Add(1)
				return protocol.CommandResult{OK: true, Result: json.RawMessage(`{"locked":true}`)}
			},
			Supported: []string{"echo", "lock"},
		},
		Inventory: func(context.Context) protocol.Inventory {
			return protocol.Inventory{Hostname: "test-host", AgentVersion: "test", SupportedActions: []string{"echo", "lock"}}
		},
		Backoff:   Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond},
		TLSConfig: tlsConfig,
	})
	ctx, cancel := context.WithCancel(context.Background())
	ra := &runningAgent{sessions: sessions, window: w, done: make(chan error, 1), cancel: cancel, config: cfgPath}
	go func() { ra.done <- a.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-ra.done:
		case <-time.After(10 * time.Second):
			t.Error("the agent did not stop")
		}
	})
	return ra
}

func (ra *runningAgent) wait(t *testing.T) error {
	t.Helper()
	select {
	case err := <-ra.done:
		ra.done <- err // for the cleanup
		return err
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return")
	}
	return nil
}

// waitState polls the window's state until cond holds.
func waitState(t *testing.T, m *Sessions, what string, cond func(State) bool) State {
	t.Helper()
	var st State
	eventually.NoError(t, 10*time.Second, what, func() error {
		if st = m.State(); !cond(st) {
			return fmt.Errorf("state %+v", st)
		}
		return nil
	})
	return st
}

func TestAgentAgainstFakeServer(t *testing.T) {
	fs := newFakeServer(t)
	ra := startAgent(t, fs)
	fc := fs.next(t)
	if got := fc.header.Get("User-Agent"); got != "portico-agent/test" {
		t.Errorf("User-Agent = %q", got)
	}
	hello := fc.handshake(t)
	if hello.ProtocolVersion != protocol.Version || hello.AgentVersion != "test" || hello.OS == "" {
		t.Errorf("hello = %+v", hello)
	}

	var inv protocol.Inventory
	fc.expect(t, protocol.MsgInventory, &inv)
	if inv.Hostname != "test-host" || len(inv.SupportedActions) != 2 {
		t.Errorf("inventory = %+v", inv)
	}
	waitState(t, ra.sessions, "connected", func(s State) bool { return s.Connection == ConnConnected })

	// A session that needs the end user's approval, approved through the window's API.
	fc.send(t, protocol.MsgSessionRequest, protocol.SessionRequest{SessionID: "s1", Technician: "Mark Wright",
		Actions: []string{"echo", "chat"}, AckRequired: true})
	st := waitState(t, ra.sessions, "pending request", func(s State) bool { return len(s.Pending) == 1 })
	if st.Pending[0].Technician != "Mark Wright" {
		t.Errorf("pending = %+v", st.Pending[0])
	}
	status, body := windowCall{method: "POST", path: "/api/answer", body: `{"session_id":"s1","accept":true}`,
		header: map[string]string{WindowTokenHeader: ra.window.Token(), "Origin": "http://" + ra.window.Addr()}}.do(t, ra.window)
	if status != 200 {
		t.Fatalf("approve = %d %s", status, body)
	}
	var ans protocol.SessionAnswer
	fc.expect(t, protocol.MsgSessionAnswer, &ans)
	if !ans.Accepted || ans.SessionID != "s1" {
		t.Fatalf("answer = %+v", ans)
	}

	// A stream for an action of the session reaches the action.
	s, err := fc.conn.Open(t.Context(), protocol.OpenRequest{SessionID: "s1", Action: "echo"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(t.Context(), []byte("ping")); err != nil {
		t.Fatal(err)
	}
	b, err := s.Recv(t.Context())
	if err != nil || string(b) != "ping" {
		t.Fatalf("echo = %q, %v", b, err)
	}
	s.Close("")

	// A stream for an action outside the session, and one for an action this build lacks.
	s2, err := fc.conn.Open(t.Context(), protocol.OpenRequest{SessionID: "s1", Action: "terminal"})
	if err != nil {
		t.Fatal(err)
	}
	if got := closeReason(t, s2); !strings.Contains(got, "not allowed in this session") {
		t.Errorf("out-of-session stream closed with %q", got)
	}
	fc.send(t, protocol.MsgSessionRequest, protocol.SessionRequest{SessionID: "s2", Technician: "Ann", Actions: []string{"registry"}})
	fc.expect(t, protocol.MsgSessionAnswer, &ans)
	s3, err := fc.conn.Open(t.Context(), protocol.OpenRequest{SessionID: "s2", Action: "registry"})
	if err != nil {
		t.Fatal(err)
	}
	if got := closeReason(t, s3); got != "not supported on this OS: registry" {
		t.Errorf("unsupported stream closed with %q", got)
	}

	// Chat both ways.
	fc.send(t, protocol.MsgChat, protocol.Chat{SessionID: "s1", From: "technician", Name: "Mark", Text: "hello", SentAt: time.Now()})
	waitState(t, ra.sessions, "chat line", func(s State) bool { return len(s.Sessions) > 0 && len(s.Sessions[0].Chat) == 1 })
	if err := ra.sessions.SendChat("s1", "hi"); err != nil {
		t.Fatal(err)
	}
	var chat protocol.Chat
	fc.expect(t, protocol.MsgChat, &chat)
	if chat.From != "end_user" || chat.Text != "hi" {
		t.Errorf("chat = %+v", chat)
	}

	// Commands: a message shown in the window, and an action run by the actions package.
	fc.send(t, protocol.MsgCommand, protocol.Command{ID: "c1", Action: "message", Args: json.RawMessage(`{"text":"Rebooting at noon"}`)})
	var res protocol.CommandResult
	fc.expect(t, protocol.MsgCommandResult, &res)
	if !res.OK || res.ID != "c1" {
		t.Errorf("message result = %+v", res)
	}
	waitState(t, ra.sessions, "message shown", func(s State) bool { return len(s.Messages) == 1 && s.Messages[0].Text == "Rebooting at noon" })
	// Args are read strictly: a field in the wrong case is refused, not matched regardless of case.
	fc.send(t, protocol.MsgCommand, protocol.Command{ID: "c1b", Action: "message", Args: json.RawMessage(`{"Text":"a"}`)})
	fc.expect(t, protocol.MsgCommandResult, &res)
	if res.OK || res.ID != "c1b" {
		t.Errorf("message with its field in the wrong case = %+v", res)
	}
	fc.send(t, protocol.MsgCommand, protocol.Command{ID: "c2", Action: "lock"})
	fc.expect(t, protocol.MsgCommandResult, &res)
	if !res.OK || res.ID != "c2" || string(res.Result) != `{"locked":true}` {
		t.Errorf("lock result = %+v", res)
	}
	fc.send(t, protocol.MsgCommand, protocol.Command{ID: "c3", SessionID: "gone", Action: "lock"})
	fc.expect(t, protocol.MsgCommandResult, &res)
	if res.OK || res.ID != "c3" {
		t.Errorf("command of an unknown session = %+v", res)
	}
	fc.send(t, protocol.MsgCommand, protocol.Command{ID: "c4", SessionID: "s1", Action: "reboot"})
	fc.expect(t, protocol.MsgCommandResult, &res)
	if res.OK || res.ID != "c4" || !strings.Contains(res.Error, "not an action") {
		t.Errorf("command outside the session's actions = %+v", res)
	}
	fc.send(t, protocol.MsgCommand, protocol.Command{ID: "c5", SessionID: "s2", Action: "message", Args: json.RawMessage(`{"text":"x"}`)})
	fc.expect(t, protocol.MsgCommandResult, &res)
	if res.OK {
		t.Errorf("message in a session without the message action = %+v", res)
	}

	// The end user ends the session from the window.
	status, _ = windowCall{method: "POST", path: "/api/end", body: `{"session_id":"s1"}`,
		header: map[string]string{WindowTokenHeader: ra.window.Token()}}.do(t, ra.window)
	if status != 200 {
		t.Fatalf("end = %d", status)
	}
	var end protocol.SessionEnd
	fc.expect(t, protocol.MsgSessionEnd, &end)
	if end.SessionID != "s1" || end.By != "end_user" {
		t.Errorf("end = %+v", end)
	}

	// Heartbeats flow (the period is one second).
	if !eventually.Within(10*time.Second, func() bool { return fc.heartbeats.Load() > 0 }) {
		t.Error("no heartbeat")
	}

	// Stop: the credential is removed and the agent exits for good.
	fc.send(t, protocol.MsgStop, protocol.Stop{Reason: "device deleted"})
	err = ra.wait(t)
	var stopped *StoppedError
	if !errors.As(err, &stopped) || stopped.Reason != "device deleted" {
		t.Fatalf("Run = %v, want a StoppedError", err)
	}
	if _, err := LoadConfig(ra.config); !errors.Is(err, ErrNotEnrolled) {
		t.Errorf("config after Stop: %v, want the credential gone", err)
	}
	if st := ra.sessions.State(); st.Connection != ConnStopped || len(st.Sessions) != 0 {
		t.Errorf("state after Stop: %+v", st)
	}
	select {
	case fc := <-fs.conns:
		t.Errorf("the agent reconnected after Stop (%v)", fc.header)
	default:
	}
}

func TestAgentRevokedCredentialExits(t *testing.T) {
	fs := newFakeServer(t)
	fs.revoked.Store(true)
	ra := startAgent(t, fs)
	if err := ra.wait(t); !errors.Is(err, ErrRevoked) {
		t.Fatalf("Run = %v, want ErrRevoked", err)
	}
}

func TestAgentReconnectsAfterConnectionLoss(t *testing.T) {
	fs := newFakeServer(t)
	ra := startAgent(t, fs)
	fc := fs.next(t)
	fc.handshake(t)
	fc.expect(t, protocol.MsgInventory, nil)
	fc.send(t, protocol.MsgSessionRequest, protocol.SessionRequest{SessionID: "s1", Technician: "T", Actions: []string{"echo"}})
	fc.expect(t, protocol.MsgSessionAnswer, nil)

	fc.conn.Close("server restarting")
	fc2 := fs.next(t)
	fc2.handshake(t)
	fc2.expect(t, protocol.MsgInventory, nil) // sent again at every connect, even unchanged
	st := waitState(t, ra.sessions, "reconnected", func(s State) bool { return s.Connection == ConnConnected })
	if len(st.Sessions) != 0 {
		t.Errorf("sessions survived the lost connection: %+v", st.Sessions)
	}
}

func TestAgentFailsOverToAnotherServer(t *testing.T) {
	nodes := []*fakeServer{newFakeServer(t), newFakeServer(t)}
	ra := startAgentOn(t, nil, nodes[0].srv.URL, nodes[1].srv.URL)
	var on int // the node the agent chose to start at
	var fc *fakeConn
	select {
	case fc = <-nodes[0].conns:
	case fc = <-nodes[1].conns:
		on = 1
	case <-time.After(10 * time.Second):
		t.Fatal("the agent connected to neither server")
	}
	fc.handshake(t)
	fc.expect(t, protocol.MsgInventory, nil)
	waitState(t, ra.sessions, "connected to the first node", func(s State) bool {
		return s.Connection == ConnConnected && s.Server == nodes[on].srv.URL
	})

	nodes[on].kill(fc)
	other := nodes[1-on]
	fc2 := other.next(t)
	fc2.handshake(t)
	fc2.expect(t, protocol.MsgInventory, nil)
	waitState(t, ra.sessions, "connected to the other node", func(s State) bool {
		return s.Connection == ConnConnected && s.Server == other.srv.URL
	})
}

func TestAgentDropsSilentServer(t *testing.T) {
	fs := newFakeServer(t)
	fs.noAck.Store(true)
	startAgent(t, fs)
	fc := fs.next(t)
	fc.handshake(t)
	// No heartbeat is answered: after two periods (2 s) the agent gives up on this connection.
	fc2 := fs.next(t)
	if fc.heartbeats.Load() < 1 {
		t.Errorf("reconnected after %d heartbeats, want at least one unanswered", fc.heartbeats.Load())
	}
	fc2.handshake(t)
}

func TestConnectRefusalCarriesServerDetail(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"title":"Service unavailable","status":503,"detail":"live agent connections are not enabled on this server"}`))
	}))
	defer srv.Close()
	a := New(Options{Config: Config{Server: srv.URL, DeviceID: "dev_1", Credential: "c"}, Logger: quietLog,
		Inventory: func(context.Context) protocol.Inventory { return protocol.Inventory{} }})
	_, err := a.connect(t.Context(), srv.URL)
	if err == nil || !strings.Contains(err.Error(), "live agent connections are not enabled") {
		t.Errorf("connect error = %v, want the server's detail", err)
	}
}

// expectSkipping is expect, passing over the inventory the agent sends at connect.
func (fc *fakeConn) expectSkipping(t *testing.T, typ string, body any) {
	t.Helper()
	for {
		select {
		case m := <-fc.msgs:
			if m.Type == protocol.MsgInventory && typ != protocol.MsgInventory {
				continue
			}
			if m.Type != typ {
				t.Fatalf("got %s %s, want %s", m.Type, m.Body, typ)
			}
			if body != nil {
				if err := protocol.DecodeBody(m, body); err != nil {
					t.Fatal(err)
				}
			}
			return
		case <-time.After(10 * time.Second):
			t.Fatalf("no %s from the agent", typ)
		}
	}
}

func TestAgentAnswersRequestRightBehindWelcome(t *testing.T) {
	fs := newFakeServer(t)
	startAgent(t, fs)
	fc := fs.next(t)
	fc.expect(t, protocol.MsgHello, nil)
	fc.send(t, protocol.MsgWelcome, protocol.Welcome{ProtocolVersion: protocol.Version, DeviceID: "dev_1", HeartbeatSeconds: 30})
	fc.send(t, protocol.MsgSessionRequest, protocol.SessionRequest{SessionID: "s1", Technician: "T", Actions: []string{"echo"}})
	var ans protocol.SessionAnswer
	fc.expectSkipping(t, protocol.MsgSessionAnswer, &ans)
	if !ans.Accepted {
		t.Errorf("answer = %+v", ans)
	}
}

func TestAgentOverTLS(t *testing.T) {
	fs := newFakeServerTLS(t, true)
	pool := x509.NewCertPool()
	pool.AddCert(fs.srv.Certificate())
	startAgentTLS(t, fs, &tls.Config{RootCAs: pool})
	fc := fs.next(t)
	fc.handshake(t)
	fc.expect(t, protocol.MsgInventory, nil)
	if !strings.HasPrefix(fs.srv.URL, "https://") {
		t.Fatalf("server URL %s", fs.srv.URL)
	}
}

func TestAgentRefusesUntrustedCertificate(t *testing.T) {
	fs := newFakeServerTLS(t, true)
	a := New(Options{Config: Config{Server: fs.srv.URL, DeviceID: "dev_1", Credential: testCredential}, Logger: quietLog,
		Inventory: func(context.Context) protocol.Inventory { return protocol.Inventory{} }})
	_, err := a.connect(t.Context(), fs.srv.URL)
	if err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Errorf("connect to an untrusted server: %v, want a certificate error", err)
	}
	select {
	case <-fs.conns:
		t.Error("connected despite the untrusted certificate")
	default:
	}
}
