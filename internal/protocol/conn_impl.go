package protocol

import "context"

// Placeholder so the API compiles; the real multiplexer replaces this file.

type connImpl struct{ done chan struct{} }

type streamImpl struct {
	id   uint32
	req  OpenRequest
	done chan struct{}
}

func newConn(t Transport, opt Options) *Conn {
	return &Conn{impl: &connImpl{done: make(chan struct{})}}
}

func (c *connImpl) run(ctx context.Context) error                        { panic("not implemented") }
func (c *connImpl) send(ctx context.Context, typ string, body any) error { panic("not implemented") }
func (c *connImpl) open(ctx context.Context, r OpenRequest) (*Stream, error) {
	panic("not implemented")
}
func (c *connImpl) close(reason string) error                    { panic("not implemented") }
func (s *streamImpl) send(ctx context.Context, msg []byte) error { panic("not implemented") }
func (s *streamImpl) recv(ctx context.Context) ([]byte, error)   { panic("not implemented") }
func (s *streamImpl) close(reason string) error                  { panic("not implemented") }
