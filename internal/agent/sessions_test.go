package agent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico/internal/protocol"
)

// quietLog keeps test output readable.
var quietLog = slog.New(slog.DiscardHandler)

// recorder collects what Sessions sends to the server.
type recorder struct {
	mu   sync.Mutex
	msgs []outMsg
}

func (r *recorder) send(typ string, body any) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, outMsg{typ, body})
	return nil
}

func (r *recorder) take() []outMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.msgs
	r.msgs = nil
	return m
}

// fakeTimers replaces time.AfterFunc: tests fire the timers themselves.
type fakeTimers struct {
	mu     sync.Mutex
	timers []*fakeTimer
}

type fakeTimer struct {
	d       time.Duration
	f       func()
	stopped bool
}

func (ft *fakeTimers) afterFunc(d time.Duration, f func()) func() bool {
	ft.mu.Lock()
	defer ft.mu.Unlock()
	t := &fakeTimer{d: d, f: f}
	ft.timers = append(ft.timers, t)
	return func() bool {
		ft.mu.Lock()
		defer ft.mu.Unlock()
		was := !t.stopped
		t.stopped = true
		return was
	}
}

func (ft *fakeTimers) fireAll() {
	ft.mu.Lock()
	list := ft.timers
	ft.mu.Unlock()
	for _, t := range list {
		t.f() // a stopped timer may still fire once, as with time.AfterFunc racing Stop
	}
}

func newTestSessions(t *testing.T) (*Sessions, *recorder, *fakeTimers) {
	t.Helper()
	ft := &fakeTimers{}
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	m := NewSessions(SessionsOptions{AfterFunc: ft.afterFunc, Now: func() time.Time { return now }, Logger: quietLog})
	rec := &recorder{}
	m.Attach(rec.send)
	return m, rec, ft
}

func answers(t *testing.T, msgs []outMsg) []protocol.SessionAnswer {
	t.Helper()
	var out []protocol.SessionAnswer
	for _, m := range msgs {
		if m.typ != protocol.MsgSessionAnswer {
			t.Fatalf("unexpected message %s %+v", m.typ, m.body)
		}
		out = append(out, m.body.(protocol.SessionAnswer))
	}
	return out
}

func TestSessionRequestAndAnswer(t *testing.T) {
	req := func(ack bool) protocol.SessionRequest {
		return protocol.SessionRequest{SessionID: "s1", Technician: "Mark Wright", Actions: []string{"terminal", "chat"}, AckRequired: ack}
	}
	for _, tc := range []struct {
		name      string
		ack       bool
		act       func(m *Sessions, ft *fakeTimers) error
		want      []protocol.SessionAnswer
		wantState string // "" when the session is gone
	}{
		{name: "no acknowledgement needed", ack: false,
			want: []protocol.SessionAnswer{{SessionID: "s1", Accepted: true}}, wantState: StateActive},
		{name: "pending until answered", ack: true, wantState: StatePending},
		{name: "approved", ack: true, act: func(m *Sessions, _ *fakeTimers) error { return m.Answer("s1", true) },
			want: []protocol.SessionAnswer{{SessionID: "s1", Accepted: true}}, wantState: StateActive},
		{name: "denied", ack: true, act: func(m *Sessions, _ *fakeTimers) error { return m.Answer("s1", false) },
			want: []protocol.SessionAnswer{{SessionID: "s1", Reason: "denied by the end user"}}},
		{name: "no answer in time", ack: true, act: func(_ *Sessions, ft *fakeTimers) error { ft.fireAll(); return nil },
			want: []protocol.SessionAnswer{{SessionID: "s1", Reason: "no answer"}}},
		{name: "timer after approval changes nothing", ack: true, act: func(m *Sessions, ft *fakeTimers) error {
			err := m.Answer("s1", true)
			ft.fireAll()
			return err
		}, want: []protocol.SessionAnswer{{SessionID: "s1", Accepted: true}}, wantState: StateActive},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, rec, ft := newTestSessions(t)
			m.Request(req(tc.ack))
			if tc.ack && len(rec.take()) != 0 {
				t.Fatal("answered before the end user did")
			}
			if tc.act != nil {
				if err := tc.act(m, ft); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(tc.want, answers(t, rec.take())); diff != "" {
				t.Errorf("answers (-want +got):\n%s", diff)
			}
			st := m.State()
			var got string
			switch {
			case len(st.Sessions) == 1:
				got = st.Sessions[0].State
				if st.Sessions[0].StartedAt == nil {
					t.Error("active session without a start time")
				}
			case len(st.Pending) == 1:
				got = st.Pending[0].State
				if st.Pending[0].ExpiresAt == nil || st.Pending[0].ExpiresAt.Sub(st.Pending[0].RequestedAt) != DefaultAckTimeout {
					t.Errorf("pending expiry = %v", st.Pending[0].ExpiresAt)
				}
			}
			if got != tc.wantState {
				t.Errorf("state = %q, want %q", got, tc.wantState)
			}
		})
	}
}

