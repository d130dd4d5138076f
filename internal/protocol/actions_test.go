package protocol

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestTermMessagesRoundTrip(t *testing.T) {
	b, err := EncodeTermResize(TermSize{Cols: 132, Rows: 43})
	if err != nil {
		t.Fatal(err)
	}
	s, err := DecodeTermResize(b)
	if err != nil || s != (TermSize{132, 43}) {
		t.Fatalf("resize round trip: %v %v", s, err)
	}
	code, err := DecodeTermExit(EncodeTermExit(-3))
	if err != nil || code != -3 {
		t.Fatalf("exit round trip: %d %v", code, err)
	}
	in, err := EncodeBytes(KindTermInput, []byte("ls\r"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeBytes(in, KindTermInput)
	if err != nil || string(got) != "ls\r" {
		t.Fatalf("input round trip: %q %v", got, err)
	}
	if _, err := EncodeBytes(KindTermOutput, make([]byte, MaxPayload)); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized output: %v", err)
	}
}

func TestDecodeRejects(t *testing.T) {
	resize0, _ := EncodeTermResize(TermSize{1, 1})
	resize0[2] = 0 // cols = 0
	tests := []struct {
		name string
		err  error
	}{
		{"empty", func() error { _, err := Kind(nil); return err }()},
		{"resize wrong kind", func() error { _, err := DecodeTermResize([]byte{KindTermExit, 0, 1, 0, 1}); return err }()},
		{"resize short", func() error { _, err := DecodeTermResize([]byte{KindTermResize, 0, 1}); return err }()},
		{"resize long", func() error { _, err := DecodeTermResize([]byte{KindTermResize, 0, 1, 0, 1, 0}); return err }()},
		{"resize zero", func() error { _, err := DecodeTermResize(resize0); return err }()},
		{"resize huge", func() error { _, err := DecodeTermResize([]byte{KindTermResize, 0xff, 0xff, 0, 1}); return err }()},
		{"exit short", func() error { _, err := DecodeTermExit([]byte{KindTermExit, 1}); return err }()},
		{"json unknown field", func() error {
			_, err := DecodeFileRequest(append([]byte{KindFileRequest}, `{"id":1,"op":"stat","path":"/a","bogus":1}`...))
			return err
		}()},
		{"json trailing", func() error {
			_, err := DecodeFileRequest(append([]byte{KindFileRequest}, `{"id":1,"op":"stat","path":"/a"}{}`...))
			return err
		}()},
		{"file unknown op", func() error {
			_, err := DecodeFileRequest(append([]byte{KindFileRequest}, `{"id":1,"op":"chmod","path":"/a"}`...))
			return err
		}()},
		{"file empty path", func() error {
			_, err := DecodeFileRequest(append([]byte{KindFileRequest}, `{"id":1,"op":"stat","path":""}`...))
			return err
		}()},
		{"file NUL path", func() error {
			_, err := DecodeFileRequest(append([]byte{KindFileRequest}, `{"id":1,"op":"stat","path":"/a\u0000b"}`...))
			return err
		}()},
		{"upload bad sha", func() error {
			_, err := DecodeFileRequest(append([]byte{KindFileRequest}, `{"id":1,"op":"upload","path":"/a","size":3,"sha256":"xyz"}`...))
			return err
		}()},
		{"negative offset", func() error {
			_, err := DecodeFileRequest(append([]byte{KindFileRequest}, `{"id":1,"op":"download","path":"/a","offset":-1}`...))
			return err
		}()},
		{"chunk short", func() error { _, _, err := DecodeFileChunk([]byte{KindFileChunk, 0, 0, 0}); return err }()},
		{"chunk empty", func() error { _, _, err := DecodeFileChunk([]byte{KindFileChunk, 0, 0, 0, 0, 0, 0, 0, 0}); return err }()},
		{"chunk offset", func() error {
			_, _, err := DecodeFileChunk([]byte{KindFileChunk, 0xff, 0, 0, 0, 0, 0, 0, 0, 1})
			return err
		}()},
		{"kill pid 0", func() error {
			_, err := DecodeTaskRequest(append([]byte{KindTaskRequest}, `{"id":1,"op":"kill"}`...))
			return err
		}()},
		{"service option injection", func() error {
			_, err := DecodeTaskRequest(append([]byte{KindTaskRequest}, `{"id":1,"op":"service","name":"--force","verb":"stop"}`...))
			return err
		}()},
		{"service verb", func() error {
			_, err := DecodeTaskRequest(append([]byte{KindTaskRequest}, `{"id":1,"op":"service","name":"cron","verb":"mask"}`...))
			return err
		}()},
		{"registry type", func() error {
			_, err := DecodeRegistryRequest(append([]byte{KindRegistryRequest}, `{"id":1,"op":"set","key":"HKCU\\X","name":"a","type":"float"}`...))
			return err
		}()},
		{"clipboard op", func() error {
			_, err := DecodeClipboardRequest(append([]byte{KindClipboardRequest}, `{"id":1,"op":"cut"}`...))
			return err
		}()},
		{"frame flags", func() error {
			_, err := DecodeFrameBegin([]byte{KindFrameBegin, 0, 0, 0, 1, 0, 1, 0, 1, 2})
			return err
		}()},
		{"tile too big", func() error {
			_, err := DecodeTile([]byte{KindFrameTile, 0, 0, 0, 0, 0, 65, 0, 1, TilePNG, 1})
			return err
		}()},
		{"tile no data", func() error {
			_, err := DecodeTile([]byte{KindFrameTile, 0, 0, 0, 0, 0, 1, 0, 1, TilePNG})
			return err
		}()},
		{"button 0", func() error { _, err := DecodeInput([]byte{KindPointerButton, 0, 1}); return err }()},
		{"button state 2", func() error { _, err := DecodeInput([]byte{KindPointerButton, 1, 2}); return err }()},
		{"keysym 0", func() error { _, err := DecodeInput([]byte{KindKey, 0, 0, 0, 0, 1}); return err }()},
		{"input other kind", func() error { _, err := DecodeInput([]byte{KindTermInput, 1}); return err }()},
		{"image sha", func() error {
			_, err := DecodeImageEnd(append([]byte{KindImageEnd}, `{"sha256":"00"}`...))
			return err
		}()},
		{"image format", func() error {
			_, err := DecodeImageBegin(append([]byte{KindImageBegin}, `{"width":1,"height":1,"size":1,"format":"gif","display":0}`...))
			return err
		}()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !errors.Is(tt.err, ErrMalformed) && !errors.Is(tt.err, ErrFrameTooLarge) {
				t.Fatalf("got %v, want a malformed-message error", tt.err)
			}
		})
	}
}

