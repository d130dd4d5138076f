package actions

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/protocol"
)

// frame is one frame as the browser sees it.
type frame struct {
	begin protocol.FrameBegin
	tiles []protocol.Tile
}

func recvFrame(t *testing.T, s *protocol.Stream) frame {
	t.Helper()
	begin, err := protocol.DecodeFrameBegin(recv(t, s))
	if err != nil {
		t.Fatal(err)
	}
	f := frame{begin: begin}
	for {
		msg := recv(t, s)
		if msg[0] == protocol.KindFrameEnd {
			seq, err := protocol.DecodeFrameEnd(msg)
			if err != nil || seq != begin.Seq {
				t.Fatalf("frame end %d (%v), want %d", seq, err, begin.Seq)
			}
			return f
		}
		tile, err := protocol.DecodeTile(msg)
		if err != nil {
			t.Fatal(err)
		}
		tile.Data = append([]byte(nil), tile.Data...)
		f.tiles = append(f.tiles, tile)
	}
}

func (f frame) rects() []image.Rectangle {
	var out []image.Rectangle
	for _, t := range f.tiles {
		out = append(out, image.Rect(t.X, t.Y, t.X+t.W, t.Y+t.H))
	}
	return out
}

func solid(w, h int, c color.RGBA) *image.RGBA {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(img, img.Bounds(), &image.Uniform{c}, image.Point{}, draw.Src)
	return img
}

// scriptedScreen hands out a list of captures, one per call, then repeats the last one and
// reports when it has been asked past the end (every later frame would be unchanged).
type scriptedScreen struct {
	images  []*image.RGBA
	calls   int
	drained chan struct{}
}

func (sc *scriptedScreen) capture(int) (*image.RGBA, error) {
	i := min(sc.calls, len(sc.images)-1)
	sc.calls++
	if sc.calls == len(sc.images)+3 {
		close(sc.drained)
	}
	// A copy, as a real capture returns a new image every time.
	img := image.NewRGBA(sc.images[i].Bounds())
	copy(img.Pix, sc.images[i].Pix)
	return img, nil
}

func TestScreenViewSendsOnlyChanges(t *testing.T) {
	black := solid(200, 100, color.RGBA{0, 0, 0, 255})
	changed := solid(200, 100, color.RGBA{0, 0, 0, 255})
	changed.Set(70, 10, color.RGBA{255, 0, 0, 255})  // tile (64,0)
	changed.Set(199, 99, color.RGBA{0, 255, 0, 255}) // tile (192,64), a partial one
	bigger := solid(300, 100, color.RGBA{0, 0, 0, 255})
	sc := &scriptedScreen{images: []*image.RGBA{black, black, black, changed, changed, bigger}, drained: make(chan struct{})}

	ss := newSession(t, map[string]StreamHandler{ActionScreenView: wrap(ActionScreenView, func(ctx context.Context, s stream, args json.RawMessage) error {
		return screenWith(ctx, s, args, sc.capture, nil)
	})})
	s := ss.open(ActionScreenView, protocol.ScreenArgs{FPS: 30})

	first := recvFrame(t, s)
	if !first.begin.Full || first.begin.Width != 200 || first.begin.Height != 100 || len(first.tiles) != 8 {
		t.Fatalf("first frame %+v with %d tiles, want a full 200×100 frame of 8 tiles", first.begin, len(first.tiles))
	}
	img, err := png.Decode(bytes.NewReader(first.tiles[0].Data))
	if err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("tile 0 does not decode as a 64-pixel PNG: %v", err)
	}
	// Two unchanged captures follow: the next frame must be the change, with only its tiles.
	second := recvFrame(t, s)
	want := []image.Rectangle{image.Rect(64, 0, 128, 64), image.Rect(192, 64, 200, 100)}
	if second.begin.Full || second.begin.Seq != 2 || !equalRects(second.rects(), want) {
		t.Fatalf("second frame %+v tiles %v, want tiles %v", second.begin, second.rects(), want)
	}
	third := recvFrame(t, s)
	if !third.begin.Full || third.begin.Width != 300 || len(third.tiles) != 10 {
		t.Fatalf("after a resize: frame %+v with %d tiles, want a full 300×100 frame", third.begin, len(third.tiles))
	}
	// Let the handler go on capturing an unchanged screen before closing, so that closing meets a
	// running capture loop.
	<-sc.drained
	_ = s.Close("")
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}
}