func TestSessionAckTimeoutIsSixtySeconds(t *testing.T) {
	m, _, ft := newTestSessions(t)
	m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "T", Actions: []string{"terminal"}, AckRequired: true})
	if len(ft.timers) != 1 || ft.timers[0].d != 60*time.Second {
		t.Fatalf("timers = %+v, want one of 60 s", ft.timers)
	}
	if err := m.Answer("s1", true); err != nil {
		t.Fatal(err)
	}
	if !ft.timers[0].stopped {
		t.Error("the timer was not stopped by the answer")
	}
}

func TestSessionAnswerErrors(t *testing.T) {
	m, _, ft := newTestSessions(t)
	if err := m.Answer("nope", true); !errors.Is(err, ErrNoSession) {
		t.Errorf("unknown session: %v", err)
	}
	m.Request(protocol.SessionRequest{SessionID: "auto", Technician: "T", Actions: []string{"terminal"}})
	if err := m.Answer("auto", true); !errors.Is(err, ErrNotPending) {
		t.Errorf("answering an active session: %v", err)
	}
	m.Request(protocol.SessionRequest{SessionID: "late", Technician: "T", Actions: []string{"terminal"}, AckRequired: true})
	ft.fireAll()
	if err := m.Answer("late", true); !errors.Is(err, ErrNoSession) {
		t.Errorf("answering after the timeout: %v", err)
	}
	if err := m.SendChat("nope", "hi"); !errors.Is(err, ErrNoSession) {
		t.Errorf("chat to unknown session: %v", err)
	}
	m.Request(protocol.SessionRequest{SessionID: "p", Technician: "T", Actions: []string{"chat"}, AckRequired: true})
	if err := m.SendChat("p", "hi"); !errors.Is(err, ErrNotActive) {
		t.Errorf("chat to a pending session: %v", err)
	}
	m.Detach(ConnDisconnected, "test")
	if err := m.EndByUser("auto"); !errors.Is(err, ErrNoSession) {
		t.Errorf("sessions survive Detach: %v", err)
	}
	m.Request(protocol.SessionRequest{SessionID: "x", Technician: "T", Actions: []string{"chat"}, AckRequired: true})
	if err := m.Answer("x", true); !errors.Is(err, ErrNotConnected) {
		t.Errorf("answer while disconnected: %v", err)
	}
}

func TestSessionChatAndEndByUser(t *testing.T) {
	m, rec, _ := newTestSessions(t)
	m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "Mark", Actions: []string{"chat"}})
	rec.take()
	m.Chat(protocol.Chat{SessionID: "s1", From: "technician", Name: "Mark", Text: "hello"})
	m.Chat(protocol.Chat{SessionID: "other", From: "technician", Text: "lost"})
	if err := m.SendChat("s1", "hi Mark"); err != nil {
		t.Fatal(err)
	}
	st := m.State()
	if len(st.Sessions) != 1 || len(st.Sessions[0].Chat) != 2 {
		t.Fatalf("state = %+v", st)
	}
	if c := st.Sessions[0].Chat; c[0].From != "technician" || c[0].Text != "hello" || c[1].From != "end_user" || c[1].Text != "hi Mark" {
		t.Errorf("chat = %+v", c)
	}
	msgs := rec.take()
	if len(msgs) != 1 || msgs[0].typ != protocol.MsgChat || msgs[0].body.(protocol.Chat).From != "end_user" {
		t.Fatalf("sent %+v, want one end-user chat line", msgs)
	}
	if err := m.EndByUser("s1"); err != nil {
		t.Fatal(err)
	}
	msgs = rec.take()
	want := protocol.SessionEnd{SessionID: "s1", By: "end_user"}
	if len(msgs) != 1 || msgs[0].typ != protocol.MsgSessionEnd || msgs[0].body.(protocol.SessionEnd) != want {
		t.Fatalf("sent %+v, want %+v", msgs, want)
	}
	if st := m.State(); len(st.Sessions) != 0 || len(st.Notices) == 0 {
		t.Errorf("after End: %+v", st)
	}
}

func TestShowMessage(t *testing.T) {
	m, _, _ := newTestSessions(t)
	notified := make(chan string, 1)
	m.opt.Notify = func(s string) { notified <- s }
	m.ShowMessage("", "Please save your work, rebooting at noon")
	if st := m.State(); len(st.Messages) != 1 || st.Messages[0].Text != "Please save your work, rebooting at noon" {
		t.Errorf("messages = %+v", st.Messages)
	}
	if got := <-notified; got != "Please save your work, rebooting at noon" {
		t.Errorf("notified %q", got)
	}
}

