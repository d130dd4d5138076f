package protocol

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico/internal/jsonstrict"
)

// ErrProtocolViolation is wrapped by the error Run returns when the peer broke the protocol
// (malformed or oversized frame, data beyond its credit, a stream id it may not use…).
var ErrProtocolViolation = errors.New("protocol: peer broke the protocol")

// defaultMaxStreams bounds the streams a peer may have open at once when Options.MaxStreams is zero.
const defaultMaxStreams = 64

// minMessageCost is the least credit one Data frame consumes, whatever its length. Without it a peer
// could queue an unbounded number of empty messages inside a bounded window.
const minMessageCost = 64

// maxReasonLen bounds the reason carried by a Close frame or an Error message.
const maxReasonLen = 512

// errorReplyTimeout bounds how long Run tries to tell a misbehaving peer why it is being dropped.
const errorReplyTimeout = time.Second

// messageCost is the credit a message of n bytes consumes. Both sides must compute it the same way.
func messageCost(n int) int {
	if n < minMessageCost {
		return minMessageCost
	}
	return n
}

// frameBufs recycles buffers of MaxFrameSize bytes: encoding buffers, and the buffers large messages
// are read into, which stay with the message until Recv hands it over. An idle connection holds none.
var frameBufs = sync.Pool{New: func() any {
	b := make([]byte, 0, MaxFrameSize)
	return &b
}}

// recycle returns a buffer to frameBufs if it is one of theirs (its capacity says so); the caller
// must own it and not use it again.
func recycle(b []byte) {
	if cap(b) != MaxFrameSize {
		return
	}
	b = b[:0]
	frameBufs.Put(&b)
}

// violationCloser is implemented by transports that report a protocol violation to the peer
// differently from a normal close (the WebSocket transport uses a different status code).
type violationCloser interface {
	closeViolation(reason string) error
}

// connImpl is the state of one Conn. It is kept small: a server holds one per connected agent, and
// the streams map is only allocated when a stream is opened.
type connImpl struct {
	t          Transport
	role       Role
	window     int
	maxStreams int
	onControl  func(Message)
	onStream   func(*Stream)

	// wlock serialises writes to the transport. It is a channel rather than a mutex so that a writer
	// waiting for it can give up when its context ends.
	wlock   chan struct{}
	done    chan struct{}
	running atomic.Bool

	mu         sync.Mutex
	streams    map[uint32]*streamImpl
	nextID     uint32 // next id this side allocates
	lastPeerID uint32 // highest id the peer opened
	peerOpen   int    // streams opened by the peer and still live
	closed     bool
	cause      error // why the connection ended; nil after Close
}

func newConn(t Transport, opt Options) *Conn {
	c := &connImpl{
		t:          t,
		role:       opt.Role,
		window:     opt.Window,
		maxStreams: opt.MaxStreams,
		onControl:  opt.OnControl,
		onStream:   opt.OnStream,
		wlock:      make(chan struct{}, 1),
		done:       make(chan struct{}),
		nextID:     2,
	}
	if c.window == 0 {
		c.window = DefaultWindow
	}
	if c.window < MaxPayload {
		c.window = MaxPayload
	}
	if c.maxStreams <= 0 {
		c.maxStreams = defaultMaxStreams
	}
	if c.role == RoleAgent {
		c.nextID = 1
	}
	return &Conn{impl: c}
}

// ownsID reports whether this side allocates id.
func (c *connImpl) ownsID(id uint32) bool {
	if c.role == RoleAgent {
		return id%2 == 1
	}
	return id%2 == 0
}

// usedIDLocked reports whether id belongs to a stream that existed on this connection. Ids are never
// reused, so a frame for a used id that is no longer live is a late frame of a closed stream: it is
// dropped rather than treated as a violation, because the peer may have sent it before it learnt of
// the close.
func (c *connImpl) usedIDLocked(id uint32) bool {
	if c.ownsID(id) {
		return id < c.nextID
	}
	return id <= c.lastPeerID
}

