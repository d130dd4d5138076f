package protocol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gorilla/websocket"
)

// wsServer accepts WebSocket connections and serves each with a server-side Conn whose streams echo.
// Run's result for every connection is sent on the returned channel.
func wsServer(t *testing.T) (*httptest.Server, chan error) {
	t.Helper()
	results := make(chan error, 16)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := Upgrader().Upgrade(w, r, nil)
		if err != nil {
			t.Errorf("accept: %v", err)
			return
		}
		c := NewConn(WebSocket(ws), Options{Role: RoleServer, OnStream: echo, OnControl: func(m Message) {}})
		results <- c.Run(r.Context())
	}))
	t.Cleanup(srv.Close)
	return srv, results
}

func dial(t *testing.T, url string) *websocket.Conn {
	t.Helper()
	ws, _, err := Dialer(nil).Dial("ws"+strings.TrimPrefix(url, "http"), nil)
	if err != nil {
		t.Fatal(err)
	}
	return ws
}

func TestWebSocket(t *testing.T) {
	srv, results := wsServer(t)
	ctx := context.Background()

	good := startConn(t, WebSocket(dial(t, srv.URL)), Options{Role: RoleAgent})
	s, err := good.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "terminal"})
	if err != nil {
		t.Fatal(err)
	}
	roundTrip := func() {
		t.Helper()
		for i := range 4 {
			msg := bytes.Repeat([]byte{byte(i)}, 32<<10)
			if err := s.Send(ctx, msg); err != nil {
				t.Fatal(err)
			}
			got, err := s.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, msg) {
				t.Fatal("echo differs")
			}
		}
	}
	roundTrip()

	// A second client sends one message beyond MaxFrameSize: only its connection is dropped.
	bad := dial(t, srv.URL)
	defer bad.Close()
	// Read concurrently, so that the server's close handshake is answered at once.
	closed := make(chan error, 1)
	go func() {
		_, _, err := bad.ReadMessage()
		closed <- err
	}()
	if err := bad.WriteMessage(websocket.BinaryMessage, rawFrame(FrameData, 1, make([]byte, MaxFrameSize))); err != nil {
		t.Fatal(err)
	}
	if err := <-results; !errors.Is(err, ErrFrameTooLarge) {
		t.Errorf("server Run for the oversized message: %v, want ErrFrameTooLarge", err)
	}
	if err := <-closed; !websocket.IsCloseError(err, websocket.CloseMessageTooBig) {
		t.Errorf("client read after the oversized message: %v, want status %v", err, websocket.CloseMessageTooBig)
	}

	// A third sends a malformed frame: dropped with a policy violation.
	bad2 := dial(t, srv.URL)
	defer bad2.Close()
	closed = make(chan error, 1)
	go func() {
		for {
			if _, _, err := bad2.ReadMessage(); err != nil { // the error control message comes first
				closed <- err
				return
			}
		}
	}()
	if err := bad2.WriteMessage(websocket.BinaryMessage, []byte{0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	if err := <-results; !errors.Is(err, ErrProtocolViolation) {
		t.Errorf("server Run for the malformed frame: %v, want a protocol violation", err)
	}
	if closeErr := <-closed; !websocket.IsCloseError(closeErr, websocket.ClosePolicyViolation) {
		t.Errorf("client read after the malformed frame: %v, want status %v", closeErr, websocket.ClosePolicyViolation)
	}

	roundTrip()
	if err := s.Close(""); err != nil {
		t.Fatal(err)
	}
	good.conn.Close("done")
	if err := good.waitRun(t); err != nil {
		t.Errorf("client Run: %v", err)
	}
	if err := <-results; err == nil {
		t.Error("server Run returned nil when the client left")
	}
}

// TestWebSocketLentMessages covers large messages, which stay in the pooled buffer they were read
// into: a message from Recv is the caller's for good, one lent to RecvFunc only until it returns, and
// neither is overwritten by the messages read after it.
func TestWebSocketLentMessages(t *testing.T) {
	srv, _ := wsServer(t)
	ctx := context.Background()
	client := startConn(t, WebSocket(dial(t, srv.URL)), Options{Role: RoleAgent})
	s, err := client.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "terminal"})
	if err != nil {
		t.Fatal(err)
	}
	const n = 40 // beyond the window, so buffers are recycled and reused while this runs
	sizes := []int{keepBufferAbove + 1, MaxPayload, 100, MaxPayload - 1}
	go func() {
		for i := range n {
			if err := s.Send(ctx, bytes.Repeat([]byte{byte(i)}, sizes[i%len(sizes)])); err != nil {
				t.Error(err)
				return
			}
		}
	}()
	var kept [][]byte
	for i := range n {
		want := bytes.Repeat([]byte{byte(i)}, sizes[i%len(sizes)])
		if i%2 == 0 {
			got, err := s.Recv(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("message %d from Recv differs", i)
			}
			kept = append(kept, got)
			continue
		}
		var lent []byte
		err := s.RecvFunc(ctx, func(msg []byte) error {
			if !bytes.Equal(msg, want) {
				return fmt.Errorf("message %d lent to RecvFunc differs", i)
			}
			lent = msg
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(lent) != len(want) {
			t.Fatalf("message %d: RecvFunc saw %d bytes, want %d", i, len(lent), len(want))
		}
	}
	for j, got := range kept {
		i := 2 * j
		if !bytes.Equal(got, bytes.Repeat([]byte{byte(i)}, sizes[i%len(sizes)])) {
			t.Errorf("message %d from Recv changed after later messages were read", i)
		}
	}
	wantErr := errors.New("stop")
	go func() { _ = s.Send(ctx, []byte("last")) }()
	if err := s.RecvFunc(ctx, func([]byte) error { return wantErr }); err != wantErr {
		t.Errorf("RecvFunc returned %v, want fn's error", err)
	}
}

// TestRecvInPlace checks that the room RecvInPlace gives is in front of the message, whatever the
// stream id's length and whether the message was copied out of its read buffer (small) or kept in it
// (large), over both transports: a relay writes its own header there and sends buf on.
func TestRecvInPlace(t *testing.T) {
	ctx := context.Background()
	transports := map[string]func(t *testing.T) *peer{
		"pipe": func(t *testing.T) *peer {
			_, agt := newPair(t, Options{OnStream: echo}, Options{})
			return agt
		},
		"websocket": func(t *testing.T) *peer {
			srv, _ := wsServer(t)
			return startConn(t, WebSocket(dial(t, srv.URL)), Options{Role: RoleAgent})
		},
	}
	for name, connect := range transports {
		t.Run(name, func(t *testing.T) {
			client := connect(t)
			for _, id := range []uint32{1, 201, 20001} { // ids of one, two and three varint bytes
				client.conn.impl.mu.Lock()
				client.conn.impl.nextID = id
				client.conn.impl.mu.Unlock()
				s, err := client.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "file_transfer"})
				if err != nil {
					t.Fatal(err)
				}
				for _, size := range []int{0, 1, 100, keepBufferAbove + 1, MaxPayload} {
					want := bytes.Repeat([]byte{byte(size) | 1}, size)
					if err := s.Send(ctx, want); err != nil {
						t.Fatal(err)
					}
					err := s.RecvInPlace(ctx, func(buf []byte) error {
						if len(buf) != RecvRoom+size || !bytes.Equal(buf[RecvRoom:], want) {
							return fmt.Errorf("stream %d: %d bytes lent for a message of %d, or the message differs", id, len(buf), size)
						}
						for i := range RecvRoom {
							buf[i] = 0
						}
						if !bytes.Equal(buf[RecvRoom:], want) {
							return fmt.Errorf("stream %d: writing the room changed the message of %d bytes", id, size)
						}
						return nil
					})
					if err != nil {
						t.Fatal(err)
					}
				}
			}
		})
	}
}
