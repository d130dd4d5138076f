package protocol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package when goroutines started by the tests are still running afterwards
// (goroutines already running when the tests start are not theirs).
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.IgnoreCurrent())
}

// peer is one running Conn and what its callbacks saw.
type peer struct {
	conn    *Conn
	control chan Message
	runErr  chan error
}

// startConn runs a Conn over t. When onStream is nil, peer-opened streams are refused.
func startConn(t *testing.T, tr Transport, opt Options) *peer {
	t.Helper()
	p := &peer{control: make(chan Message, 256), runErr: make(chan error, 1)}
	if opt.OnControl == nil {
		opt.OnControl = func(m Message) {
			select {
			case p.control <- m:
			default:
				t.Errorf("control message %q dropped: test buffer full", m.Type)
			}
		}
	}
	p.conn = NewConn(tr, opt)
	go func() { p.runErr <- p.conn.Run(context.Background()) }()
	t.Cleanup(func() {
		p.conn.Close("test over")
		<-p.conn.Done()
		// Run returns once the transport is closed.
		p.waitRun(t)
	})
	return p
}

// waitRun returns Run's result, once.
func (p *peer) waitRun(t *testing.T) error {
	t.Helper()
	err, ok := <-p.runErr
	if ok {
		close(p.runErr)
		p.runErr = make(chan error, 1)
		p.runErr <- err // keep it for a second caller
	}
	return err
}

// newPair connects a server-side and an agent-side Conn over a Pipe.
func newPair(t *testing.T, server, agent Options) (*peer, *peer) {
	t.Helper()
	a, b := Pipe()
	server.Role = RoleServer
	agent.Role = RoleAgent
	return startConn(t, a, server), startConn(t, b, agent)
}

// echo is an OnStream handler that sends every message back until the stream ends.
func echo(s *Stream) {
	ctx := context.Background()
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			return
		}
		if err := s.Send(ctx, msg); err != nil {
			return
		}
	}
}

func recvControl(t *testing.T, p *peer) Message {
	t.Helper()
	m, ok := <-p.control
	if !ok {
		t.Fatal("control channel closed")
	}
	return m
}

func TestControlMessagesInOrderBothWays(t *testing.T) {
	srv, agt := newPair(t, Options{}, Options{})
	ctx := context.Background()
	const n = 50
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for i := range n {
			if err := srv.conn.Send(ctx, MsgHeartbeatAck, Heartbeat{Seq: uint64(i)}); err != nil {
				t.Errorf("server send %d: %v", i, err)
			}
		}
	}()
	go func() {
		defer wg.Done()
		for i := range n {
			if err := agt.conn.Send(ctx, MsgHeartbeat, Heartbeat{Seq: uint64(i)}); err != nil {
				t.Errorf("agent send %d: %v", i, err)
			}
		}
	}()
	for _, tc := range []struct {
		name string
		p    *peer
		typ  string
	}{{"agent receives", agt, MsgHeartbeatAck}, {"server receives", srv, MsgHeartbeat}} {
		for i := range n {
			m := recvControl(t, tc.p)
			var hb Heartbeat
			if err := DecodeBody(m, &hb); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			if m.Type != tc.typ || hb.Seq != uint64(i) {
				t.Fatalf("%s: message %d is %s seq %d", tc.name, i, m.Type, hb.Seq)
			}
		}
	}
	wg.Wait()
}

func TestOpenAndRoundTripFromBothRoles(t *testing.T) {
	tests := []struct {
		name    string
		opener  Role
		wantIDs []uint32
	}{
		{"server opens", RoleServer, []uint32{2, 4, 6}},
		{"agent opens", RoleAgent, []uint32{1, 3, 5}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			accepted := make(chan OpenRequest, len(tc.wantIDs))
			handler := func(s *Stream) {
				accepted <- s.Request()
				echo(s)
			}
			var srvOpt, agtOpt Options
			if tc.opener == RoleServer {
				agtOpt.OnStream = handler
			} else {
				srvOpt.OnStream = handler
			}
			srv, agt := newPair(t, srvOpt, agtOpt)
			opener := srv.conn
			if tc.opener == RoleAgent {
				opener = agt.conn
			}
			ctx := context.Background()
			for i, want := range tc.wantIDs {
				req := OpenRequest{SessionID: fmt.Sprintf("sess-%d", i), Action: "terminal", Args: []byte(`{"cols":80}`)}
				s, err := opener.Open(ctx, req)
				if err != nil {
					t.Fatal(err)
				}
				if s.ID() != want {
					t.Errorf("stream %d has id %d, want %d", i, s.ID(), want)
				}
				got := <-accepted
				if got.SessionID != req.SessionID || got.Action != req.Action || string(got.Args) != string(req.Args) {
					t.Errorf("accepted request %+v, want %+v", got, req)
				}
				for j := range 10 {
					msg := []byte(fmt.Sprintf("stream %d message %d", s.ID(), j))
					if err := s.Send(ctx, msg); err != nil {
						t.Fatal(err)
					}
					back, err := s.Recv(ctx)
					if err != nil {
						t.Fatal(err)
					}
					if !bytes.Equal(back, msg) {
						t.Fatalf("echo %q, want %q", back, msg)
					}
				}
				if err := s.Close(""); err != nil {
					t.Fatal(err)
				}
				if err := s.Close("again"); err != nil {
					t.Errorf("second Close: %v", err)
				}
				<-s.Done()
				if err := s.Send(ctx, []byte("late")); !errors.Is(err, ErrClosed) {
					t.Errorf("Send after Close: %v, want ErrClosed", err)
				}
			}
		})
	}
}