func TestJSONMessagesRoundTrip(t *testing.T) {
	req := FileRequest{ID: 7, Op: FileOpUpload, Path: "/tmp/a b", Size: 10, SHA256: strings.Repeat("ab", 32)}
	b, err := EncodeJSON(KindFileRequest, req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeFileRequest(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(req, got); diff != "" {
		t.Fatalf("file request (-want +got):\n%s", diff)
	}

	resp := FileResponse{ID: 7, OK: true, Entries: []FileInfo{{Name: "x", Size: 3, Mode: "-rw-r--r--", MTime: 1700000000}}, More: true}
	b, err = EncodeJSON(KindFileResponse, resp)
	if err != nil {
		t.Fatal(err)
	}
	gotResp, err := DecodeFileResponse(b)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(resp, gotResp); diff != "" {
		t.Fatalf("file response (-want +got):\n%s", diff)
	}
	if _, err := DecodeFileResponse(append([]byte{KindFileResponse}, `{"id":1,"ok":false}`...)); err == nil {
		t.Fatal("failed response without error accepted")
	}

	tr := TaskRequest{ID: 3, Op: TaskOpService, Name: "cron.service", Verb: "restart"}
	b, _ = EncodeJSON(KindTaskRequest, tr)
	if got, err := DecodeTaskRequest(b); err != nil || got != tr {
		t.Fatalf("task request: %+v %v", got, err)
	}
	cr := ClipboardRequest{ID: 1, Op: "set", Text: "héllo"}
	b, _ = EncodeJSON(KindClipboardRequest, cr)
	if got, err := DecodeClipboardRequest(b); err != nil || got != cr {
		t.Fatalf("clipboard request: %+v %v", got, err)
	}
	rr := RegistryRequest{ID: 2, Op: RegistryOpSet, Key: `HKCU\Software\Portico`, Name: "n", Type: "qword", Value: "18446744073709551615"}
	b, _ = EncodeJSON(KindRegistryRequest, rr)
	if got, err := DecodeRegistryRequest(b); err != nil || !cmp.Equal(got, rr) {
		t.Fatalf("registry request: %+v %v", got, err)
	}
	if _, err := EncodeJSON(KindClipboardResponse, ClipboardResponse{Text: strings.Repeat("x", MaxPayload)}); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("oversized JSON message: %v", err)
	}
}

func TestFileChunkRoundTrip(t *testing.T) {
	data := bytes.Repeat([]byte{0xA5}, MaxFileChunk)
	b, err := AppendFileChunk(nil, 1<<40, data)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) > MaxPayload {
		t.Fatalf("chunk message of %d bytes exceeds MaxPayload", len(b))
	}
	off, got, err := DecodeFileChunk(b)
	if err != nil || off != 1<<40 || !bytes.Equal(got, data) {
		t.Fatalf("chunk round trip: off %d err %v", off, err)
	}
	if _, err := AppendFileChunk(nil, 0, make([]byte, MaxFileChunk+1)); err == nil {
		t.Fatal("oversized chunk accepted")
	}
}

