package actions

import (
	"fmt"
	"image"
	"io"
	"log"
	"os"

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
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return nil, fmt.Errorf("%w: cannot reach the X server at %s", errNoDisplay, os.Getenv("DISPLAY"))
	}
	if display >= n {
		return nil, fmt.Errorf("display %d does not exist (%d active)", display, n)
	}
	img, err := screenshot.CaptureDisplay(display)
	if err != nil {
		return nil, fmt.Errorf("capture display %d: %w", display, err)
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
