//go:build !windows

package actions

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// clipboardSupported: X11 through xclip or xsel, macOS through pbcopy and pbpaste. Whether the
// tools are installed is checked when the clipboard is used, with a clear error.
const clipboardSupported = true

// toolClipboard drives command-line clipboard tools.
type toolClipboard struct {
	get, set []string
	// needsDisplay is set for the X11 tools.
	needsDisplay bool
}

func systemClipboard() clipboard {
	if runtime.GOOS == "darwin" {
		return toolClipboard{get: []string{"pbpaste"}, set: []string{"pbcopy"}}
	}
	if _, err := exec.LookPath("xclip"); err == nil {
		return toolClipboard{
			get:          []string{"xclip", "-selection", "clipboard", "-o"},
			set:          []string{"xclip", "-selection", "clipboard", "-i"},
			needsDisplay: true,
		}
	}
	if _, err := exec.LookPath("xsel"); err == nil {
		return toolClipboard{
			get:          []string{"xsel", "--clipboard", "--output"},
			set:          []string{"xsel", "--clipboard", "--input"},
			needsDisplay: true,
		}
	}
	return toolClipboard{}
}

func (c toolClipboard) check() error {
	if c.get == nil {
		return errors.New("clipboard: neither xclip nor xsel is installed")
	}
	if c.needsDisplay && os.Getenv("DISPLAY") == "" {
		return fmt.Errorf("clipboard: %w", errNoDisplay)
	}
	return nil
}

func (c toolClipboard) Get(ctx context.Context) (string, error) {
	if err := c.check(); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, c.get[0], c.get[1:]...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		// xclip fails this way when the clipboard holds nothing (or no text).
		if strings.Contains(stderr.String(), "not available") {
			return "", nil
		}
		return "", fmt.Errorf("clipboard: read: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	return string(out), nil
}

func (c toolClipboard) Set(ctx context.Context, text string) error {
	if err := c.check(); err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, c.set[0], c.set[1:]...)
	cmd.Stdin = strings.NewReader(text)
	// xclip and xsel leave a child behind that serves the selection until someone else owns it;
	// it must not hold our pipes, or Wait would wait for it. Standard output and error therefore go
	// to /dev/null.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("clipboard: write: %w", err)
	}
	return nil
}
