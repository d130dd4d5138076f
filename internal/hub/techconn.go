package hub

import (
	"errors"
	"io"
	"net"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/protocol"
)

// techConn is a technician's session WebSocket. The JSON writer and the relays of every channel write
// to it, so writes take a lock; a close does not, so that it can end a write blocked on a technician
// who stopped reading.
//
// The HTTP server's deadlines ended when the connection was upgraded; these take over. A technician
// must send something — a message, or the pong of the pings writeLoop sends — within timeout of the
// session starting to wait for it, and every write must finish within its own bound, so that a
// technician who vanished without closing is cut off even when no data flows.
type techConn struct {
	ws       *websocket.Conn
	wmu      sync.Mutex
	readDone chan struct{} // closed by the session's read loop when it returns
	timeout  time.Duration
}

func newTechConn(ws *websocket.Conn, timeout time.Duration) *techConn {
	// A pong arrives during a read, which it extends.
	ws.SetPongHandler(func(string) error { return ws.SetReadDeadline(time.Now().Add(timeout)) })
	return &techConn{ws: ws, readDone: make(chan struct{}), timeout: timeout}
}

// reader returns the next message. The deadline is set afresh for each read rather than once per
// message received: while the read loop waits for the agent to take what it read (backpressure), the
// technician is not being read, and that time must not count as their silence.
func (t *techConn) reader() (int, io.Reader, error) {
	_ = t.ws.SetReadDeadline(time.Now().Add(t.timeout))
	return t.ws.NextReader()
}

// write sends one message, giving up after d.
func (t *techConn) write(typ int, b []byte, d time.Duration) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	_ = t.ws.SetWriteDeadline(time.Now().Add(d))
	return t.ws.WriteMessage(typ, b)
}

// ping asks the technician for a pong. It may run alongside a write: WriteControl sends between
// messages.
func (t *techConn) ping() error {
	return t.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeTimeout))
}

// timedOut reports whether a read or write failed on its deadline.
func timedOut(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// close sends a close frame with code and reason and drops the connection, after waiting for the
// technician's answer while the read loop runs to see it.
func (t *techConn) close(code int, reason string, reading bool) {
	var answered <-chan struct{}
	if reading {
		answered = t.readDone
	}
	_ = protocol.CloseWebSocket(t.ws, code, reason, answered)
}

// readMessage reads the rest of a message into buf and returns its length. The connection's read
// limit keeps a message within buf; one that still does not fit is an error.
func readMessage(r io.Reader, buf []byte) (int, error) {
	n := 0
	for {
		if n == len(buf) {
			var probe [1]byte
			m, err := r.Read(probe[:])
			if m > 0 {
				return n, errMessageTooLarge
			}
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			continue
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
	}
}

var errMessageTooLarge = errors.New("websocket message larger than the read buffer")

// tooLarge reports whether a read failed because the technician's message exceeded the read limit.
func tooLarge(err error) bool {
	return errors.Is(err, websocket.ErrReadLimit) || errors.Is(err, errMessageTooLarge)
}
