package portal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestLegalGateOnRealRequests: once the owner sets the terms, every signed-in page sends each user
// (the owner included) to the acceptance page; accepting lets them through and back where they were
// going; a new version brings them back; a user without legal.manage can neither open nor post the
// settings page.
func TestLegalGateOnRealRequests(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	adminUserWithRole(t, e, "tech@example.test", portico.PurposeDevices, portico.PermDeviceView)
	owner := e.browser()
	owner.signIn("owner@example.test")
	tech := e.browser()
	tech.signIn("tech@example.test")

	stored := func() *app.Legal {
		l, err := e.app.GetLegal(ctx, e.owner)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	code, body, _ := owner.get("/settings/legal")
	wantStatus(t, "settings page", code, http.StatusOK, body)
	if !strings.Contains(body, `name="terms.version"`) || !strings.Contains(body, `name="privacy.text"`) {
		t.Fatalf("settings form:\n%s", body)
	}

	// Bad input: the field's message, nothing stored, nobody held back.
	code, body, _ = owner.post("/settings/legal", url.Values{"terms.version": {"1"}, "terms.text": {"Be nice."}, "terms.url": {"https://example.test/terms"}})
	wantStatus(t, "text and url", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="terms.url-error"`) || !strings.Contains(body, "not both") || stored().Required {
		t.Fatalf("bad input:\n%s", body)
	}

	// The narrow user cannot open the page, and a direct post is refused by the server.
	code, body, _ = tech.get("/settings/legal")
	wantStatus(t, "narrow page", code, http.StatusForbidden, body)
	code, body, _ = tech.post("/settings/legal", url.Values{"terms.version": {"1"}, "terms.text": {"Hijacked"}})
	wantStatus(t, "narrow post", code, http.StatusForbidden, body)
	if stored().Required {
		t.Fatal("the narrow user's post was stored")
	}

	code, body, h := owner.post("/settings/legal", url.Values{"terms.version": {"2026-01"}, "terms.text": {"Be nice.\nBe kind."},
		"privacy.version": {"p1"}, "privacy.url": {"https://example.test/privacy"}})
	wantStatus(t, "save", code, http.StatusSeeOther, body)
	if h.Get("Location") != "/settings/legal?saved=1" || stored().Terms.Version != "2026-01" {
		t.Fatalf("saved: %s %+v", h.Get("Location"), stored())
	}

	// Everyone is held at the acceptance page, the owner included.
	for name, b := range map[string]*browser{"owner": owner, "tech": tech} {
		for _, path := range []string{"/profile", "/settings/legal", "/"} {
			code, _, h := b.get(path)
			if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/legal/accept") {
				t.Fatalf("%s %s before accepting: %d %s", name, path, code, h.Get("Location"))
			}
		}
	}
	code, _, h = tech.get("/profile")
	if h.Get("Location") != "/legal/accept?next=%2Fprofile" {
		t.Fatalf("next is not kept: %d %s", code, h.Get("Location"))
	}
	code, body, _ = tech.get("/legal/accept?next=%2Fprofile")
	wantStatus(t, "acceptance page", code, http.StatusOK, body)
	for _, want := range []string{"Be nice.\nBe kind.", "https://example.test/privacy", "version 2026-01", "I accept", `name="next" value="/profile"`} {
		if !strings.Contains(body, want) {
			t.Fatalf("acceptance page lacks %q:\n%s", want, body)
		}
	}
	code, body, h = tech.post("/legal/accept", url.Values{"next": {"/profile"}})
	wantStatus(t, "accept", code, http.StatusSeeOther, body)
	if h.Get("Location") != "/profile" {
		t.Fatalf("accept goes to %s", h.Get("Location"))
	}
	if code, body, _ := tech.get("/profile"); code != http.StatusOK {
		t.Fatalf("after accepting: %d\n%s", code, body)
	}
	if code, _, _ := owner.get("/profile"); code != http.StatusSeeOther {
		t.Fatalf("the owner is let through by another user's acceptance: %d", code)
	}
	events, err := e.app.ListAudit(ctx, app.SystemActor(e.acc.Account.ID), portico.AuditFilter{Action: "legal.accept"})
	if err != nil || len(events) != 1 || !strings.Contains(events[0].Detail, "127.0.0.1") {
		t.Fatalf("audit: %+v %v", events, err)
	}

	// A new version brings the gate back.
	if _, err := e.app.SetLegal(ctx, app.SystemActor(e.acc.Account.ID), app.LegalUpdate{Terms: portico.LegalDocument{Version: "2026-02", Text: "Be nicer."}}); err != nil {
		t.Fatal(err)
	}
	if code, _, h := tech.get("/profile"); code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/legal/accept") {
		t.Fatalf("after a new version: %d %s", code, h.Get("Location"))
	}
	// htmx requests are redirected with HX-Redirect.
	req, _ := http.NewRequest("POST", tech.base+"/keepalive", nil)
	req.Header.Set("HX-Request", "true")
	res, err := tech.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden || res.Header.Get("HX-Redirect") != "/legal/accept" {
		t.Fatalf("htmx: %d %q", res.StatusCode, res.Header.Get("HX-Redirect"))
	}
}
