package protocol

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// maxCloseReason is the longest reason a WebSocket close frame carries (125 bytes less the status).
const maxCloseReason = 123

// closeWait bounds how long Close waits for the peer to answer the close frame before it drops the
// TCP connection.
const closeWait = 2 * time.Second

// Buffer sizes of the protocol's WebSocket connections. Reads use a small buffer, because every
// connected agent holds one, and payloads larger than it are read into the message directly. Write
// buffers are only lent for the length of a write (an idle connection holds none). A client masks
// what it sends, so its buffer fits a whole frame and a frame leaves in one write; a server only
// copies what fits in its small buffer and sends the rest with the same vectored write.
const (
	readBufferSize        = 1 << 10
	clientWriteBufferSize = MaxFrameSize + 16
	serverWriteBufferSize = 4 << 10
)

var (
	clientWriteBuffers = &sync.Pool{}
	serverWriteBuffers = &sync.Pool{}
)

// handshakeTimeout bounds the opening handshake on both sides.
const handshakeTimeout = 30 * time.Second

// Upgrader returns the upgrader for WebSocket connections served with this package: agents and
// technicians' sessions. Its origin check is the default one, which refuses a browser page of
// another origin.
func Upgrader() *websocket.Upgrader {
	return &websocket.Upgrader{HandshakeTimeout: handshakeTimeout, ReadBufferSize: readBufferSize,
		WriteBufferSize: serverWriteBufferSize, WriteBufferPool: serverWriteBuffers}
}

// Dialer returns the dialer agents connect with. It honours the HTTP proxy environment variables
// and uses tlsConfig (nil: the system's roots) for wss URLs.
func Dialer(tlsConfig *tls.Config) *websocket.Dialer {
	return &websocket.Dialer{Proxy: http.ProxyFromEnvironment, TLSClientConfig: tlsConfig,
		HandshakeTimeout: handshakeTimeout, ReadBufferSize: readBufferSize,
		WriteBufferSize: clientWriteBufferSize, WriteBufferPool: clientWriteBuffers}
}

// wsTransport carries frames as binary WebSocket messages.
type wsTransport struct {
	c *websocket.Conn
	// readEnded is closed when ReadMessage fails, which is how Close learns that the peer answered
	// its close frame (or that the connection is gone).
	readEnded chan struct{}
	endOnce   sync.Once
	reading   chan struct{} // holds a token while a ReadMessage is in progress

	// The context reads are watched for, kept from one ReadMessage to the next: Run passes the same
	// one every time, and registering with it once per connection rather than once per message
	// spares the server's shared context a lock and a map update per heartbeat.
	readCtx   context.Context
	stopWatch func() bool
}

// WebSocket returns a Transport over an established WebSocket connection. It sets the connection's
// read limit to MaxFrameSize, so a peer sending a larger message fails the read and loses its
// connection.
//
// A context that ends during ReadMessage or WriteMessage closes the connection, as a half-read or
// half-written frame cannot be resumed; Conn only passes cancellable contexts where that is intended.
func WebSocket(c *websocket.Conn) Transport {
	c.SetReadLimit(MaxFrameSize)
	return &wsTransport{c: c, readEnded: make(chan struct{}), reading: make(chan struct{}, 1)}
}

// closeOn closes the connection once ctx ends, which makes a blocked read or write return, and
// returns the function that stops watching (false when ctx had already ended the connection).
func (t *wsTransport) closeOn(ctx context.Context) func() bool {
	if ctx.Done() == nil {
		return func() bool { return true }
	}
	return context.AfterFunc(ctx, func() { _ = t.c.NetConn().Close() })
}

func (t *wsTransport) ReadMessage(ctx context.Context) ([]byte, error) {
	t.reading <- struct{}{}
	defer func() { <-t.reading }()
	if ctx != t.readCtx {
		if t.stopWatch != nil {
			t.stopWatch()
		}
		t.readCtx, t.stopWatch = ctx, t.closeOn(ctx)
	}
	b, err := t.readMessage()
	if err != nil {
		t.stopWatch()
		t.readCtx, t.stopWatch = nil, nil
		t.endOnce.Do(func() { close(t.readEnded) })
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, fmt.Errorf("%w: %w", ctxErr, err)
		}
	}
	return b, err
}

