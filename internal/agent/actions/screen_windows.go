package actions

import (
	"fmt"
	"image"
	"unicode/utf16"
	"unsafe"

	"github.com/kbinani/screenshot"

	"github.com/portico-dev/portico/internal/protocol"
)

const (
	screenSupported = true
	inputSupported  = true
)

// captureDisplay captures one display of the agent's desktop session. An agent running as a
// service in session 0 has no interactive desktop to capture.
func captureDisplay(display int) (*image.RGBA, error) {
	n := screenshot.NumActiveDisplays()
	if n == 0 {
		return nil, errNoDisplay
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

// SendInput structures (winuser.h). Both kinds are padded to the size of the INPUT union.
type mouseInput struct {
	typ       uint32
	dx, dy    int32
	mouseData uint32
	flags     uint32
	time      uint32
	extraInfo uintptr
}

type keybdInput struct {
	typ       uint32
	vk, scan  uint16
	flags     uint32
	time      uint32
	extraInfo uintptr
	_         [8]byte
}

const (
	inputMouse    = 0
	inputKeyboard = 1

	mouseLeftDown   = 0x0002
	mouseLeftUp     = 0x0004
	mouseRightDown  = 0x0008
	mouseRightUp    = 0x0010
	mouseMiddleDown = 0x0020
	mouseMiddleUp   = 0x0040
	mouseWheel      = 0x0800
	mouseHWheel     = 0x1000
	wheelDelta      = 120

	keyUp      = 0x0002
	keyUnicode = 0x0004
)

// winInjector plays input with SendInput on the agent's desktop.
type winInjector struct {
	origin image.Point
}

func newInjector(display int) (injector, error) {
	if screenshot.NumActiveDisplays() == 0 {
		return nil, errNoDisplay
	}
	return &winInjector{origin: screenshot.GetDisplayBounds(display).Min}, nil
}

func (w *winInjector) Close() error { return nil }

func sendMouse(in mouseInput) error {
	in.typ = inputMouse
	if r, _, err := procSendInput.Call(1, uintptr(unsafe.Pointer(&in)), unsafe.Sizeof(in)); r != 1 {
		return fmt.Errorf("SendInput: %w", err)
	}
	return nil
}

func sendKey(in keybdInput) error {
	in.typ = inputKeyboard
	if r, _, err := procSendInput.Call(1, uintptr(unsafe.Pointer(&in)), unsafe.Sizeof(in)); r != 1 {
		return fmt.Errorf("SendInput: %w", err)
	}
	return nil
}

func (w *winInjector) Inject(ev protocol.Input) error {
	switch ev.Kind {
	case protocol.KindPointerMove:
		if r, _, err := procSetCursorPos.Call(uintptr(ev.X+w.origin.X), uintptr(ev.Y+w.origin.Y)); r == 0 {
			return fmt.Errorf("SetCursorPos: %w", err)
		}
		return nil
	case protocol.KindPointerButton:
		var flags uint32
		switch ev.Button {
		case 1:
			flags = pick(ev.Down, mouseLeftDown, mouseLeftUp)
		case 2:
			flags = pick(ev.Down, mouseMiddleDown, mouseMiddleUp)
		case 3:
			flags = pick(ev.Down, mouseRightDown, mouseRightUp)
		case 4, 5, 6, 7:
			// X11 wheel buttons: one notch per press.
			if !ev.Down {
				return nil
			}
			wheel := map[int]protocol.Input{4: {DY: -1}, 5: {DY: 1}, 6: {DX: -1}, 7: {DX: 1}}[ev.Button]
			wheel.Kind = protocol.KindWheel
			return w.Inject(wheel)
		}
		return sendMouse(mouseInput{flags: flags})
	case protocol.KindWheel:
		if ev.DY != 0 {
			// Windows scrolls up for positive deltas; the protocol scrolls down for positive dy.
			if err := sendMouse(mouseInput{flags: mouseWheel, mouseData: uint32(int32(-ev.DY * wheelDelta))}); err != nil {
				return err
			}
		}
		if ev.DX != 0 {
			return sendMouse(mouseInput{flags: mouseHWheel, mouseData: uint32(int32(ev.DX * wheelDelta))})
		}
		return nil
	case protocol.KindKey:
		var up uint32
		if !ev.Down {
			up = keyUp
		}
		if vk, ok := keysymToVK(ev.Keysym); ok {
			return sendKey(keybdInput{vk: vk, flags: up})
		}
		// Printable characters without a virtual key are typed as Unicode.
		r, ok := keysymRune(ev.Keysym)
		if !ok {
			return nil
		}
		for _, unit := range utf16.Encode([]rune{r}) {
			if err := sendKey(keybdInput{scan: unit, flags: keyUnicode | up}); err != nil {
				return err
			}
		}
		return nil
	}
	return fmt.Errorf("%w: input kind 0x%02x", protocol.ErrMalformed, ev.Kind)
}

func pick(down bool, d, u uint32) uint32 {
	if down {
		return d
	}
	return u
}

// keysymVK maps the X11 keysyms of non-character keys to Windows virtual keys.
var keysymVK = map[uint32]uint16{
	0xff08: 0x08, // BackSpace
	0xff09: 0x09, // Tab
	0xff0d: 0x0D, // Return
	0xff13: 0x13, // Pause
	0xff14: 0x91, // Scroll_Lock
	0xff1b: 0x1B, // Escape
	0xff50: 0x24, // Home
	0xff51: 0x25, // Left
	0xff52: 0x26, // Up
	0xff53: 0x27, // Right
	0xff54: 0x28, // Down
	0xff55: 0x21, // Page_Up
	0xff56: 0x22, // Page_Down
	0xff57: 0x23, // End
	0xff61: 0x2C, // Print
	0xff63: 0x2D, // Insert
	0xff67: 0x5D, // Menu
	0xff7f: 0x90, // Num_Lock
	0xff8d: 0x0D, // KP_Enter
	0xffe1: 0xA0, // Shift_L
	0xffe2: 0xA1, // Shift_R
	0xffe3: 0xA2, // Control_L
	0xffe4: 0xA3, // Control_R
	0xffe5: 0x14, // Caps_Lock
	0xffe9: 0xA4, // Alt_L
	0xffea: 0xA5, // Alt_R
	0xffeb: 0x5B, // Super_L
	0xffec: 0x5C, // Super_R
	0xffff: 0x2E, // Delete
	0x0020: 0x20, // space
}

func keysymToVK(ks uint32) (uint16, bool) {
	if vk, ok := keysymVK[ks]; ok {
		return vk, true
	}
	switch {
	case ks >= 0xffbe && ks <= 0xffc9: // F1…F12
		return uint16(0x70 + ks - 0xffbe), true
	case ks >= 'a' && ks <= 'z':
		return uint16(ks - 'a' + 'A'), true
	case ks >= 'A' && ks <= 'Z', ks >= '0' && ks <= '9':
		return uint16(ks), true
	}
	return 0, false
}

// keysymRune returns the character of a character keysym: Latin-1 keysyms are their code point,
// Unicode keysyms are 0x01000000 plus the code point.
func keysymRune(ks uint32) (rune, bool) {
	switch {
	case ks >= 0x20 && ks <= 0x7e, ks >= 0xa0 && ks <= 0xff:
		return rune(ks), true
	case ks >= 0x01000100 && ks <= 0x0110ffff:
		return rune(ks - 0x01000000), true
	}
	return 0, false
}
