package portal

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

func totpCode(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newTwoFactorTestEnv(t *testing.T) *testEnv {
	e := newTestEnv(t)
	if err := e.app.SetSealKey(make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	return e
}

var secretInPage = regexp.MustCompile(`<code>([A-Z2-7]+)</code>`)

func TestPortalTwoFactorEnrolAndSignIn(t *testing.T) {
	e := newTwoFactorTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.get("/profile/2fa")
	wantStatus(t, "2FA page", code, http.StatusOK, body)
	code, body, _ = b.post("/profile/2fa/start", nil)
	m := secretInPage.FindStringSubmatch(body)
	if code != http.StatusOK || m == nil || !strings.Contains(body, `src="data:image/png;base64,`) {
		t.Fatalf("start: %d\n%s", code, body)
	}
	code, body, _ = b.post("/profile/2fa/confirm", url.Values{"code": {"000000"}})
	if code != http.StatusUnprocessableEntity || !strings.Contains(body, "Wrong or already used code") {
		t.Fatalf("wrong code: %d", code)
	}
	code, body, _ = b.post("/profile/2fa/confirm", url.Values{"code": {totpCode(t, m[1])}})
	codes := regexp.MustCompile(`\b[a-z2-7]{5}-[a-z2-7]{5}\b`).FindAllString(body, -1)
	if code != http.StatusOK || len(codes) != 10 {
		t.Fatalf("confirm: %d, %d recovery codes\n%s", code, len(codes), body)
	}
	b.post("/sign-out", nil)

	// Signing in now takes two steps; the second carries a token, never the password.
	c := e.browser()
	code, body, _ = c.post("/sign-in", url.Values{"email": {"owner@example.test"}, "password": {testPassword}, "next": {"/devices"}})
	ch := regexp.MustCompile(`name="challenge" value="([^"]+)"`).FindStringSubmatch(body)
	if code != http.StatusOK || ch == nil || strings.Contains(body, testPassword) {
		t.Fatalf("first step: %d\n%s", code, body)
	}
	if code, _, _ := c.get("/"); code != http.StatusSeeOther {
		t.Fatalf("signed in after the password alone: %d", code)
	}
	code, body, _ = c.post("/sign-in/code", url.Values{"challenge": {ch[1]}, "code": {"000000"}, "next": {"/devices"}})
	if code != http.StatusUnauthorized || !strings.Contains(body, "Wrong or already used code") {
		t.Fatalf("wrong code: %d\n%s", code, body)
	}
	code, _, h := c.post("/sign-in/code", url.Values{"challenge": {ch[1]}, "code": {codes[0]}, "next": {"/devices"}})
	if code != http.StatusSeeOther || h.Get("Location") != "/devices" {
		t.Fatalf("recovery code: %d %s", code, h.Get("Location"))
	}
	if code, body, _ := c.get("/"); code != http.StatusOK {
		t.Fatalf("dashboard after the second step: %d\n%s", code, body)
	}
	// The token is spent.
	if code, _, _ := e.browser().post("/sign-in/code", url.Values{"challenge": {ch[1]}, "code": {codes[1]}}); code != http.StatusUnauthorized {
		t.Fatalf("token reused: %d", code)
	}
}

// TestPortalHoldsBackUnenrolled: with the account requiring 2FA, every portal page but enrolment sends
// a user without 2FA to the enrolment page.
func TestPortalHoldsBackUnenrolled(t *testing.T) {
	e := newTwoFactorTestEnv(t)
	ctx := context.Background()
	acc, err := e.app.GetAccount(ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	s := acc.Settings
	s.Require2FA = true
	if _, err := e.app.UpdateAccount(ctx, e.owner, app.AccountUpdate{Settings: &s}); err != nil {
		t.Fatal(err)
	}
	p, err := New(e.app, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var all []route
	for _, rs := range [][]route{p.coreRoutes(), p.deviceRoutes(), p.adminRoutes(), p.sessionRoutes()} {
		all = append(all, rs...)
	}
	held := 0
	for _, rt := range all {
		if rt.public {
			continue
		}
		method, path, _ := strings.Cut(rt.pattern, " ")
		rec := httptest.NewRecorder()
		q := &request{p: p, w: rec, r: httptest.NewRequest(method, path, nil), ctx: ctx,
			actor: &app.Actor{Kind: app.ActorUser, AccountID: e.owner.AccountID, UserID: e.owner.UserID}}
		got := q.holdForTwoFactor(rt.pattern)
		if twoFactorOpenPages[rt.pattern] {
			if got {
				t.Errorf("%s: enrolment page held back", rt.pattern)
			}
			continue
		}
		if !got || rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/profile/2fa" {
			t.Errorf("%s: held %v, %d %s; want a redirect to /profile/2fa", rt.pattern, got, rec.Code, rec.Header().Get("Location"))
		}
		held++
	}
	if held < 30 {
		t.Fatalf("only %d pages checked", held)
	}

	// The enrolment page itself opens and says why.
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.get("/profile/2fa")
	if code != http.StatusOK || !strings.Contains(body, "requires two-factor authentication") {
		t.Fatalf("enrolment page: %d\n%s", code, body)
	}
	if portico.KindOf(e.app.TwoFactorGate(ctx, e.owner)) != portico.KindForbidden {
		t.Fatal("the gate lets an unenrolled owner through")
	}
	// And through the real request path: the dashboard and any other page send the browser there.
	for _, path := range []string{"/", "/users", "/groups/unassigned", "/search?q=x"} {
		code, _, h := b.get(path)
		if code != http.StatusSeeOther || h.Get("Location") != "/profile/2fa" {
			t.Errorf("GET %s: %d %s, want a redirect to /profile/2fa", path, code, h.Get("Location"))
		}
	}
}

// TestPortalResetTwoFactorButton: the user page offers "Reset 2FA" only for a user who has 2FA, and
// the reset works from there.
func TestPortalResetTwoFactorButton(t *testing.T) {
	e := newTwoFactorTestEnv(t)
	ctx := context.Background()
	cu, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "tech@example.test", Name: "Terry", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	owner := e.browser()
	owner.signIn("owner@example.test")
	page := "/users/" + cu.User.ID
	if _, body, _ := owner.get(page); strings.Contains(body, "/reset-2fa") {
		t.Fatal("reset offered for a user without 2FA")
	}
	tech := &app.Actor{Kind: app.ActorUser, AccountID: e.owner.AccountID, UserID: cu.User.ID}
	enrol, err := e.app.StartTwoFactor(ctx, tech)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.ConfirmTwoFactor(ctx, tech, totpCode(t, enrol.Secret)); err != nil {
		t.Fatal(err)
	}
	if _, body, _ := owner.get(page); !strings.Contains(body, "/reset-2fa") {
		t.Fatal("no reset for a user with 2FA")
	}
	if code, _, _ := owner.post(page+"/reset-2fa", nil); code != http.StatusSeeOther {
		t.Fatalf("reset: %d", code)
	}
	if has, _ := e.app.UserHasTwoFactor(ctx, e.owner, cu.User.ID); has {
		t.Fatal("2FA still on after the reset")
	}
}