func (t *wsTransport) readMessage() ([]byte, error) {
	typ, r, err := t.c.NextReader()
	if err != nil {
		return nil, readError(err)
	}
	// Read into a pooled buffer. A large message keeps it: Conn recycles it once the message has
	// been received. A small one is copied out, so that the many small messages of idle agents
	// (heartbeats) do not each hold, then drop, a buffer of MaxFrameSize.
	bp := frameBufs.Get().(*[]byte)
	buf := (*bp)[:cap(*bp)]
	n := 0
	for {
		if n == len(buf) {
			// More than MaxFrameSize: the read limit fails the next read.
			buf = append(buf, 0)[:cap(buf)]
		}
		m, err := r.Read(buf[n:])
		n += m
		if err == io.EOF {
			break
		}
		if err != nil {
			recycle(buf)
			return nil, readError(err)
		}
	}
	if typ != websocket.BinaryMessage {
		recycle(buf)
		return nil, fmt.Errorf("%w: %s websocket message, want binary", ErrMalformed, messageTypeName(typ))
	}
	if n > keepBufferAbove {
		return buf[:n], nil
	}
	msg := bytes.Clone(buf[:n])
	recycle(buf)
	return msg, nil
}

// keepBufferAbove is the size above which a message read stays in its pooled buffer rather than
// being copied out.
const keepBufferAbove = 16 << 10

func (t *wsTransport) WriteMessage(ctx context.Context, b []byte) error {
	// Writes are serialised by Conn, so setting the deadline here cannot race another write.
	deadline, _ := ctx.Deadline()
	_ = t.c.SetWriteDeadline(deadline)
	stop := t.closeOn(ctx)
	err := t.c.WriteMessage(websocket.BinaryMessage, b)
	if !stop() && err != nil {
		return fmt.Errorf("%w: %w", ctx.Err(), err)
	}
	return err
}

// Close sends a close frame with CloseNormalClosure and the reason, waits (up to two seconds) for
// the peer's answer when a read is in progress to receive it, and closes the connection.
func (t *wsTransport) Close(reason string) error {
	return t.close(websocket.CloseNormalClosure, reason)
}

// closeViolation closes with ClosePolicyViolation, used when the peer broke the protocol.
func (t *wsTransport) closeViolation(reason string) error {
	return t.close(websocket.ClosePolicyViolation, reason)
}

func (t *wsTransport) close(code int, reason string) error {
	// A read in progress sees the peer's answer; with none, nobody would, so there is no wait.
	var answered <-chan struct{}
	select {
	case t.reading <- struct{}{}:
		<-t.reading
	default:
		answered = t.readEnded
	}
	return CloseWebSocket(t.c, code, reason, answered)
}

// CloseWebSocket sends a close frame with code and reason, waits up to two seconds for answered to
// be closed (the read loop's sign that the peer answered; nil waits for nothing), and closes the
// connection. Closing at once could lose the close frame: a socket closed with unread data resets
// the connection.
func CloseWebSocket(c *websocket.Conn, code int, reason string, answered <-chan struct{}) error {
	deadline := time.Now().Add(closeWait)
	msg := websocket.FormatCloseMessage(code, clip(reason, maxCloseReason))
	err := c.WriteControl(websocket.CloseMessage, msg, deadline)
	if err == nil && answered != nil {
		select {
		case <-answered:
		case <-time.After(time.Until(deadline)):
		}
	}
	if cerr := c.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, websocket.ErrCloseSent) {
		err = nil // the peer, or an earlier close, already ended the connection
	}
	return err
}

// readError marks a message beyond the read limit as ErrFrameTooLarge.
func readError(err error) error {
	if errors.Is(err, websocket.ErrReadLimit) {
		return fmt.Errorf("%w: %w", ErrFrameTooLarge, err)
	}
	return err
}

// messageTypeName names a WebSocket message type for errors.
func messageTypeName(typ int) string {
	switch typ {
	case websocket.TextMessage:
		return "text"
	case websocket.BinaryMessage:
		return "binary"
	}
	return fmt.Sprintf("type %d", typ)
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
