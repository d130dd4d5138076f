package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
)

// totpNow is the authenticator app: the current code for secret.
func totpNow(t *testing.T, secret string) string {
	t.Helper()
	c, err := totp.GenerateCodeCustom(secret, time.Now(), totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	must(t, err)
	return c
}

func (e *env) actorOf(u *portico.User) *app.Actor {
	return &app.Actor{Kind: app.ActorUser, AccountID: u.AccountID, UserID: u.ID, Name: u.Name}
}

// enrolled creates an active user with 2FA on and returns them, their secret and recovery codes.
func (e *env) enrolled(f *fixture) (*portico.User, string, []string) {
	e.t.Helper()
	ctx := context.Background()
	u := e.activeUser(f, nil)
	en := check(e.app.StartTwoFactor(ctx, e.actorOf(u)))(e.t)
	rc := check(e.app.ConfirmTwoFactor(ctx, e.actorOf(u), totpNow(e.t, en.Secret)))(e.t)
	return u, en.Secret, rc.Codes
}

// signInWithCode signs in a user who has 2FA, with a TOTP or recovery code.
func (e *env) signInWithCode(email, code string) *client {
	e.t.Helper()
	c := e.anon()
	if r := c.Do("POST", "/api/v1/session", map[string]any{"email": email, "password": testPassword, "totp": code}); r.Status != 200 {
		e.t.Fatalf("sign in %s with a code: %d %s", email, r.Status, r.Body)
	}
	return c
}

func TestSignInWithTwoFactor(t *testing.T) {
	e := newEnv(t)
	u, secret, codes := e.enrolled(e.A)

	// The password alone: 401, and the problem names the missing field.
	r := e.anon().Do("POST", "/api/v1/session", map[string]any{"email": u.Email, "password": testPassword})
	p := r.Problem(t)
	if r.Status != 401 || len(p.Errors) != 1 || p.Errors[0].Field != "totp" {
		t.Fatalf("without a code: %d %s", r.Status, r.Body)
	}
	// The code that confirmed enrolment is spent for its time step.
	r = e.anon().Do("POST", "/api/v1/session", map[string]any{"email": u.Email, "password": testPassword, "totp": totpNow(t, secret)})
	if r.Status != 401 || !hasFieldPrefix(r.Problem(t).Errors, "totp") {
		t.Fatalf("replayed code: %d %s", r.Status, r.Body)
	}
	// A recovery code signs in, once.
	c := e.signInWithCode(u.Email, codes[0])
	if r := c.Do("GET", "/api/v1/me/2fa", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"recovery_codes_left":9`) {
		t.Fatalf("status: %d %s", r.Status, r.Body)
	}
	if r := e.anon().Do("POST", "/api/v1/session", map[string]any{"email": u.Email, "password": testPassword, "totp": codes[0]}); r.Status != 401 {
		t.Fatalf("recovery code used twice: %d %s", r.Status, r.Body)
	}
	// A wrong password with a code is still just a wrong password.
	if r := e.anon().Do("POST", "/api/v1/session", map[string]any{"email": u.Email, "password": "nope nope nope", "totp": codes[1]}); r.Status != 401 || strings.Contains(string(r.Body), "totp") {
		t.Fatalf("wrong password: %d %s", r.Status, r.Body)
	}
	// Wrong codes count towards the lockout (five per email), after which even a right code waits.
	for range 4 {
		e.anon().Do("POST", "/api/v1/session", map[string]any{"email": u.Email, "password": testPassword, "totp": "000000"})
	}
	r = e.anon().Do("POST", "/api/v1/session", map[string]any{"email": u.Email, "password": testPassword, "totp": codes[2]})
	if r.Status != 429 || !strings.HasSuffix(r.Problem(t).Type, "/rate_limited") || r.Header.Get("Retry-After") == "" {
		t.Fatalf("after wrong codes: %d %s, want 429 rate_limited with Retry-After", r.Status, r.Body)
	}
}

func TestTwoFactorEnrolmentOverAPI(t *testing.T) {
	e := newEnv(t)
	u := e.activeUser(e.A, nil)
	c := e.signIn(u.Email)
	r := c.Do("POST", "/api/v1/me/2fa", nil)
	var en app.TwoFactorEnrolment
	r.Decode(t, &en)
	if r.Status != 200 || !strings.HasPrefix(en.URL, "otpauth://totp/") || !strings.HasPrefix(en.QRCode, "data:image/png;base64,") {
		t.Fatalf("start: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/v1/me/2fa/confirm", map[string]any{"totp": "12"}); r.Status != 422 || !hasFieldPrefix(r.Problem(t).Errors, "totp") {
		t.Fatalf("bad code: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/v1/me/2fa/confirm", map[string]any{"code": "12"}); r.Status != 400 {
		t.Fatalf("unknown field: %d %s", r.Status, r.Body)
	}
	r = c.Do("POST", "/api/v1/me/2fa/confirm", map[string]any{"totp": totpNow(t, en.Secret)})
	var rc app.RecoveryCodes
	r.Decode(t, &rc)
	if r.Status != 200 || len(rc.Codes) != 10 {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	// The enrolment is audited.
	events := check(e.app.ListAudit(context.Background(), e.A.sys, portico.AuditFilter{Action: "user.2fa_enable"}))(t)
	if len(events) != 1 || events[0].TargetID != u.ID {
		t.Fatalf("audit: %+v", events)
	}
	if r := c.Do("POST", "/api/v1/me/2fa/disable", map[string]any{"totp": "000000"}); r.Status != 422 {
		t.Fatalf("disable with a wrong code: %d %s", r.Status, r.Body)
	}
	if r := c.Do("POST", "/api/v1/me/2fa/disable", map[string]any{"totp": rc.Codes[4]}); r.Status != 204 {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	// An API key cannot enrol its owner.
	_, key, err := e.app.CreateAPIKey(context.Background(), e.A.ownerAct, "k", nil)
	must(t, err)
	if r := e.bearer(key).Do("POST", "/api/v1/me/2fa", nil); r.Status != 403 {
		t.Fatalf("API key enrolment: %d %s", r.Status, r.Body)
	}
}

// twoFactorOpen are the operations a user held at enrolment may call.
var twoFactorOpen = map[string]int{"getTwoFactorStatus": 200, "startTwoFactor": 200, "confirmTwoFactor": 422}

// TestRequire2FAHoldsBackEveryRoute: in an account requiring 2FA, a user without it signs in but every
// operation of the route table except enrolment and the public ones answers 403 — for their session and
// their API key alike — until they enrol.
func TestRequire2FAHoldsBackEveryRoute(t *testing.T) {
	e := newEnv(t)
	f := e.A
	ctx := context.Background()
	// An administrator with every permission, so that nothing but the policy can refuse.
	admin := e.activeUser(f, allBut())
	_, key, err := e.app.CreateAPIKey(ctx, e.actorOf(admin), "script", nil)
	must(t, err)
	settings := check(e.app.GetAccount(ctx, f.sys))(t).Settings
	settings.Require2FA = true
	check(e.app.UpdateAccount(ctx, f.sys, app.AccountUpdate{Settings: &settings}))(t)

	session := e.signIn(admin.Email) // signing in still works
	for _, c := range []struct {
		name string
		cl   *client
	}{{"session", session}, {"API key", e.bearer(key)}} {
		for _, rt := range api.Routes() {
			if rt.Public {
				continue
			}
			path := strings.ReplaceAll(rt.Path, "{id}", f.user.ID)
			var body any
			if rt.Method != "GET" && rt.Method != "DELETE" {
				body = map[string]any{}
			}
			r := c.cl.Do(rt.Method, path, body)
			if want, open := twoFactorOpen[rt.OperationID]; open {
				if c.name == "session" && r.Status != want {
					t.Errorf("%s: %s %s: %d, want %d: %s", c.name, rt.Method, path, r.Status, want, r.Body)
				}
				continue
			}
			if r.Status != 403 {
				t.Errorf("%s: %s %s (%s): %d, want 403: %s", c.name, rt.Method, path, rt.OperationID, r.Status, r.Body)
				continue
			}
			if p := r.Problem(t); p.Detail != "two-factor authentication must be set up first" {
				t.Errorf("%s: %s %s: detail %q", c.name, rt.Method, path, p.Detail)
			}
		}
	}
	if r := session.Do("GET", "/api/v1/me/2fa", nil); !strings.Contains(string(r.Body), `"required":true`) {
		t.Fatalf("status does not say 2FA is required: %s", r.Body)
	}

	// Enrolling lets them through.
	r := session.Do("POST", "/api/v1/me/2fa", nil)
	var en app.TwoFactorEnrolment
	r.Decode(t, &en)
	if r := session.Do("POST", "/api/v1/me/2fa/confirm", map[string]any{"totp": totpNow(t, en.Secret)}); r.Status != 200 {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	for _, cl := range []*client{session, e.bearer(key)} {
		if r := cl.Do("GET", "/api/v1/me", nil); r.Status != 200 {
			t.Fatalf("after enrolment: %d %s", r.Status, r.Body)
		}
	}
	// Signing out stays open.
	if r := e.signIn(f.user.Email).Do("DELETE", "/api/v1/session", nil); r.Status != 204 {
		t.Fatalf("sign out: %d %s", r.Status, r.Body)
	}
}