// run is the read loop.
func (c *connImpl) run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("protocol: Run called twice")
	}
	for {
		b, err := c.t.ReadMessage(ctx)
		if c.isClosed() {
			return c.endCause()
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				err = fmt.Errorf("protocol: read: %w", ctxErr)
			} else {
				err = fmt.Errorf("protocol: read: %w", err)
			}
			c.shutdown(err, "connection ended", false)
			return c.endCause()
		}
		if err := c.handle(ctx, b); err != nil {
			c.violation(err)
			return c.endCause()
		}
	}
}

// violation tells the peer what it did wrong, if it can, and ends the connection.
func (c *connImpl) violation(err error) {
	msg := err.Error()
	if len(msg) > maxReasonLen {
		msg = msg[:maxReasonLen]
	}
	msg = strings.ToValidUTF8(msg, "?")
	if payload, encErr := EncodeMessage(MsgError, Error{Code: "protocol_violation", Message: msg}); encErr == nil {
		ctx, cancel := context.WithTimeout(context.Background(), errorReplyTimeout)
		// The write may fail or time out: the peer is misbehaving anyway.
		_ = c.writeFrame(ctx, Frame{Type: FrameControl, Payload: payload}, true)
		cancel()
	}
	c.shutdown(err, "protocol violation", true)
}

func (c *connImpl) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

func (c *connImpl) endCause() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.cause
}

// handle processes one frame read from the peer. An error is a protocol violation.
func (c *connImpl) handle(ctx context.Context, b []byte) error {
	f, err := DecodeFrame(b)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrProtocolViolation, err)
	}
	switch f.Type {
	case FrameControl:
		m, err := DecodeMessage(f.Payload)
		if err != nil {
			return fmt.Errorf("%w: %w", ErrProtocolViolation, err)
		}
		if c.onControl != nil {
			c.onControl(m)
		}
		return nil
	case FrameOpen:
		return c.handleOpen(ctx, f)
	case FrameData:
		return c.handleData(f, b)
	case FrameWindow:
		return c.handleWindow(f)
	case FrameClose:
		return c.handleClose(f)
	}
	// DecodeFrame refuses unknown types; this is only reached if a type is added without a case.
	return fmt.Errorf("%w: unhandled %s frame", ErrProtocolViolation, f.Type)
}

