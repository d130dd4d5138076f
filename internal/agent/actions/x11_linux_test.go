package actions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"image"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

func TestScreenshotUnderXvfb(t *testing.T) {
	startXvfb(t)
	ss := newSession(t, Streams())
	s := ss.open(ActionScreenshot, protocol.ScreenshotArgs{Display: 0})
	begin, err := protocol.DecodeImageBegin(recv(t, s))
	if err != nil {
		t.Fatal(err)
	}
	if begin.Width != 1024 || begin.Height != 768 || begin.Format != "png" {
		t.Fatalf("begin %+v", begin)
	}
	var data []byte
	for {
		msg := recv(t, s)
		if msg[0] == protocol.KindImageEnd {
			end, err := protocol.DecodeImageEnd(msg)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if end.SHA256 != hex.EncodeToString(sum[:]) {
				t.Fatal("screenshot checksum does not match the bytes received")
			}
			break
		}
		chunk, err := protocol.DecodeBytes(msg, protocol.KindImageChunk)
		if err != nil {
			t.Fatal(err)
		}
		data = append(data, chunk...)
	}
	if int64(len(data)) != begin.Size {
		t.Fatalf("received %d bytes, announced %d", len(data), begin.Size)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds() != image.Rect(0, 0, 1024, 768) {
		t.Fatalf("screenshot does not decode as a 1024×768 PNG: %v", err)
	}
	if err := recvEnd(t, s); err.Error() != "EOF" {
		t.Fatalf("stream ended with %v", err)
	}

	s = ss.open(ActionScreenshot, protocol.ScreenshotArgs{Display: 5})
	if err := recvEnd(t, s); err == nil || !strings.Contains(err.Error(), "display 5 does not exist") {
		t.Fatalf("screenshot of a missing display ended with %v", err)
	}
}

// drawWindow maps a white window at r on the X server, changing those pixels of the screen.
func drawWindow(t *testing.T, r image.Rectangle) {
	t.Helper()
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	screen := xproto.Setup(c).DefaultScreen(c)
	wid, err := xproto.NewWindowId(c)
	if err != nil {
		t.Fatal(err)
	}
	err = xproto.CreateWindowChecked(c, screen.RootDepth, wid, screen.Root,
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0,
		xproto.WindowClassInputOutput, screen.RootVisual,
		xproto.CwBackPixel|xproto.CwOverrideRedirect, []uint32{screen.WhitePixel, 1}).Check()
	if err != nil {
		t.Fatal(err)
	}
	if err := xproto.MapWindowChecked(c, wid).Check(); err != nil {
		t.Fatal(err)
	}
}

func TestScreenViewUnderXvfb(t *testing.T) {
	startXvfb(t)
	ss := newSession(t, Streams())
	s := ss.open(ActionScreenView, protocol.ScreenArgs{FPS: 20})
	first := recvFrame(t, s)
	if !first.begin.Full || first.begin.Width != 1024 || first.begin.Height != 768 || len(first.tiles) != 16*12 {
		t.Fatalf("first frame %+v with %d tiles", first.begin, len(first.tiles))
	}
	// The screen stays unchanged until the window appears, so the next frame carries exactly the
	// tiles the window covers: (100,100)-(200,150) touches tiles x 64…255, y 64…191.
	drawWindow(t, image.Rect(100, 100, 200, 150))
	next := recvFrame(t, s)
	var want []image.Rectangle
	for y := 64; y < 192; y += 64 {
		for x := 64; x < 256; x += 64 {
			want = append(want, image.Rect(x, y, x+64, y+64))
		}
	}
	if next.begin.Full || next.begin.Seq != 2 || !equalRects(next.rects(), want) {
		t.Fatalf("frame after drawing: %+v tiles %v, want %v", next.begin, next.rects(), want)
	}
	img, err := png.Decode(bytes.NewReader(next.tiles[0].Data))
	if err != nil {
		t.Fatal(err)
	}
	// Tile (64,64): the window starts at (100,100), i.e. (36,36) in the tile.
	if r, g, b, _ := img.At(40, 40).RGBA(); r>>8 != 255 || g>>8 != 255 || b>>8 != 255 {
		t.Errorf("window pixel is %d,%d,%d, want white", r>>8, g>>8, b>>8)
	}
	if r, _, _, _ := img.At(10, 10).RGBA(); r != 0 {
		t.Errorf("background pixel is not black")
	}
	_ = s.Close("")
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}
}

