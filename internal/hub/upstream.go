package hub

import (
	"sync"

	"github.com/portico-dev/portico/internal/protocol"
)

// upstreamDepth is how many of the technician's binary messages may be read ahead of the one being
// sent to the agent. Each takes a buffer of the largest message, allocated when first needed.
const upstreamDepth = 3

// upstream sends the technician's binary messages to the agent's streams on a goroutine of its own,
// so that reading the next message from the technician (a read, and unmasking it) overlaps writing
// this one to the agent. When every buffer is in use, the read loop waits for one: a slow agent
// still stops the technician's reads, which is the backpressure.
type upstream struct {
	s       *session
	queue   chan []byte // messages to send, in the order read
	free    chan []byte // buffers sent and ready for reuse
	made    int         // buffers allocated so far (read loop only)
	pending sync.WaitGroup
	done    chan struct{}
}

func (s *session) startUpstream() *upstream {
	u := &upstream{s: s, queue: make(chan []byte, upstreamDepth), free: make(chan []byte, upstreamDepth),
		done: make(chan struct{})}
	go u.run()
	return u
}

func (u *upstream) run() {
	defer close(u.done)
	for buf := range u.queue {
		u.s.fromTechBinary(buf)
		u.free <- buf[:cap(buf)]
		u.pending.Done()
	}
}

// buffer returns a buffer to read the next message into (after protocol.FrameHeadroom bytes of
// room), waiting while all of them are queued or being sent.
func (u *upstream) buffer() []byte {
	select {
	case buf := <-u.free:
		return buf
	default:
	}
	if u.made < upstreamDepth {
		u.made++
		return make([]byte, protocol.FrameHeadroom+maxTechMessage)
	}
	return <-u.free
}

// send queues a message read into buf; buf is the upstream's until buffer returns it again.
func (u *upstream) send(buf []byte) {
	u.pending.Add(1)
	u.queue <- buf
}

// release gives back a buffer that was not sent.
func (u *upstream) release(buf []byte) { u.free <- buf[:cap(buf)] }

// drain waits until every queued message has been sent, so that what the technician says next
// (closing a channel, say) cannot overtake the data sent before it.
func (u *upstream) drain() { u.pending.Wait() }

// stop sends what is queued and ends the goroutine.
func (u *upstream) stop() {
	close(u.queue)
	<-u.done
}
