package protocol

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// decodeKind checks that a decoding error is one of the two kinds peers are told about.
func decodeKind(t *testing.T, err error) {
	t.Helper()
	if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("error of no known kind: %v", err)
	}
}

func mustFrame(f Frame) []byte {
	b, err := AppendFrame(nil, f)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzDecodeWireFrame checks DecodeFrame on arbitrary bytes: it fails with a known kind, or the frame
// it returns encodes back to exactly the input. (FuzzDecodeFrame is taken by the screen frame codec.)
func FuzzDecodeWireFrame(f *testing.F) {
	for _, fr := range []Frame{
		{Type: FrameControl, Payload: []byte(`{"type":"heartbeat","body":{"seq":1}}`)},
		{Type: FrameOpen, Stream: 1, Payload: []byte(`{"session_id":"s","action":"terminal"}`)},
		{Type: FrameData, Stream: 2, Payload: []byte("ls -l\n")},
		{Type: FrameData, Stream: 1 << 31, Payload: nil},
		{Type: FrameWindow, Stream: 300, Payload: binary.AppendUvarint(nil, 1<<20)},
		{Type: FrameClose, Stream: 4, Payload: []byte("refused")},
	} {
		f.Add(mustFrame(fr))
	}
	f.Add([]byte{})
	f.Add([]byte{3, 0x80, 0x00, 'x'})                 // stream id not minimally encoded
	f.Add([]byte{3, 0xff, 0xff, 0xff, 0xff, 0x1f, 1}) // stream id beyond 32 bits
	f.Add([]byte{9, 1})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := DecodeFrame(b)
		if err != nil {
			decodeKind(t, err)
			return
		}
		again, err := AppendFrame(nil, fr)
		if err != nil {
			t.Fatalf("decoded frame %+v does not encode: %v", fr, err)
		}
		if !bytes.Equal(again, b) {
			t.Fatalf("frame %x decodes to %+v, which encodes to %x", b, fr, again)
		}
	})
}

// bodyTypes returns a fresh value of every control message body type.
func bodyTypes() []any {
	return []any{
		&Hello{}, &Welcome{}, &Heartbeat{}, &Inventory{}, &SessionRequest{}, &SessionAnswer{},
		&SessionUpdate{}, &SessionEnd{}, &Chat{}, &Command{}, &CommandResult{}, &Stop{}, &Error{},
		&OpenRequest{},
	}
}

