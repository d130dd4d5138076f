// Package egress decides which addresses the server may connect to on an account's behalf.
//
// Some addresses are typed by an account's administrator and then dialled by the server: an IdP's
// metadata URL, a directory (LDAP) server. Left unchecked, that lets any account make the server
// connect to itself (its own API, a database or the agent's window on loopback) or to its cloud
// platform's metadata service (169.254.169.254 hands out instance credentials on most clouds), and
// learn from the errors which ports answer. Private networks stay reachable: an IdP or a directory on
// the LAN is normal for a self-hosted server. The operator can allow the rest per feature.
package egress

import (
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// Check refuses loopback, link-local, unspecified (0.0.0.0/8, ::) and multicast addresses, naming
// the kind of address in its error.
func Check(ip netip.Addr) error {
	ip = ip.Unmap()
	kind := ""
	switch {
	case ip.IsLoopback():
		kind = "a loopback"
	case ip.IsLinkLocalUnicast(), ip.IsLinkLocalMulticast():
		kind = "a link-local"
	case ip.IsUnspecified(), ip.Is4() && ip.As4()[0] == 0:
		kind = "an unspecified"
	case ip.IsMulticast():
		kind = "a multicast"
	default:
		return nil
	}
	return fmt.Errorf("refusing to connect to %s, %s address", ip, kind)
}

// Dialer returns a dialer that refuses, with Check, every address it is about to connect to. The
// check is made on the address actually dialled, after name resolution, so a DNS answer cannot turn
// it around. hint is appended to the refusal (what the user can do instead).
func Dialer(timeout time.Duration, hint string) *net.Dialer {
	return &net.Dialer{Timeout: timeout, Control: func(_, address string, _ syscall.RawConn) error {
		ap, err := netip.ParseAddrPort(address)
		if err != nil {
			return fmt.Errorf("dial %s: %w", address, err)
		}
		if err := Check(ap.Addr()); err != nil {
			return fmt.Errorf("%w: %s", err, hint)
		}
		return nil
	}}
}