func TestStreamEnd(t *testing.T) {
	tests := []struct {
		name    string
		reason  string
		wantErr func(error) bool
	}{
		{"normal close gives EOF", "", func(err error) bool { return err == io.EOF }},
		{"reason gives StreamError", "disk full", func(err error) bool {
			var se *StreamError
			return errors.As(err, &se) && se.Reason == "disk full"
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := make(chan *Stream, 1)
			srv, _ := newPair(t, Options{}, Options{OnStream: func(s *Stream) {
				got <- s
				<-s.Done()
			}})
			ctx := context.Background()
			s, err := srv.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "file_transfer"})
			if err != nil {
				t.Fatal(err)
			}
			for i := range 3 {
				if err := s.Send(ctx, []byte{byte(i)}); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Close(tc.reason); err != nil {
				t.Fatal(err)
			}
			remote := <-got
			<-remote.Done()
			// Messages sent before the close are still delivered, then the end.
			for i := range 3 {
				msg, err := remote.Recv(ctx)
				if err != nil || len(msg) != 1 || msg[0] != byte(i) {
					t.Fatalf("Recv %d: %v %v", i, msg, err)
				}
			}
			if _, err := remote.Recv(ctx); !tc.wantErr(err) {
				t.Errorf("Recv after close: %v", err)
			}
			if err := remote.Send(ctx, []byte("x")); err == nil {
				t.Error("Send on a stream the peer closed succeeded")
			}
		})
	}
}

func TestConnCloseEndsStreams(t *testing.T) {
	remote := make(chan *Stream, 1)
	srv, agt := newPair(t, Options{}, Options{OnStream: func(s *Stream) {
		remote <- s
		<-s.Done()
	}})
	ctx := context.Background()
	s, err := srv.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "terminal"})
	if err != nil {
		t.Fatal(err)
	}
	r := <-remote
	if err := s.Send(ctx, []byte("queued, then dropped")); err != nil {
		t.Fatal(err)
	}

	if err := srv.conn.Close("shutting down"); err != nil {
		t.Fatal(err)
	}
	if err := srv.conn.Close("twice"); err != nil {
		t.Errorf("second Close: %v", err)
	}
	<-srv.conn.Done()
	<-s.Done()
	if _, err := s.Recv(ctx); !errors.Is(err, ErrClosed) {
		t.Errorf("Recv after Conn.Close: %v, want ErrClosed", err)
	}
	if err := s.Send(ctx, []byte("x")); !errors.Is(err, ErrClosed) {
		t.Errorf("Send after Conn.Close: %v, want ErrClosed", err)
	}
	if err := srv.conn.Send(ctx, MsgHeartbeatAck, Heartbeat{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Conn.Send after Close: %v, want ErrClosed", err)
	}
	if _, err := srv.conn.Open(ctx, OpenRequest{}); !errors.Is(err, ErrClosed) {
		t.Errorf("Open after Close: %v, want ErrClosed", err)
	}
	if err := srv.waitRun(t); err != nil {
		t.Errorf("Run after Close returned %v, want nil", err)
	}

	// The peer sees the transport end: its Run fails and its streams end.
	if err := agt.waitRun(t); err == nil {
		t.Error("peer's Run returned nil after the transport closed")
	}
	<-agt.conn.Done()
	<-r.Done()
	for {
		_, err := r.Recv(ctx)
		if err == nil {
			continue // data that arrived before the end may or may not be dropped
		}
		if !errors.Is(err, ErrClosed) {
			t.Errorf("peer Recv: %v, want ErrClosed", err)
		}
		break
	}
}

func TestRunEndsWithContext(t *testing.T) {
	a, b := Pipe()
	defer b.Close("")
	c := NewConn(a, Options{Role: RoleServer})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Errorf("Run: %v, want context.Canceled", err)
	}
	<-c.Done()
	if err := c.Run(context.Background()); err == nil {
		t.Error("second Run succeeded")
	}
}

