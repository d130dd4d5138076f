package agent

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico/internal/protocol"
)

func newSupportSessions(t *testing.T) (*Sessions, *recorder) {
	t.Helper()
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	m := NewSessions(SessionsOptions{AfterFunc: (&fakeTimers{}).afterFunc, Now: func() time.Time { return now },
		Logger: quietLog, Support: &Support{SessionID: "od_1", Company: "Acme IT", Technician: "Tess"}})
	return m, &recorder{}
}

func TestSupportStateAndEnd(t *testing.T) {
	m, rec := newSupportSessions(t)
	if st := m.State(); st.Support == nil || st.Support.ConnectedAt != nil || st.Support.Company != "Acme IT" {
		t.Fatalf("support before connecting = %+v", st.Support)
	}
	m.Attach(rec.send)
	first := m.State().Support.ConnectedAt
	if first == nil {
		t.Fatal("no connection time after attach")
	}
	m.Detach(ConnDisconnected, "blip")
	m.Attach(rec.send)
	if again := m.State().Support.ConnectedAt; again == nil || !again.Equal(*first) {
		t.Errorf("a reconnection moved the connection time: %v, was %v", again, first)
	}

	m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "Tess", Actions: []string{"terminal"}, AckRequired: true})
	m.Request(protocol.SessionRequest{SessionID: "s2", Technician: "Tess", Actions: []string{"chat"}})
	rec.take()
	select {
	case <-m.SupportEnded():
		t.Fatal("ended before EndSupport")
	default:
	}
	if err := m.EndSupport("s1"); err != ErrNoSession {
		t.Errorf("EndSupport of a remote session's id = %v, want ErrNoSession", err)
	}
	if err := m.EndSupport("od_1"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.SupportEnded():
	default:
		t.Fatal("SupportEnded not closed")
	}
	got := map[string]any{}
	for _, msg := range rec.take() {
		switch b := msg.body.(type) {
		case protocol.SessionAnswer:
			got["answer "+b.SessionID] = b
		case protocol.SessionEnd:
			got["end "+b.SessionID] = b
		}
	}
	want := map[string]any{
		"answer s1": protocol.SessionAnswer{SessionID: "s1", Reason: reasonDenied},
		"end s2":    protocol.SessionEnd{SessionID: "s2", By: "end_user"},
		"end od_1":  protocol.SessionEnd{SessionID: "od_1", By: "end_user"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("sent to the server (-want +got):\n%s", diff)
	}
	st := m.State()
	if !st.Support.Ended || len(st.Pending)+len(st.Sessions) != 0 {
		t.Errorf("state after the end: %+v", st)
	}
	if err := m.EndSupport("od_1"); err != nil || len(rec.take()) != 0 {
		t.Errorf("second EndSupport: %v, or it sent again", err)
	}
	m.Request(protocol.SessionRequest{SessionID: "s3", Technician: "Tess", Actions: []string{"chat"}, AckRequired: true})
	if msgs := rec.take(); len(msgs) != 1 || msgs[0].body.(protocol.SessionAnswer).Accepted || len(m.State().Pending) != 0 {
		t.Errorf("a request after the end: %+v", msgs)
	}
}

func TestSupportEndWhileDisconnected(t *testing.T) {
	m, _ := newSupportSessions(t)
	if err := m.EndSupport("od_1"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-m.SupportEnded():
	default:
		t.Fatal("the person's end must end the support agent even when the server cannot be told")
	}
}

func TestManagedSessionsHaveNoSupport(t *testing.T) {
	m, _, _ := newTestSessions(t)
	if m.State().Support != nil || m.SupportEnded() != nil {
		t.Error("managed sessions show a support session")
	}
	if err := m.EndSupport(""); err != ErrNoSession {
		t.Errorf("EndSupport = %v", err)
	}
	b, _ := json.Marshal(m.State())
	if strings.Contains(string(b), "support") {
		t.Errorf("managed state mentions support: %s", b)
	}
}