func (c *connImpl) handleOpen(ctx context.Context, f Frame) error {
	if c.ownsID(f.Stream) {
		return fmt.Errorf("%w: open of stream %d, an id the peer may not allocate", ErrProtocolViolation, f.Stream)
	}
	var req OpenRequest
	if err := jsonstrict.Unmarshal(f.Payload, &req); err != nil {
		return fmt.Errorf("%w: %w: open of stream %d: %v", ErrProtocolViolation, ErrMalformed, f.Stream, err)
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	if f.Stream <= c.lastPeerID {
		last := c.lastPeerID
		c.mu.Unlock()
		return fmt.Errorf("%w: open of stream %d after stream %d (ids must increase)", ErrProtocolViolation, f.Stream, last)
	}
	c.lastPeerID = f.Stream
	refusal := ""
	switch {
	case c.onStream == nil:
		refusal = "refused: this side accepts no streams"
	case c.peerOpen >= c.maxStreams:
		refusal = fmt.Sprintf("refused: more than %d streams open", c.maxStreams)
	}
	var s *streamImpl
	if refusal == "" {
		s = c.newStreamLocked(f.Stream, req, true)
	}
	c.mu.Unlock()

	if s == nil {
		// The id now counts as used, so whatever data the peer sent before learning of the refusal is
		// dropped quietly.
		if err := c.writeFrame(ctx, Frame{Type: FrameClose, Stream: f.Stream, Payload: []byte(refusal)}, false); err != nil {
			return nil // the transport failed; the next read reports it
		}
		return nil
	}
	go c.serveStream(s)
	return nil
}

// serveStream runs OnStream for a stream the peer opened, and closes the stream when it returns.
func (c *connImpl) serveStream(s *streamImpl) {
	defer s.close("")
	c.onStream(&s.api)
}

// lookup returns the live stream with id, nil for a late frame of a closed stream, or an error when the
// id was never used.
func (c *connImpl) lookup(f Frame) (*streamImpl, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.streams[f.Stream]; s != nil {
		return s, nil
	}
	if c.closed || c.usedIDLocked(f.Stream) {
		return nil, nil
	}
	return nil, fmt.Errorf("%w: %s frame for stream %d, which was never opened", ErrProtocolViolation, f.Type, f.Stream)
}

// handleData queues a data frame's payload on its stream. b is the whole frame; the stream gives it
// back to frameBufs once the payload has been received.
func (c *connImpl) handleData(f Frame, b []byte) error {
	s, err := c.lookup(f)
	if s == nil {
		recycle(b)
		return err
	}
	return s.deliver(f.Payload, b)
}

func (c *connImpl) handleWindow(f Frame) error {
	inc, n := binary.Uvarint(f.Payload)
	if n <= 0 || n != len(f.Payload) {
		return fmt.Errorf("%w: %w: window frame for stream %d", ErrProtocolViolation, ErrMalformed, f.Stream)
	}
	s, err := c.lookup(f)
	if s == nil {
		return err
	}
	return s.grant(inc)
}

func (c *connImpl) handleClose(f Frame) error {
	c.mu.Lock()
	s := c.streams[f.Stream]
	if s == nil {
		used := c.closed || c.usedIDLocked(f.Stream)
		c.mu.Unlock()
		if used {
			return nil // both sides closed at once, or a refusal of a stream we already gave up
		}
		return fmt.Errorf("%w: close of stream %d, which was never opened", ErrProtocolViolation, f.Stream)
	}
	c.removeLocked(s)
	c.mu.Unlock()

	reason := strings.ToValidUTF8(string(f.Payload), "?")
	var err error = io.EOF
	if reason != "" {
		err = &StreamError{Reason: reason}
	}
	s.endByPeer(err)
	return nil
}

func (c *connImpl) newStreamLocked(id uint32, req OpenRequest, byPeer bool) *streamImpl {
	s := &streamImpl{
		c:          c,
		id:         id,
		req:        req,
		byPeer:     byPeer,
		done:       make(chan struct{}),
		readable:   make(chan struct{}, 1),
		writable:   make(chan struct{}, 1),
		credit:     c.window,
		peerCredit: c.window,
	}
	s.api.impl = s
	if c.streams == nil {
		c.streams = make(map[uint32]*streamImpl)
	}
	c.streams[id] = s
	if byPeer {
		c.peerOpen++
	}
	return s
}

// removeLocked forgets a live stream. Its id stays used.
func (c *connImpl) removeLocked(s *streamImpl) {
	if c.streams[s.id] != s {
		return
	}
	delete(c.streams, s.id)
	if s.byPeer {
		c.peerOpen--
	}
	if len(c.streams) == 0 {
		c.streams = nil // give the map's memory back on idle connections
	}
}

// writeFrame encodes f and writes it under the write lock. The wait for the lock honours ctx; the
// write itself does not, unless cancellable is set, because cancelling a write half-way would break
// the transport (a WebSocket connection is closed when a write's context ends).
func (c *connImpl) writeFrame(ctx context.Context, f Frame, cancellable bool) error {
	bp := frameBufs.Get().(*[]byte)
	defer frameBufs.Put(bp)
	b, err := AppendFrame((*bp)[:0], f)
	if err != nil {
		return err
	}
	*bp = b
	return c.writeEncoded(ctx, f.Type, b, cancellable)
}

// writeEncoded writes an encoded frame of type typ under the write lock, as writeFrame does.
func (c *connImpl) writeEncoded(ctx context.Context, typ FrameType, b []byte, cancellable bool) error {
	if err := c.lockWrites(ctx); err != nil {
		return err
	}
	defer func() { <-c.wlock }()
	select {
	case <-c.done:
		return c.closedErr()
	default:
	}
	wctx := ctx
	if !cancellable {
		wctx = context.WithoutCancel(ctx)
	}
	if err := c.t.WriteMessage(wctx, b); err != nil {
		if c.isClosed() {
			return c.closedErr()
		}
		if cancellable && ctx.Err() != nil {
			return ctx.Err()
		}
		// A transport that failed a write is broken; Run's next read reports it and ends the
		// connection.
		return fmt.Errorf("protocol: write %s frame: %w", typ, err)
	}
	return nil
}

// lockWrites takes the write lock, giving up when ctx or the connection ends. A free lock is taken
// even when ctx has already ended, so that the outcome does not depend on select's random choice.
func (c *connImpl) lockWrites(ctx context.Context) error {
	select {
	case c.wlock <- struct{}{}:
		return nil
	default:
	}
	select {
	case c.wlock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-c.done:
		return c.closedErr()
	}
}

// closedErr is what operations return once the connection has ended.
func (c *connImpl) closedErr() error {
	if cause := c.endCause(); cause != nil {
		return fmt.Errorf("%w: %w", ErrClosed, cause)
	}
	return ErrClosed
}

// shutdown ends the connection once: it records why, ends every stream, closes the transport and
// closes done. cause is nil for a local Close.
func (c *connImpl) shutdown(cause error, reason string, violation bool) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	c.cause = cause
	streams := c.streams
	c.streams = nil
	c.peerOpen = 0
	c.mu.Unlock()

	streamErr := error(ErrClosed)
	if cause != nil {
		streamErr = fmt.Errorf("%w: %w", ErrClosed, cause)
	}
	for _, s := range streams {
		s.endByConn(streamErr)
	}
	if vc, ok := c.t.(violationCloser); ok && violation {
		_ = vc.closeViolation(reason)
	} else {
		_ = c.t.Close(reason)
	}
	close(c.done)
}

