package app

import (
	"context"
	"fmt"
	"net/netip"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// maxAllowlistEntries bounds the list, so that checking it on every request stays cheap.
const maxAllowlistEntries = 200

// ErrAddressNotAllowed refuses a person (a portal session or an API key) whose address is outside the
// account's IP allow list.
var ErrAddressNotAllowed = &portico.Error{Kind: portico.KindForbidden,
	Message: "your address is not allowed for this account"}

// IPAllowlist is an account's IP allow list, with the caller's own address so that a page can warn
// before a change would lock them out.
type IPAllowlist struct {
	Entries []portico.IPAllowEntry `json:"entries"`
	// YourAddress is the address this request came from, as the server sees it.
	YourAddress string `json:"your_address"`
	// YourAddressAllowed reports whether the list (empty: everything) admits YourAddress.
	YourAddressAllowed bool `json:"your_address_allowed"`
}

// IPAllowlistUpdate replaces the list. A list that would refuse the caller's own address is refused
// unless IUnderstand is set.
type IPAllowlistUpdate struct {
	Entries     []portico.IPAllowEntry `json:"entries"`
	IUnderstand bool                   `json:"i_understand"`
}

// GetIPAllowlist returns the account's IP allow list (ip_allowlist.view).
func (a *App) GetIPAllowlist(ctx context.Context, ac *Actor) (*IPAllowlist, error) {
	if err := a.authorize(ctx, ac, portico.ActionIPAllowlistView, portico.PermIPAllowlistView, authz.Account()); err != nil {
		return nil, err
	}
	pol, err := a.store.GetAccountPolicy(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	return allowlistView(pol.IPAllowlist, ac.SourceIP), nil
}

func allowlistView(entries []portico.IPAllowEntry, addr string) *IPAllowlist {
	if entries == nil {
		entries = []portico.IPAllowEntry{}
	}
	return &IPAllowlist{Entries: entries, YourAddress: addr, YourAddressAllowed: addressAllowed(entries, addr)}
}

// SetIPAllowlist replaces the account's IP allow list (ip_allowlist.manage). Each entry is a CIDR or
// a single address (IPv4 or IPv6), stored in its canonical network form. Agents are never subject to
// the list: it limits people, not devices.
func (a *App) SetIPAllowlist(ctx context.Context, ac *Actor, in IPAllowlistUpdate) (*IPAllowlist, error) {
	if err := a.authorize(ctx, ac, portico.ActionIPAllowlistUpdate, portico.PermIPAllowlistManage, authz.Account()); err != nil {
		return nil, err
	}
	entries, err := normaliseAllowlist(in.Entries)
	if err != nil {
		return nil, err
	}
	if len(entries) > 0 && !addressAllowed(entries, ac.SourceIP) && !in.IUnderstand {
		return nil, &portico.Error{Kind: portico.KindInvalid, Message: "invalid input", Fields: []portico.FieldError{{
			Field: "entries", Message: fmt.Sprintf("would lock you out: your address %s is not in the list (add it, or confirm with i_understand)", ac.SourceIP)}}}
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		pol, err := tx.GetAccountPolicy(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		pol.IPAllowlist = entries
		if err := tx.PutAccountPolicy(ctx, ac.AccountID, pol, a.now()); err != nil {
			return nil, err
		}
		cidrs := make([]string, len(entries))
		for i, e := range entries {
			cidrs[i] = e.CIDR
		}
		detail := "empty: every address allowed"
		if len(cidrs) > 0 {
			detail = strings.Join(cidrs, ", ")
		}
		return &change{action: portico.ActionIPAllowlistUpdate, targetType: "account", targetID: ac.AccountID, detail: detail}, nil
	})
	if err != nil {
		return nil, err
	}
	return allowlistView(entries, ac.SourceIP), nil
}

// normaliseAllowlist checks every entry, naming the field of the first wrong one, and returns them in
// canonical form ("10.1.2.3/8" becomes "10.0.0.0/8", a bare address becomes a /32 or /128).
func normaliseAllowlist(in []portico.IPAllowEntry) ([]portico.IPAllowEntry, error) {
	out := make([]portico.IPAllowEntry, 0, len(in))
	seen := map[netip.Prefix]bool{}
	err := validate(func(v *portico.Validation) {
		if len(in) > maxAllowlistEntries {
			v.Add("entries", "must hold at most %d entries", maxAllowlistEntries)
			return
		}
		for i, e := range in {
			field := fmt.Sprintf("entries[%d]", i)
			p, err := parseNetwork(e.CIDR)
			if err != nil {
				v.Add(field+".cidr", "must be an IPv4 or IPv6 network such as 203.0.113.0/24 or 2001:db8::/32")
				continue
			}
			if seen[p] {
				v.Add(field+".cidr", "repeats %s", p)
				continue
			}
			seen[p] = true
			desc := strings.TrimSpace(e.Description)
			if len([]rune(desc)) > 200 {
				v.Add(field+".description", "must be at most 200 characters")
				continue
			}
			out = append(out, portico.IPAllowEntry{CIDR: p.String(), Description: desc})
		}
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseNetwork reads a CIDR or a single address.
func parseNetwork(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		addr, err := netip.ParseAddr(s)
		if err != nil || addr.Zone() != "" {
			return netip.Prefix{}, fmt.Errorf("parse address %q: %w", s, err)
		}
		addr = addr.Unmap()
		return netip.PrefixFrom(addr, addr.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("parse network %q: %w", s, err)
	}
	if p.Addr().Is4In6() && p.Bits() >= 96 {
		p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
	}
	return p.Masked(), nil
}

// addressAllowed reports whether addr is in one of the entries; an empty list allows every address,
// and an address that cannot be read is allowed by none.
func addressAllowed(entries []portico.IPAllowEntry, addr string) bool {
	if len(entries) == 0 {
		return true
	}
	ip, err := netip.ParseAddr(strings.TrimSpace(addr))
	if err != nil {
		return false
	}
	ip = ip.WithZone("").Unmap()
	for _, e := range entries {
		if p, err := netip.ParsePrefix(e.CIDR); err == nil && p.Contains(ip) {
			return true
		}
	}
	return false
}

// IPAllowlistGate refuses (ErrAddressNotAllowed) a user or an API key whose request comes from an
// address outside the account's allow list. The API and the portal call it on every authenticated
// request, after authentication (the account is known then) and before anything else. Agents and the
// system are never subject to it. The refusal is audited and is itself the authorization decision.
func (a *App) IPAllowlistGate(ctx context.Context, ac *Actor) error {
	if ac == nil || (ac.Kind != ActorUser && ac.Kind != ActorAPIKey) || ac.AccountID == "" {
		return nil
	}
	pol, err := a.store.GetAccountPolicy(ctx, ac.AccountID)
	if err != nil {
		return err
	}
	if addressAllowed(pol.IPAllowlist, ac.SourceIP) {
		return nil
	}
	ac.MarkDecided()
	a.auditDenied(ctx, ac, portico.ActionIPAllowlistRefuse, "account", ac.AccountID, "address "+ac.SourceIP+" is not in the IP allow list")
	return ErrAddressNotAllowed
}

// ParseTrustedProxies reads a comma-separated list of proxy addresses or networks (the serve flag
// --trusted-proxies).
func ParseTrustedProxies(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		p, err := parseNetwork(part)
		if err != nil {
			return nil, fmt.Errorf("trusted proxies: %w", err)
		}
		out = append(out, p)
	}
	return out, nil
}

// ClientAddress is the address a request came from. remoteAddr is the connection's peer ("host:port");
// X-Forwarded-For (xff) is believed only when the peer is one of the trusted proxies, and then read
// from the right, skipping trusted proxies, so that a client cannot forge its address by sending the
// header itself.
func ClientAddress(remoteAddr, xff string, trusted []netip.Prefix) string {
	peer := remoteAddr
	if ap, err := netip.ParseAddrPort(remoteAddr); err == nil {
		peer = ap.Addr().Unmap().String()
	} else if addr, err := netip.ParseAddr(strings.Trim(remoteAddr, "[]")); err == nil {
		peer = addr.Unmap().String()
	}
	if xff == "" || !inPrefixes(trusted, peer) {
		return peer
	}
	hops := strings.Split(xff, ",")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		addr, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return client // a malformed hop: stop at the last address we could trust
		}
		client = addr.Unmap().String()
		if !inPrefixes(trusted, client) {
			return client
		}
	}
	return client
}

func inPrefixes(ps []netip.Prefix, addr string) bool {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return false
	}
	for _, p := range ps {
		if p.Contains(ip.Unmap()) {
			return true
		}
	}
	return false
}
