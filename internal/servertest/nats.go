package servertest

import (
	"net"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
)

// NATS is a NATS server of the test's own (Debian's nats-server), never the machine's: a test may
// stop it to prove that nodes carry on through the database.
type NATS struct {
	proc *Process
	addr string
}

// StartNATS starts nats-server on a free port. Without the program the test is skipped, except in
// CI, where scripts/ensure-services installs it.
func StartNATS(t testing.TB) *NATS {
	t.Helper()
	bin, err := exec.LookPath("nats-server")
	if err != nil {
		bin = "/usr/sbin/nats-server"
		if _, err := exec.LookPath(bin); err != nil {
			skipOrFail(t, "nats-server is not installed (scripts/ensure-services installs it)")
		}
	}
	addr := FreeAddr(t)
	host, port, _ := net.SplitHostPort(addr)
	n := &NATS{addr: addr, proc: StartProcess(t, "nats-server", bin, []string{"-a", host, "-p", port}, nil)}
	n.waitReady(t)
	return n
}

func (n *NATS) waitReady(t testing.TB) {
	t.Helper()
	if !eventually.Within(10*time.Second, func() bool { return listening(n.addr) }) {
		t.Fatalf("nats-server did not listen on %s\n%s", n.addr, n.proc.Output())
	}
}

// URL is the server's nats:// URL.
func (n *NATS) URL() string { return "nats://" + n.addr }

// Stop stops the server (the nodes lose their bus).
func (n *NATS) Stop() { n.proc.Kill() }

// Start starts it again on the same address.
func (n *NATS) Start(t testing.TB) {
	t.Helper()
	n.proc.Restart()
	n.waitReady(t)
}

// skipOrFail skips a test that lacks a program it needs, except in CI, where it must run.
func skipOrFail(t testing.TB, msg string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}
