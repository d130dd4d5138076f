package portal

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

func TestIPAllowlistPage(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")

	code, body, _ := b.get("/settings/ip-allowlist")
	wantStatus(t, "page", code, http.StatusOK, body)
	if !strings.Contains(body, "127.0.0.1") || !strings.Contains(body, `name="entries"`) {
		t.Fatalf("page does not show the address or the form:\n%s", body)
	}

	stored := func() []portico.IPAllowEntry {
		l, err := e.app.GetIPAllowlist(context.Background(), app.SystemActor(e.acc.Account.ID))
		if err != nil {
			t.Fatal(err)
		}
		return l.Entries
	}
	// A bad network names its line; a list without the user's address asks for confirmation.
	code, body, _ = b.post("/settings/ip-allowlist", url.Values{"entries": {"127.0.0.0/8 loopback\n10.0.0.0/33"}})
	wantStatus(t, "bad network", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "line 2") || !strings.Contains(body, "10.0.0.0/33") {
		t.Fatalf("bad network message:\n%s", body)
	}
	code, body, _ = b.post("/settings/ip-allowlist", url.Values{"entries": {"198.51.100.0/24 branch"}})
	wantStatus(t, "lockout", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "would lock you out") || !strings.Contains(body, `name="i_understand"`) {
		t.Fatalf("lockout message:\n%s", body)
	}
	if len(stored()) != 0 {
		t.Fatalf("a refused list was stored: %v", stored())
	}

	code, body, h := b.post("/settings/ip-allowlist", url.Values{"entries": {"127.0.0.0/8 loopback\n2001:db8::/32"}})
	wantStatus(t, "save", code, http.StatusSeeOther, body)
	if h.Get("Location") != "/settings/ip-allowlist?saved=1" || len(stored()) != 2 {
		t.Fatalf("saved: %s %v", h.Get("Location"), stored())
	}
	if code, body, _ := b.get("/"); code != http.StatusOK {
		t.Fatalf("home from an allowed address: %d\n%s", code, body)
	}

	// The same session from IPv6 loopback is refused on every page but the public ones.
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	p, err := New(e.app, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	v6 := httptest.NewUnstartedServer(p)
	v6.Listener.Close()
	v6.Listener = ln
	v6.Start()
	t.Cleanup(v6.Close)
	b6 := e.browser()
	b6.base = v6.URL
	b6.signIn("owner@example.test")
	for _, path := range []string{"/", "/settings/ip-allowlist"} {
		code, body, _ := b6.get(path)
		if code != http.StatusForbidden || !strings.Contains(body, "your address is not allowed for this account") {
			t.Fatalf("%s from IPv6: %d\n%s", path, code, body)
		}
	}
	if code, _, _ := b6.post("/settings/ip-allowlist", url.Values{"entries": {""}}); code != http.StatusForbidden || len(stored()) != 2 {
		t.Fatalf("the list was lifted from outside: %d %v", code, stored())
	}

	// Confirmed: an IPv6-only list admits IPv6 and refuses the IPv4 session.
	code, body, _ = b.post("/settings/ip-allowlist", url.Values{"entries": {"::1"}, "i_understand": {"on"}})
	wantStatus(t, "confirmed", code, http.StatusSeeOther, body)
	if code, _, _ := b.get("/"); code != http.StatusForbidden {
		t.Fatalf("IPv4 after IPv6-only list: %d", code)
	}
	if code, body, _ := b6.get("/settings/ip-allowlist"); code != http.StatusOK || !strings.Contains(body, "::1/128") {
		t.Fatalf("IPv6 after IPv6-only list: %d", code)
	}
}

func TestIPAllowlistPageRefusedToNarrowRole(t *testing.T) {
	e := newTestEnv(t)
	adminUserWithRole(t, e, "viewer@example.test", portico.PurposeGeneral, portico.PermIPAllowlistView)
	adminUserWithRole(t, e, "nobody@example.test", portico.PurposeGeneral, portico.PermDeviceView)

	viewer := e.browser()
	viewer.signIn("viewer@example.test")
	code, body, _ := viewer.get("/settings/ip-allowlist")
	wantStatus(t, "viewer", code, http.StatusOK, body)
	if !strings.Contains(body, "<fieldset disabled") || strings.Contains(body, `<button type="submit" class="primary">`) {
		t.Fatalf("viewer is offered to save:\n%s", body)
	}
	code, body, _ = viewer.post("/settings/ip-allowlist", url.Values{"entries": {"127.0.0.1"}})
	wantStatus(t, "viewer save", code, http.StatusForbidden, body)

	nobody := e.browser()
	nobody.signIn("nobody@example.test")
	code, body, _ = nobody.get("/settings/ip-allowlist")
	wantStatus(t, "nobody", code, http.StatusForbidden, body)
	l, err := e.app.GetIPAllowlist(context.Background(), app.SystemActor(e.acc.Account.ID))
	if err != nil || len(l.Entries) != 0 {
		t.Fatalf("list changed: %v %v", l, err)
	}
}
