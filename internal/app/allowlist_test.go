package app

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

func TestIPAllowlist(t *testing.T) {
	e := newEnv(t)
	owner := withIP(e.owner, "203.0.113.7")

	got, err := e.a.GetIPAllowlist(e.ctx, owner)
	if err != nil || len(got.Entries) != 0 || !got.YourAddressAllowed || got.YourAddress != "203.0.113.7" {
		t.Fatalf("empty list: %+v, %v", got, err)
	}

	// Bad entries are named.
	_, err = e.a.SetIPAllowlist(e.ctx, owner, IPAllowlistUpdate{Entries: []portico.IPAllowEntry{{CIDR: "203.0.113.0/24"}, {CIDR: "10.0.0.0/33"}}})
	wantField(t, err, "entries[1].cidr")
	_, err = e.a.SetIPAllowlist(e.ctx, owner, IPAllowlistUpdate{Entries: []portico.IPAllowEntry{{CIDR: "203.0.113.0/24"}, {CIDR: "203.0.113.9/24"}}})
	wantField(t, err, "entries[1].cidr")

	// A list without the saver's own address is refused unless they confirm.
	lockout := IPAllowlistUpdate{Entries: []portico.IPAllowEntry{{CIDR: "198.51.100.0/24", Description: "branch"}}}
	msg := wantField(t, func() error { _, err := e.a.SetIPAllowlist(e.ctx, owner, lockout); return err }(), "entries")
	if !strings.Contains(msg, "203.0.113.7") {
		t.Fatalf("lockout message does not name the address: %q", msg)
	}
	if got, _ := e.a.GetIPAllowlist(e.ctx, owner); len(got.Entries) != 0 {
		t.Fatalf("refused list was stored: %+v", got)
	}

	// Canonical forms: a host bit set is masked, a bare address becomes a single-address network.
	saved, err := e.a.SetIPAllowlist(e.ctx, owner, IPAllowlistUpdate{Entries: []portico.IPAllowEntry{
		{CIDR: "203.0.113.99/24", Description: " office "}, {CIDR: "2001:db8:1::5"}}})
	if err != nil {
		t.Fatal(err)
	}
	if saved.Entries[0].CIDR != "203.0.113.0/24" || saved.Entries[0].Description != "office" || saved.Entries[1].CIDR != "2001:db8:1::5/128" {
		t.Fatalf("normalised: %+v", saved.Entries)
	}

	for _, tc := range []struct {
		ip    string
		allow bool
	}{
		{"203.0.113.200", true},
		{"::ffff:203.0.113.1", true}, // IPv4-mapped IPv6 is the IPv4 address
		{"2001:db8:1::5", true},
		{"2001:db8:1::6", false},
		{"198.51.100.1", false},
		{"", false},
		{"not an address", false},
	} {
		ac := withIP(e.owner, tc.ip)
		err := e.a.IPAllowlistGate(e.ctx, ac)
		if tc.allow && err != nil {
			t.Errorf("%q refused: %v", tc.ip, err)
		}
		if !tc.allow {
			if err != ErrAddressNotAllowed || !ac.Decided() {
				t.Errorf("%q: got %v (decided %v), want the refusal", tc.ip, err, ac.Decided())
			}
		}
	}
	// Agents and the system are never subject to the list.
	if err := e.a.IPAllowlistGate(e.ctx, &Actor{Kind: ActorAgent, AccountID: e.acc.Account.ID, SourceIP: "192.0.2.1"}); err != nil {
		t.Fatalf("agent refused: %v", err)
	}
	if err := e.a.IPAllowlistGate(e.ctx, &Actor{Kind: ActorSystem, AccountID: e.acc.Account.ID}); err != nil {
		t.Fatalf("system refused: %v", err)
	}

	// Confirmed: the list is saved even though it excludes the saver.
	if _, err := e.a.SetIPAllowlist(e.ctx, owner, IPAllowlistUpdate{Entries: lockout.Entries, IUnderstand: true}); err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.a.IPAllowlistGate(e.ctx, owner), portico.KindForbidden)

	// The changes and a refusal are audited.
	events, err := e.a.ListAudit(e.ctx, e.sys, portico.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var updates, refusals int
	for _, ev := range events {
		switch ev.Action {
		case "ip_allowlist.update":
			updates++
		case "ip_allowlist.refuse":
			refusals++
			if ev.Outcome != portico.OutcomeDenied {
				t.Errorf("refusal outcome %s", ev.Outcome)
			}
		}
	}
	if updates != 2 || refusals == 0 {
		t.Fatalf("audit: %d updates, %d refusals", updates, refusals)
	}

	// Another account is not affected.
	_, other := e.newAccount("Other Ltd", "other@example.test")
	other.SourceIP = "192.0.2.1"
	if err := e.a.IPAllowlistGate(e.ctx, other); err != nil {
		t.Fatalf("other account refused: %v", err)
	}
}

func TestIPAllowlistPermissions(t *testing.T) {
	e := newEnv(t)
	tech := e.user("tech@example.test")
	tech.SourceIP = "203.0.113.7"
	_, err := e.a.GetIPAllowlist(e.ctx, tech)
	wantKind(t, err, portico.KindForbidden)
	_, err = e.a.SetIPAllowlist(e.ctx, tech, IPAllowlistUpdate{Entries: []portico.IPAllowEntry{{CIDR: "203.0.113.0/24"}}})
	wantKind(t, err, portico.KindForbidden)

	viewer := e.user("viewer@example.test", grant{roleID: e.role("Allow list viewer", portico.PermIPAllowlistView), scopeType: portico.ScopeTypeAccount})
	viewer.SourceIP = "203.0.113.7"
	if _, err := e.a.GetIPAllowlist(e.ctx, viewer); err != nil {
		t.Fatalf("viewer: %v", err)
	}
	_, err = e.a.SetIPAllowlist(e.ctx, viewer, IPAllowlistUpdate{})
	wantKind(t, err, portico.KindForbidden)
}

func TestClientAddress(t *testing.T) {
	trusted, err := ParseTrustedProxies("10.0.0.1, 2001:db8::/64")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseTrustedProxies("10.0.0.1, nonsense"); err == nil {
		t.Fatal("a bad proxy was accepted")
	}
	for _, tc := range []struct{ remote, xff, want string }{
		{"192.0.2.5:4000", "", "192.0.2.5"},
		{"192.0.2.5:4000", "198.51.100.1", "192.0.2.5"}, // untrusted peer: the header is ignored
		{"10.0.0.1:4000", "198.51.100.1", "198.51.100.1"},
		{"10.0.0.1:4000", "6.6.6.6, 198.51.100.1", "198.51.100.1"},      // the client's own header is not believed
		{"[2001:db8::9]:443", "198.51.100.1, 10.0.0.1", "198.51.100.1"}, // proxies chained
		{"10.0.0.1:4000", "garbage", "10.0.0.1"},                        // malformed: the proxy itself
		{"[::ffff:192.0.2.5]:80", "", "192.0.2.5"},                      // mapped
		{"[2001:db8:ffff::1]:443", "198.51.100.1", "2001:db8:ffff::1"},  // outside the trusted /64
	} {
		if got := ClientAddress(tc.remote, tc.xff, trusted); got != tc.want {
			t.Errorf("ClientAddress(%q, %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

// withIP is a fresh copy of ac (undecided) coming from ip.
func withIP(ac *Actor, ip string) *Actor {
	return &Actor{Kind: ac.Kind, AccountID: ac.AccountID, UserID: ac.UserID, Name: ac.Name, APIKeyID: ac.APIKeyID, SourceIP: ip}
}