func TestRemoteControlInjectsInputUnderXvfb(t *testing.T) {
	startXvfb(t)
	c, err := xgb.NewConn()
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	root := xproto.Setup(c).DefaultScreen(c).Root

	ss := newSession(t, Streams())
	s := ss.open(ActionRemoteControl, protocol.ScreenArgs{FPS: 5})
	recvFrame(t, s)

	input := func(in protocol.Input) {
		t.Helper()
		b, err := protocol.EncodeInput(in)
		if err != nil {
			t.Fatal(err)
		}
		send(t, s, b)
	}
	waitPointer := func(what string, ok func(*xproto.QueryPointerReply) bool) {
		t.Helper()
		eventually.True(t, 5*time.Second, "the pointer: "+what, func() bool {
			p, err := xproto.QueryPointer(c, root).Reply()
			if err != nil {
				t.Fatal(err)
			}
			return ok(p)
		})
	}
	input(protocol.Input{Kind: protocol.KindPointerMove, X: 321, Y: 234})
	waitPointer("321,234", func(p *xproto.QueryPointerReply) bool { return p.RootX == 321 && p.RootY == 234 })
	input(protocol.Input{Kind: protocol.KindPointerButton, Button: 1, Down: true})
	waitPointer("button 1 down", func(p *xproto.QueryPointerReply) bool { return p.Mask&xproto.KeyButMaskButton1 != 0 })
	input(protocol.Input{Kind: protocol.KindPointerButton, Button: 1, Down: false})
	waitPointer("button 1 up", func(p *xproto.QueryPointerReply) bool { return p.Mask&xproto.KeyButMaskButton1 == 0 })

	// Shift held down shows in the pointer's modifier mask.
	input(protocol.Input{Kind: protocol.KindKey, Keysym: 0xffe1, Down: true}) // Shift_L
	waitPointer("shift down", func(p *xproto.QueryPointerReply) bool { return p.Mask&xproto.KeyButMaskShift != 0 })
	input(protocol.Input{Kind: protocol.KindKey, Keysym: 0xffe1, Down: false})
	waitPointer("shift up", func(p *xproto.QueryPointerReply) bool { return p.Mask&xproto.KeyButMaskShift == 0 })

	// Wheel and unmapped keys are accepted without ending the session.
	input(protocol.Input{Kind: protocol.KindWheel, DY: 2})
	input(protocol.Input{Kind: protocol.KindKey, Keysym: 0x1fffffff, Down: true})
	input(protocol.Input{Kind: protocol.KindPointerMove, X: 5, Y: 6})
	waitPointer("5,6", func(p *xproto.QueryPointerReply) bool { return p.RootX == 5 && p.RootY == 6 })

	_ = s.Close("")
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}
}

func TestClipboardUnderXvfb(t *testing.T) {
	startXvfb(t)
	cb := systemClipboard().(toolClipboard)
	if cb.get == nil {
		t.Skip("neither xclip nor xsel is installed")
	}
	ss := newSession(t, Streams())
	s := ss.open(ActionClipboard, nil)
	do := func(req protocol.ClipboardRequest) protocol.ClipboardResponse {
		t.Helper()
		sendJSONT(t, s, protocol.KindClipboardRequest, req)
		r, err := protocol.DecodeClipboardResponse(recv(t, s))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	if r := do(protocol.ClipboardRequest{ID: 1, Op: "get"}); !r.OK || r.Text != "" {
		t.Fatalf("empty clipboard: %+v", r)
	}
	text := "Grüße from Portico\nline 2"
	if r := do(protocol.ClipboardRequest{ID: 2, Op: "set", Text: text}); !r.OK {
		t.Fatalf("set: %+v", r)
	}
	if r := do(protocol.ClipboardRequest{ID: 3, Op: "get"}); !r.OK || r.Text != text {
		t.Fatalf("get after set: %+v", r)
	}
	_ = context.Background
}
