package hub

import (
	"context"
	"errors"
	"io"
	"sync"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/protocol"
)

// techConn is a technician's session WebSocket. The JSON writer and the relays of every channel write
// to it, so writes take a lock; a close does not, so that it can end a write blocked on a technician
// who stopped reading.
type techConn struct {
	ws       *websocket.Conn
	wmu      sync.Mutex
	readDone chan struct{} // closed by the session's read loop when it returns
}

func newTechConn(ws *websocket.Conn) *techConn {
	return &techConn{ws: ws, readDone: make(chan struct{})}
}

// reader returns the next message.
func (t *techConn) reader() (int, io.Reader, error) { return t.ws.NextReader() }

// write sends one message, giving up at ctx's deadline (none: it waits for the technician).
func (t *techConn) write(ctx context.Context, typ int, b []byte) error {
	t.wmu.Lock()
	defer t.wmu.Unlock()
	deadline, _ := ctx.Deadline()
	_ = t.ws.SetWriteDeadline(deadline)
	return t.ws.WriteMessage(typ, b)
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
