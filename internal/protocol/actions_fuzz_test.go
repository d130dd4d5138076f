package protocol

import (
	"bytes"
	"encoding/json"
	"testing"
)

// Each fuzzer checks that a decoder never panics on hostile input and that whatever it accepts
// survives a round trip through the matching encoder.

func FuzzDecodeTermResize(f *testing.F) {
	f.Add([]byte{KindTermResize, 0, 80, 0, 24})
	f.Add([]byte{KindTermResize, 0xff, 0xff, 0, 0})
	f.Fuzz(func(t *testing.T, msg []byte) {
		s, err := DecodeTermResize(msg)
		if err != nil {
			return
		}
		b, err := EncodeTermResize(s)
		if err != nil || !bytes.Equal(b, msg) {
			t.Fatalf("accepted %x but re-encodes to %x (%v)", msg, b, err)
		}
	})
}

func FuzzDecodeTermExit(f *testing.F) {
	f.Add(EncodeTermExit(1))
	f.Fuzz(func(t *testing.T, msg []byte) {
		code, err := DecodeTermExit(msg)
		if err == nil && !bytes.Equal(EncodeTermExit(code), msg) {
			t.Fatalf("exit %x does not round-trip", msg)
		}
	})
}

func FuzzDecodeBytes(f *testing.F) {
	f.Add([]byte{KindTermInput, 'l', 's'}, KindTermInput)
	f.Fuzz(func(t *testing.T, msg []byte, kind byte) {
		data, err := DecodeBytes(msg, kind)
		if err != nil {
			return
		}
		b, err := EncodeBytes(kind, data)
		if err != nil || !bytes.Equal(b, msg) {
			t.Fatalf("bytes %x do not round-trip (%v)", msg, err)
		}
	})
}

func FuzzDecodeFileRequest(f *testing.F) {
	for _, s := range []string{
		`{"id":1,"op":"list","path":"/"}`,
		`{"id":2,"op":"upload","path":"/tmp/x","size":10,"sha256":"` + string(bytes.Repeat([]byte("0"), 64)) + `"}`,
		`{"id":3,"op":"rename","path":"/a","to":"/b"}`,
		`{"id":4,"op":"download","path":"C:\\x","offset":5}`,
	} {
		f.Add(append([]byte{KindFileRequest}, s...))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeFileRequest(msg)
		if err != nil {
			return
		}
		b, err := EncodeJSON(KindFileRequest, r)
		if err != nil {
			t.Fatalf("accepted request does not encode: %v", err)
		}
		r2, err := DecodeFileRequest(b)
		if err != nil || r2 != r {
			t.Fatalf("request %+v does not round-trip: %+v %v", r, r2, err)
		}
	})
}

func FuzzDecodeFileResponse(f *testing.F) {
	f.Add(append([]byte{KindFileResponse}, `{"id":1,"ok":true,"entries":[{"name":"a","size":1,"mode":"-rw-r--r--","mtime":1,"is_dir":false}],"more":true}`...))
	f.Add(append([]byte{KindFileResponse}, `{"id":1,"ok":false,"error":"no","code":"not_found"}`...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeFileResponse(msg)
		if err != nil {
			return
		}
		b, err := EncodeJSON(KindFileResponse, r)
		if err != nil {
			return // a response near the size limit may grow when re-encoded (escapes)
		}
		if _, err := DecodeFileResponse(b); err != nil {
			t.Fatalf("re-encoded response refused: %v", err)
		}
	})
}

func FuzzDecodeFileChunk(f *testing.F) {
	b, _ := AppendFileChunk(nil, 12345, []byte("hello"))
	f.Add(b)
	f.Fuzz(func(t *testing.T, msg []byte) {
		off, data, err := DecodeFileChunk(msg)
		if err != nil {
			return
		}
		b, err := AppendFileChunk(nil, off, data)
		if err != nil || !bytes.Equal(b, msg) {
			t.Fatalf("chunk %x does not round-trip (%v)", msg, err)
		}
	})
}

func FuzzDecodeTaskRequest(f *testing.F) {
	for _, s := range []string{`{"id":1,"op":"processes"}`, `{"id":2,"op":"kill","pid":42}`, `{"id":3,"op":"service","name":"ssh","verb":"restart"}`} {
		f.Add(append([]byte{KindTaskRequest}, s...))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeTaskRequest(msg)
		if err != nil {
			return
		}
		b, _ := EncodeJSON(KindTaskRequest, r)
		if r2, err := DecodeTaskRequest(b); err != nil || r2 != r {
			t.Fatalf("task request %+v does not round-trip: %v", r, err)
		}
	})
}

func FuzzDecodeTaskResponse(f *testing.F) {
	f.Add(append([]byte{KindTaskResponse}, `{"id":1,"ok":true,"processes":[{"pid":1,"ppid":0,"name":"init","cpu_percent":0.5,"memory_bytes":10}]}`...))
	f.Fuzz(func(t *testing.T, msg []byte) { _, _ = DecodeTaskResponse(msg) })
}

