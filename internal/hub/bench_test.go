package hub_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/pprof"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// BenchmarkRelayRoundTrip measures a technician's message through the hub to an agent stream and back
// (the fake agent echoes), one at a time: the latency floor of a terminal keystroke.
func BenchmarkRelayRoundTrip(b *testing.B) {
	for _, size := range []int{64, 16 << 10} {
		b.Run(fmt.Sprintf("%dB", size), func(b *testing.B) {
			e := newEnv(b)
			id, cred := e.device()
			e.online(id, cred)
			tc, _, _ := e.openSession(e.signIn(e.acc.Owner.Email), id, "terminal")
			tc.expect("state", "active")
			tc.send(map[string]any{"type": "open", "channel": 1, "action": "terminal"})
			tc.expect("opened", "")
			msg := append([]byte{1}, bytes.Repeat([]byte{'x'}, size)...)
			b.SetBytes(int64(size))
			b.ResetTimer()
			for b.Loop() {
				if err := tc.c.WriteMessage(websocket.BinaryMessage, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := tc.c.ReadMessage(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// chunkMessage is one file_transfer chunk as the technician's browser sends it: the protocol's
// largest chunk (60 KiB of content behind its 9-byte header).
func chunkMessage(b testing.TB) []byte {
	msg, err := protocol.AppendFileChunk(nil, 0, bytes.Repeat([]byte{0xA5}, protocol.MaxFileChunk))
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

// benchAgent connects an agent written with internal/protocol whose streams are served by onStream,
// says hello, waits for the welcome and heartbeats until the benchmark ends.
func benchAgent(e *env, id, cred string, onStream func(*protocol.Stream)) {
	c, status, err := e.dialAgent(id, cred)
	if err != nil {
		e.t.Fatalf("dial agent: %d %v", status, err)
	}
	runBenchAgent(e.t, c, onStream, e.heartbeat/2)
	e.waitStatus(id, portico.DeviceAvailable)
}

// runBenchAgent speaks the agent protocol on c: it accepts every session, serves streams with
// onStream, says hello, waits for the welcome and heartbeats every beat until the test ends.
func runBenchAgent(tb testing.TB, c *websocket.Conn, onStream func(*protocol.Stream), beat time.Duration) {
	welcome := make(chan struct{}, 1)
	var conn *protocol.Conn
	conn = protocol.NewConn(protocol.WebSocket(c), protocol.Options{Role: protocol.RoleAgent, OnStream: onStream,
		OnControl: func(m protocol.Message) {
			switch m.Type {
			case protocol.MsgWelcome:
				welcome <- struct{}{}
			case protocol.MsgSessionRequest:
				var req protocol.SessionRequest
				if protocol.DecodeBody(m, &req) == nil {
					go conn.Send(context.Background(), protocol.MsgSessionAnswer,
						protocol.SessionAnswer{SessionID: req.SessionID, Accepted: true})
				}
			}
		}})
	runDone := make(chan struct{})
	go func() { defer close(runDone); _ = conn.Run(context.Background()) }()
	tb.Cleanup(func() { conn.Close("benchmark over"); <-runDone })
	must(tb, conn.Send(context.Background(), protocol.MsgHello, protocol.Hello{ProtocolVersion: protocol.Version,
		AgentVersion: "bench", OS: "linux", Arch: "amd64"}))
	select {
	case <-welcome:
	case <-time.After(5 * time.Second):
		tb.Fatal("no welcome")
	}
	go func() {
		t := time.NewTicker(beat)
		defer t.Stop()
		for seq := uint64(1); ; seq++ {
			select {
			case <-conn.Done():
				return
			case <-t.C:
				_ = conn.Send(context.Background(), protocol.MsgHeartbeat, protocol.Heartbeat{Seq: seq, SentAt: time.Now()})
			}
		}
	}()
}

// fileChannel opens a session with file_transfer on a device whose agent serves streams with
// onStream, and returns the technician with channel 1 open.
func fileChannel(b testing.TB, onStream func(*protocol.Stream)) *technician {
	e := newEnv(b)
	id, cred := e.device()
	benchAgent(e, id, cred, onStream)
	tc, _, _ := e.openSession(e.signIn(e.acc.Owner.Email), id, "file_transfer")
	tc.expect("state", "active")
	tc.send(map[string]any{"type": "open", "channel": 1, "action": "file_transfer"})
	tc.expect("opened", "")
	must(b, tc.c.SetReadDeadline(time.Time{})) // expect's deadline would cut a long run short
	return tc
}

// BenchmarkRelayFileTransfer measures file_transfer chunks (60 KiB each) relayed by the hub as fast
// as both ends go: the technician's WebSocket → hub → the agent's stream (upload), and the reverse
// (download). Compare with BenchmarkLoopbackTCPCopy, the same bytes over one plain TCP connection.
func BenchmarkRelayFileTransfer(b *testing.B) {
	chunk := chunkMessage(b)
	upload := func(b *testing.B, write func(tc *technician, msg []byte) error) {
		want := int64(b.N)
		var got atomic.Int64
		all := make(chan struct{})
		tc := fileChannel(b, func(s *protocol.Stream) {
			// The agent consumes chunks as fast as they come, checking each one, with RecvFunc as the
			// agent's file transfer does.
			check := func(msg []byte) error {
				if _, data, err := protocol.DecodeFileChunk(msg); err != nil || len(data) != protocol.MaxFileChunk {
					return errors.New("bad chunk")
				}
				if got.Add(1) == want {
					close(all)
				}
				return nil
			}
			for {
				if err := s.RecvFunc(context.Background(), check); err != nil {
					s.Close(err.Error())
					return
				}
			}
		})
		msg := append([]byte{1}, chunk...)
		b.SetBytes(int64(len(chunk)))
		b.ResetTimer()
		for range b.N {
			if err := write(tc, msg); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-all:
		case <-time.After(time.Minute):
			b.Fatalf("the agent received %d chunks of %d", got.Load(), want)
		}
	}
	b.Run("upload", func(b *testing.B) {
		upload(b, func(tc *technician, msg []byte) error {
			return tc.c.WriteMessage(websocket.BinaryMessage, msg)
		})
	})
	// The technician writes one frame encoded and masked beforehand, as the TCP baseline writes bytes
	// made beforehand: what remains is the relay's own work (reading and unmasking, flow control,
	// framing, writing to the agent) and the agent's.
	b.Run("upload-preencoded", func(b *testing.B) {
		var frame []byte
		upload(b, func(tc *technician, msg []byte) error {
			if frame == nil {
				frame = maskedFrame(msg)
			}
			_, err := tc.c.NetConn().Write(frame)
			return err
		})
	})
	b.Run("download", func(b *testing.B) {
		tc := fileChannel(b, func(s *protocol.Stream) {
			// The technician's first message says how many chunks to send.
			msg, err := s.Recv(context.Background())
			if err != nil || len(msg) != 8 {
				return
			}
			n := binary.BigEndian.Uint64(msg)
			buf := append(make([]byte, protocol.FrameHeadroom, protocol.FrameHeadroom+len(chunk)), chunk...)
			for range n {
				// As the agent's file transfer sends a chunk: from room left in front of it.
				if err := s.SendInPlace(context.Background(), buf); err != nil {
					return
				}
			}
		})
		b.SetBytes(int64(len(chunk)))
		b.ResetTimer()
		must(b, tc.c.WriteMessage(websocket.BinaryMessage, binary.BigEndian.AppendUint64([]byte{1}, uint64(b.N))))
		// The technician reads into one reused buffer, as the TCP baseline does, so that what is
		// measured is the relay rather than this client's allocations.
		buf := make([]byte, 2*len(chunk))
		for range b.N {
			typ, r, err := tc.c.NextReader()
			if err != nil {
				b.Fatal(err)
			}
			n, err := io.ReadFull(r, buf[:1+len(chunk)])
			if err != nil || typ != websocket.BinaryMessage || n != 1+len(chunk) || buf[0] != 1 {
				b.Fatalf("technician got a %v message: %d bytes, %v", typ, n, err)
			}
			if m, _ := r.Read(buf[:1]); m != 0 {
				b.Fatal("technician got a message longer than a chunk")
			}
		}
	})
}

// maskedFrame encodes msg as one binary WebSocket frame from a client, masked with a fixed key.
func maskedFrame(msg []byte) []byte {
	frame := []byte{0x82} // FIN, binary
	switch n := len(msg); {
	case n < 126:
		frame = append(frame, 0x80|byte(n))
	case n <= 0xFFFF:
		frame = binary.BigEndian.AppendUint16(append(frame, 0x80|126), uint16(n))
	default:
		frame = binary.BigEndian.AppendUint64(append(frame, 0x80|127), uint64(n))
	}
	key := [4]byte{0x3A, 0xC5, 0x5C, 0xA3}
	frame = append(frame, key[:]...)
	for i, c := range msg {
		frame = append(frame, c^key[i%4])
	}
	return frame
}

// BenchmarkLoopbackTCPCopy is the baseline of BenchmarkRelayFileTransfer: the same bytes copied over
// one 127.0.0.1 TCP connection with io.Copy, no WebSocket, framing or relay.
func BenchmarkLoopbackTCPCopy(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	defer ln.Close()
	received := make(chan int64, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			received <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		received <- n
	}()
	c, err := net.Dial("tcp", ln.Addr().String())
	must(b, err)
	chunk := chunkMessage(b)
	total := int64(b.N) * int64(len(chunk))
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	if _, err := io.Copy(c, io.LimitReader(repeatReader(chunk), total)); err != nil {
		b.Fatal(err)
	}
	must(b, c.(*net.TCPConn).CloseWrite())
	if n := <-received; n != total {
		b.Fatalf("received %d bytes, sent %d", n, total)
	}
	b.StopTimer()
	c.Close()
}

// BenchmarkLoopbackTCPProxy is a second baseline: the same bytes through a plain forwarder (two TCP
// connections joined by io.Copy), the two hops a relay has, without WebSocket or framing.
func BenchmarkLoopbackTCPProxy(b *testing.B) {
	sink, err := net.Listen("tcp", "127.0.0.1:0")
	must(b, err)
	defer sink.Close()
	received := make(chan int64, 1)
	go func() {
		c, err := sink.Accept()
		if err != nil {
			received <- -1
			return
		}
		defer c.Close()
		n, _ := io.Copy(io.Discard, c)
		received <- n
	}()
	front := forwarder(b, sink.Addr().String())
	c, err := net.Dial("tcp", front)
	must(b, err)
	defer c.Close()
	chunk := chunkMessage(b)
	total := int64(b.N) * int64(len(chunk))
	b.SetBytes(int64(len(chunk)))
	b.ResetTimer()
	if _, err := io.Copy(c, io.LimitReader(repeatReader(chunk), total)); err != nil {
		b.Fatal(err)
	}
	must(b, c.(*net.TCPConn).CloseWrite())
	if n := <-received; n != total {
		b.Fatalf("received %d bytes, sent %d", n, total)
	}
}

// forwarder listens on loopback and joins the one connection it accepts to a new connection to to,
// with io.Copy: a plain TCP relay. It returns its address.
func forwarder(tb testing.TB, to string) string {
	front, err := net.Listen("tcp", "127.0.0.1:0")
	must(tb, err)
	tb.Cleanup(func() { front.Close() })
	go func() {
		in, err := front.Accept()
		if err != nil {
			return
		}
		defer in.Close()
		out, err := net.Dial("tcp", to)
		if err != nil {
			return
		}
		defer out.Close()
		_, _ = io.Copy(out, in)
		_ = out.(*net.TCPConn).CloseWrite()
	}()
	return front.Addr().String()
}

// repeatReader reads p over and over.
type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}

var agentHeapProfile = flag.String("agentmem.heapprofile", "",
	"BenchmarkAgentMemory: write a heap profile here while the agents are connected")

// BenchmarkAgentMemory connects idle agents (hello, welcome, nothing else) over real WebSockets and
// reports the memory each one costs, server and agent ends together since both run in this process:
// live heap plus goroutine stacks, and goroutines per agent. With -agentmem.heapprofile the heap
// profile taken while they are connected shows which allocations are the server's.
func BenchmarkAgentMemory(b *testing.B) {
	const agents = 2000
	for range b.N {
		e := newEnvHeartbeat(b, time.Hour) // no heartbeat traffic: the idle cost only
		creds := make([][2]string, agents)
		for i := range creds {
			id, cred, err := e.app.Enroll(context.Background(), app.EnrollInput{Token: e.token, Hostname: uniq("m-"), OSName: "Linux"})
			must(b, err)
			creds[i] = [2]string{id, cred}
		}
		before, g0 := heapAndStacks(), runtime.NumGoroutine()
		for _, c := range creds {
			ws, status, err := e.dialAgent(c[0], c[1])
			if err != nil {
				b.Fatalf("dial agent: %d %v", status, err)
			}
			welcome := make(chan struct{})
			conn := protocol.NewConn(protocol.WebSocket(ws), protocol.Options{Role: protocol.RoleAgent,
				OnControl: func(m protocol.Message) {
					if m.Type == protocol.MsgWelcome {
						close(welcome)
					}
				}})
			done := make(chan struct{})
			go func() { defer close(done); _ = conn.Run(context.Background()) }()
			b.Cleanup(func() { conn.Close(""); <-done })
			must(b, conn.Send(context.Background(), protocol.MsgHello, protocol.Hello{ProtocolVersion: protocol.Version,
				AgentVersion: "bench", OS: "linux", Arch: "amd64"}))
			<-welcome
		}
		eventually.True(b, 5*time.Second, "every agent registered", func() bool { return e.hub.Online(creds[agents-1][0]) })
		after, g1 := heapAndStacks(), runtime.NumGoroutine()
		b.ReportMetric(float64(after-before)/agents/1024, "KiB/agent")
		b.ReportMetric(float64(g1-g0)/agents, "goroutines/agent")
		if *agentHeapProfile != "" {
			f, err := os.Create(*agentHeapProfile)
			must(b, err)
			must(b, pprof.Lookup("heap").WriteTo(f, 0))
			must(b, f.Close())
		}
	}
}

// heapAndStacks is the memory live connections hold: heap objects and goroutine stacks.
func heapAndStacks() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc + m.StackInuse
}
