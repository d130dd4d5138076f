package protocol

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"
)

// rawFrame encodes a frame without AppendFrame's checks, as a broken peer might.
func rawFrame(typ FrameType, stream uint32, payload []byte) []byte {
	b := []byte{byte(typ)}
	b = binary.AppendUvarint(b, uint64(stream))
	return append(b, payload...)
}

func openFrame(stream uint32) []byte {
	return rawFrame(FrameOpen, stream, []byte(`{"session_id":"s","action":"terminal"}`))
}

func TestProtocolViolations(t *testing.T) {
	tests := []struct {
		name   string
		frames [][]byte // sent by the agent side, raw
		want   error    // besides ErrProtocolViolation
		detail string   // in the error text
	}{
		{
			name:   "data beyond credit",
			frames: [][]byte{openFrame(1), rawFrame(FrameData, 1, make([]byte, MaxPayload)), rawFrame(FrameData, 1, []byte("one more"))},
			detail: "beyond a credit",
		},
		{
			name:   "tiny messages beyond credit",
			frames: append([][]byte{openFrame(1)}, bytes.Split(bytes.Repeat([]byte{byte(FrameData), 1, 'x', 0}, MaxPayload/minMessageCost+1), []byte{0})...),
			detail: "beyond a credit",
		},
		{name: "open with the server's parity", frames: [][]byte{openFrame(2)}, detail: "may not allocate"},
		{name: "reused stream id", frames: [][]byte{openFrame(3), openFrame(3)}, detail: "ids must increase"},
		{name: "decreasing stream id", frames: [][]byte{openFrame(5), openFrame(3)}, detail: "ids must increase"},
		{name: "malformed open request", frames: [][]byte{rawFrame(FrameOpen, 1, []byte("{"))}, want: ErrMalformed},
		{name: "oversized frame", frames: [][]byte{rawFrame(FrameData, 1, make([]byte, MaxPayload+1))}, want: ErrFrameTooLarge},
		{name: "garbage", frames: [][]byte{{0xff, 0x00, 0x13, 0x37}}, want: ErrMalformed},
		{name: "too short", frames: [][]byte{{1}}, want: ErrMalformed},
		{name: "empty", frames: [][]byte{{}}, want: ErrMalformed},
		{name: "unknown frame type", frames: [][]byte{rawFrame(9, 1, []byte("x"))}, want: ErrMalformed},
		{name: "control on a stream", frames: [][]byte{rawFrame(FrameControl, 1, []byte(`{"type":"x"}`))}, want: ErrMalformed},
		{name: "malformed control message", frames: [][]byte{rawFrame(FrameControl, 0, []byte(`{"type":`))}, want: ErrMalformed},
		{name: "control message without type", frames: [][]byte{rawFrame(FrameControl, 0, []byte(`{}`))}, want: ErrMalformed},
		{name: "control message with a key twice", want: ErrMalformed, detail: "body.seq appears twice",
			frames: [][]byte{rawFrame(FrameControl, 0, []byte(`{"type":"heartbeat","body":{"seq":1,"seq":2}}`))}},
		{name: "control message type twice", want: ErrMalformed, detail: "type appears twice",
			frames: [][]byte{rawFrame(FrameControl, 0, []byte(`{"type":"heartbeat","type":"inventory","body":{}}`))}},
		{name: "control message not UTF-8", want: ErrMalformed, detail: "body.hostname is not valid UTF-8",
			frames: [][]byte{rawFrame(FrameControl, 0, []byte("{\"type\":\"inventory\",\"body\":{\"hostname\":\"pc\xff\"}}"))}},
		{name: "open request with a key twice", want: ErrMalformed, detail: "action appears twice",
			frames: [][]byte{rawFrame(FrameOpen, 1, []byte(`{"session_id":"s","action":"terminal","action":"file_transfer"}`))}},
		{name: "open request not UTF-8", want: ErrMalformed, detail: "session_id is not valid UTF-8",
			frames: [][]byte{rawFrame(FrameOpen, 1, []byte("{\"session_id\":\"s\xc0\",\"action\":\"terminal\"}"))}},
		{name: "data for a stream never opened", frames: [][]byte{rawFrame(FrameData, 7, []byte("x"))}, detail: "never opened"},
		{name: "data for a server stream never opened", frames: [][]byte{rawFrame(FrameData, 8, []byte("x"))}, detail: "never opened"},
		{name: "close of a stream never opened", frames: [][]byte{rawFrame(FrameClose, 9, nil)}, detail: "never opened"},
		{name: "bad window increment", frames: [][]byte{openFrame(1), rawFrame(FrameWindow, 1, []byte{0x80})}, want: ErrMalformed},
		{name: "window with trailing bytes", frames: [][]byte{openFrame(1), rawFrame(FrameWindow, 1, []byte{1, 2})}, want: ErrMalformed},
		{name: "window beyond what was sent", frames: [][]byte{openFrame(1), rawFrame(FrameWindow, 1, []byte{1})}, detail: "exceeds the window"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			// An unrelated pair of connections that must not notice anything.
			other, otherAgent := newPair(t, Options{}, Options{OnStream: echo})

			a, b := Pipe()
			srv := startConn(t, a, Options{Role: RoleServer, Window: MaxPayload, OnStream: func(s *Stream) { <-s.Done() }})
			agt := startConn(t, b, Options{Role: RoleAgent})
			ctx := context.Background()
			for _, f := range tc.frames {
				// Writes may fail once the server has dropped the connection.
				if err := b.WriteMessage(ctx, f); err != nil {
					break
				}
			}

			err := srv.waitRun(t)
			if !errors.Is(err, ErrProtocolViolation) {
				t.Fatalf("Run returned %v, want a protocol violation", err)
			}
			if tc.want != nil && !errors.Is(err, tc.want) {
				t.Errorf("Run returned %v, want %v", err, tc.want)
			}
			if tc.detail != "" && !strings.Contains(err.Error(), tc.detail) {
				t.Errorf("Run returned %q, want it to mention %q", err, tc.detail)
			}
			<-srv.conn.Done()

			// The peer is told why, then loses the connection.
			m := recvControl(t, agt)
			var body Error
			if m.Type != MsgError || DecodeBody(m, &body) != nil || body.Code != "protocol_violation" {
				t.Errorf("peer received %s %s, want an error message", m.Type, m.Body)
			}
			if err := agt.waitRun(t); err == nil {
				t.Error("peer's Run returned nil")
			}
			<-agt.conn.Done()

			s, err := other.conn.Open(ctx, OpenRequest{SessionID: "s", Action: "echo"})
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Send(ctx, []byte("still here")); err != nil {
				t.Fatal(err)
			}
			if got, err := s.Recv(ctx); err != nil || string(got) != "still here" {
				t.Errorf("unrelated connection: %q, %v", got, err)
			}
			if err := otherAgent.conn.Send(ctx, MsgHeartbeat, Heartbeat{Seq: 1}); err != nil {
				t.Fatal(err)
			}
			if m := recvControl(t, other); m.Type != MsgHeartbeat {
				t.Errorf("unrelated connection got %s", m.Type)
			}
		})
	}
}

