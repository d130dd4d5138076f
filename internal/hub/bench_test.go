package hub_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/portico-dev/portico"
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
			ctx := context.Background()
			b.SetBytes(int64(size))
			b.ResetTimer()
			for b.Loop() {
				if err := tc.c.Write(ctx, websocket.MessageBinary, msg); err != nil {
					b.Fatal(err)
				}
				if _, _, err := tc.c.Read(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// chunkMessage is one file_transfer chunk as the technician's browser sends it: the protocol's
// largest chunk (60 KiB of content behind its 9-byte header).
func chunkMessage(b *testing.B) []byte {
	msg, err := protocol.AppendFileChunk(nil, 0, bytes.Repeat([]byte{0xA5}, protocol.MaxFileChunk))
	if err != nil {
		b.Fatal(err)
	}
	return msg
}

// benchAgent connects an agent written with internal/protocol whose streams are served by onStream,
// says hello, waits for the welcome and heartbeats until the benchmark ends.
func benchAgent(e *env, id, cred string, onStream func(*protocol.Stream)) {
	b := e.t
	c, status, err := e.dialAgent(id, cred)
	if err != nil {
		b.Fatalf("dial agent: %d %v", status, err)
	}
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
	b.Cleanup(func() { conn.Close("benchmark over"); <-runDone })
	must(b, conn.Send(context.Background(), protocol.MsgHello, protocol.Hello{ProtocolVersion: protocol.Version,
		AgentVersion: "bench", OS: "linux", Arch: "amd64"}))
	select {
	case <-welcome:
	case <-time.After(5 * time.Second):
		b.Fatal("no welcome")
	}
	go func() {
		t := time.NewTicker(e.heartbeat / 2)
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
	e.waitStatus(id, portico.DeviceAvailable)
}

// fileChannel opens a session with file_transfer on a device whose agent serves streams with
// onStream, and returns the technician with channel 1 open.
func fileChannel(b *testing.B, onStream func(*protocol.Stream)) *technician {
	e := newEnv(b)
	id, cred := e.device()
	benchAgent(e, id, cred, onStream)
	tc, _, _ := e.openSession(e.signIn(e.acc.Owner.Email), id, "file_transfer")
	tc.expect("state", "active")
	tc.send(map[string]any{"type": "open", "channel": 1, "action": "file_transfer"})
	tc.expect("opened", "")
	return tc
}

// BenchmarkRelayFileTransfer measures file_transfer chunks (60 KiB each) relayed by the hub as fast
// as both ends go: the technician's WebSocket → hub → the agent's stream (upload), and the reverse
// (download). Compare with BenchmarkLoopbackTCPCopy, the same bytes over one plain TCP connection.
func BenchmarkRelayFileTransfer(b *testing.B) {
	chunk := chunkMessage(b)
	b.Run("upload", func(b *testing.B) {
		want := int64(b.N)
		var got atomic.Int64
		all := make(chan struct{})
		tc := fileChannel(b, func(s *protocol.Stream) {
			// The agent consumes chunks as fast as they come, checking each one.
			for {
				msg, err := s.Recv(context.Background())
				if err != nil {
					return
				}
				if _, data, err := protocol.DecodeFileChunk(msg); err != nil || len(data) != protocol.MaxFileChunk {
					s.Close("bad chunk")
					return
				}
				if got.Add(1) == want {
					close(all)
				}
			}
		})
		msg := append([]byte{1}, chunk...)
		ctx := context.Background()
		b.SetBytes(int64(len(chunk)))
		b.ResetTimer()
		for range b.N {
			if err := tc.c.Write(ctx, websocket.MessageBinary, msg); err != nil {
				b.Fatal(err)
			}
		}
		select {
		case <-all:
		case <-time.After(time.Minute):
			b.Fatalf("the agent received %d chunks of %d", got.Load(), want)
		}
	})
	b.Run("download", func(b *testing.B) {
		tc := fileChannel(b, func(s *protocol.Stream) {
			// The technician's first message says how many chunks to send.
			msg, err := s.Recv(context.Background())
			if err != nil || len(msg) != 8 {
				return
			}
			n := binary.BigEndian.Uint64(msg)
			for range n {
				if err := s.Send(context.Background(), chunk); err != nil {
					return
				}
			}
		})
		ctx := context.Background()
		b.SetBytes(int64(len(chunk)))
		b.ResetTimer()
		must(b, tc.c.Write(ctx, websocket.MessageBinary, binary.BigEndian.AppendUint64([]byte{1}, uint64(b.N))))
		for range b.N {
			typ, data, err := tc.c.Read(ctx)
			if err != nil {
				b.Fatal(err)
			}
			if typ != websocket.MessageBinary || len(data) != 1+len(chunk) || data[0] != 1 {
				b.Fatalf("technician got a %v message of %d bytes", typ, len(data))
			}
		}
	})
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

// repeatReader reads p over and over.
type repeatReader []byte

func (r repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		n += copy(p[n:], r)
	}
	return n, nil
}
