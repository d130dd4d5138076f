package api_test

import (
	"context"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/mail/mailtest"
)

// withMail connects the env's app to a real SMTP server on 127.0.0.1 and runs the outbox loop until
// the test ends.
func withMail(t *testing.T, e *env, opts mailtest.Options) *mailtest.Server {
	t.Helper()
	srv := mailtest.Start(t, opts)
	sender, err := mail.NewSMTP(srv.Config())
	must(t, err)
	e.app.SetMailSender(sender)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.app.RunMailOutbox(ctx, 20*time.Millisecond)
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
	return srv
}

var linkRE = regexp.MustCompile(`https?://\S+/invitations/(inv_[A-Za-z0-9_-]+)`)

// invitationToken extracts the token of the "Join the team" link from the message's text, and checks
// that the HTML part links to the same place.
func invitationToken(t *testing.T, m mailtest.Received) string {
	t.Helper()
	match := linkRE.FindStringSubmatch(m.Text)
	if match == nil {
		t.Fatalf("no invitation link in the message:\n%s", m.Text)
	}
	if !strings.Contains(m.HTML, `href="`+match[0]+`"`) {
		t.Fatalf("the HTML part does not link to %s:\n%s", match[0], m.HTML)
	}
	return match[1]
}

type invited struct {
	ID                  string    `json:"id"`
	State               string    `json:"state"`
	InvitationLink      string    `json:"invitation_link"`
	InvitationExpiresAt time.Time `json:"invitation_expires_at"`
	EmailStatus         string    `json:"email_status"`
	EmailError          string    `json:"email_error"`
}

