package protocol

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// drain is an OnStream handler that reads until the stream ends and reports how many bytes it got.
func drain(got chan<- int) func(*Stream) {
	return func(s *Stream) {
		n := 0
		for {
			msg, err := s.Recv(context.Background())
			if err != nil {
				got <- n
				return
			}
			n += len(msg)
		}
	}
}

// benchSend sends 32 KiB messages on a new stream of opener until the benchmark ends, then checks that
// the peer received all of them.
func benchSend(b *testing.B, opener *Conn, got <-chan int) {
	ctx := context.Background()
	s, err := opener.Open(ctx, OpenRequest{SessionID: "bench", Action: "file_transfer"})
	if err != nil {
		b.Fatal(err)
	}
	msg := make([]byte, 32<<10)
	b.SetBytes(int64(len(msg)))
	b.ReportAllocs()
	sent := 0
	for b.Loop() {
		if err := s.Send(ctx, msg); err != nil {
			b.Fatal(err)
		}
		sent += len(msg)
	}
	if err := s.Close(""); err != nil {
		b.Fatal(err)
	}
	if n := <-got; n != sent {
		b.Fatalf("peer received %d bytes, sent %d", n, sent)
	}
}

func BenchmarkStreamThroughput(b *testing.B) {
	b.Run("pipe", func(b *testing.B) {
		got := make(chan int, 1)
		x, y := Pipe()
		srv := NewConn(x, Options{Role: RoleServer})
		agt := NewConn(y, Options{Role: RoleAgent, OnStream: drain(got)})
		go srv.Run(context.Background())
		go agt.Run(context.Background())
		defer func() {
			srv.Close("")
			agt.Close("")
		}()
		benchSend(b, srv, got)
	})
	b.Run("websocket", func(b *testing.B) {
		got := make(chan int, 1)
		hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ws, err := Upgrader().Upgrade(w, r, nil)
			if err != nil {
				return
			}
			_ = NewConn(WebSocket(ws), Options{Role: RoleServer, OnStream: drain(got)}).Run(r.Context())
		}))
		defer hs.Close()
		ws, _, err := Dialer(nil).Dial("ws"+strings.TrimPrefix(hs.URL, "http"), nil)
		if err != nil {
			b.Fatal(err)
		}
		agt := NewConn(WebSocket(ws), Options{Role: RoleAgent})
		go agt.Run(context.Background())
		defer agt.Close("")
		benchSend(b, agt, got)
	})
}

// heapAndStacks is the memory that idle connections hold: live heap objects and goroutine stacks.
func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}

// BenchmarkConnMemory measures what an idle server-side Conn costs, its Run goroutine included, over
// a Pipe; the Pipe's own cost is reported apart.
func BenchmarkConnMemory(b *testing.B) {
	const n = 2000
	for b.Loop() {
		base := heapAndStacks()
		ends := make([]Transport, 0, n)
		peers := make([]Transport, 0, n)
		for range n {
			x, y := Pipe()
			ends = append(ends, x)
			peers = append(peers, y)
		}
		withPipes := heapAndStacks()
		conns := make([]*Conn, 0, n)
		done := make(chan struct{}, n)
		ready := make(chan struct{}, n)
		onControl := func(Message) { ready <- struct{}{} }
		for _, t := range ends {
			c := NewConn(t, Options{Role: RoleServer, OnControl: onControl, OnStream: func(*Stream) {}})
			conns = append(conns, c)
			go func() {
				_ = c.Run(context.Background())
				done <- struct{}{}
			}()
		}
		// Let every Run handle one message before measuring, so that it is idle in its read.
		hello := mustFrame(Frame{Type: FrameControl, Payload: []byte(`{"type":"hello"}`)})
		for _, p := range peers {
			if err := p.WriteMessage(context.Background(), hello); err != nil {
				b.Fatal(err)
			}
		}
		for range n {
			<-ready
		}
		withConns := heapAndStacks()
		b.ReportMetric(float64(withConns-withPipes)/n, "conn-bytes/op")
		b.ReportMetric(float64(withPipes-base)/n, "pipe-bytes/op")
		for _, c := range conns {
			c.Close("")
		}
		for range conns {
			<-done
		}
		runtime.KeepAlive(peers)
	}
}