func TestFrameMessagesRoundTrip(t *testing.T) {
	fb := FrameBegin{Seq: 9, Width: 1024, Height: 768, Full: true}
	b, err := EncodeFrameBegin(fb)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := DecodeFrameBegin(b); err != nil || got != fb {
		t.Fatalf("frame begin: %+v %v", got, err)
	}
	tile := Tile{X: 960, Y: 704, W: 64, H: 64, Format: TileJPEG, Data: []byte{1, 2, 3}}
	b, err = AppendTile(nil, tile)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeTile(b)
	if err != nil || !cmp.Equal(got, tile) {
		t.Fatalf("tile: %+v %v", got, err)
	}
	if seq, err := DecodeFrameEnd(EncodeFrameEnd(42)); err != nil || seq != 42 {
		t.Fatalf("frame end: %d %v", seq, err)
	}
	for _, in := range []Input{
		{Kind: KindPointerMove, X: 1023, Y: 767},
		{Kind: KindPointerButton, Button: 3, Down: true},
		{Kind: KindWheel, DX: -1, DY: 2},
		{Kind: KindKey, Keysym: 0xff0d, Down: true},
	} {
		b, err := EncodeInput(in)
		if err != nil {
			t.Fatal(err)
		}
		got, err := DecodeInput(b)
		if err != nil || got != in {
			t.Fatalf("input %+v: got %+v %v", in, got, err)
		}
	}
}

func TestArgs(t *testing.T) {
	ta, err := DecodeTerminalArgs(nil)
	if err != nil || ta.Cols != 80 || ta.Rows != 24 {
		t.Fatalf("terminal defaults: %+v %v", ta, err)
	}
	if _, err := DecodeTerminalArgs(json.RawMessage(`{"cols":0,"rows":5000}`)); err == nil {
		t.Fatal("terminal rows 5000 accepted")
	}
	if _, err := DecodeTerminalArgs(json.RawMessage(`{"columns":80}`)); err == nil {
		t.Fatal("unknown terminal arg accepted")
	}
	sa, err := DecodeScreenArgs(json.RawMessage(`{"fps":5}`))
	if err != nil || sa.FPS != 5 || sa.Format != "png" || sa.Quality != 75 {
		t.Fatalf("screen args: %+v %v", sa, err)
	}
	for _, bad := range []string{`{"fps":31}`, `{"format":"gif"}`, `{"quality":101}`, `{"display":-1}`, `[]`} {
		if _, err := DecodeScreenArgs(json.RawMessage(bad)); err == nil {
			t.Errorf("screen args %s accepted", bad)
		}
	}
	wa, mac, err := DecodeWakeArgs(json.RawMessage(`{"mac":"aa:bb:cc:dd:ee:ff","broadcast":"192.168.1.255"}`))
	if err != nil || mac.String() != "aa:bb:cc:dd:ee:ff" || wa.Broadcast != "192.168.1.255" {
		t.Fatalf("wake args: %+v %v %v", wa, mac, err)
	}
	for _, bad := range []string{`{}`, `{"mac":"aa:bb"}`, `{"mac":"aa:bb:cc:dd:ee:ff","broadcast":"::1"}`} {
		if _, _, err := DecodeWakeArgs(json.RawMessage(bad)); err == nil {
			t.Errorf("wake args %s accepted", bad)
		}
	}
}