func (c *connImpl) send(ctx context.Context, typ string, body any) error {
	payload, err := EncodeMessage(typ, body)
	if err != nil {
		return err
	}
	return c.writeFrame(ctx, Frame{Type: FrameControl, Payload: payload}, false)
}

func (c *connImpl) open(ctx context.Context, req OpenRequest) (*Stream, error) {
	payload, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("protocol: open: %w", err)
	}
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("protocol: open: %w: request of %d bytes", ErrFrameTooLarge, len(payload))
	}
	// The id is allocated under the write lock so that Open frames leave in increasing id order,
	// which the peer checks.
	if err := c.lockWrites(ctx); err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		<-c.wlock
		return nil, c.closedErr()
	}
	if c.nextID > 1<<32-3 {
		c.mu.Unlock()
		<-c.wlock
		return nil, errors.New("protocol: open: stream ids exhausted")
	}
	id := c.nextID
	c.nextID += 2
	s := c.newStreamLocked(id, req, false)
	c.mu.Unlock()

	bp := frameBufs.Get().(*[]byte)
	b, err := AppendFrame((*bp)[:0], Frame{Type: FrameOpen, Stream: id, Payload: payload})
	if err == nil {
		*bp = b
		err = c.t.WriteMessage(context.WithoutCancel(ctx), b)
	}
	frameBufs.Put(bp)
	<-c.wlock
	if err != nil {
		c.mu.Lock()
		c.removeLocked(s)
		c.mu.Unlock()
		s.endByConn(ErrClosed)
		if c.isClosed() {
			return nil, c.closedErr()
		}
		return nil, fmt.Errorf("protocol: write open frame: %w", err)
	}
	return &s.api, nil
}

func (c *connImpl) close(reason string) error {
	c.shutdown(nil, reason, false)
	return nil
}

// streamImpl is the state of one stream. Its receive queue is allocated when the first message
// arrives and released when it drains.
type streamImpl struct {
	api    Stream
	c      *connImpl
	id     uint32
	req    OpenRequest
	byPeer bool
	done   chan struct{}
	// readable and writable wake a waiting Recv or Send; each holds at most one pending signal.
	readable chan struct{}
	writable chan struct{}

	mu         sync.Mutex
	ended      bool
	sendErr    error      // what Send returns once ended
	recvErr    error      // what Recv returns once ended and the queue is drained
	queue      []received // received messages not yet returned by Recv
	head       int        // index of the next message in queue
	credit     int        // bytes this side may still send
	peerCredit int        // bytes the peer may still send
	consumed   int        // bytes returned by Recv and not yet granted back to the peer
}

