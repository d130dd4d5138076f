package protocol

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// pipeBuffer is how many messages one direction of a Pipe holds before WriteMessage waits.
const pipeBuffer = 4

// pipeShared is the state both ends of a Pipe share: closing either end closes both, as with a
// network connection.
type pipeShared struct {
	once   sync.Once
	done   chan struct{}
	reason string
}

type pipeEnd struct {
	in     <-chan []byte
	out    chan<- []byte
	shared *pipeShared
}

// Pipe returns the two ends of an in-memory Transport, for tests. Messages are copied; each
// direction buffers a few messages, then WriteMessage waits for the peer to read.
func Pipe() (Transport, Transport) {
	ab := make(chan []byte, pipeBuffer)
	ba := make(chan []byte, pipeBuffer)
	shared := &pipeShared{done: make(chan struct{})}
	return &pipeEnd{in: ba, out: ab, shared: shared}, &pipeEnd{in: ab, out: ba, shared: shared}
}

func (p *pipeEnd) closedErr() error {
	return fmt.Errorf("protocol: pipe closed: %w (%s)", io.ErrClosedPipe, p.shared.reason)
}

func (p *pipeEnd) ReadMessage(ctx context.Context) ([]byte, error) {
	// Messages written before the close are still delivered, as on a network connection.
	select {
	case b := <-p.in:
		return b, nil
	default:
	}
	select {
	case b := <-p.in:
		return b, nil
	case <-p.shared.done:
		return nil, p.closedErr()
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (p *pipeEnd) WriteMessage(ctx context.Context, b []byte) error {
	select {
	case <-p.shared.done:
		return p.closedErr()
	default:
	}
	m := append([]byte(nil), b...)
	select {
	case p.out <- m:
		return nil
	case <-p.shared.done:
		return p.closedErr()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (p *pipeEnd) Close(reason string) error {
	p.shared.once.Do(func() {
		p.shared.reason = reason
		close(p.shared.done)
	})
	return nil
}
