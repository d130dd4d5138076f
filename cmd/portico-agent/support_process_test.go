package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// buildWithTrailer builds the agent and appends a support trailer to it, as the server does for a
// download.
func buildWithTrailer(t *testing.T, tr protocol.SupportTrailer) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "portico-support")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	f, err := os.OpenFile(bin, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := protocol.AppendSupportTrailer(f, tr); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return bin
}

// emptyEnv runs cmd with a home, config directory, temporary directory and working directory of its
// own, all empty, and returns them to check afterwards.
func emptyEnv(t *testing.T, cmd *exec.Cmd) []string {
	t.Helper()
	root := t.TempDir()
	dirs := []string{"home", "config", "tmp", "cwd"}
	for i, d := range dirs {
		dirs[i] = filepath.Join(root, d)
		if err := os.Mkdir(dirs[i], 0o700); err != nil {
			t.Fatal(err)
		}
	}
	cmd.Env = append(os.Environ(), "HOME="+dirs[0], "XDG_CONFIG_HOME="+dirs[1], "TMPDIR="+dirs[2], "TMP="+dirs[2],
		"TEMP="+dirs[2], "USERPROFILE="+dirs[0], "APPDATA="+dirs[1])
	cmd.Dir = dirs[3]
	return dirs
}

func checkEmpty(t *testing.T, dirs []string) {
	t.Helper()
	for _, d := range dirs {
		if entries, _ := os.ReadDir(d); len(entries) > 0 {
			t.Errorf("the support agent left %v in %s", entries, d)
		}
	}
}

// TestSupportTrailerOnBuiltBinary runs a real binary with a trailer: it still runs, and support takes
// the server and code from it, flags winning.
func TestSupportTrailerOnBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	down := closedServerURL(t)
	bin := buildWithTrailer(t, protocol.SupportTrailer{Server: down, Code: supportCode})

	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "portico-agent ") {
		t.Fatalf("version with a trailer: %v, %s", err, out)
	}

	cmd := exec.Command(bin, "support", "--no-browser")
	dirs := emptyEnv(t, cmd)
	out, err = cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "could not reach "+down) {
		t.Errorf("support with the trailer's unreachable server: %v, %s", err, out)
	}
	checkEmpty(t, dirs)

	// --server wins over the trailer's; the code still comes from it.
	fs := newFakeSupportServer(t)
	fs.refuse.Store(true)
	out, err = exec.Command(bin, "support", "--no-browser", "--server", fs.srv.URL).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "The support session has ended") {
		t.Errorf("support --server: %v, %s", err, out)
	}
	if r := <-fs.redeems; r.Code != supportCode {
		t.Errorf("redeemed %q", r.Code)
	}
	// --code wins too.
	out, err = exec.Command(bin, "support", "--no-browser", "--server", fs.srv.URL, "--code", "111-111-111").CombinedOutput()
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), "the code is wrong") {
		t.Errorf("support --code: %v, %s", err, out)
	}
	if r := <-fs.redeems; r.Code != "111111111" {
		t.Errorf("redeemed %q", r.Code)
	}
}

// TestSupportProcessEndsOnSignal runs the support agent from a downloaded binary without flags until
// SIGTERM: it exits with status 0 and leaves nothing behind.
func TestSupportProcessEndsOnSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("signals")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	fs := newFakeSupportServer(t)
	bin := buildWithTrailer(t, protocol.SupportTrailer{Server: fs.srv.URL, Code: supportCode})
	cmd := exec.Command(bin, "support", "--no-browser")
	dirs := emptyEnv(t, cmd)
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-exited
		}
	}()
	sc := fs.next(t)
	var url string
	eventually.True(t, 10*time.Second, "the window line", func() bool {
		_, rest, ok := strings.Cut(stdout.String(), "window: ")
		url, _, _ = strings.Cut(rest, "\n")
		return ok && strings.HasSuffix(url, "/")
	})
	eventually.True(t, 10*time.Second, "connected", func() bool { return windowState(t, url).Connection == agent.ConnConnected })
	// The window address is in the temporary directory, and only there.
	tmp, _ := os.ReadDir(dirs[2])
	if len(tmp) != 1 {
		t.Fatalf("temporary directory holds %v", tmp)
	}
	if b, err := os.ReadFile(filepath.Join(dirs[2], tmp[0].Name(), "window.addr")); err != nil || !strings.Contains(url, strings.TrimSpace(string(b))) {
		t.Errorf("window.addr %q, %v", b, err)
	}

	cmd.Process.Signal(syscall.SIGTERM)
	var end protocol.SessionEnd
	sc.expect(t, protocol.MsgSessionEnd, &end)
	sc.send(t, protocol.MsgStop, protocol.Stop{Reason: "ended by the end user"})
	select {
	case err := <-exited:
		if err != nil || !strings.Contains(stdout.String(), "The support session has ended") {
			t.Errorf("exit: %v; stdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatalf("no exit after SIGTERM; stderr:\n%s", stderr.String())
	}
	checkEmpty(t, dirs)
}
