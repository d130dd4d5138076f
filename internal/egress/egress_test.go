package egress

import (
	"context"
	"net"
	"net/netip"
	"strings"
	"testing"
	"time"
)

func TestCheck(t *testing.T) {
	for addr, refused := range map[string]bool{
		"127.0.0.1": true, "127.5.6.7": true, "::1": true, "::ffff:127.0.0.1": true,
		"169.254.169.254": true, "fe80::1": true, "0.0.0.0": true, "0.1.2.3": true, "::": true,
		"224.0.0.1": true, "ff02::1": true,
		"10.0.0.5": false, "192.168.1.10": false, "172.16.0.1": false, "8.8.8.8": false, "2001:db8::1": false,
	} {
		err := Check(netip.MustParseAddr(addr))
		if (err != nil) != refused {
			t.Errorf("Check(%s) = %v, want refused %v", addr, err, refused)
		}
	}
}

func TestDialerRefusesLoopback(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, err = Dialer(time.Second, "use another address").DialContext(context.Background(), "tcp", ln.Addr().String())
	if err == nil || !strings.Contains(err.Error(), "loopback") || !strings.Contains(err.Error(), "use another address") {
		t.Fatalf("dialling a listening loopback port: %v", err)
	}
	// "localhost" resolves to loopback: refused all the same.
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	if _, err := Dialer(time.Second, "").DialContext(context.Background(), "tcp", net.JoinHostPort("localhost", port)); err == nil {
		t.Fatal("dialling localhost succeeded")
	}
}
