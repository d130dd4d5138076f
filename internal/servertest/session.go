package servertest

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/protocol"
)

// Tech is a technician's side of a remote session (the protocol of docs/sessions.md): JSON messages
// and, per channel, the binary stream messages.
type Tech struct {
	t    testing.TB
	c    *websocket.Conn
	json chan map[string]any
	mu   sync.Mutex
	bin  map[byte]chan []byte
	wmu  sync.Mutex
	// Closed is closed when the WebSocket ends; CloseErr then says how.
	Closed   chan struct{}
	CloseErr error
	done     chan struct{} // closed when the test ends: the reader stops waiting for a consumer
}

// Session opens a remote session through c and fails the test unless the upgrade succeeds.
func (c *Client) Session(deviceID string, actions ...string) *Tech {
	c.t.Helper()
	ws, res, err := c.OpenSession(deviceID, actions...)
	if err != nil {
		status := 0
		if res != nil {
			status = res.StatusCode
		}
		c.t.Fatalf("open a session on %s through %s: %v (status %d)", deviceID, c.Base, err, status)
	}
	return NewTech(c.t, ws)
}

// NewTech reads the session's messages in the background.
func NewTech(t testing.TB, ws *websocket.Conn) *Tech {
	ws.SetReadLimit(1 << 20)
	tc := &Tech{t: t, c: ws, json: make(chan map[string]any, 1024), bin: map[byte]chan []byte{}, Closed: make(chan struct{}),
		done: make(chan struct{})}
	go func() {
		defer close(tc.Closed)
		defer close(tc.json)
		for {
			typ, b, err := ws.ReadMessage()
			if err != nil {
				tc.CloseErr = err
				return
			}
			if typ == websocket.TextMessage {
				var m map[string]any
				if json.Unmarshal(b, &m) == nil {
					select {
					case tc.json <- m:
					case <-tc.done:
						return
					}
				}
				continue
			}
			// Stream data waits for the test to read it, as a browser's would: nothing is dropped.
			if len(b) > 0 {
				select {
				case tc.channel(b[0]) <- b[1:]:
				case <-tc.done:
					return
				}
			}
		}
	}()
	t.Cleanup(func() { close(tc.done); ws.Close() })
	return tc
}

func (tc *Tech) channel(n byte) chan []byte {
	tc.mu.Lock()
	defer tc.mu.Unlock()
	ch, ok := tc.bin[n]
	if !ok {
		ch = make(chan []byte, 4096)
		tc.bin[n] = ch
	}
	return ch
}

// Send writes a JSON message.
func (tc *Tech) Send(m map[string]any) {
	tc.t.Helper()
	b, _ := json.Marshal(m)
	tc.wmu.Lock()
	defer tc.wmu.Unlock()
	if err := tc.c.WriteMessage(websocket.TextMessage, b); err != nil {
		tc.t.Fatalf("technician write: %v", err)
	}
}

// SendBin writes a stream message on a channel.
func (tc *Tech) SendBin(channel byte, msg []byte) {
	tc.t.Helper()
	tc.wmu.Lock()
	defer tc.wmu.Unlock()
	if err := tc.c.WriteMessage(websocket.BinaryMessage, append([]byte{channel}, msg...)); err != nil {
		tc.t.Fatalf("technician write: %v", err)
	}
}

// Use makes later failures report to t (a subtest using a session its parent opened).
func (tc *Tech) Use(t testing.TB) { tc.t = t }

// Expect waits for a JSON message for which ok holds, skipping others, and returns it.
func (tc *Tech) Expect(what string, within time.Duration, ok func(map[string]any) bool) map[string]any {
	tc.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case m, open := <-tc.json:
			if !open {
				tc.t.Fatalf("session closed while waiting for %s (%v)", what, tc.CloseErr)
			}
			if ok(m) {
				return m
			}
		case <-timeout:
			tc.t.Fatalf("no %s within %v", what, within)
		}
	}
}

// State waits (30 s at most) for the session to reach a state ("active", "ended") and returns that
// message.
func (tc *Tech) State(state string) map[string]any {
	tc.t.Helper()
	return tc.Expect("state "+state, 30*time.Second, func(m map[string]any) bool { return m["type"] == "state" && m["state"] == state })
}

// WaitEnd waits for the final state or the WebSocket's end and returns the final state message
// (nil when the connection ended without one) and when it came.
func (tc *Tech) WaitEnd(within time.Duration) (map[string]any, time.Time) {
	tc.t.Helper()
	timeout := time.After(within)
	for {
		select {
		case m, open := <-tc.json:
			if !open {
				return nil, time.Now()
			}
			if m["type"] == "state" && m["state"] == "ended" {
				return m, time.Now()
			}
		case <-timeout:
			tc.t.Fatalf("the session did not end within %v", within)
		}
	}
}

// OpenChannel opens a stream for an action and waits until the server reports it opened.
func (tc *Tech) OpenChannel(n byte, action string, args any) {
	tc.t.Helper()
	m := map[string]any{"type": "open", "channel": n, "action": action}
	if args != nil {
		m["args"] = args
	}
	tc.Send(m)
	tc.Expect(fmt.Sprintf("channel %d opened", n), 30*time.Second, func(m map[string]any) bool {
		if m["type"] == "closed" && m["channel"] == float64(n) {
			tc.t.Fatalf("channel %d (%s) closed: %v", n, action, m["reason"])
		}
		return m["type"] == "opened" && m["channel"] == float64(n)
	})
}

// Recv returns the next message on a channel (30 s at most). A "closed" report for the channel with
// nothing left to read fails the test with the agent's reason (other JSON messages read meanwhile are
// dropped).
func (tc *Tech) Recv(channel byte) []byte {
	tc.t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case b := <-tc.channel(channel):
			return b
		case m := <-tc.json:
			if m["type"] == "closed" && m["channel"] == float64(channel) {
				select {
				case b := <-tc.channel(channel):
					return b
				case <-time.After(time.Second):
				}
				tc.t.Fatalf("channel %d closed: %v", channel, m["reason"])
			}
		case <-timeout:
			tc.t.Fatalf("nothing on channel %d within 30 s", channel)
			return nil
		}
	}
}

// Terminal opens a terminal (/bin/sh) on channel, runs line in it, and waits until its output
// contains want.
func (tc *Tech) Terminal(channel byte, line, want string) {
	tc.t.Helper()
	tc.OpenChannel(channel, "terminal", map[string]any{"shell": "/bin/sh"})
	in, _ := protocol.EncodeBytes(protocol.KindTermInput, []byte(line+"\n"))
	tc.SendBin(channel, in)
	var out strings.Builder
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			tc.t.Fatalf("terminal output %q lacks %q", out.String(), want)
		}
		if b, err := protocol.DecodeBytes(tc.Recv(channel), protocol.KindTermOutput); err == nil {
			out.Write(b)
		}
	}
}