func FuzzDecodeRegistryRequest(f *testing.F) {
	f.Add(append([]byte{KindRegistryRequest}, `{"id":1,"op":"set","key":"HKCU\\Software","name":"a","type":"multi_string","values":["x","y"]}`...))
	f.Add(append([]byte{KindRegistryRequest}, `{"id":1,"op":"keys","key":"HKLM"}`...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		r, err := DecodeRegistryRequest(msg)
		if err != nil {
			return
		}
		b, _ := EncodeJSON(KindRegistryRequest, r)
		if _, err := DecodeRegistryRequest(b); err != nil {
			t.Fatalf("registry request %+v does not round-trip: %v", r, err)
		}
	})
}

func FuzzDecodeRegistryResponse(f *testing.F) {
	f.Add(append([]byte{KindRegistryResponse}, `{"id":1,"ok":true,"keys":["a"],"values":[{"name":"v","type":"dword","value":"1"}]}`...))
	f.Fuzz(func(t *testing.T, msg []byte) { _, _ = DecodeRegistryResponse(msg) })
}

func FuzzDecodeClipboard(f *testing.F) {
	f.Add(append([]byte{KindClipboardRequest}, `{"id":1,"op":"set","text":"hi"}`...))
	f.Add(append([]byte{KindClipboardResponse}, `{"id":1,"ok":true,"text":"hi"}`...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if r, err := DecodeClipboardRequest(msg); err == nil {
			b, _ := EncodeJSON(KindClipboardRequest, r)
			if r2, err := DecodeClipboardRequest(b); err != nil || r2 != r {
				t.Fatalf("clipboard request %+v does not round-trip: %v", r, err)
			}
		}
		_, _ = DecodeClipboardResponse(msg)
	})
}

func FuzzDecodeImage(f *testing.F) {
	f.Add(append([]byte{KindImageBegin}, `{"width":1024,"height":768,"size":5000,"format":"png","display":0}`...))
	f.Add(append([]byte{KindImageEnd}, `{"sha256":"`+string(bytes.Repeat([]byte("a"), 64))+`"}`...))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if b, err := DecodeImageBegin(msg); err == nil && (b.Width <= 0 || b.Height <= 0 || b.Size <= 0) {
			t.Fatalf("accepted image begin %+v", b)
		}
		_, _ = DecodeImageEnd(msg)
	})
}

func FuzzDecodeFrame(f *testing.F) {
	fb, _ := EncodeFrameBegin(FrameBegin{Seq: 1, Width: 1024, Height: 768, Full: true})
	f.Add(fb)
	tile, _ := AppendTile(nil, Tile{X: 64, Y: 0, W: 64, H: 64, Format: TilePNG, Data: []byte{0x89, 'P', 'N', 'G'}})
	f.Add(tile)
	f.Add(EncodeFrameEnd(7))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if fb, err := DecodeFrameBegin(msg); err == nil {
			if b, err := EncodeFrameBegin(fb); err != nil || !bytes.Equal(b, msg) {
				t.Fatalf("frame begin %x does not round-trip (%v)", msg, err)
			}
		}
		if tl, err := DecodeTile(msg); err == nil {
			if b, err := AppendTile(nil, tl); err != nil || !bytes.Equal(b, msg) {
				t.Fatalf("tile %x does not round-trip (%v)", msg, err)
			}
		}
		if seq, err := DecodeFrameEnd(msg); err == nil && !bytes.Equal(EncodeFrameEnd(seq), msg) {
			t.Fatalf("frame end %x does not round-trip", msg)
		}
	})
}

func FuzzDecodeInput(f *testing.F) {
	for _, in := range []Input{
		{Kind: KindPointerMove, X: 10, Y: 20},
		{Kind: KindPointerButton, Button: 1, Down: true},
		{Kind: KindWheel, DX: 0, DY: -3},
		{Kind: KindKey, Keysym: 0x61},
	} {
		b, _ := EncodeInput(in)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		in, err := DecodeInput(msg)
		if err != nil {
			return
		}
		b, err := EncodeInput(in)
		if err != nil || !bytes.Equal(b, msg) {
			t.Fatalf("input %x does not round-trip (%v)", msg, err)
		}
	})
}

func FuzzDecodeArgs(f *testing.F) {
	f.Add([]byte(`{"cols":80,"rows":24,"shell":"/bin/bash"}`))
	f.Add([]byte(`{"fps":10,"display":0,"format":"jpeg","quality":50}`))
	f.Add([]byte(`{"mac":"00:11:22:33:44:55","broadcast":"10.0.0.255"}`))
	f.Add([]byte(`{"on":true}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if a, err := DecodeTerminalArgs(json.RawMessage(raw)); err == nil && (a.Cols < 1 || a.Rows < 1 || a.Cols > MaxTermSize || a.Rows > MaxTermSize) {
			t.Fatalf("accepted terminal args %+v", a)
		}
		if a, err := DecodeScreenArgs(json.RawMessage(raw)); err == nil && (a.FPS < 1 || a.FPS > MaxFPS) {
			t.Fatalf("accepted screen args %+v", a)
		}
		if _, mac, err := DecodeWakeArgs(json.RawMessage(raw)); err == nil && len(mac) != 6 {
			t.Fatalf("accepted MAC %v", mac)
		}
		_, _ = DecodeScreenshotArgs(json.RawMessage(raw))
		_, _ = DecodeBlankScreenArgs(json.RawMessage(raw))
	})
}
