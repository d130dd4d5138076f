package actions

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// session connects a browser-side Conn to an agent-side Conn over an in-memory pipe; streams the
// browser side opens are served by the given handlers, as the agent core does.
type session struct {
	t      *testing.T
	ctx    context.Context
	server *protocol.Conn
	// errs receives each handler's result.
	errs chan error
}

func newSession(t *testing.T, handlers map[string]StreamHandler) *session {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	a, b := protocol.Pipe()
	var wg sync.WaitGroup
	ss := &session{t: t, ctx: ctx, errs: make(chan error, 16)}
	agent := protocol.NewConn(a, protocol.Options{Role: protocol.RoleAgent, OnStream: func(s *protocol.Stream) {
		req := s.Request()
		h, ok := handlers[req.Action]
		if !ok {
			_ = s.Close("unknown action " + req.Action)
			return
		}
		ss.errs <- h(ctx, s, req.Args)
	}})
	ss.server = protocol.NewConn(b, protocol.Options{Role: protocol.RoleServer})
	wg.Add(2)
	go func() { defer wg.Done(); _ = agent.Run(ctx) }()
	go func() { defer wg.Done(); _ = ss.server.Run(ctx) }()
	t.Cleanup(func() {
		_ = ss.server.Close("")
		_ = agent.Close("")
		cancel()
		wg.Wait()
	})
	return ss
}

// open opens a stream for action with args.
func (ss *session) open(action string, args any) *protocol.Stream {
	ss.t.Helper()
	var raw json.RawMessage
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			ss.t.Fatal(err)
		}
		raw = b
	}
	s, err := ss.server.Open(ss.ctx, protocol.OpenRequest{SessionID: "sess-1", Action: action, Args: raw})
	if err != nil {
		ss.t.Fatalf("open %s: %v", action, err)
	}
	return s
}

// handlerResult waits for the next handler to return.
func (ss *session) handlerResult() error {
	ss.t.Helper()
	select {
	case err := <-ss.errs:
		return err
	case <-time.After(20 * time.Second):
		ss.t.Fatal("handler did not return")
		return nil
	}
}

// recv reads one message with a generous deadline, so that a broken handler fails the test
// instead of hanging it.
func recv(t *testing.T, s *protocol.Stream) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	msg, err := s.Recv(ctx)
	if err != nil {
		t.Fatalf("recv: %v", err)
	}
	return msg
}

func send(t *testing.T, s *protocol.Stream, msg []byte) {
	t.Helper()
	if err := s.Send(context.Background(), msg); err != nil {
		t.Fatalf("send: %v", err)
	}
}

func sendJSONT(t *testing.T, s *protocol.Stream, kind byte, v any) {
	t.Helper()
	b, err := protocol.EncodeJSON(kind, v)
	if err != nil {
		t.Fatal(err)
	}
	send(t, s, b)
}

// recvEnd waits for the stream to end and returns Recv's final error.
func recvEnd(t *testing.T, s *protocol.Stream) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	for {
		_, err := s.Recv(ctx)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				t.Fatal("stream did not end")
			}
			return err
		}
	}
}

// startXvfb starts a virtual X server on a free display number, points DISPLAY at it and stops it
// when the test ends. Without Xvfb the test is skipped, unless CI=true.
func startXvfb(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("Xvfb")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Xvfb is not installed (apt-get install -y xvfb xdotool)")
		}
		t.Skip("Xvfb is not installed")
	}
	for n := 97; n < 140; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); err == nil {
			continue
		}
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); err == nil {
			continue
		}
		display := fmt.Sprintf(":%d", n)
		// -noreset: by default Xvfb resets when its last client leaves, which resets the next
		// connection if it arrives meanwhile.
		cmd := exec.Command(bin, display, "-screen", "0", "1024x768x24", "-nolisten", "tcp", "-noreset")
		cmd.Stdout, cmd.Stderr = io.Discard, io.Discard
		if err := cmd.Start(); err != nil {
			t.Fatalf("start Xvfb: %v", err)
		}
		exited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(exited) }()
		socket := fmt.Sprintf("/tmp/.X11-unix/X%d", n)
		ready := false
		eventually.Within(5*time.Second, func() bool {
			select {
			case <-exited:
				return true // display taken meanwhile: try the next one
			default:
			}
			_, err := os.Stat(socket)
			ready = err == nil
			return ready
		})
		if !ready {
			_ = cmd.Process.Kill()
			<-exited
			continue
		}
		t.Cleanup(func() {
			// SIGTERM lets Xvfb remove its lock file and socket.
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-exited:
			case <-time.After(5 * time.Second):
				_ = cmd.Process.Kill()
				<-exited
			}
		})
		t.Setenv("DISPLAY", display)
		return display
	}
	t.Fatal("no free X display number")
	return ""
}