// received is a message waiting in a stream's queue, and the frame buffer it was read into: msg is
// the tail of frame, which RecvInPlace relies on.
type received struct {
	msg   []byte
	frame []byte
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

// deliver queues a message received from the peer; frame is the buffer it was read into.
func (s *streamImpl) deliver(msg, frame []byte) error {
	cost := messageCost(len(msg))
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		recycle(frame)
		return nil
	}
	if cost > s.peerCredit {
		credit := s.peerCredit
		s.mu.Unlock()
		recycle(frame)
		return fmt.Errorf("%w: stream %d: %d bytes of data beyond a credit of %d", ErrProtocolViolation, s.id, cost, credit)
	}
	s.peerCredit -= cost
	s.queue = append(s.queue, received{msg: msg, frame: frame})
	s.mu.Unlock()
	signal(s.readable)
	return nil
}

// grant adds send credit returned by the peer.
func (s *streamImpl) grant(inc uint64) error {
	s.mu.Lock()
	if s.ended {
		s.mu.Unlock()
		return nil
	}
	// The peer can only return credit this side spent: anything more is a broken peer.
	if inc > uint64(s.c.window-s.credit) {
		credit := s.credit
		s.mu.Unlock()
		return fmt.Errorf("%w: stream %d: window increment of %d on a credit of %d exceeds the window of %d", ErrProtocolViolation, s.id, inc, credit, s.c.window)
	}
	s.credit += int(inc)
	s.mu.Unlock()
	signal(s.writable)
	return nil
}

// endLocked marks the stream ended; the caller holds s.mu and closes done after unlocking.
func (s *streamImpl) endLocked(sendErr, recvErr error, dropQueue bool) bool {
	if s.ended {
		return false
	}
	s.ended = true
	s.sendErr = sendErr
	s.recvErr = recvErr
	if dropQueue {
		s.queue, s.head = nil, 0
	}
	return true
}

// endByPeer ends the stream after the peer closed it; messages already received can still be read.
func (s *streamImpl) endByPeer(err error) {
	sendErr := error(ErrClosed)
	var se *StreamError
	if errors.As(err, &se) {
		sendErr = err
	}
	s.mu.Lock()
	ok := s.endLocked(sendErr, err, false)
	s.mu.Unlock()
	if ok {
		close(s.done)
	}
}

// endByConn ends the stream because the connection ended.
func (s *streamImpl) endByConn(err error) {
	s.mu.Lock()
	ok := s.endLocked(err, err, true)
	s.mu.Unlock()
	if ok {
		close(s.done)
	}
}

func (s *streamImpl) send(ctx context.Context, msg []byte) error {
	return s.sendData(ctx, msg, func() error {
		return s.c.writeFrame(ctx, Frame{Type: FrameData, Stream: s.id, Payload: msg}, false)
	})
}

func (s *streamImpl) sendInPlace(ctx context.Context, buf []byte) error {
	if len(buf) < FrameHeadroom {
		return fmt.Errorf("protocol: stream %d: SendInPlace needs %d bytes of headroom, got a buffer of %d", s.id, FrameHeadroom, len(buf))
	}
	msg := buf[FrameHeadroom:]
	return s.sendData(ctx, msg, func() error {
		var hdr [FrameHeadroom]byte
		h := binary.AppendUvarint(append(hdr[:0], byte(FrameData)), uint64(s.id))
		start := FrameHeadroom - len(h)
		copy(buf[start:], h)
		return s.c.writeEncoded(ctx, FrameData, buf[start:], false)
	})
}

