package protocol

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/coder/websocket"
)

// maxCloseReason is the longest reason a WebSocket close frame carries (125 bytes less the status).
const maxCloseReason = 123

// wsTransport carries frames as binary WebSocket messages.
type wsTransport struct {
	c *websocket.Conn
}

// WebSocket returns a Transport over an established WebSocket connection. It sets the connection's
// read limit to MaxFrameSize, so a peer sending a larger message fails the read and loses its
// connection.
//
// As with coder/websocket itself, a context that ends during ReadMessage or WriteMessage closes the
// connection; Conn only passes cancellable contexts where that is intended.
func WebSocket(c *websocket.Conn) Transport {
	c.SetReadLimit(MaxFrameSize)
	return &wsTransport{c: c}
}

func (t *wsTransport) ReadMessage(ctx context.Context) ([]byte, error) {
	typ, r, err := t.c.Reader(ctx)
	if err != nil {
		return nil, err
	}
	// Read into a pooled buffer and copy out the exact size: one allocation per message instead of
	// the many of a growing buffer.
	bp := frameBufs.Get().(*[]byte)
	defer frameBufs.Put(bp)
	buf := (*bp)[:cap(*bp)]
	n := 0
	for {
		if n == len(buf) {
			// More than MaxFrameSize: the read limit fails the next read.
			buf = append(buf, 0)[:cap(buf)]
			*bp = buf
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			if errors.Is(err, websocket.ErrMessageTooBig) {
				return nil, fmt.Errorf("%w: %w", ErrFrameTooLarge, err)
			}
			return nil, err
		}
	}
	if typ != websocket.MessageBinary {
		return nil, fmt.Errorf("%w: %v websocket message, want binary", ErrMalformed, typ)
	}
	return bytes.Clone(buf[:n]), nil
}

func (t *wsTransport) WriteMessage(ctx context.Context, b []byte) error {
	return t.c.Write(ctx, websocket.MessageBinary, b)
}

// Close performs the WebSocket close handshake with StatusNormalClosure. It may wait a few seconds
// for a peer that does not answer.
func (t *wsTransport) Close(reason string) error {
	return t.c.Close(websocket.StatusNormalClosure, clip(reason, maxCloseReason))
}

// closeViolation closes with StatusPolicyViolation, used when the peer broke the protocol.
func (t *wsTransport) closeViolation(reason string) error {
	return t.c.Close(websocket.StatusPolicyViolation, clip(reason, maxCloseReason))
}

// clip shortens s to at most n bytes without cutting a UTF-8 sequence.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