func TestWindowSupport(t *testing.T) {
	m, rec := newSupportSessions(t)
	m.Attach(rec.send)
	w := startWindow(t, m)
	status, body := windowCall{method: "GET", path: "/api/state"}.do(t, w)
	var st State
	if status != 200 || json.Unmarshal([]byte(body), &st) != nil || st.Support == nil || st.Support.Technician != "Tess" ||
		st.Support.ConnectedAt == nil {
		t.Fatalf("GET /api/state = %d %s", status, body)
	}
	// The end of a support session is guarded as every other POST.
	call := windowCall{method: "POST", path: "/api/end-support", body: `{"session_id":"od_1"}`,
		header: map[string]string{WindowTokenHeader: wrongToken(w.Token())}}
	if status, _ := call.do(t, w); status != 403 || m.State().Support.Ended {
		t.Fatalf("end-support with a wrong token = %d", status)
	}
	call.header = map[string]string{WindowTokenHeader: w.Token(), "Origin": "https://evil.example"}
	if status, _ := call.do(t, w); status != 403 || m.State().Support.Ended {
		t.Fatalf("end-support from another origin = %d", status)
	}
	call.header = map[string]string{WindowTokenHeader: w.Token(), "Origin": "http://" + w.Addr()}
	call.body = `{"session_id":"other"}`
	if status, _ := call.do(t, w); status != 404 {
		t.Fatalf("end-support of another id = %d", status)
	}
	call.body = `{"session_id":"od_1"}`
	if status, body := call.do(t, w); status != 200 || !m.State().Support.Ended {
		t.Fatalf("end-support = %d %s", status, body)
	}
	if msgs := rec.take(); len(msgs) != 1 || msgs[0].body != (protocol.SessionEnd{SessionID: "od_1", By: "end_user"}) {
		t.Errorf("sent %+v", msgs)
	}
}

func TestAgentOnDemandEndpoint(t *testing.T) {
	fs := newFakeServer(t)
	sessions := NewSessions(SessionsOptions{Logger: quietLog, Support: &Support{SessionID: "dev_1", Technician: "Tess"}})
	cfg := Config{Server: fs.srv.URL, DeviceID: "dev_1", Credential: testCredential}
	connected := make(chan string, 4)
	a := New(Options{Config: cfg, Version: "test", Sessions: sessions, Logger: quietLog, Endpoint: OnDemandEndpoint,
		Inventory:   func(context.Context) protocol.Inventory { return protocol.Inventory{Hostname: "h"} },
		OnConnected: func(server string) { connected <- server },
		Backoff:     Backoff{Min: 10 * time.Millisecond, Max: 50 * time.Millisecond}})
	done := make(chan error, 1)
	go func() { done <- a.Run(t.Context()) }()
	fc := fs.next(t)
	if fc.header.Get("X-Portico-Device") != "" || fc.header.Get("X-Portico-On-Demand") != "dev_1" {
		t.Errorf("headers %v", fc.header)
	}
	fc.handshake(t)
	select {
	case s := <-connected:
		if s != fs.srv.URL {
			t.Errorf("OnConnected(%q)", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnConnected not called")
	}
	fc.send(t, protocol.MsgSessionRequest, protocol.SessionRequest{SessionID: "s1", Technician: "Tess", Actions: []string{"chat"}})
	waitState(t, sessions, "the session", func(st State) bool { return len(st.Sessions) == 1 })
	fc.send(t, protocol.MsgStop, protocol.Stop{Reason: "the support session ended"})
	var stopped *StoppedError
	select {
	case err := <-done:
		if !errors.As(err, &stopped) {
			t.Fatalf("Run = %v, want a StoppedError", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return on stop")
	}
	if n := sessions.State().Notices; len(n) != 1 || !strings.Contains(n[0].Text, "the support session has ended") {
		t.Errorf("notices %+v", n)
	}
}
