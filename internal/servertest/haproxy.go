package servertest

import (
	"fmt"
	"github.com/portico-dev/portico/internal/eventually"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// HAProxy is a load balancer of the test's own (Debian's haproxy) in front of the nodes: round robin
// over the backends that pass the health check (/readyz), WebSockets held open (timeout tunnel).
type HAProxy struct {
	proc *Process
	addr string
}

// StartHAProxy starts haproxy on a free port in front of the backends (host:port each).
func StartHAProxy(t testing.TB, backends []string) *HAProxy {
	t.Helper()
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		bin = "/usr/sbin/haproxy"
		if _, err := os.Stat(bin); err != nil {
			skipOrFail(t, "haproxy is not installed (scripts/ensure-services installs it)")
		}
	}
	addr := FreeAddr(t)
	var b strings.Builder
	fmt.Fprintf(&b, `global
    maxconn 4000
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    option http-server-close
frontend portico
    bind %s
    default_backend nodes
backend nodes
    balance roundrobin
    option httpchk GET /readyz
    http-check expect status 200
    default-server inter 500ms fall 2 rise 2
`, addr)
	for i, be := range backends {
		fmt.Fprintf(&b, "    server node%d %s check\n", i, be)
	}
	conf := filepath.Join(t.TempDir(), "haproxy.cfg")
	if err := os.WriteFile(conf, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	h := &HAProxy{addr: addr, proc: StartProcess(t, "haproxy", bin, []string{"-db", "-f", conf}, nil)}
	if !eventually.Within(10*time.Second, func() bool { return listening(addr) }) {
		t.Fatalf("haproxy did not listen on %s\n%s", addr, h.proc.Output())
	}
	return h
}

// listening reports whether something accepts TCP connections at addr.
func listening(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err == nil {
		c.Close()
	}
	return err == nil
}

// URL is the load balancer's address.
func (h *HAProxy) URL() string { return "http://" + h.addr }
