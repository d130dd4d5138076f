package portal

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/store"
)

// testEnv is a portal over a real SQLite store with one account.
type testEnv struct {
	t *testing.T
	// dir is the data directory of the SQLite store, for tests that tamper with it behind the app.
	dir string
	app *app.App
	// st is the app's store, for tests that seed devices directly, as no app method creates one without an agent.
	st    *store.Store
	srv   *httptest.Server
	acc   *app.CreatedAccount
	owner *app.Actor
}

const testPassword = "correct horse battery"

func newTestEnv(t *testing.T) *testEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := app.New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	acc, err := a.CreateAccount(ctx, app.NewAccount{Company: "Example Ltd", OwnerEmail: "owner@example.test",
		OwnerName: "Olivia Owner", OwnerPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	p, err := New(a, Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return &testEnv{t: t, dir: dir, app: a, st: st, srv: srv, acc: acc,
		owner: &app.Actor{Kind: app.ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID}}
}

// browser is a cookie-keeping client that does not follow redirects, so tests see them.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
}

func (e *testEnv) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: e.t, base: e.srv.URL, c: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) get(path string) (int, string, http.Header) {
	b.t.Helper()
	res, err := b.c.Get(b.base + path)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	res, err := b.c.PostForm(b.base+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header
}

func (b *browser) signIn(email string) {
	b.t.Helper()
	code, body, h := b.post("/sign-in", url.Values{"email": {email}, "password": {testPassword}, "next": {"/"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/" {
		b.t.Fatalf("sign in as %s: %d %s\n%s", email, code, h.Get("Location"), body)
	}
}

func TestSignInFlow(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	code, _, h := b.get("/")
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/sign-in?next=") {
		t.Fatalf("anonymous dashboard: %d %s", code, h.Get("Location"))
	}
	code, body, _ := b.post("/sign-in", url.Values{"email": {"owner@example.test"}, "password": {"wrong password"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "Wrong email or password") {
		t.Fatalf("wrong password: %d\n%s", code, body)
	}
	// A next pointing elsewhere is not followed.
	code, _, h = b.post("/sign-in", url.Values{"email": {"owner@example.test"}, "password": {testPassword}, "next": {"https://evil.example/"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/" {
		t.Fatalf("sign in with a foreign next: %d %s", code, h.Get("Location"))
	}
	code, body, _ = b.get("/")
	if code != http.StatusOK || !strings.Contains(body, "Welcome, Olivia Owner") {
		t.Fatalf("dashboard: %d\n%s", code, body)
	}
	b.post("/sign-out", nil)
	if code, _, _ := b.get("/"); code != http.StatusSeeOther {
		t.Fatalf("dashboard after sign-out: %d", code)
	}
}

func TestSecurityHeadersOnEveryPage(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	for _, path := range []string{"/", "/sign-in", "/nope", "/static/portico.css", "/search?q=x"} {
		_, _, h := b.get(path)
		if got := h.Get("Content-Security-Policy"); got != contentSecurityPolicy {
			t.Errorf("%s: CSP %q", path, got)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", path, h)
		}
	}
}

func TestCrossOriginPostRefused(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	req, _ := http.NewRequest("POST", e.srv.URL+"/preferences", strings.NewReader("theme=dark"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin form post: %d, want 403", res.StatusCode)
	}
	u, _ := e.app.GetUser(context.Background(), e.owner, e.owner.UserID)
	if u.Theme == "dark" {
		t.Fatal("the cross-origin post changed the theme")
	}
}

// TestMenuFollowsPermissions signs in a technician with one narrow role: the side menu shows only
// what the role allows.
func TestMenuFollowsPermissions(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "tech@example.test", Name: "Terry", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	name, purpose, perms := "Auditors", portico.PurposeAdministration, []portico.Permission{portico.PermAuditView}
	r, err := e.app.CreateRole(ctx, e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.CreateAssignment(ctx, e.owner, app.AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: u.User.ID, RoleID: r.ID, ScopeType: portico.ScopeTypeAccount}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("tech@example.test")
	_, body, _ := b.get("/")
	if !strings.Contains(body, `href="/audit"`) {
		t.Error("the audit log entry is missing for an auditor")
	}
	for _, hidden := range []string{`href="/users"`, `href="/roles"`, `href="/settings"`, `href="/installers"`, `href="/groups/unassigned"`} {
		if strings.Contains(body, hidden) {
			t.Errorf("menu shows %s to an auditor", hidden)
		}
	}
	owner := e.browser()
	owner.signIn("owner@example.test")
	_, body, _ = owner.get("/")
	for _, shown := range []string{`href="/users"`, `href="/roles"`, `href="/settings"`, `href="/audit"`, `href="/groups/unassigned"`} {
		if !strings.Contains(body, shown) {
			t.Errorf("menu lacks %s for the owner", shown)
		}
	}
}

func TestLanguageChoice(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	req, _ := http.NewRequest("GET", e.srv.URL+"/sign-in", nil)
	req.Header.Set("Accept-Language", "de-CH, de;q=0.9, en;q=0.5")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(body), "Bei Portico anmelden") || res.Header.Get("Content-Language") != "de" {
		t.Fatalf("German browser: %s\n%s", res.Header.Get("Content-Language"), body)
	}
	b.signIn("owner@example.test")
	b.post("/preferences", url.Values{"lang": {"fr"}})
	if _, body, _ := b.get("/"); !strings.Contains(body, "Bienvenue, Olivia Owner") {
		t.Fatalf("after choosing French:\n%s", body)
	}
	if code, _, _ := b.post("/preferences", url.Values{"lang": {"xx"}}); code != http.StatusUnprocessableEntity {
		t.Fatalf("unknown language: %d", code)
	}
}

func TestNumbersAndDatesFollowTheLanguage(t *testing.T) {
	c, err := loadCatalog(files)
	if err != nil {
		t.Fatal(err)
	}
	for lang, want := range map[string]string{"en-GB": "10,000", "en-US": "10,000", "de": "10.000", "fr": "10\u00a0000", "it": "10.000", "es": "10.000"} {
		if got := c.number(lang, 10000); got != want {
			t.Errorf("%s: 10000 as %q, want %q", lang, got, want)
		}
	}
}

var tKey = regexp.MustCompile(`\{\{-?\s*t\s+"([a-z0-9_.]+)"`)

// TestCatalogues holds every language to the English (UK) catalogue: the same keys (English (US)
// may omit those it spells the same), the same format verbs, and every key a template names exists.
func TestCatalogues(t *testing.T) {
	c, err := loadCatalog(files)
	if err != nil {
		t.Fatal(err)
	}
	base := c.strings["en-GB"]
	verbs := regexp.MustCompile(`%(\[\d+\])?[sdvfq]`)
	for _, l := range languages[1:] {
		for k, v := range base {
			got, ok := c.strings[l.tag][k]
			if !ok {
				if l.tag != "en-US" {
					t.Errorf("%s lacks %q", l.tag, k)
				}
				continue
			}
			if a, b := verbs.FindAllString(v, -1), verbs.FindAllString(got, -1); strings.Join(a, "") != strings.Join(b, "") {
				t.Errorf("%s %q: verbs %v, English has %v", l.tag, k, b, a)
			}
		}
		for k := range c.strings[l.tag] {
			if _, ok := base[k]; !ok {
				t.Errorf("%s has %q, which English (UK) lacks", l.tag, k)
			}
		}
	}
	err = fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(files, path)
		for _, m := range tKey.FindAllStringSubmatch(string(b), -1) {
			if _, ok := base[m[1]]; !ok {
				t.Errorf("%s uses %q, which the catalogue lacks", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestTemplatesHaveNoUntranslatedText fails when a template shows words that do not go through the
// catalogue: every visible string is translated. Commands (in <pre> or <code>), product and operating
// system names and units are the same in every language.
func TestTemplatesHaveNoUntranslatedText(t *testing.T) {
	same := map[string]bool{"Portico": true, "· Portico": true, "Linux": true, "macOS": true, "Windows": true,
		"GiB": true, "MiB": true, "Mbit/s": true}
	strip := []*regexp.Regexp{
		regexp.MustCompile(`(?s)\{\{.*?\}\}`),
		regexp.MustCompile(`(?s)<(pre|code|script|style)\b.*?</(pre|code|script|style)>`),
		regexp.MustCompile(`(?s)<[^>]*>`),
	}
	word := regexp.MustCompile(`\pL{2,}`)
	err := fs.WalkDir(files, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(files, path)
		s := string(b)
		for _, re := range strip {
			s = re.ReplaceAllString(s, "\n")
		}
		for _, line := range strings.Split(s, "\n") {
			if line = strings.TrimSpace(line); word.MatchString(line) && !same[line] {
				t.Errorf("%s shows untranslated text %q", path, line)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestSettingsPasswordMix: the settings page turns the letters-and-digits rule on and off.
func TestSettingsPasswordMix(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	form := url.Values{"name": {"Example Ltd"}, "idle_timeout_minutes": {"15"}, "password_min_length": {"10"},
		"technician_display_name": {""}, "password_require_mix": {"on"}}
	if code, body, _ := b.post("/settings", form); code != http.StatusSeeOther {
		t.Fatalf("save: %d\n%s", code, body)
	}
	policy, err := e.app.GetPasswordPolicy(context.Background(), e.owner)
	if err != nil || !policy.RequireMix {
		t.Fatalf("policy after turning the rule on: %+v %v", policy, err)
	}
	if _, body, _ := b.get("/settings"); !strings.Contains(body, `id="password_require_mix" name="password_require_mix" checked`) {
		t.Fatal("the settings page does not show the rule on")
	}
	form.Del("password_require_mix")
	b.post("/settings", form)
	if policy, _ := e.app.GetPasswordPolicy(context.Background(), e.owner); policy.RequireMix {
		t.Fatal("the rule is still on after turning it off")
	}
}

// TestSettingsLinksToTheOtherSettingsPages: the settings page leads to SSO, the IP allow list, the
// legal texts and branding, for the owner.
func TestSettingsLinksToTheOtherSettingsPages(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	_, body, _ := b.get("/settings")
	for _, link := range []string{"/settings/sso", "/settings/ip-allowlist", "/settings/legal", "/settings/branding"} {
		if !strings.Contains(body, `href="`+link+`"`) {
			t.Errorf("the settings page does not link to %s", link)
		}
		if code, _, _ := b.get(link); code != http.StatusOK {
			t.Errorf("GET %s: %d", link, code)
		}
	}
}
