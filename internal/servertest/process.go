// Package servertest runs Portico for tests the way operators run it: nodes in process (the same
// server.New the binary uses) or as real processes of the built binaries, and beside them the real
// servers a cluster needs — NATS (Debian's nats-server) and HAProxy in front of the nodes, each
// started per test on free ports — with a small JSON client for the API.
package servertest

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	buildOnce sync.Once
	buildDir  string
	buildErr  error
)

// Binaries builds cmd/portico and cmd/portico-agent once per test process and returns their paths.
func Binaries(t testing.TB) (portico, agent string) {
	t.Helper()
	buildOnce.Do(func() {
		buildDir, buildErr = os.MkdirTemp("", "portico-servertest-")
		if buildErr != nil {
			return
		}
		for name, pkg := range map[string]string{"portico": "github.com/portico-dev/portico/cmd/portico",
			"portico-agent": "github.com/portico-dev/portico/cmd/portico-agent"} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(buildDir, name), pkg).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return filepath.Join(buildDir, "portico"), filepath.Join(buildDir, "portico-agent")
}

// FreeAddr returns a 127.0.0.1 address with a port nothing listens on (for a server that must get
// the same address again after a restart).
func FreeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// Process is a running program of the test: a node, an agent, NATS, HAProxy.
type Process struct {
	t    testing.TB
	name string
	bin  string
	args []string
	env  []string

	mu     sync.Mutex
	cmd    *exec.Cmd
	done   chan struct{}
	err    error
	output *lockedBuffer
	lines  chan string
}

// lockedBuffer is the combined output of a process, kept for failure messages.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// StartProcess starts bin with args and extra environment, and stops it (SIGKILL) when the test ends.
func StartProcess(t testing.TB, name, bin string, args, env []string) *Process {
	t.Helper()
	p := &Process{t: t, name: name, bin: bin, args: args, env: env, output: &lockedBuffer{}}
	p.start()
	t.Cleanup(func() { p.Kill() })
	return p
}

func (p *Process) start() {
	p.t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Env = append(os.Environ(), p.env...)
	pr, pw := io.Pipe()
	cmd.Stdout = io.MultiWriter(pw, p.output)
	cmd.Stderr = p.output
	if err := cmd.Start(); err != nil {
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	lines := make(chan string, 64)
	p.mu.Lock()
	p.cmd, p.done, p.lines = cmd, done, lines
	p.mu.Unlock()
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
	}()
	go func() {
		err := cmd.Wait()
		pw.Close()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		close(done)
	}()
}

// Restart starts the program again with the same arguments (after Kill or Stop).
func (p *Process) Restart() {
	p.t.Helper()
	p.start()
}

// WaitLine waits for a line of standard output matching re and returns its submatches.
func (p *Process) WaitLine(re *regexp.Regexp, within time.Duration) []string {
	p.t.Helper()
	p.mu.Lock()
	lines, done := p.lines, p.done
	p.mu.Unlock()
	timeout := time.After(within)
	for {
		select {
		case l := <-lines:
			if m := re.FindStringSubmatch(l); m != nil {
				return m
			}
		case <-done:
			p.t.Fatalf("%s exited (%v) before printing %s\n%s", p.name, p.err, re, p.Output())
		case <-timeout:
			p.t.Fatalf("%s did not print %s within %s\n%s", p.name, re, within, p.Output())
		}
	}
}

// Output is what the process printed so far.
func (p *Process) Output() string { return p.output.String() }

// Running reports whether the process has not exited.
func (p *Process) Running() bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	select {
	case <-done:
		return false
	default:
		return true
	}
}

// Kill ends the process at once (kill -9) and waits for it.
func (p *Process) Kill() {
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	if cmd == nil || cmd.Process == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-done
}

// Stop asks the process to end (SIGTERM) and waits up to 30 s.
func (p *Process) Stop() {
	p.t.Helper()
	p.mu.Lock()
	cmd, done := p.cmd, p.done
	p.mu.Unlock()
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		p.t.Errorf("%s did not stop within 30 s of SIGTERM", p.name)
		p.Kill()
	}
}

// Pid is the running process's id.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cmd.Process.Pid
}

// Logs returns the last n lines of output, for failure messages.
func (p *Process) Logs(n int) string {
	lines := strings.Split(strings.TrimRight(p.Output(), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return p.name + ":\n" + strings.Join(lines, "\n")
}
