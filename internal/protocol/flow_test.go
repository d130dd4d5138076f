package protocol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
)

// buffered returns the credit held by the messages queued at s and not yet returned by Recv.
func buffered(s *Stream) int {
	s.impl.mu.Lock()
	defer s.impl.mu.Unlock()
	n := 0
	for _, m := range s.impl.queue[s.impl.head:] {
		n += messageCost(len(m.msg))
	}
	return n
}

// cancelled is a context that has already ended: a call given it returns at once if it would wait.
func cancelled() context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	return ctx
}

func TestFlowControlStopsSenderAtWindow(t *testing.T) {
	tests := []struct {
		name    string
		window  int
		msgSize int
	}{
		{"default window, 32 KiB messages", 0, 32 << 10},
		{"smallest window, full messages", MaxPayload, MaxPayload},
		{"small messages", 2 * MaxPayload, 1000},
		{"tiny messages cost the minimum", MaxPayload, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			window := tc.window
			if window == 0 {
				window = DefaultWindow
			}
			remote := make(chan *Stream, 1)
			srv, agt := newPair(t, Options{Window: tc.window}, Options{Window: tc.window, OnStream: func(s *Stream) {
				remote <- s
				<-s.Done()
			}})
			ctx := context.Background()
			s, err := srv.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "file_transfer"})
			if err != nil {
				t.Fatal(err)
			}
			r := <-remote

			// Without a single Recv, the sender gets exactly one window through.
			cost := messageCost(tc.msgSize)
			fits := window / cost
			var sent [][]byte
			for i := range fits {
				msg := bytes.Repeat([]byte{byte(i)}, tc.msgSize)
				if err := s.Send(ctx, msg); err != nil {
					t.Fatalf("Send %d of %d within the window: %v", i, fits, err)
				}
				sent = append(sent, msg)
			}
			if err := s.Send(cancelled(), make([]byte, tc.msgSize)); !errors.Is(err, context.Canceled) {
				t.Fatalf("Send beyond the window: %v, want it to wait (context.Canceled)", err)
			}
			// Wait for the receiver to have queued everything that was sent (a control message
			// sent after the data arrives after it, on the same connection).
			if err := srv.conn.Send(ctx, MsgHeartbeatAck, Heartbeat{Seq: 1}); err != nil {
				t.Fatal(err)
			}
			recvControl(t, agt)
			if got := buffered(r); got != fits*cost || got > window {
				t.Fatalf("receiver buffers %d bytes of credit, want %d (window %d)", got, fits*cost, window)
			}

			// A blocked Send resumes once the receiver reads half a window.
			extra := bytes.Repeat([]byte{0xEE}, tc.msgSize)
			sendErr := make(chan error, 1)
			go func() { sendErr <- s.Send(ctx, extra) }()
			sent = append(sent, extra)
			for i, want := range sent {
				got, err := r.Recv(ctx)
				if err != nil {
					t.Fatalf("Recv %d: %v", i, err)
				}
				if !bytes.Equal(got, want) {
					t.Fatalf("message %d differs", i)
				}
				if b := buffered(r); b > window {
					t.Fatalf("receiver buffers %d bytes, more than the window of %d", b, window)
				}
			}
			if err := <-sendErr; err != nil {
				t.Fatalf("resumed Send: %v", err)
			}
		})
	}
}

// TestStreamsDoNotBlockEachOther checks that a stalled stream leaves the others moving.
func TestStreamsDoNotBlockEachOther(t *testing.T) {
	const streams = 16
	const perStream = 4 * DefaultWindow // well beyond the window, so credit must come back
	stalled := make(chan *Stream, 1)
	srv, _ := newPair(t, Options{}, Options{OnStream: func(s *Stream) {
		if s.Request().Action == "stalled" {
			stalled <- s
			<-s.Done()
			return
		}
		echo(s)
	}})
	ctx := context.Background()

	// Stream A: fill its window; its receiver never reads.
	a, err := srv.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "stalled"})
	if err != nil {
		t.Fatal(err)
	}
	<-stalled
	for range DefaultWindow / (32 << 10) {
		if err := a.Send(ctx, make([]byte, 32<<10)); err != nil {
			t.Fatal(err)
		}
	}

	var wg sync.WaitGroup
	for i := range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := srv.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "echo"})
			if err != nil {
				t.Error(err)
				return
			}
			defer s.Close("")
			// Send and receive concurrently: the echo side's sends need our Recv to free credit.
			recvErr := make(chan error, 1)
			go func() {
				got := 0
				for want := 0; got < perStream; want++ {
					msg, err := s.Recv(ctx)
					if err != nil {
						recvErr <- err
						return
					}
					if len(msg) != 8<<10 || msg[0] != byte(i) || msg[1] != byte(want) {
						recvErr <- fmt.Errorf("stream %d: message %d out of order or corrupt", i, want)
						return
					}
					got += len(msg)
				}
				recvErr <- nil
			}()
			for j := 0; j*(8<<10) < perStream; j++ {
				msg := make([]byte, 8<<10)
				msg[0], msg[1] = byte(i), byte(j)
				if err := s.Send(ctx, msg); err != nil {
					t.Errorf("stream %d: Send: %v", i, err)
					return
				}
			}
			if err := <-recvErr; err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	// A is still stalled, and still intact.
	if err := a.Send(cancelled(), make([]byte, 32<<10)); !errors.Is(err, context.Canceled) {
		t.Errorf("Send on the stalled stream: %v, want it to wait", err)
	}
}
