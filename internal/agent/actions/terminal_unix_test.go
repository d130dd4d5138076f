//go:build !windows

package actions

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// termReader accumulates terminal output until a pattern shows up.
type termReader struct {
	t    *testing.T
	s    *protocol.Stream
	out  bytes.Buffer
	exit *int32
}

func (r *termReader) waitFor(re *regexp.Regexp) []string {
	r.t.Helper()
	var m []string
	eventually.NoError(r.t, 15*time.Second, fmt.Sprintf("%q in the output", re), func() error {
		if m = re.FindStringSubmatch(r.out.String()); m != nil {
			r.out.Reset()
			return nil
		}
		msg := recv(r.t, r.s)
		switch msg[0] {
		case protocol.KindTermOutput:
			r.out.Write(msg[1:])
		case protocol.KindTermExit:
			code, err := protocol.DecodeTermExit(msg)
			if err != nil {
				r.t.Fatal(err)
			}
			r.exit = &code
			if m = re.FindStringSubmatch(r.out.String()); m != nil {
				return nil
			}
			r.t.Fatalf("shell exited (%d) before %q; output: %q", code, re, r.out.String())
		default:
			r.t.Fatalf("unexpected message kind 0x%02x", msg[0])
		}
		return fmt.Errorf("output so far %q", r.out.String())
	})
	return m
}

func typeLine(t *testing.T, s *protocol.Stream, line string) {
	t.Helper()
	b, err := protocol.EncodeBytes(protocol.KindTermInput, []byte(line+"\n"))
	if err != nil {
		t.Fatal(err)
	}
	send(t, s, b)
}

func TestTerminalRoundTripResizeAndExit(t *testing.T) {
	ss := newSession(t, Streams())
	s := ss.open(ActionTerminal, protocol.TerminalArgs{Cols: 80, Rows: 24, Shell: "/bin/sh"})
	r := &termReader{t: t, s: s}

	// The arithmetic makes the expected output differ from the echoed command line.
	token := rand.IntN(1 << 30)
	typeLine(t, s, fmt.Sprintf("echo hello-$((%d+1))", token))
	r.waitFor(regexp.MustCompile(fmt.Sprintf(`hello-%d\b`, token+1)))

	typeLine(t, s, `echo "term=$TERM"`)
	r.waitFor(regexp.MustCompile(`term=xterm-256color`))

	resize, err := protocol.EncodeTermResize(protocol.TermSize{Cols: 123, Rows: 45})
	if err != nil {
		t.Fatal(err)
	}
	send(t, s, resize)
	typeLine(t, s, `echo "size=$(stty size)"`)
	r.waitFor(regexp.MustCompile(`size=45 123`))

	typeLine(t, s, "exit 7")
	for r.exit == nil {
		msg := recv(t, s)
		if msg[0] == protocol.KindTermExit {
			code, _ := protocol.DecodeTermExit(msg)
			r.exit = &code
		}
	}
	if *r.exit != 7 {
		t.Fatalf("exit code %d, want 7", *r.exit)
	}
	if err := recvEnd(t, s); err.Error() != "EOF" {
		t.Fatalf("stream ended with %v, want a normal end", err)
	}
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}
}

func TestTerminalCloseKillsShellAndJobs(t *testing.T) {
	ss := newSession(t, Streams())
	s := ss.open(ActionTerminal, protocol.TerminalArgs{Shell: "/bin/sh"})
	r := &termReader{t: t, s: s}
	typeLine(t, s, "sleep 1000 & echo pids-$$-$!-end")
	m := r.waitFor(regexp.MustCompile(`pids-(\d+)-(\d+)-end`))
	if err := s.Close(""); err != nil {
		t.Fatal(err)
	}
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}
	for _, p := range m[1:] {
		pid, _ := strconv.Atoi(p)
		waitGone(t, pid)
	}
}

// waitGone waits until pid no longer runs (gone, or a zombie waiting for its parent).
func waitGone(t *testing.T, pid int) {
	t.Helper()
	eventually.True(t, 5*time.Second, fmt.Sprintf("process %d to end after the terminal was closed", pid), func() bool {
		if syscall.Kill(pid, 0) != nil {
			return true
		}
		if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			s := string(b)
			if f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:]); len(f) > 0 && f[0] == "Z" {
				return true
			}
		}
		return false
	})
}

func TestTerminalDefaultShellAndBadArgs(t *testing.T) {
	ss := newSession(t, Streams())
	s := ss.open(ActionTerminal, nil)
	r := &termReader{t: t, s: s}
	typeLine(t, s, "echo ready-$((2+3))")
	r.waitFor(regexp.MustCompile(`ready-5`))
	_ = s.Close("")
	if err := ss.handlerResult(); err != nil {
		t.Fatalf("handler: %v", err)
	}

	for _, args := range []any{
		map[string]any{"shell": "sh"},
		map[string]any{"shell": "/nonexistent/shell"},
		map[string]any{"cols": 5000},
	} {
		s := ss.open(ActionTerminal, args)
		err := recvEnd(t, s)
		if err == nil || !strings.Contains(err.Error(), "terminal:") {
			t.Errorf("args %v: stream ended with %v, want a terminal error", args, err)
		}
		if ss.handlerResult() == nil {
			t.Errorf("args %v accepted", args)
		}
	}
}

func TestTerminalRefusesForeignMessages(t *testing.T) {
	ss := newSession(t, Streams())
	s := ss.open(ActionTerminal, protocol.TerminalArgs{Shell: "/bin/sh"})
	send(t, s, []byte{protocol.KindFileChunk, 1})
	err := recvEnd(t, s)
	if err == nil || !strings.Contains(err.Error(), "0x22") {
		t.Fatalf("stream ended with %v, want a refusal naming the kind", err)
	}
	if ss.handlerResult() == nil {
		t.Fatal("handler accepted a file chunk")
	}
	_ = context.Background
}

func TestPasswdShell(t *testing.T) {
	p := t.TempDir() + "/passwd"
	if err := os.WriteFile(p, []byte("root:x:0:0:root:/root:/bin/bash\nann:x:1000:1000:Ann:/home/ann:/usr/bin/zsh\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for uid, want := range map[string]string{"0": "/bin/bash", "1000": "/usr/bin/zsh", "7": ""} {
		if got := passwdShell(p, uid); got != want {
			t.Errorf("uid %s: shell %q, want %q", uid, got, want)
		}
	}
}