// TestLateFramesForClosedStreamsAreIgnored checks the grace given to frames that cross a close.
func TestLateFramesForClosedStreamsAreIgnored(t *testing.T) {
	a, b := Pipe()
	refused := make(chan struct{})
	srv := startConn(t, a, Options{Role: RoleServer, MaxStreams: 1, OnStream: func(s *Stream) {
		if s.Request().Action == "quit" {
			return
		}
		<-refused
	}})
	ctx := context.Background()
	frames := [][]byte{
		// Stream 1 is closed by the server at once (its OnStream returns); the agent keeps talking.
		rawFrame(FrameOpen, 1, []byte(`{"session_id":"s","action":"quit"}`)),
		rawFrame(FrameData, 1, []byte("late")),
		rawFrame(FrameClose, 1, nil),
		// Stream 3 is accepted, stream 5 refused (MaxStreams 1); data for 5 is dropped.
		openFrame(3),
		openFrame(5),
		rawFrame(FrameData, 5, []byte("to a refused stream")),
		rawFrame(FrameClose, 5, []byte("never mind")),
		rawFrame(FrameControl, 0, []byte(`{"type":"heartbeat","body":{"seq":9}}`)),
	}
	// The server writes (a close for stream 1, a refusal for 5): read them so it never waits.
	got := make(chan [][]byte, 1)
	go func() {
		var fs [][]byte
		for {
			m, err := b.ReadMessage(ctx)
			if err != nil {
				got <- fs
				return
			}
			fs = append(fs, m)
		}
	}()
	for _, f := range frames {
		if err := b.WriteMessage(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	if m := recvControl(t, srv); m.Type != MsgHeartbeat {
		t.Fatalf("got %s, want the heartbeat", m.Type)
	}
	close(refused)
	srv.conn.Close("")
	if err := srv.waitRun(t); err != nil {
		t.Errorf("Run: %v", err)
	}
	var refusal bool
	for _, m := range <-got {
		f, err := DecodeFrame(m)
		if err != nil {
			t.Fatal(err)
		}
		if f.Type == FrameClose && f.Stream == 5 && strings.Contains(string(f.Payload), "refused") {
			refusal = true
		}
	}
	if !refusal {
		t.Error("stream 5 was not refused")
	}
}
