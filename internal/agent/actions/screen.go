package actions

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"time"

	"github.com/portico-dev/portico/internal/protocol"
)

// captureFunc captures the whole of one display.
type captureFunc func(display int) (*image.RGBA, error)

// serveScreenshot sends one PNG of a display.
func serveScreenshot(ctx context.Context, s stream, args json.RawMessage) error {
	return screenshotWith(ctx, s, args, captureDisplay)
}

func screenshotWith(ctx context.Context, s stream, args json.RawMessage, capture captureFunc) error {
	a, err := protocol.DecodeScreenshotArgs(args)
	if err != nil {
		return err
	}
	img, err := capture(a.Display)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return fmt.Errorf("encode screenshot: %w", err)
	}
	b := img.Bounds()
	begin := protocol.ImageBegin{Width: b.Dx(), Height: b.Dy(), Size: int64(buf.Len()), Format: "png", Display: a.Display}
	if err := sendJSON(ctx, s, protocol.KindImageBegin, begin); err != nil {
		return err
	}
	sum := sha256.Sum256(buf.Bytes())
	data := buf.Bytes()
	msg := make([]byte, 0, protocol.MaxPayload)
	for len(data) > 0 {
		n := min(len(data), protocol.MaxPayload-1)
		msg = append(append(msg[:0], protocol.KindImageChunk), data[:n]...)
		if err := s.Send(ctx, msg); err != nil {
			return fmt.Errorf("send screenshot: %w", err)
		}
		data = data[n:]
	}
	return sendJSON(ctx, s, protocol.KindImageEnd, protocol.ImageEnd{SHA256: hex.EncodeToString(sum[:])})
}

// serveScreenView streams the screen; input from the browser is refused.
func serveScreenView(ctx context.Context, s stream, args json.RawMessage) error {
	return screenWith(ctx, s, args, captureDisplay, nil)
}

// serveRemoteControl streams the screen and injects the browser's input.
func serveRemoteControl(ctx context.Context, s stream, args json.RawMessage) error {
	a, err := protocol.DecodeScreenArgs(args)
	if err != nil {
		return err
	}
	in, err := newInjector(a.Display)
	if err != nil {
		return err
	}
	defer in.Close()
	return screenWith(ctx, s, args, captureDisplay, in)
}

// injector plays input events on the device.
type injector interface {
	Inject(ev protocol.Input) error
	Close() error
}

// screenWith runs a screen stream: frames go out at most fps times a second, and only when the
// screen changed; messages from the browser are input events (when in is set).
func screenWith(ctx context.Context, s stream, args json.RawMessage, capture captureFunc, in injector) error {
	a, err := protocol.DecodeScreenArgs(args)
	if err != nil {
		return err
	}
	parent := ctx
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	inDone := make(chan error, 1)
	go func() {
		inDone <- readInput(ctx, s, in)
		cancel()
	}()
	err = sendFrames(ctx, s, a, capture)
	cancel()
	inErr := <-inDone
	switch {
	case peerClosed(inErr):
		return nil
	case inErr != nil && !errors.Is(inErr, context.Canceled):
		return inErr
	case errors.Is(err, context.Canceled):
		return parent.Err()
	}
	return err
}

func readInput(ctx context.Context, s stream, in injector) error {
	for {
		msg, err := s.Recv(ctx)
		if err != nil {
			return err
		}
		if in == nil {
			return fmt.Errorf("%w: screen_view takes no input; open remote_control to send input", protocol.ErrMalformed)
		}
		ev, err := protocol.DecodeInput(msg)
		if err != nil {
			return err
		}
		if err := in.Inject(ev); err != nil {
			return fmt.Errorf("inject input: %w", err)
		}
	}
}

