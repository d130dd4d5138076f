package protocol

import (
	"context"
	"encoding/binary"
	"errors"
)

// Transport moves whole frames: one ReadMessage returns what one WriteMessage on the other side sent.
// A WebSocket connection in binary mode is the production transport (see WebSocket); tests may use
// an in-memory pipe (see Pipe).
//
// ReadMessage returns a slice the caller owns (Conn hands it to Stream.Recv without copying, and
// recycles it afterwards when its capacity is MaxFrameSize);
// WriteMessage must not keep b after it returns. A Conn calls ReadMessage from Run only, and
// WriteMessage from one goroutine at a time.
type Transport interface {
	ReadMessage(ctx context.Context) ([]byte, error)
	WriteMessage(ctx context.Context, b []byte) error
	// Close ends the connection, telling the peer why when the transport can.
	Close(reason string) error
}

// Role decides which stream ids a side allocates, so both sides can open streams without clashing:
// the server uses even ids, the agent odd ones.
type Role int

// Roles.
const (
	RoleServer Role = iota
	RoleAgent
)

// DefaultWindow is how many bytes of one stream a receiver buffers before the sender must wait.
const DefaultWindow = 1 << 20

// Options configure a Conn.
type Options struct {
	Role Role
	// Window is the per-stream receive window in bytes; DefaultWindow when zero, raised to
	// MaxPayload when smaller. Both sides of a connection must use the same value.
	Window int
	// MaxStreams bounds the streams the peer may have open at once; 64 when zero. An Open beyond it
	// is refused with a Close frame.
	MaxStreams int
	// OnControl is called from the read loop for every control message, in order. It must not block
	// for long: a slow OnControl delays every stream of the connection.
	OnControl func(Message)
	// OnStream is called (in its own goroutine) for every stream the peer opens. The stream is
	// closed when OnStream returns. When nil, peer-opened streams are refused.
	OnStream func(*Stream)
}

// ErrClosed is returned by operations on a closed Conn or Stream.
var ErrClosed = errors.New("protocol: connection closed")

// Conn multiplexes control messages and flow-controlled streams over one Transport. It has no
// goroutine of its own: Run is the read loop and must be called (once); writes happen on the
// caller's goroutine under a lock.
type Conn struct {
	// implementation in conn_impl.go
	impl *connImpl
}

// NewConn wraps a transport.
func NewConn(t Transport, opt Options) *Conn { return newConn(t, opt) }

// Run reads frames until the transport fails, the peer breaks the protocol, ctx ends or Close is
// called. It then closes every stream and returns the reason (nil after Close). When the peer broke
// the protocol the error wraps ErrProtocolViolation (and ErrMalformed or ErrFrameTooLarge when the
// frame itself was bad).
func (c *Conn) Run(ctx context.Context) error { return c.impl.run(ctx) }

// Send sends one control message.
func (c *Conn) Send(ctx context.Context, typ string, body any) error {
	return c.impl.send(ctx, typ, body)
}

// Open opens a stream for one action of a session.
func (c *Conn) Open(ctx context.Context, req OpenRequest) (*Stream, error) {
	return c.impl.open(ctx, req)
}

// Close ends the connection and every stream on it.
func (c *Conn) Close(reason string) error { return c.impl.close(reason) }

// Done is closed when the connection has ended.
func (c *Conn) Done() <-chan struct{} { return c.impl.done }

// Stream is one flow-controlled, message-oriented channel within a Conn. Send and Recv may be used
// from two different goroutines at once.
type Stream struct {
	impl *streamImpl
}

// ID returns the stream id.
func (s *Stream) ID() uint32 { return s.impl.id }

// Request returns what the stream was opened for.
func (s *Stream) Request() OpenRequest { return s.impl.req }

// Send sends one message of at most MaxPayload bytes, waiting while the peer's window is exhausted.
func (s *Stream) Send(ctx context.Context, msg []byte) error { return s.impl.send(ctx, msg) }

// FrameHeadroom is the room SendInPlace needs in front of a message.
const FrameHeadroom = 1 + binary.MaxVarintLen32

// SendInPlace is Send for a message read into a buffer with room in front of it: buf[FrameHeadroom:]
// is the message, and the frame's header is written into buf[:FrameHeadroom], which spares copying
// the message into a frame. buf must not be used again until SendInPlace returns.
func (s *Stream) SendInPlace(ctx context.Context, buf []byte) error {
	return s.impl.sendInPlace(ctx, buf)
}

// Recv returns the next message. It returns io.EOF after the peer closed the stream normally, and
// a *StreamError carrying the peer's reason otherwise.
func (s *Stream) Recv(ctx context.Context) ([]byte, error) { return s.impl.recv(ctx) }

// RecvFunc passes the next message to fn and returns fn's error, with Recv's errors otherwise. The
// message is only valid until fn returns: its memory is then reused, which spares a copy and an
// allocation per message to consumers that write it on at once (a relay, a file being written).
func (s *Stream) RecvFunc(ctx context.Context, fn func(msg []byte) error) error {
	return s.impl.recvFunc(ctx, fn)
}

// RecvRoom is the room RecvInPlace gives in front of a message: a Data frame's header is at least a
// type byte and a one-byte stream id, and it is no longer needed once the frame is decoded.
const RecvRoom = 2

// RecvInPlace is RecvFunc with room in front of the message: fn gets buf, whose first RecvRoom bytes
// it may overwrite and whose rest is the message. A relay that puts a header of its own in front of
// the message then writes it on without copying it. buf is only valid until fn returns.
func (s *Stream) RecvInPlace(ctx context.Context, fn func(buf []byte) error) error {
	return s.impl.recvInPlace(ctx, fn)
}

// Close ends the stream in both directions. A non-empty reason reaches the peer as a *StreamError.
func (s *Stream) Close(reason string) error { return s.impl.close(reason) }

// Done is closed when the stream has ended, from either side.
func (s *Stream) Done() <-chan struct{} { return s.impl.done }

// StreamError is the reason a peer gave for closing a stream.
type StreamError struct{ Reason string }

func (e *StreamError) Error() string { return "protocol: stream closed: " + e.Reason }