// sendData takes the credit a message of msg's size costs, waiting for it, and then writes it with
// write. Credit taken for a write that did not happen is given back.
func (s *streamImpl) sendData(ctx context.Context, msg []byte, write func() error) error {
	if len(msg) > MaxPayload {
		return fmt.Errorf("protocol: stream %d: %w: message of %d bytes, at most %d", s.id, ErrFrameTooLarge, len(msg), MaxPayload)
	}
	cost := messageCost(len(msg))
	for {
		s.mu.Lock()
		if s.ended {
			err := s.sendErr
			s.mu.Unlock()
			return err
		}
		if cost <= s.credit {
			s.credit -= cost
			left := s.credit
			s.mu.Unlock()
			if left > 0 {
				// Another Send may be waiting for what is left.
				signal(s.writable)
			}
			break
		}
		s.mu.Unlock()
		select {
		case <-s.writable:
		case <-s.done:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if err := write(); err != nil {
		if ctx.Err() != nil {
			// Nothing was written: give the credit back.
			s.mu.Lock()
			s.credit += cost
			s.mu.Unlock()
			signal(s.writable)
		}
		return err
	}
	return nil
}

func (s *streamImpl) recv(ctx context.Context) ([]byte, error) {
	r, err := s.next(ctx)
	if err != nil {
		return nil, err
	}
	if cap(r.frame) != MaxFrameSize {
		return r.msg, nil // the message has a buffer of its own
	}
	msg := bytes.Clone(r.msg)
	recycle(r.frame)
	return msg, nil
}

func (s *streamImpl) recvFunc(ctx context.Context, fn func([]byte) error) error {
	r, err := s.next(ctx)
	if err != nil {
		return err
	}
	err = fn(r.msg)
	recycle(r.frame)
	return err
}

func (s *streamImpl) recvInPlace(ctx context.Context, fn func([]byte) error) error {
	r, err := s.next(ctx)
	if err != nil {
		return err
	}
	// The message is the tail of the frame it was decoded from (handleData), after a header of at
	// least RecvRoom bytes.
	err = fn(r.frame[len(r.frame)-len(r.msg)-RecvRoom:])
	recycle(r.frame)
	return err
}

// next takes the next message from the queue, waiting for one, and returns credit to the peer.
func (s *streamImpl) next(ctx context.Context) (received, error) {
	for {
		s.mu.Lock()
		if s.head < len(s.queue) {
			r := s.queue[s.head]
			s.queue[s.head] = received{}
			s.head++
			if s.head == len(s.queue) {
				s.queue, s.head = s.queue[:0], 0
				if cap(s.queue) > 64 {
					s.queue = nil // a burst is over: release its backing array
				}
			}
			grant := 0
			if !s.ended {
				s.consumed += messageCost(len(r.msg))
				if s.consumed >= s.c.window/2 {
					grant = s.consumed
					s.consumed = 0
					s.peerCredit += grant
				}
			}
			s.mu.Unlock()
			if grant > 0 {
				s.sendWindow(ctx, grant)
			}
			return r, nil
		}
		if s.ended {
			err := s.recvErr
			s.mu.Unlock()
			return received{}, err
		}
		s.mu.Unlock()
		select {
		case <-s.readable:
		case <-s.done:
		case <-ctx.Done():
			return received{}, ctx.Err()
		}
	}
}

// sendWindow returns credit to the peer. It ignores ctx's cancellation: the message has been taken
// from the queue, and losing the grant would stall the stream for good.
func (s *streamImpl) sendWindow(ctx context.Context, n int) {
	var buf [binary.MaxVarintLen64]byte
	payload := binary.AppendUvarint(buf[:0], uint64(n))
	// An error means the connection is ending; Recv reports that on its next call.
	_ = s.c.writeFrame(context.WithoutCancel(ctx), Frame{Type: FrameWindow, Stream: s.id, Payload: payload}, false)
}

func (s *streamImpl) close(reason string) error {
	s.mu.Lock()
	ok := s.endLocked(ErrClosed, ErrClosed, true)
	s.mu.Unlock()
	if !ok {
		return nil
	}
	close(s.done)
	c := s.c
	c.mu.Lock()
	c.removeLocked(s)
	closed := c.closed
	c.mu.Unlock()
	if closed {
		return nil
	}
	if len(reason) > maxReasonLen {
		reason = reason[:maxReasonLen]
	}
	reason = strings.ToValidUTF8(reason, "?")
	err := c.writeFrame(context.Background(), Frame{Type: FrameClose, Stream: s.id, Payload: []byte(reason)}, false)
	if err != nil && errors.Is(err, ErrClosed) {
		return nil
	}
	return err
}