func sendFrames(ctx context.Context, s stream, a protocol.ScreenArgs, capture captureFunc) error {
	enc := newTileEncoder(a.Format, a.Quality)
	var prev *image.RGBA
	var seq uint32
	tick := time.NewTicker(time.Second / time.Duration(a.FPS))
	defer tick.Stop()
	var msg []byte
	for {
		img, err := capture(a.Display)
		if err != nil {
			return err
		}
		full := prev == nil || prev.Bounds() != img.Bounds()
		var tiles []image.Rectangle
		if full {
			tiles = allTiles(img.Bounds())
		} else {
			tiles = changedTiles(prev, img)
		}
		if len(tiles) > 0 {
			seq++
			b := img.Bounds()
			begin, err := protocol.EncodeFrameBegin(protocol.FrameBegin{Seq: seq, Width: b.Dx(), Height: b.Dy(), Full: full})
			if err != nil {
				return err
			}
			if err := s.Send(ctx, begin); err != nil {
				return fmt.Errorf("send frame: %w", err)
			}
			for _, r := range tiles {
				msg, err = enc.appendTile(msg[:0], img, r)
				if err != nil {
					return err
				}
				if err := s.Send(ctx, msg); err != nil {
					return fmt.Errorf("send frame: %w", err)
				}
			}
			if err := s.Send(ctx, protocol.EncodeFrameEnd(seq)); err != nil {
				return fmt.Errorf("send frame: %w", err)
			}
		}
		prev = img
		select {
		case <-tick.C:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// allTiles cuts r in tiles of at most TileSize pixels, row by row.
func allTiles(r image.Rectangle) []image.Rectangle {
	var out []image.Rectangle
	for y := r.Min.Y; y < r.Max.Y; y += protocol.TileSize {
		for x := r.Min.X; x < r.Max.X; x += protocol.TileSize {
			out = append(out, image.Rect(x, y, min(x+protocol.TileSize, r.Max.X), min(y+protocol.TileSize, r.Max.Y)))
		}
	}
	return out
}

// changedTiles returns the tiles in which cur differs from prev (same bounds).
func changedTiles(prev, cur *image.RGBA) []image.Rectangle {
	var out []image.Rectangle
	for _, t := range allTiles(cur.Bounds()) {
		if tileChanged(prev, cur, t) {
			out = append(out, t)
		}
	}
	return out
}

func tileChanged(prev, cur *image.RGBA, t image.Rectangle) bool {
	for y := t.Min.Y; y < t.Max.Y; y++ {
		a := prev.PixOffset(t.Min.X, y)
		b := cur.PixOffset(t.Min.X, y)
		n := t.Dx() * 4
		if !bytes.Equal(prev.Pix[a:a+n], cur.Pix[b:b+n]) {
			return true
		}
	}
	return false
}

// tileEncoder encodes tiles in the viewer's chosen format, reusing its buffers.
type tileEncoder struct {
	format  byte
	quality int
	png     png.Encoder
	buf     bytes.Buffer
}

func newTileEncoder(format string, quality int) *tileEncoder {
	e := &tileEncoder{format: protocol.TilePNG, quality: quality, png: png.Encoder{CompressionLevel: png.BestSpeed}}
	if format == "jpeg" {
		e.format = protocol.TileJPEG
	}
	return e
}

func (e *tileEncoder) appendTile(dst []byte, img *image.RGBA, r image.Rectangle) ([]byte, error) {
	sub := img.SubImage(r).(*image.RGBA)
	e.buf.Reset()
	var err error
	if e.format == protocol.TileJPEG {
		err = jpeg.Encode(&e.buf, sub, &jpeg.Options{Quality: e.quality})
	} else {
		err = e.png.Encode(&e.buf, sub)
	}
	if err != nil {
		return dst, fmt.Errorf("encode tile: %w", err)
	}
	b := img.Bounds()
	return protocol.AppendTile(dst, protocol.Tile{
		X: r.Min.X - b.Min.X, Y: r.Min.Y - b.Min.Y, W: r.Dx(), H: r.Dy(),
		Format: e.format, Data: e.buf.Bytes(),
	})
}