func TestInvitationEmail(t *testing.T) {
	e := newEnv(t)
	srv := withMail(t, e, mailtest.Options{StartTLS: true, Username: "relay", Password: "relay-secret"})
	owner := e.signIn(e.A.acc.Owner.Email)
	invite := func(email, lang string) invited {
		t.Helper()
		var out invited
		res := owner.Do("POST", "/api/v1/users", map[string]any{"email": email, "language": lang})
		if res.Status != 201 {
			t.Fatalf("invite %s: %d %s", email, res.Status, res.Body)
		}
		res.Decode(t, &out)
		if out.EmailStatus != "sent" || out.EmailError != "" {
			t.Fatalf("invite %s: email %q %q", email, out.EmailStatus, out.EmailError)
		}
		return out
	}
	accept := func(token string) int {
		t.Helper()
		return e.anon().Do("POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": "New Tech", "password": testPassword}).Status
	}

	t.Run("received in the invitee's language, and the link works once", func(t *testing.T) {
		inv := invite("anna@example.test", "de")
		m := srv.WaitFor(t, "anna@example.test", "", 5*time.Second)
		if !strings.Contains(m.Subject, "Alpha Ltd") || !strings.Contains(m.Subject, "lädt Sie ein") {
			t.Errorf("subject %q: want German, with the company", m.Subject)
		}
		for _, want := range []string{"Owner of Alpha Ltd", "Dem Team beitreten", inv.InvitationExpiresAt.UTC().Format("02.01.2006")} {
			if !strings.Contains(m.Text, want) {
				t.Errorf("text lacks %q:\n%s", want, m.Text)
			}
		}
		token := invitationToken(t, m)
		if !strings.HasSuffix(inv.InvitationLink, "/"+token) {
			t.Errorf("the emailed link %s is not the one the inviter was shown (%s)", token, inv.InvitationLink)
		}
		if got := accept(token); got != 200 {
			t.Fatalf("accept: %d", got)
		}
		if got := accept(token); got != 409 {
			t.Fatalf("accept again: %d, want 409", got)
		}
		// A security notice follows a password change, in the user's language.
		c := e.signIn("anna@example.test")
		if res := c.Do("PATCH", "/api/v1/users/"+inv.ID, map[string]any{"password": "another " + testPassword, "current_password": testPassword}); res.Status != 200 {
			t.Fatalf("change password: %d %s", res.Status, res.Body)
		}
		n := srv.WaitFor(t, "anna@example.test", "Passwort wurde geändert", 5*time.Second)
		if !strings.Contains(n.Text, "Alpha Ltd") || linkRE.MatchString(n.Text) {
			t.Errorf("password notice:\n%s", n.Text)
		}
		// And another when an administrator disables the account.
		if res := owner.Do("POST", "/api/v1/users/"+inv.ID+"/disable", nil); res.Status != 200 {
			t.Fatalf("disable: %d %s", res.Status, res.Body)
		}
		d := srv.WaitFor(t, "anna@example.test", "deaktiviert", 5*time.Second)
		if !strings.Contains(d.Text, "Owner of Alpha Ltd") {
			t.Errorf("disable notice names no administrator:\n%s", d.Text)
		}
	})

	t.Run("resend makes the old link fail and the new one work", func(t *testing.T) {
		inv := invite("bruno@example.test", "fr")
		first := invitationToken(t, srv.WaitFor(t, "bruno@example.test", "", 5*time.Second))
		var again invited
		res := owner.Do("POST", "/api/v1/users/"+inv.ID+"/invitation/resend", nil)
		if res.Status != 200 {
			t.Fatalf("resend: %d %s", res.Status, res.Body)
		}
		res.Decode(t, &again)
		if again.EmailStatus != "sent" {
			t.Fatalf("resend email: %q %q", again.EmailStatus, again.EmailError)
		}
		if srv.Count("bruno@example.test") != 2 {
			t.Fatalf("%d messages to bruno, want 2", srv.Count("bruno@example.test"))
		}
		msgs := srv.Messages()
		second := invitationToken(t, msgs[len(msgs)-1])
		if second == first {
			t.Fatal("resend sent the same link")
		}
		if !strings.Contains(msgs[len(msgs)-1].Subject, "vous invite") {
			t.Errorf("resent subject %q: want French", msgs[len(msgs)-1].Subject)
		}
		if got := accept(first); got != 404 {
			t.Fatalf("old link after resend: %d, want 404", got)
		}
		if got := accept(second); got != 200 {
			t.Fatalf("new link: %d", got)
		}
		// Nothing to resend once registered.
		if res := owner.Do("POST", "/api/v1/users/"+inv.ID+"/invitation/resend", nil); res.Status != 409 {
			t.Fatalf("resend to a registered user: %d, want 409", res.Status)
		}
	})

	t.Run("revoke makes the link fail; the invited user stays", func(t *testing.T) {
		inv := invite("carla@example.test", "it")
		token := invitationToken(t, srv.WaitFor(t, "carla@example.test", "", 5*time.Second))
		var pending struct {
			ExpiresAt time.Time `json:"expires_at"`
		}
		res := owner.Do("GET", "/api/v1/users/"+inv.ID+"/invitation", nil)
		if res.Status != 200 {
			t.Fatalf("get invitation: %d %s", res.Status, res.Body)
		}
		res.Decode(t, &pending)
		if !pending.ExpiresAt.Equal(inv.InvitationExpiresAt) || time.Until(pending.ExpiresAt) < 6*24*time.Hour {
			t.Fatalf("expiry %v, want %v, about a week ahead", pending.ExpiresAt, inv.InvitationExpiresAt)
		}
		if res := owner.Do("DELETE", "/api/v1/users/"+inv.ID+"/invitation", nil); res.Status != 204 {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		if got := accept(token); got != 404 {
			t.Fatalf("revoked link: %d, want 404", got)
		}
		if res := owner.Do("GET", "/api/v1/users/"+inv.ID+"/invitation", nil); res.Status != 404 {
			t.Fatalf("pending invitation after revoke: %d, want 404", res.Status)
		}
		var u struct{ State string }
		res = owner.Do("GET", "/api/v1/users/"+inv.ID, nil)
		res.Decode(t, &u)
		if res.Status != 200 || u.State != "invited" {
			t.Fatalf("invited user after revoke: %d %s", res.Status, res.Body)
		}
		// Invited again later, a new link works.
		if res := owner.Do("POST", "/api/v1/users/"+inv.ID+"/invitation/resend", nil); res.Status != 200 {
			t.Fatalf("resend after revoke: %d %s", res.Status, res.Body)
		}
		msgs := srv.Messages()
		if got := accept(invitationToken(t, msgs[len(msgs)-1])); got != 200 {
			t.Fatalf("link sent after revoke: %d", got)
		}
	})

	t.Run("audited", func(t *testing.T) {
		var page struct {
			Items []struct{ Action, Outcome string } `json:"items"`
		}
		res := owner.Do("GET", "/api/v1/audit-events?limit=500", nil)
		if res.Status != 200 {
			t.Fatalf("audit: %d %s", res.Status, res.Body)
		}
		res.Decode(t, &page)
		seen := map[string]bool{}
		for _, ev := range page.Items {
			seen[ev.Action] = true
		}
		for _, a := range []string{"user.invite", "user.invitation.resend", "user.invitation.revoke"} {
			if !seen[a] {
				t.Errorf("no %s in the audit log", a)
			}
		}
	})
}

