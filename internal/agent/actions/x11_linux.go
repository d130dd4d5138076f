package actions

import (
	"fmt"
	"image"
	"io"
	"log"
	"os"
	"sync"
	"time"

	"github.com/jezek/xgb"
	"github.com/jezek/xgb/xproto"
	"github.com/jezek/xgb/xtest"
	"github.com/kbinani/screenshot"

	"github.com/portico-dev/portico/internal/protocol"
)

const (
	screenSupported = true
	inputSupported  = true
)

func init() {
	// xgb logs every connection made without an Xauthority file to stderr; the agent logs through
	// slog and reports X errors itself.
	xgb.Logger = log.New(io.Discard, "", 0)
}

// captureDisplay captures one display of the X server named by $DISPLAY.
func captureDisplay(display int) (*image.RGBA, error) {
	if os.Getenv("DISPLAY") == "" {
		return nil, errNoDisplay
	}
	captureMu.Lock()
	defer captureMu.Unlock()
	img, err := captureLocked(display)
	if err != nil && captureConn != nil {
		// The server may have restarted: one fresh connection, one retry.
		captureConn.Close()
		captureConn = nil
		img, err = captureLocked(display)
	}
	return img, err
}

// The capture connection stays open for the agent's life. An X server resets itself when its last
// client disconnects, refusing connections meanwhile; an agent that connected and disconnected for
// every frame would make a display with no other client (Xvfb, a kiosk) reset under it.
var (
	captureMu   sync.Mutex
	captureConn *xgb.Conn
)

func captureLocked(display int) (*image.RGBA, error) {
	if captureConn == nil {
		var err error
		for attempt := 0; attempt < 5; attempt++ { // a server in the middle of a reset refuses for a moment
			if captureConn, err = xgb.NewConn(); err == nil {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: cannot reach the X server at %s: %v", errNoDisplay, os.Getenv("DISPLAY"), err)
		}
	}
	// The library's display queries open their own short connections: safe while ours is open.
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return nil, fmt.Errorf("%w: cannot reach the X server at %s", errNoDisplay, os.Getenv("DISPLAY"))
	}
	if display >= n {
		return nil, fmt.Errorf("display %d does not exist (%d active)", display, n)
	}
	img, err := getImage(captureConn, screenshot.GetDisplayBounds(display))
	if err != nil {
		return nil, fmt.Errorf("capture display %d: %w", display, err)
	}
	return img, nil
}

// getImage reads a rectangle of the root window with a plain GetImage request (the capture library's
// shared-memory path suffers from the resets above).
func getImage(c *xgb.Conn, r image.Rectangle) (*image.RGBA, error) {
	screen := xproto.Setup(c).DefaultScreen(c)
	reply, err := xproto.GetImage(c, xproto.ImageFormatZPixmap, xproto.Drawable(screen.Root),
		int16(r.Min.X), int16(r.Min.Y), uint16(r.Dx()), uint16(r.Dy()), 0xffffffff).Reply()
	if err != nil {
		return nil, err
	}
	w, h := r.Dx(), r.Dy()
	if len(reply.Data) < w*h*4 {
		return nil, fmt.Errorf("the X server sent %d bytes for %d×%d pixels (depth %d); only 24- and 32-bit screens are supported",
			len(reply.Data), w, h, reply.Depth)
	}
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	src, dst := reply.Data, img.Pix
	for i := 0; i < w*h; i++ { // ZPixmap at depth 24/32 is BGRX in memory
		dst[4*i], dst[4*i+1], dst[4*i+2], dst[4*i+3] = src[4*i+2], src[4*i+1], src[4*i], 0xff
	}
	return img, nil
}

// xtestInjector plays input through the X server's XTEST extension.
type xtestInjector struct {
	c      *xgb.Conn
	root   xproto.Window
	origin image.Point
	keys   map[uint32]xproto.Keycode
}

func newInjector(display int) (injector, error) {
	if os.Getenv("DISPLAY") == "" {
		return nil, errNoDisplay
	}
	c, err := xgb.NewConn()
	if err != nil {
		return nil, fmt.Errorf("%w: %v", errNoDisplay, err)
	}
	if err := xtest.Init(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("the X server has no XTEST extension: %w", err)
	}
	setup := xproto.Setup(c)
	in := &xtestInjector{c: c, root: setup.DefaultScreen(c).Root, keys: map[uint32]xproto.Keycode{}}
	if display > 0 {
		in.origin = screenshot.GetDisplayBounds(display).Min
	}
	count := int(setup.MaxKeycode) - int(setup.MinKeycode) + 1
	km, err := xproto.GetKeyboardMapping(c, setup.MinKeycode, byte(count)).Reply()
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("read the keyboard mapping: %w", err)
	}
	per := int(km.KeysymsPerKeycode)
	for i := 0; i < count && per > 0; i++ {
		for j := 0; j < per && i*per+j < len(km.Keysyms); j++ {
			ks := uint32(km.Keysyms[i*per+j])
			if _, seen := in.keys[ks]; ks != 0 && !seen {
				in.keys[ks] = xproto.Keycode(int(setup.MinKeycode) + i)
			}
		}
	}
	return in, nil
}

// maxWheelNotches bounds the button clicks one wheel event turns into.
const maxWheelNotches = 20

func (in *xtestInjector) Inject(ev protocol.Input) error {
	switch ev.Kind {
	case protocol.KindPointerMove:
		return in.fake(xproto.MotionNotify, 0, int16(ev.X+in.origin.X), int16(ev.Y+in.origin.Y))
	case protocol.KindPointerButton:
		return in.fake(buttonEvent(ev.Down), byte(ev.Button), 0, 0)
	case protocol.KindWheel:
		// X11 scrolls with buttons 4 (up), 5 (down), 6 (left) and 7 (right).
		for _, w := range []struct{ n, neg, pos int }{{ev.DY, 4, 5}, {ev.DX, 6, 7}} {
			button, n := w.pos, w.n
			if n < 0 {
				button, n = w.neg, -n
			}
			for i := 0; i < min(n, maxWheelNotches); i++ {
				if err := in.fake(xproto.ButtonPress, byte(button), 0, 0); err != nil {
					return err
				}
				if err := in.fake(xproto.ButtonRelease, byte(button), 0, 0); err != nil {
					return err
				}
			}
		}
		return nil
	case protocol.KindKey:
		kc, ok := in.keys[ev.Keysym]
		if !ok {
			// A key this keyboard layout does not have is skipped rather than ending the session.
			return nil
		}
		t := byte(xproto.KeyRelease)
		if ev.Down {
			t = xproto.KeyPress
		}
		return in.fake(t, byte(kc), 0, 0)
	}
	return fmt.Errorf("%w: input kind 0x%02x", protocol.ErrMalformed, ev.Kind)
}

func buttonEvent(down bool) byte {
	if down {
		return xproto.ButtonPress
	}
	return xproto.ButtonRelease
}

func (in *xtestInjector) fake(typ, detail byte, x, y int16) error {
	if err := xtest.FakeInputChecked(in.c, typ, detail, 0, in.root, x, y, 0).Check(); err != nil {
		return fmt.Errorf("XTEST: %w", err)
	}
	return nil
}

func (in *xtestInjector) Close() error {
	in.c.Close()
	return nil
}
