package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
)

// legalOpenOps are the operations a user who has not accepted the current legal documents may call:
// reading and accepting them, and 2FA enrolment (the 2FA gate runs before the legal one).
var legalOpenOps = map[string]bool{"getLegal": true, "acceptLegal": true,
	"getTwoFactorStatus": true, "startTwoFactor": true, "confirmTwoFactor": true}

// TestLegalGateHoldsBackEveryRoute: once the account sets versions of its terms and privacy policy,
// every operation of the route table but reading and accepting them (and 2FA enrolment, and the
// public ones) answers 403 naming the field "legal" — for a session and an API key alike — until the
// user accepts; a new version brings the gate back.
func TestLegalGateHoldsBackEveryRoute(t *testing.T) {
	e := newEnv(t)
	f := e.A
	ctx := context.Background()
	admin := e.activeUser(f, allBut())
	_, key, err := e.app.CreateAPIKey(ctx, e.actorOf(admin), "script", nil)
	must(t, err)
	session := e.signIn(admin.Email)

	// Without versions nothing is held back.
	if r := session.Do("GET", "/api/v1/me", nil); r.Status != 200 {
		t.Fatalf("before versions: %d %s", r.Status, r.Body)
	}
	// Bad input names the field; a user without legal.manage is refused.
	if r := session.Do("PUT", "/api/v1/legal", map[string]any{"terms": map[string]any{"version": "1", "text": "x", "url": "https://x.test"}}); r.Status != 422 || !hasField(r.Problem(t), "terms.url") {
		t.Fatalf("bad input: %d %s", r.Status, r.Body)
	}
	plain := e.signIn(e.activeUser(f, nil).Email)
	if r := plain.Do("PUT", "/api/v1/legal", map[string]any{"terms": map[string]any{"version": "1", "text": "x"}}); r.Status != 403 {
		t.Fatalf("without legal.manage: %d %s", r.Status, r.Body)
	}

	v1 := map[string]any{"terms": map[string]any{"version": "2026-01", "text": "Be nice."},
		"privacy": map[string]any{"version": "p1", "url": "https://example.test/privacy"}}
	if r := session.Do("PUT", "/api/v1/legal", v1); r.Status != 200 || !strings.Contains(string(r.Body), `"required":true`) {
		t.Fatalf("set versions: %d %s", r.Status, r.Body)
	}

	for _, c := range []struct {
		name string
		cl   *client
	}{{"session", session}, {"API key", e.bearer(key)}} {
		for _, rt := range api.Routes() {
			if rt.Public || legalOpenOps[rt.OperationID] {
				continue
			}
			path := strings.ReplaceAll(rt.Path, "{id}", f.user.ID)
			var body any
			if rt.Method != "GET" && rt.Method != "DELETE" {
				body = map[string]any{}
			}
			r := c.cl.Do(rt.Method, path, body)
			if r.Status != 403 {
				t.Errorf("%s: %s %s (%s): %d, want 403: %s", c.name, rt.Method, path, rt.OperationID, r.Status, r.Body)
				continue
			}
			if p := r.Problem(t); p.Detail != "accept the current terms of service and privacy policy first" || !hasField(p, "legal") {
				t.Errorf("%s: %s %s: %+v", c.name, rt.Method, path, p)
			}
		}
	}

	// Reading shows the documents; accepting opens everything, for the session and the user's key.
	if r := session.Do("GET", "/api/v1/legal", nil); r.Status != 200 || !strings.Contains(string(r.Body), "Be nice.") || !strings.Contains(string(r.Body), `"accepted":false`) {
		t.Fatalf("read: %d %s", r.Status, r.Body)
	}
	if r := session.Do("POST", "/api/v1/legal/accept", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"accepted":true`) {
		t.Fatalf("accept: %d %s", r.Status, r.Body)
	}
	for _, cl := range []*client{session, e.bearer(key)} {
		if r := cl.Do("GET", "/api/v1/me", nil); r.Status != 200 {
			t.Fatalf("after acceptance: %d %s", r.Status, r.Body)
		}
	}
	if r := plain.Do("GET", "/api/v1/me", nil); r.Status != 403 {
		t.Fatalf("another user is let through by the admin's acceptance: %d %s", r.Status, r.Body)
	}
	events := check(e.app.ListAudit(ctx, f.sys, portico.AuditFilter{Action: "legal.accept"}))(t)
	if len(events) != 1 || events[0].ActorID != admin.ID || !strings.Contains(events[0].Detail, "127.0.0.1") {
		t.Fatalf("audit: %+v", events)
	}

	// A new version brings the gate back, for the one who set it too.
	v1["terms"] = map[string]any{"version": "2026-02", "text": "Be nicer."}
	if r := session.Do("PUT", "/api/v1/legal", v1); r.Status != 200 {
		t.Fatalf("new version: %d %s", r.Status, r.Body)
	}
	if r := session.Do("GET", "/api/v1/me", nil); r.Status != 403 {
		t.Fatalf("after a new version: %d %s", r.Status, r.Body)
	}
	// The other account is untouched.
	if err := e.app.LegalGate(ctx, &app.Actor{Kind: app.ActorUser, AccountID: e.B.acc.Account.ID, UserID: e.B.user.ID}); err != nil {
		t.Fatalf("other account gated: %v", err)
	}
}

func hasField(p problem, field string) bool {
	for _, f := range p.Errors {
		if f.Field == field {
			return true
		}
	}
	return false
}
