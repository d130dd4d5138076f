// Package actions performs the remote actions of a session on the agent's device: the stream
// actions (terminal, file transfer, task manager, screenshot, screen view and remote control,
// clipboard, registry) and the one-shot commands (reboot, lock, wake, ctrl_alt_del, blank_screen).
//
// The formats spoken on each stream are documented in internal/protocol (actions.go). Actions the
// device's OS does not have are refused with an error that says "not supported on this OS".
package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"

	"github.com/portico-dev/portico/internal/protocol"
)

// StreamHandler serves one stream opened for an action. It returns when the action is over: the
// peer closed the stream, the work ended (the shell exited, the screenshot was sent) or ctx ended.
// It closes the stream before returning, with the error's text as the reason when it fails.
type StreamHandler func(ctx context.Context, s *protocol.Stream, args json.RawMessage) error

// ErrUnsupported is wrapped by every refusal of an action that this OS does not have.
var ErrUnsupported = errors.New("not supported on this OS")

// errNoDisplay is returned by the screen actions when there is no graphical session to use.
var errNoDisplay = errors.New("no display available")

// stream is what the handlers need of a *protocol.Stream, so that they can be tested against other
// implementations too.
type stream interface {
	Send(ctx context.Context, msg []byte) error
	SendInPlace(ctx context.Context, buf []byte) error
	Recv(ctx context.Context) ([]byte, error)
	RecvFunc(ctx context.Context, fn func(msg []byte) error) error
	Close(reason string) error
}

// handler is the form every stream action is written in.
type handler func(ctx context.Context, s stream, args json.RawMessage) error

// Stream action names, as in the device permissions.
const (
	ActionScreenView    = "screen_view"
	ActionRemoteControl = "remote_control"
	ActionScreenshot    = "screenshot"
	ActionFileTransfer  = "file_transfer"
	ActionTerminal      = "terminal"
	ActionRegistry      = "registry"
	ActionTaskManager   = "task_manager"
	ActionClipboard     = "clipboard"
)

// Command action names.
const (
	ActionReboot      = "reboot"
	ActionLock        = "lock"
	ActionWake        = "wake"
	ActionCtrlAltDel  = "ctrl_alt_del"
	ActionBlankScreen = "blank_screen"
)

// streamHandlers lists the stream actions this OS supports.
func streamHandlers() map[string]handler {
	m := map[string]handler{
		ActionFileTransfer: serveFiles,
		ActionTaskManager:  serveTasks,
	}
	if terminalSupported {
		m[ActionTerminal] = serveTerminal
	}
	if screenSupported {
		m[ActionScreenshot] = serveScreenshot
		m[ActionScreenView] = serveScreenView
	}
	if screenSupported && inputSupported {
		m[ActionRemoteControl] = serveRemoteControl
	}
	if clipboardSupported {
		m[ActionClipboard] = serveClipboard
	}
	if registrySupported {
		m[ActionRegistry] = serveRegistry
	}
	return m
}

// Streams returns the stream actions supported on this OS, by action name.
func Streams() map[string]StreamHandler {
	out := make(map[string]StreamHandler)
	for name, h := range streamHandlers() {
		out[name] = wrap(name, h)
	}
	return out
}

// wrap adapts a handler to the exported form and closes the stream with the outcome.
func wrap(name string, h handler) StreamHandler {
	return func(ctx context.Context, s *protocol.Stream, args json.RawMessage) error {
		err := h(ctx, s, args)
		reason := ""
		if err != nil {
			err = fmt.Errorf("%s: %w", name, err)
			reason = err.Error()
			slog.DebugContext(ctx, "action stream ended", "action", name, "err", err)
		}
		_ = s.Close(reason)
		return err
	}
}

// Supported returns every action, stream or command, supported on this OS, sorted.
func Supported() []string {
	var out []string
	for name := range streamHandlers() {
		out = append(out, name)
	}
	for name := range commandHandlers() {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// peerClosed tells whether a Recv error means the browser closed the stream (normally or with a
// reason), which ends an action without an error of its own.
func peerClosed(err error) bool {
	var se *protocol.StreamError
	return errors.Is(err, io.EOF) || errors.As(err, &se)
}

// unsupported builds the refusal of an action this OS does not have.
func unsupported(action string) error {
	return fmt.Errorf("%s: %w", action, ErrUnsupported)
}

// sendJSON encodes v as a message of the given kind and sends it.
func sendJSON(ctx context.Context, s stream, kind byte, v any) error {
	b, err := protocol.EncodeJSON(kind, v)
	if err != nil {
		return err
	}
	if err := s.Send(ctx, b); err != nil {
		return fmt.Errorf("send: %w", err)
	}
	return nil
}

// pageBudget is how many bytes of list items one response may carry, leaving room for the envelope.
const pageBudget = protocol.MaxPayload - 2048

// pages splits items into runs whose JSON fits one message. An item too large on its own (it
// cannot be, given the bounds the callers put on names and command lines) gets a page of its own.
func pages[T any](items []T) [][]T {
	var out [][]T
	start, size := 0, 0
	for i, it := range items {
		b, _ := json.Marshal(it)
		n := len(b) + 1
		if size+n > pageBudget && i > start {
			out = append(out, items[start:i])
			start, size = i, 0
		}
		size += n
	}
	return append(out, items[start:])
}

// truncate shortens s to at most n bytes without splitting a UTF-8 sequence.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