func equalRects(a, b []image.Rectangle) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestScreenViewRefusesInputAndBadArgs(t *testing.T) {
	sc := &scriptedScreen{images: []*image.RGBA{solid(10, 10, color.RGBA{A: 255})}, drained: make(chan struct{})}
	ss := newSession(t, map[string]StreamHandler{ActionScreenView: wrap(ActionScreenView, func(ctx context.Context, s stream, args json.RawMessage) error {
		return screenWith(ctx, s, args, sc.capture, nil)
	})})
	s := ss.open(ActionScreenView, protocol.ScreenArgs{FPS: 30, Format: "jpeg"})
	f := recvFrame(t, s)
	if f.tiles[0].Format != protocol.TileJPEG {
		t.Fatalf("tile format %d, want JPEG", f.tiles[0].Format)
	}
	b, _ := protocol.EncodeInput(protocol.Input{Kind: protocol.KindPointerMove, X: 1, Y: 1})
	send(t, s, b)
	if err := recvEnd(t, s); err == nil || !strings.Contains(err.Error(), "screen_view takes no input") {
		t.Fatalf("stream ended with %v", err)
	}
	ss.handlerResult()

	s = ss.open(ActionScreenView, map[string]int{"fps": 100})
	if err := recvEnd(t, s); err == nil || !strings.Contains(err.Error(), "fps 100") {
		t.Fatalf("stream ended with %v", err)
	}
}

func TestNoDisplay(t *testing.T) {
	t.Setenv("DISPLAY", "")
	ss := newSession(t, Streams())
	for _, action := range []string{ActionScreenshot, ActionScreenView, ActionRemoteControl} {
		if _, ok := Streams()[action]; !ok {
			t.Skipf("%s not supported here", action)
		}
		s := ss.open(action, nil)
		if err := recvEnd(t, s); err == nil || !strings.Contains(err.Error(), action+": no display available") {
			t.Errorf("%s: stream ended with %v", action, err)
		}
		ss.handlerResult()
	}
}

func BenchmarkFrameDiff1024x768(b *testing.B) {
	prev := solid(1024, 768, color.RGBA{10, 20, 30, 255})
	for _, bc := range []struct {
		name string
		cur  *image.RGBA
	}{
		{"unchanged", solid(1024, 768, color.RGBA{10, 20, 30, 255})},
		{"one_pixel", func() *image.RGBA {
			img := solid(1024, 768, color.RGBA{10, 20, 30, 255})
			img.Set(1000, 700, color.RGBA{255, 255, 255, 255})
			return img
		}()},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(prev.Pix)))
			for b.Loop() {
				changedTiles(prev, bc.cur)
			}
		})
	}
}

// BenchmarkFullFrameEncode measures encoding every tile of a 1024×768 screen as PNG.
func BenchmarkFullFrameEncode(b *testing.B) {
	img := image.NewRGBA(image.Rect(0, 0, 1024, 768))
	for i := range img.Pix {
		img.Pix[i] = byte(i*7 + i/4096)
	}
	enc := newTileEncoder("png", 0)
	tiles := allTiles(img.Bounds())
	var msg []byte
	b.SetBytes(int64(len(img.Pix)))
	for b.Loop() {
		for _, r := range tiles {
			var err error
			if msg, err = enc.appendTile(msg[:0], img, r); err != nil {
				b.Fatal(err)
			}
		}
	}
}