// streamPair connects a server-side Conn to an agent-side Conn over a Pipe and returns the server
// side and the streams the agent side receives.
func streamPair(t *testing.T) (*protocol.Conn, <-chan *protocol.Stream) {
	t.Helper()
	a, b := protocol.Pipe()
	incoming := make(chan *protocol.Stream, 8)
	server := protocol.NewConn(a, protocol.Options{Role: protocol.RoleServer})
	agentSide := protocol.NewConn(b, protocol.Options{Role: protocol.RoleAgent, OnStream: func(s *protocol.Stream) {
		incoming <- s
		<-s.Done() // keep the stream open until someone closes it
	}})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); server.Run(ctx) }()
	go func() { defer wg.Done(); agentSide.Run(ctx) }()
	t.Cleanup(func() {
		server.Close("test over")
		agentSide.Close("test over")
		cancel()
		wg.Wait()
	})
	return server, incoming
}

// openFromServer opens a stream from the server and returns both ends.
func openFromServer(t *testing.T, server *protocol.Conn, incoming <-chan *protocol.Stream, session, action string) (*protocol.Stream, *protocol.Stream) {
	t.Helper()
	s, err := server.Open(t.Context(), protocol.OpenRequest{SessionID: session, Action: action})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case a := <-incoming:
		return s, a
	case <-time.After(5 * time.Second):
		t.Fatal("stream never reached the agent")
	}
	return nil, nil
}

// closeReason waits for the peer's close and returns its reason ("" for a normal end).
func closeReason(t *testing.T, s *protocol.Stream) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	for {
		_, err := s.Recv(ctx)
		var se *protocol.StreamError
		switch {
		case errors.As(err, &se):
			return se.Reason
		case errors.Is(err, io.EOF):
			return ""
		case err != nil:
			t.Fatalf("Recv: %v", err)
		}
	}
}

func TestSessionStreamsNarrowAndEnd(t *testing.T) {
	m, _, _ := newTestSessions(t)
	server, incoming := streamPair(t)
	m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "T", Actions: []string{"terminal", "file_transfer"}})
	m.Request(protocol.SessionRequest{SessionID: "p", Technician: "T", Actions: []string{"terminal"}, AckRequired: true})

	// Refusals: a pending session, an action outside the session, an unknown session.
	for _, tc := range []struct{ session, action string }{{"p", "terminal"}, {"s1", "screen_view"}, {"nope", "terminal"}} {
		_, a := openFromServer(t, server, incoming, tc.session, tc.action)
		if _, _, err := m.OpenStream(t.Context(), a); err == nil {
			t.Errorf("stream for %s/%s admitted", tc.session, tc.action)
		}
		a.Close("refused")
	}

	_, termA := openFromServer(t, server, incoming, "s1", "terminal")
	termCtx, termRelease, err := m.OpenStream(t.Context(), termA)
	if err != nil {
		t.Fatal(err)
	}
	defer termRelease()
	fileS, fileA := openFromServer(t, server, incoming, "s1", "file_transfer")
	fileCtx, fileRelease, err := m.OpenStream(t.Context(), fileA)
	if err != nil {
		t.Fatal(err)
	}
	defer fileRelease()
	if n := m.State().Sessions[0].Streams; n != 2 {
		t.Errorf("streams = %d, want 2", n)
	}

	// Narrowing to terminal (and trying to widen to screen_view) closes file_transfer only.
	m.Update(protocol.SessionUpdate{SessionID: "s1", Actions: []string{"terminal", "screen_view"}})
	if got := closeReason(t, fileS); got != reasonWithdrawn {
		t.Errorf("file_transfer closed with %q, want %q", got, reasonWithdrawn)
	}
	<-fileCtx.Done()
	if termCtx.Err() != nil {
		t.Error("terminal stream cancelled by narrowing that kept it")
	}
	if got := m.State().Sessions[0].Actions; !cmp.Equal(got, []string{"terminal"}) {
		t.Errorf("actions after update = %v, want [terminal]", got)
	}
	if _, a := openFromServer(t, server, incoming, "s1", "file_transfer"); true {
		if _, _, err := m.OpenStream(t.Context(), a); err == nil {
			t.Error("withdrawn action admitted again")
		}
		a.Close("refused")
	}

	// Ending the session closes the remaining stream.
	m.End(protocol.SessionEnd{SessionID: "s1", By: "technician"})
	<-termCtx.Done()
	st := m.State()
	if len(st.Sessions) != 0 || len(st.Notices) == 0 || st.Notices[len(st.Notices)-1].Text != "Session with T ended by the technician." {
		t.Errorf("after End: %+v", st)
	}
}

func TestDetachEndsSessions(t *testing.T) {
	m, _, _ := newTestSessions(t)
	server, incoming := streamPair(t)
	m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "T", Actions: []string{"terminal"}})
	srv, a := openFromServer(t, server, incoming, "s1", "terminal")
	ctx, release, err := m.OpenStream(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	m.Detach(ConnDisconnected, "connection to the server lost")
	<-ctx.Done()
	if got := closeReason(t, srv); got == "" {
		t.Error("stream closed without a reason")
	}
	if st := m.State(); st.Connection != ConnDisconnected || len(st.Sessions) != 0 {
		t.Errorf("after Detach: %+v", st)
	}
}
