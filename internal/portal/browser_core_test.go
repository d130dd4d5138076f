package portal

import (
	"context"
	"net/http"
	"strings"
	"testing"
)

// TestBrowserSignIn signs in through the form in Chromium: a wrong password is refused with a
// message, the right one lands on the dashboard, and signing out returns to the sign-in page.
func TestBrowserSignIn(t *testing.T) {
	e := newLiveEnv(t)
	b := e.chromium()

	b.open("/")
	if p := b.path(); !strings.HasPrefix(p, "/sign-in?next=") {
		t.Fatalf("anonymous visit to the dashboard lands on %s", p)
	}
	b.fill("#email", "owner@example.test")
	b.fill("#password", "not the password")
	b.click("main form button[type=submit]")
	b.waitText("main", "Wrong email or password")

	b.signIn("owner@example.test", testPassword)
	b.waitText("main h1", "Welcome, Olivia Owner")
	if b.path() != "/" {
		t.Fatalf("after signing in: %s", b.path())
	}
	if b.cookie(SessionCookie) == "" {
		t.Fatal("no session cookie after signing in")
	}

	b.click(".topmenu form[action='/sign-out'] button")
	b.waitVisible("#email")
	if p := b.path(); !strings.HasPrefix(p, "/sign-in") {
		t.Fatalf("after signing out: %s", p)
	}
	b.open("/")
	if p := b.path(); !strings.HasPrefix(p, "/sign-in") {
		t.Fatalf("dashboard after signing out: %s", p)
	}
}

// TestBrowserLanguageAndTheme switches the language and the theme with the top menu's selects, which
// apply at once and are remembered on the user.
func TestBrowserLanguageAndTheme(t *testing.T) {
	e := newLiveEnv(t)
	b := e.chromium()
	b.signIn("owner@example.test", testPassword)

	b.do("choose German", chromedpSelect("#pref-lang", "de"))
	b.waitText("main h1", "Willkommen, Olivia Owner")
	if lang := evalJS[string](b, "document.documentElement.lang"); lang != "de" {
		t.Fatalf("html lang %q after choosing German", lang)
	}
	b.do("choose the dark theme", chromedpSelect("#pref-theme", "dark"))
	b.waitAttr("html", "data-theme", "dark")
	// The dark theme changes the page's colours, not only the attribute.
	if bg := evalJS[string](b, "getComputedStyle(document.body).backgroundColor"); bg == "rgb(255, 255, 255)" {
		t.Errorf("dark theme still paints a white page")
	}

	u, err := e.app.GetUser(context.Background(), e.owner, e.owner.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if u.Language != "de" || u.Theme != "dark" {
		t.Fatalf("stored preferences: language %q theme %q", u.Language, u.Theme)
	}
	// A fresh sign-in in another browser context gets the stored choices.
	other := b.newTab()
	other.signIn("owner@example.test", testPassword)
	other.waitText("main h1", "Willkommen")
	other.waitAttr("html", "data-theme", "dark")
}

// TestBrowserMenuAndSearch checks the owner's side menu and the search bar answering as one types.
func TestBrowserMenuAndSearch(t *testing.T) {
	e := newLiveEnv(t)
	b := e.chromium()
	b.signIn("owner@example.test", testPassword)
	for _, href := range []string{"/", "/installers", "/users", "/user-groups", "/roles", "/device-assignment", "/billing",
		"/settings", "/audit", "/groups/unassigned", "/favourites", "/in-session"} {
		if !b.exists(".sidemenu a[href='" + href + "']") {
			t.Errorf("the owner's side menu lacks %s", href)
		}
	}
	if got := b.attr(".sidemenu a[href='/']", "aria-current"); got != "page" {
		t.Errorf("dashboard entry aria-current %q", got)
	}
	b.fill("#search-q", "Olivia")
	b.waitText("#search-results", "Olivia Owner")

	// The session cookie is the one the server knows.
	c := e.directClient(b.cookie(SessionCookie))
	if code, body, _ := e.get(c, "/"); code != http.StatusOK || !strings.Contains(body, "Olivia Owner") {
		t.Fatalf("direct request with the tab's session: %d", code)
	}
}
