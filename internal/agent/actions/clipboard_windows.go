package actions

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"
)

const clipboardSupported = true

const (
	cfUnicodeText = 13
	gmemMoveable  = 0x0002
)

// winClipboard uses the user32 clipboard of the agent's desktop session.
type winClipboard struct{}

func systemClipboard() clipboard { return winClipboard{} }

// openClipboard opens the clipboard, retrying briefly while another program holds it. The calling
// goroutine must be locked to its thread: the clipboard is opened per thread.
func openClipboard(ctx context.Context) error {
	for i := 0; ; i++ {
		r, _, err := procOpenClipboard.Call(0)
		if r != 0 {
			return nil
		}
		if i == 20 {
			return fmt.Errorf("clipboard: open: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(25 * time.Millisecond):
		}
	}
}

func (winClipboard) Get(ctx context.Context) (string, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := openClipboard(ctx); err != nil {
		return "", err
	}
	defer procCloseClipboard.Call()
	h, _, _ := procGetClipboardData.Call(cfUnicodeText)
	if h == 0 {
		return "", nil // no text on the clipboard
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		return "", fmt.Errorf("clipboard: lock: %w", err)
	}
	defer procGlobalUnlock.Call(h)
	// p points into memory the clipboard owns, not Go memory.
	return windows.UTF16PtrToString(*(**uint16)(unsafe.Pointer(&p))), nil
}

func (winClipboard) Set(ctx context.Context, text string) error {
	u16, err := windows.UTF16FromString(text)
	if err != nil {
		return errors.New("clipboard: text contains a NUL character")
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	size := uintptr(len(u16) * 2)
	h, _, err := procGlobalAlloc.Call(gmemMoveable, size)
	if h == 0 {
		return fmt.Errorf("clipboard: allocate: %w", err)
	}
	p, _, err := procGlobalLock.Call(h)
	if p == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("clipboard: lock: %w", err)
	}
	copy(unsafe.Slice(*(**uint16)(unsafe.Pointer(&p)), len(u16)), u16)
	procGlobalUnlock.Call(h)
	if err := openClipboard(ctx); err != nil {
		procGlobalFree.Call(h)
		return err
	}
	defer procCloseClipboard.Call()
	procEmptyClipboard.Call()
	if r, _, err := procSetClipboardData.Call(cfUnicodeText, h); r == 0 {
		procGlobalFree.Call(h)
		return fmt.Errorf("clipboard: set: %w", err)
	}
	// The clipboard owns the memory now.
	return nil
}