func TestInvitationEmailFailure(t *testing.T) {
	e := newEnv(t)
	// The clock is set before the outbox loop starts, which reads it; the test moves it through skew.
	var skew atomic.Int64
	e.app.SetClock(func() time.Time { return time.Now().UTC().Add(time.Duration(skew.Load())) })
	srv := withMail(t, e, mailtest.Options{Refuse: true})
	owner := e.signIn(e.A.acc.Owner.Email)
	var out invited
	res := owner.Do("POST", "/api/v1/users", map[string]any{"email": "dora@example.test", "language": "es"})
	if res.Status != 201 {
		t.Fatalf("invite: %d %s", res.Status, res.Body)
	}
	res.Decode(t, &out)
	if out.State != "invited" || out.InvitationLink == "" || out.EmailStatus != "queued" || !strings.Contains(out.EmailError, "451") {
		t.Fatalf("invite with a refusing server: %s", res.Body)
	}
	// The failure is in the audit log.
	var page struct {
		Items []struct{ Action, Outcome, Detail string } `json:"items"`
	}
	owner.Do("GET", "/api/v1/audit-events?limit=100", nil).Decode(t, &page)
	found := false
	for _, ev := range page.Items {
		found = found || (ev.Action == "mail.failed" && ev.Outcome == "failed" && strings.Contains(ev.Detail, "dora@example.test"))
	}
	if !found {
		t.Fatalf("no mail.failed audit entry: %+v", page.Items)
	}
	// The outbox retries once the server accepts again and the retry is due: the queued message, with
	// the link the inviter was given, arrives.
	srv.SetRefuse(false)
	skew.Store(int64(2 * time.Minute))
	m := srv.WaitFor(t, "dora@example.test", "", 10*time.Second)
	if token := invitationToken(t, m); !strings.HasSuffix(out.InvitationLink, "/"+token) {
		t.Fatalf("retried message carries %s, want the link %s", token, out.InvitationLink)
	}
	if !strings.Contains(m.Subject, "le invita") {
		t.Errorf("subject %q: want Spanish", m.Subject)
	}
}

func TestInvitationEmailSlowServer(t *testing.T) {
	e := newEnv(t)
	withMail(t, e, mailtest.Options{Delay: time.Minute})
	e.app.SetMailDeliveryTimeout(300 * time.Millisecond)
	owner := e.signIn(e.A.acc.Owner.Email)
	var out invited
	res := owner.Do("POST", "/api/v1/users", map[string]any{"email": "emil@example.test"})
	if res.Status != 201 {
		t.Fatalf("invite: %d %s", res.Status, res.Body)
	}
	res.Decode(t, &out)
	if out.EmailStatus != "queued" || out.EmailError == "" || out.InvitationLink == "" {
		t.Fatalf("invite with a server that never answers: %s", res.Body)
	}
}

func TestInvitationWithoutMail(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	var out invited
	res := owner.Do("POST", "/api/v1/users", map[string]any{"email": "fritz@example.test"})
	res.Decode(t, &out)
	if res.Status != 201 || out.EmailStatus != "not_configured" || out.InvitationLink == "" {
		t.Fatalf("invite without SMTP: %d %s", res.Status, res.Body)
	}
}

// TestSecurityNoticesForKeysAndTwoFactor: a new API key and a 2FA reset each tell the user by email.
func TestSecurityNoticesForKeysAndTwoFactor(t *testing.T) {
	e := newEnv(t)
	srv := withMail(t, e, mailtest.Options{})
	ctx := context.Background()
	a := e.A
	if _, _, err := e.app.CreateAPIKey(ctx, a.ownerAct, "nightly export", nil); err != nil {
		t.Fatal(err)
	}
	n := srv.WaitFor(t, a.acc.Owner.Email, "A new API key was created", 5*time.Second)
	if !strings.Contains(n.Text, "nightly export") {
		t.Fatalf("API key notice: %q", n.Text)
	}
	// The technician enrols in 2FA; the owner resets it.
	tech := &app.Actor{Kind: app.ActorUser, AccountID: a.acc.Account.ID, UserID: a.user.ID, Name: a.user.Name}
	if err := e.app.SetSealKey(make([]byte, 32)); err != nil {
		t.Fatal(err)
	}
	enrol, err := e.app.StartTwoFactor(ctx, tech)
	must(t, err)
	code, err := totp.GenerateCode(enrol.Secret, time.Now())
	must(t, err)
	if _, err := e.app.ConfirmTwoFactor(ctx, tech, code); err != nil {
		t.Fatal(err)
	}
	must(t, e.app.ResetTwoFactor(ctx, a.ownerAct, a.user.ID))
	srv.WaitFor(t, a.user.Email, "two-factor authentication was reset", 5*time.Second)
}
