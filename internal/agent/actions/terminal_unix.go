//go:build !windows

package actions

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/portico-dev/portico/internal/protocol"
)

const terminalSupported = true

// drainTime bounds how long output is still read after the shell exited: a background process
// that kept the terminal open must not hold the stream forever.
const drainTime = 500 * time.Millisecond

// serveTerminal runs the user's login shell on a pty and relays it over the stream.
func serveTerminal(ctx context.Context, s stream, args json.RawMessage) error {
	a, err := protocol.DecodeTerminalArgs(args)
	if err != nil {
		return err
	}
	shell, home, err := loginShell(a.Shell)
	if err != nil {
		return err
	}
	cmd := exec.Command(shell)
	// A leading dash in argv[0] is how every Unix shell is told it is a login shell.
	cmd.Args = []string{"-" + filepath.Base(shell)}
	cmd.Dir = home
	cmd.Env = terminalEnv(os.Environ(), shell, home)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Cols: uint16(a.Cols), Rows: uint16(a.Rows)})
	if err != nil {
		return fmt.Errorf("start %s: %w", shell, err)
	}
	// pty opens the master in blocking mode; a pollable copy lets a read be bounded by a deadline
	// and interrupted by Close.
	master, err := pollable(tty)
	if err != nil {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		return err
	}
	t := &terminal{s: s, master: master, cmd: cmd}
	return t.run(ctx)
}

type terminal struct {
	s      stream
	master *os.File
	cmd    *exec.Cmd
}

func (t *terminal) run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	exited := make(chan struct{})
	go func() {
		_ = t.cmd.Wait()
		close(exited)
	}()
	outDone := make(chan error, 1)
	go func() { outDone <- t.pumpOutput(ctx) }()
	inDone := make(chan error, 1)
	go func() { inDone <- t.pumpInput(ctx) }()

	outOpen := true
	for {
		select {
		case err := <-inDone:
			// The browser closed the stream, sent something invalid, or ctx ended.
			t.killGroup()
			<-exited
			_ = t.master.Close()
			cancel()
			if outOpen {
				<-outDone
			}
			if peerClosed(err) {
				return nil
			}
			return err
		case err := <-outDone:
			outOpen = false
			if err != nil {
				// Sending failed: the stream is gone.
				t.killGroup()
				<-exited
				_ = t.master.Close()
				cancel()
				<-inDone
				return err
			}
			// Every holder of the terminal closed it: the shell is exiting.
			outDone = nil
		case <-exited:
			var outErr error
			if outOpen {
				// Whatever the shell wrote last is still in the pty: read it, within bounds.
				_ = t.master.SetReadDeadline(time.Now().Add(drainTime))
				outErr = <-outDone
			}
			t.killGroup()
			_ = t.master.Close()
			cancel()
			<-inDone
			if outErr != nil {
				return outErr
			}
			return t.s.Send(context.WithoutCancel(ctx), protocol.EncodeTermExit(int32(exitCode(t.cmd.ProcessState))))
		}
	}
}

// killGroup ends the shell and everything it started: its process group and the rest of its
// session (pty.Start made the shell a session and group leader).
func (t *terminal) killGroup() {
	pid := t.cmd.Process.Pid
	_ = syscall.Kill(-pid, syscall.SIGHUP)
	_ = syscall.Kill(-pid, syscall.SIGKILL)
	killSession(pid)
}

func (t *terminal) pumpOutput(ctx context.Context) error {
	buf := make([]byte, 32<<10)
	msg := make([]byte, 0, 1+len(buf))
	for {
		n, err := t.master.Read(buf)
		if n > 0 {
			msg = append(append(msg[:0], protocol.KindTermOutput), buf[:n]...)
			if err := t.s.Send(ctx, msg); err != nil {
				return fmt.Errorf("send output: %w", err)
			}
		}
		if err != nil {
			// EIO once the shell and its children have closed the terminal, a deadline error
			// after the drain time, ErrClosed after Close: all mean the output is over.
			return nil
		}
	}
}

func (t *terminal) pumpInput(ctx context.Context) error {
	for {
		msg, err := t.s.Recv(ctx)
		if err != nil {
			return err
		}
		kind, err := protocol.Kind(msg)
		if err != nil {
			return err
		}
		switch kind {
		case protocol.KindTermInput:
			if _, err := t.master.Write(msg[1:]); err != nil {
				return fmt.Errorf("write to terminal: %w", err)
			}
		case protocol.KindTermResize:
			size, err := protocol.DecodeTermResize(msg)
			if err != nil {
				return err
			}
			if err := setSize(t.master, size); err != nil {
				return err
			}
		default:
			return fmt.Errorf("%w: message kind 0x%02x on a terminal stream", protocol.ErrMalformed, kind)
		}
	}
}

// pollable returns a non-blocking duplicate of f registered with the runtime's poller, and closes f.
func pollable(f *os.File) (*os.File, error) {
	defer f.Close()
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		return nil, fmt.Errorf("dup pty: %w", err)
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		return nil, fmt.Errorf("pty non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fd), f.Name()), nil
}

// setSize resizes the terminal without f.Fd(), which would put the file back in blocking mode.
func setSize(f *os.File, size protocol.TermSize) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("resize: %w", err)
	}
	var ioctlErr error
	err = rc.Control(func(fd uintptr) {
		ioctlErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Col: uint16(size.Cols), Row: uint16(size.Rows)})
	})
	if err == nil {
		err = ioctlErr
	}
	if err != nil {
		return fmt.Errorf("resize terminal: %w", err)
	}
	return nil
}

func exitCode(ps *os.ProcessState) int {
	if ps == nil {
		return -1
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}

// loginShell picks the shell to run and the directory to start in. A requested shell must be an
// absolute path to an executable; otherwise the agent user's shell from the password database is
// used, then $SHELL, then /bin/sh.
func loginShell(requested string) (shell, home string, err error) {
	home = "/"
	u, uerr := user.Current()
	if uerr == nil && u.HomeDir != "" {
		if st, err := os.Stat(u.HomeDir); err == nil && st.IsDir() {
			home = u.HomeDir
		}
	}
	if requested != "" {
		if !filepath.IsAbs(requested) {
			return "", "", fmt.Errorf("shell %q is not an absolute path", requested)
		}
		if !isExecutable(requested) {
			return "", "", fmt.Errorf("shell %q is not an executable file", requested)
		}
		return requested, home, nil
	}
	var candidates []string
	if uerr == nil {
		candidates = append(candidates, passwdShell("/etc/passwd", u.Uid))
	}
	candidates = append(candidates, os.Getenv("SHELL"), "/bin/sh")
	for _, c := range candidates {
		if c != "" && filepath.IsAbs(c) && isExecutable(c) {
			return c, home, nil
		}
	}
	return "", "", errors.New("no shell found")
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular() && st.Mode().Perm()&0o111 != 0
}

// passwdShell returns the login shell of uid in a passwd file, or "".
func passwdShell(path, uid string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Split(sc.Text(), ":")
		if len(fields) == 7 && fields[2] == uid {
			return fields[6]
		}
	}
	return ""
}

// terminalEnv is the agent's environment with the terminal's own variables set.
func terminalEnv(base []string, shell, home string) []string {
	set := map[string]string{"TERM": "xterm-256color", "SHELL": shell, "HOME": home}
	out := make([]string, 0, len(base)+len(set))
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if _, ok := set[k]; ok {
			continue
		}
		out = append(out, kv)
	}
	for _, k := range []string{"TERM", "SHELL", "HOME"} {
		out = append(out, k+"="+set[k])
	}
	return out
}
