package portal

import (
	"context"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestBrowserLegalAcceptanceAndLogo: in a real browser, an owner whose account has new terms lands on
// the acceptance page right after signing in, with the account's logo in the top bar; accepting takes
// them to the dashboard.
func TestBrowserLegalAcceptanceAndLogo(t *testing.T) {
	e := newLiveEnv(t)
	ctx := context.Background()
	if _, err := e.app.SetLogo(ctx, e.owner, brandingPNG(t, 180, 48)); err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.SetLegal(ctx, e.owner, app.LegalUpdate{
		Terms:   portico.LegalDocument{Version: "2026-01", Text: strings.Repeat("You agree to use the service fairly.\n", 40)},
		Privacy: portico.LegalDocument{Version: "1", URL: "https://example.test/privacy"}}); err != nil {
		t.Fatal(err)
	}
	b := e.chromium()
	b.signIn("owner@example.test", testPassword)
	if p := b.path(); !strings.HasPrefix(p, "/legal/accept") {
		t.Fatalf("after signing in: %s", p)
	}
	b.poll("the logo to load", `(function(){var i=document.querySelector(".topbar .brand img");return i!==null&&i.complete&&i.naturalWidth===180})()`)
	b.debugShot("acceptance")
	b.click(`form[action="/legal/accept"] button[type=submit]`)
	b.poll("the dashboard", `location.pathname === "/"`)
	if b.exists(`form[action="/legal/accept"]`) {
		t.Fatal("still on the acceptance page")
	}
	b.open("/settings/branding")
	b.poll("the preview to load", `(function(){var i=document.querySelector(".branding-preview img");return i!==null&&i.complete&&i.naturalWidth===180})()`)
	b.debugShot("branding")
	b.open("/settings/legal")
	b.debugShot("legal-settings")
}
