package protocol

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// FrameType says what a frame carries.
type FrameType uint8

// Frame types.
const (
	// FrameControl carries one JSON control Message; its stream is always 0.
	FrameControl FrameType = 1
	// FrameOpen opens a new stream; its payload is a JSON OpenRequest.
	FrameOpen FrameType = 2
	// FrameData carries one message of a stream's content.
	FrameData FrameType = 3
	// FrameWindow grants the peer more bytes it may send on the stream; its payload is a uvarint.
	FrameWindow FrameType = 4
	// FrameClose ends a stream in both directions; its payload is an optional UTF-8 reason
	// (empty means a normal end).
	FrameClose FrameType = 5
)

// MaxPayload is the largest payload a frame may carry. Larger content is split by whoever sends it.
const MaxPayload = 64 << 10

// MaxFrameSize is the largest encoded frame: type byte, stream id as uvarint, payload.
const MaxFrameSize = 1 + binary.MaxVarintLen32 + MaxPayload

// Errors returned by DecodeFrame. A peer that sends such a frame is broken or hostile: the
// connection is closed.
var (
	ErrFrameTooLarge = errors.New("protocol: frame too large")
	ErrMalformed     = errors.New("protocol: malformed frame")
)

// Frame is the unit of the wire protocol.
type Frame struct {
	Type    FrameType
	Stream  uint32
	Payload []byte
}

func (t FrameType) valid() bool { return t >= FrameControl && t <= FrameClose }

// String names the frame type for logs.
func (t FrameType) String() string {
	switch t {
	case FrameControl:
		return "control"
	case FrameOpen:
		return "open"
	case FrameData:
		return "data"
	case FrameWindow:
		return "window"
	case FrameClose:
		return "close"
	}
	return fmt.Sprintf("frame(%d)", uint8(t))
}

// AppendFrame appends the encoding of f to dst.
func AppendFrame(dst []byte, f Frame) ([]byte, error) {
	if !f.Type.valid() {
		return dst, fmt.Errorf("%w: unknown type %d", ErrMalformed, f.Type)
	}
	if len(f.Payload) > MaxPayload {
		return dst, fmt.Errorf("%w: payload of %d bytes, at most %d", ErrFrameTooLarge, len(f.Payload), MaxPayload)
	}
	if f.Type == FrameControl && f.Stream != 0 {
		return dst, fmt.Errorf("%w: control frame on stream %d", ErrMalformed, f.Stream)
	}
	if f.Type != FrameControl && f.Stream == 0 {
		return dst, fmt.Errorf("%w: %s frame on stream 0", ErrMalformed, f.Type)
	}
	dst = append(dst, byte(f.Type))
	dst = binary.AppendUvarint(dst, uint64(f.Stream))
	return append(dst, f.Payload...), nil
}

// DecodeFrame decodes one frame. The payload aliases b.
func DecodeFrame(b []byte) (Frame, error) {
	if len(b) > MaxFrameSize {
		return Frame{}, fmt.Errorf("%w: %d bytes, at most %d", ErrFrameTooLarge, len(b), MaxFrameSize)
	}
	if len(b) < 2 {
		return Frame{}, fmt.Errorf("%w: %d bytes", ErrMalformed, len(b))
	}
	f := Frame{Type: FrameType(b[0])}
	if !f.Type.valid() {
		return Frame{}, fmt.Errorf("%w: unknown type %d", ErrMalformed, b[0])
	}
	id, n := binary.Uvarint(b[1:])
	if n <= 0 || id > 1<<32-1 {
		return Frame{}, fmt.Errorf("%w: bad stream id", ErrMalformed)
	}
	// Only the shortest encoding is accepted, so that a frame has exactly one encoding.
	var tmp [binary.MaxVarintLen32]byte
	if n != len(binary.AppendUvarint(tmp[:0], id)) {
		return Frame{}, fmt.Errorf("%w: stream id not minimally encoded", ErrMalformed)
	}
	f.Stream = uint32(id)
	f.Payload = b[1+n:]
	if len(f.Payload) > MaxPayload {
		return Frame{}, fmt.Errorf("%w: payload of %d bytes, at most %d", ErrFrameTooLarge, len(f.Payload), MaxPayload)
	}
	if (f.Type == FrameControl) != (f.Stream == 0) {
		return Frame{}, fmt.Errorf("%w: %s frame on stream %d", ErrMalformed, f.Type, f.Stream)
	}
	return f, nil
}
