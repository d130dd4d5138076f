package api_test

import (
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/api"
)

// TestIPAllowlist runs the allow list against real servers on 127.0.0.1 and ::1: the same account is
// reached by a session and by an API key from an IPv4 and an IPv6 address.
func TestIPAllowlist(t *testing.T) {
	e := newEnv(t)
	ln, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	v6srv := httptest.NewUnstartedServer(api.New(e.app, api.Options{Strict: true}))
	v6srv.Listener.Close()
	v6srv.Listener = ln
	v6srv.Start()
	t.Cleanup(v6srv.Close)
	onV6 := func(c *client) *client { c.Base = v6srv.URL; return c }

	owner := e.signIn(e.A.acc.Owner.Email)
	_, keySecret, err := e.app.CreateAPIKey(t.Context(), e.A.ownerAct, "allow list", nil)
	must(t, err)

	var list struct {
		Entries     []map[string]string `json:"entries"`
		YourAddress string              `json:"your_address"`
	}
	r := owner.Do("GET", "/api/v1/ip-allowlist", nil)
	r.Decode(t, &list)
	if r.Status != 200 || len(list.Entries) != 0 || list.YourAddress != "127.0.0.1" {
		t.Fatalf("empty list: %d %s", r.Status, r.Body)
	}

	// A bad network and a self-lockout are refused with the field named; nothing changes.
	r = owner.Do("PUT", "/api/v1/ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "127.0.0.0/8"}, {"cidr": "300.1.1.1/8"}}})
	if p := r.Problem(t); r.Status != 422 || len(p.Errors) != 1 || p.Errors[0].Field != "entries[1].cidr" {
		t.Fatalf("bad network: %d %s", r.Status, r.Body)
	}
	r = owner.Do("PUT", "/api/v1/ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "::1/128", "description": "v6 only"}}})
	if p := r.Problem(t); r.Status != 422 || p.Errors[0].Field != "entries" || !strings.Contains(p.Errors[0].Message, "127.0.0.1") {
		t.Fatalf("self-lockout: %d %s", r.Status, r.Body)
	}
	if r := owner.Do("GET", "/api/v1/me", nil); r.Status != 200 {
		t.Fatalf("after refused save: %d", r.Status)
	}

	// IPv4 only: the IPv6 address is refused, for a session and for a key; agents' public routes are not gated.
	r = owner.Do("PUT", "/api/v1/ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "127.0.0.0/8", "description": "loopback"}}})
	if r.Status != 200 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	v6owner := onV6(e.anon())
	if r := v6owner.Do("POST", "/api/v1/session", map[string]any{"email": e.A.acc.Owner.Email, "password": testPassword}); r.Status != 200 {
		t.Fatalf("sign in over IPv6: %d %s", r.Status, r.Body)
	}
	for name, c := range map[string]*client{"session": v6owner, "key": onV6(e.bearer(keySecret))} {
		r := c.Do("GET", "/api/v1/me", nil)
		if p := r.Problem(t); r.Status != 403 || !strings.Contains(p.Detail, "your address is not allowed") {
			t.Fatalf("%s over IPv6: %d %s", name, r.Status, r.Body)
		}
		// Even the allow list itself: the gate runs before everything.
		if r := c.Do("PUT", "/api/v1/ip-allowlist", map[string]any{"entries": []any{}}); r.Status != 403 {
			t.Fatalf("%s lifted the list from outside: %d", name, r.Status)
		}
	}
	if r := e.bearer(keySecret).Do("GET", "/api/v1/me", nil); r.Status != 200 {
		t.Fatalf("key over IPv4: %d %s", r.Status, r.Body)
	}
	if r := onV6(e.anon()).Do("POST", "/api/v1/agent/enroll", map[string]any{"token": e.A.tokenSec, "hostname": "v6-pc", "os_name": "Linux"}); r.Status != 201 {
		t.Fatalf("agent enrollment over IPv6: %d %s", r.Status, r.Body)
	}
	// Another account is not affected.
	if r := onV6(e.anon()).Do("POST", "/api/v1/session", map[string]any{"email": e.B.acc.Owner.Email, "password": testPassword}); r.Status != 200 {
		t.Fatalf("other account: %d", r.Status)
	}

	// IPv6 only, confirmed: now IPv4 is refused and IPv6 admitted.
	r = owner.Do("PUT", "/api/v1/ip-allowlist", map[string]any{"entries": []map[string]string{{"cidr": "::1"}}, "i_understand": true})
	if r.Status != 200 {
		t.Fatalf("confirmed save: %d %s", r.Status, r.Body)
	}
	if r := owner.Do("GET", "/api/v1/me", nil); r.Status != 403 {
		t.Fatalf("IPv4 after IPv6-only list: %d", r.Status)
	}
	if r := v6owner.Do("GET", "/api/v1/ip-allowlist", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"::1/128"`) {
		t.Fatalf("IPv6 after IPv6-only list: %d %s", r.Status, r.Body)
	}
}

func TestPasswordPolicyAPI(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	if r := owner.Do("PUT", "/api/v1/password-policy", map[string]any{"min_length": 3}); r.Status != 422 || r.Problem(t).Errors[0].Field != "min_length" {
		t.Fatalf("bad minimum: %d %s", r.Status, r.Body)
	}
	if r := owner.Do("PUT", "/api/v1/password-policy", map[string]any{"min_length": 12, "require_mix": true}); r.Status != 200 {
		t.Fatalf("set: %d %s", r.Status, r.Body)
	}
	if r := owner.Do("GET", "/api/v1/password-policy", nil); !strings.Contains(string(r.Body), `"require_mix":true`) {
		t.Fatalf("get: %s", r.Body)
	}
	for _, pw := range []string{"letters only, no digits", "Password2026!", "short 1"} {
		r := owner.Do("POST", "/api/v1/users", map[string]any{"email": uniq("pw") + "@example.test", "password": pw})
		if r.Status != 422 || r.Problem(t).Errors[0].Field != "password" {
			t.Fatalf("password %q: %d %s", pw, r.Status, r.Body)
		}
	}
	if r := owner.Do("POST", "/api/v1/users", map[string]any{"email": uniq("pw") + "@example.test", "password": "harbour 5 lighthouses"}); r.Status != 201 {
		t.Fatalf("good password: %d %s", r.Status, r.Body)
	}
}