func TestContextCancelsBlockedCalls(t *testing.T) {
	srv, _ := newPair(t, Options{Window: MaxPayload}, Options{Window: MaxPayload, OnStream: func(s *Stream) { <-s.Done() }})
	s, err := srv.conn.Open(context.Background(), OpenRequest{SessionID: "s", Action: "screen"})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("Recv", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			_, err := s.Recv(ctx)
			errc <- err
		}()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Recv: %v, want context.Canceled", err)
		}
	})
	t.Run("Send", func(t *testing.T) {
		// The peer never reads: one full window goes through, the next Send waits for credit.
		if err := s.Send(context.Background(), make([]byte, MaxPayload)); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() { errc <- s.Send(ctx, []byte("blocked")) }()
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("Send: %v, want context.Canceled", err)
		}
	})
	// The stream still works after the cancelled calls.
	if err := s.Close(""); err != nil {
		t.Fatal(err)
	}
}

func TestSendTooLarge(t *testing.T) {
	srv, _ := newPair(t, Options{}, Options{OnStream: echo})
	s, err := srv.conn.Open(context.Background(), OpenRequest{SessionID: "s", Action: "file_transfer"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), make([]byte, MaxPayload+1)); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("Send of %d bytes: %v, want ErrFrameTooLarge", MaxPayload+1, err)
	}
	if err := s.Send(context.Background(), make([]byte, MaxPayload)); err != nil {
		t.Errorf("Send of MaxPayload bytes: %v", err)
	}
	if err := srv.conn.Send(context.Background(), MsgInventory, Inventory{Hostname: strings.Repeat("x", MaxPayload)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("oversized control message: %v, want ErrFrameTooLarge", err)
	}
}

// TestSendInPlace sends messages framed in the room in front of them, on streams whose ids take one
// to three bytes, and checks what arrives and what is refused.
func TestSendInPlace(t *testing.T) {
	ctx := context.Background()
	srv, _ := newPair(t, Options{}, Options{OnStream: echo})
	for _, id := range []uint32{2, 200, 20000} {
		srv.conn.impl.mu.Lock()
		srv.conn.impl.nextID = id // ids of one, two and three varint bytes
		srv.conn.impl.mu.Unlock()
		s, err := srv.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "file_transfer"})
		if err != nil {
			t.Fatal(err)
		}
		for _, size := range []int{0, 1, 1000, MaxPayload} {
			want := bytes.Repeat([]byte{byte(size)}, size)
			buf := append(bytes.Repeat([]byte{0xEE}, FrameHeadroom), want...)
			if err := s.SendInPlace(ctx, buf); err != nil {
				t.Fatalf("stream %d, %d bytes: %v", id, size, err)
			}
			got, err := s.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("stream %d: sent %d bytes in place, the echo has %d and differs", id, size, len(got))
			}
		}
		if err := s.SendInPlace(ctx, make([]byte, FrameHeadroom-1)); err == nil {
			t.Error("SendInPlace without room for the header succeeded")
		}
		if err := s.SendInPlace(ctx, make([]byte, FrameHeadroom+MaxPayload+1)); !errors.Is(err, ErrFrameTooLarge) {
			t.Errorf("SendInPlace of %d bytes: %v, want ErrFrameTooLarge", MaxPayload+1, err)
		}
	}
}

func TestRefusedStreams(t *testing.T) {
	ctx := context.Background()
	t.Run("no OnStream", func(t *testing.T) {
		_, agt := newPair(t, Options{}, Options{})
		s, err := agt.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "terminal"})
		if err != nil {
			t.Fatal(err)
		}
		var se *StreamError
		if _, err := s.Recv(ctx); !errors.As(err, &se) || !strings.Contains(se.Reason, "refused") {
			t.Errorf("Recv on a refused stream: %v", err)
		}
	})
	t.Run("MaxStreams", func(t *testing.T) {
		release := make(chan struct{})
		srv, _ := newPair(t, Options{}, Options{MaxStreams: 2, OnStream: func(s *Stream) { <-release }})
		defer close(release)
		var streams []*Stream
		for range 3 {
			s, err := srv.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "terminal"})
			if err != nil {
				t.Fatal(err)
			}
			streams = append(streams, s)
		}
		var se *StreamError
		if _, err := streams[2].Recv(ctx); !errors.As(err, &se) || !strings.Contains(se.Reason, "refused") {
			t.Errorf("Recv on the third stream: %v", err)
		}
		for _, s := range streams[:2] {
			select {
			case <-s.Done():
				t.Errorf("stream %d ended, want it open", s.ID())
			default:
			}
		}
	})
}