// FuzzDecodeMessage checks DecodeMessage and DecodeBody into every body type: errors have a known kind,
// and whatever decodes re-encodes to a stable form (encode, decode, encode gives the same bytes).
func FuzzDecodeMessage(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, m := range []struct {
		typ  string
		body any
	}{
		{MsgHello, Hello{ProtocolVersion: 1, AgentVersion: "1.0.0", OS: "linux", Arch: "amd64"}},
		{MsgWelcome, Welcome{ProtocolVersion: 1, DeviceID: "d1", HeartbeatSeconds: 30, ServerTime: now}},
		{MsgHeartbeat, Heartbeat{Seq: 7, SentAt: now}},
		{MsgInventory, Inventory{Hostname: "pc-1", IPAddresses: []string{"10.0.0.2"}, CPU: []CPU{{Model: "x", Cores: 4, Threads: 8, MHz: 2400.5}},
			BIOS: &BIOS{Vendor: "v"}, Storage: []Disk{{Name: "sda", TotalBytes: 1 << 40}}, Software: []Software{{Name: "bash", Version: "5"}},
			Extra: map[string]string{"k": "v"}}},
		{MsgSessionRequest, SessionRequest{SessionID: "s", Technician: "Ann", Actions: []string{"terminal", "screen"}, AckRequired: true}},
		{MsgSessionAnswer, SessionAnswer{SessionID: "s", Accepted: false, Reason: "busy"}},
		{MsgSessionUpdate, SessionUpdate{SessionID: "s", Actions: []string{"chat"}}},
		{MsgSessionEnd, SessionEnd{SessionID: "s", By: "end_user"}},
		{MsgChat, Chat{SessionID: "s", From: "technician", Text: "héllo ✓", SentAt: now}},
		{MsgCommand, Command{ID: "c1", Action: "message", Args: json.RawMessage(`{"text":"hi"}`)}},
		{MsgCommandResult, CommandResult{ID: "c1", OK: true, Result: json.RawMessage(`[1,2]`)}},
		{MsgStop, Stop{Reason: "deleted"}},
		{MsgError, Error{Code: "protocol_violation", Message: "bad frame"}},
		{MsgHeartbeatAck, nil},
	} {
		b, err := EncodeMessage(m.typ, m.body)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte(`{"type":"x","body":{"unknown":1}}`))
	f.Add([]byte(`{"type":"x","body":null}`))
	f.Add([]byte(`{"type":"x","body":{"seq":-1,"sent_at":"not a time"}}`))
	f.Add([]byte(`{"type":""}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b)
		if err != nil {
			decodeKind(t, err)
			return
		}
		enc, err := EncodeMessage(m.Type, m.Body)
		if err != nil {
			// Only a message grown by re-encoding (escapes) may be refused, and only as too large.
			if !errors.Is(err, ErrFrameTooLarge) {
				t.Fatalf("decoded message %q does not encode: %v", b, err)
			}
			return
		}
		m2, err := DecodeMessage(enc)
		if err != nil {
			t.Fatalf("re-encoded message %q does not decode: %v", enc, err)
		}
		if m2.Type != m.Type {
			t.Fatalf("type %q became %q", m.Type, m2.Type)
		}
		for _, v := range bodyTypes() {
			if err := DecodeBody(m, v); err != nil {
				decodeKind(t, err)
				continue
			}
			b1, err := json.Marshal(v)
			if err != nil {
				t.Fatalf("%T decoded from %s does not encode: %v", v, m.Body, err)
			}
			v2 := reflect.New(reflect.TypeOf(v).Elem()).Interface()
			if err := DecodeBody(Message{Type: m.Type, Body: b1}, v2); err != nil {
				t.Fatalf("%T: re-encoded body %s does not decode: %v", v, b1, err)
			}
			b2, err := json.Marshal(v2)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b1, b2) {
				t.Fatalf("%T is not stable: %s then %s", v, b1, b2)
			}
		}
	})
}

// splitFrames cuts fuzz input into messages, each preceded by its length as two big-endian bytes.
func splitFrames(b []byte) [][]byte {
	var out [][]byte
	for len(b) >= 2 {
		n := int(binary.BigEndian.Uint16(b))
		b = b[2:]
		n = min(n, len(b))
		out = append(out, b[:n])
		b = b[n:]
	}
	return out
}

func joinFrames(frames ...[]byte) []byte {
	var out []byte
	for _, f := range frames {
		out = binary.BigEndian.AppendUint16(out, uint16(len(f)))
		out = append(out, f...)
	}
	return out
}

// FuzzConn feeds arbitrary frame sequences to a Conn's Run through a Pipe: it must never panic, and it
// must end once the transport closes, leaving no stream handler behind.
func FuzzConn(f *testing.F) {
	data := func(id uint32, n int) []byte {
		return mustFrame(Frame{Type: FrameData, Stream: id, Payload: make([]byte, n)})
	}
	window := func(id uint32, n uint64) []byte {
		return mustFrame(Frame{Type: FrameWindow, Stream: id, Payload: binary.AppendUvarint(nil, n)})
	}
	closeFrame := func(id uint32, reason string) []byte {
		return mustFrame(Frame{Type: FrameClose, Stream: id, Payload: []byte(reason)})
	}
	control := mustFrame(Frame{Type: FrameControl, Payload: []byte(`{"type":"heartbeat","body":{"seq":1}}`)})
	f.Add(joinFrames(control, openFrame(1), data(1, 10), data(1, 0), window(1, 64), closeFrame(1, "")))
	f.Add(joinFrames(openFrame(1), openFrame(3), openFrame(5), data(3, 100), closeFrame(3, "bye"), data(3, 5), data(5, 1)))
	f.Add(joinFrames(openFrame(1), data(1, MaxPayload), data(1, 1)))
	f.Add(joinFrames(openFrame(1), window(1, 1<<40)))
	f.Add(joinFrames(openFrame(2)))
	f.Add(joinFrames(data(2, 1), closeFrame(2, ""), window(2, 1)))
	f.Add(joinFrames([]byte{0xff, 0}, control))
	f.Fuzz(func(t *testing.T, in []byte) {
		a, b := Pipe()
		var handlers atomic.Int64
		c := NewConn(a, Options{
			Role:       RoleServer,
			Window:     MaxPayload,
			MaxStreams: 2,
			OnControl:  func(Message) {},
			OnStream: func(s *Stream) {
				handlers.Add(1)
				defer handlers.Add(-1)
				// Echo, so that the connection also writes Data and Window frames.
				for {
					msg, err := s.Recv(context.Background())
					if err != nil {
						return
					}
					if err := s.Send(context.Background(), msg); err != nil {
						return
					}
				}
			},
		})
		runErr := make(chan error, 1)
		go func() { runErr <- c.Run(context.Background()) }()
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			for {
				if _, err := b.ReadMessage(context.Background()); err != nil {
					return
				}
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		for _, m := range splitFrames(in) {
			if b.WriteMessage(ctx, m) != nil {
				break
			}
		}
		// The client goes away; Run must notice, whatever state it is in.
		b.Close("fuzz input over")
		select {
		case err := <-runErr:
			if err != nil && !errors.Is(err, ErrProtocolViolation) && !errors.Is(err, ErrClosed) && !errors.Is(err, io.ErrClosedPipe) {
				t.Fatalf("Run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Run did not end after the transport closed")
		}
		<-c.Done()
		<-drained
		// Every stream ended with the connection, so the handlers return promptly.
		for handlers.Load() > 0 {
			runtime.Gosched()
		}
	})
}
