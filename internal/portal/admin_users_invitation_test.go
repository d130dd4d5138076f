package portal

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/mail/mailtest"
)

func TestAdminInvitationResendAndRevoke(t *testing.T) {
	e := newTestEnv(t)
	srv := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.NewSMTP(srv.Config())
	if err != nil {
		t.Fatal(err)
	}
	e.app.SetMailSender(sender)
	b := e.browser()
	b.signIn("owner@example.test")

	// Inviting says the email went.
	code, body, _ := b.post("/users", url.Values{"email": {"ines@example.test"}, "mode": {"invite"}, "language": {"es"}})
	wantStatus(t, "invite", code, http.StatusOK, body)
	if !strings.Contains(body, "An email with this link was sent to ines@example.test") {
		t.Fatalf("no email status on the invitation:\n%s", body)
	}
	srv.WaitFor(t, "ines@example.test", "le invita", 5*time.Second)
	cu, err := e.app.CreateUser(context.Background(), e.owner, app.NewUser{Email: "jo@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	id := cu.User.ID
	page := "/users/" + id

	// The invited user's page shows the expiry and both buttons.
	_, body, _ = b.get(page)
	for _, want := range []string{"Invitation expires", "Resend invitation", "Revoke invitation", `value="revoke"`} {
		if !strings.Contains(body, want) {
			t.Errorf("user page lacks %q", want)
		}
	}
	// Revoke: the link stops working, the page says so and offers only Resend.
	token := cu.InvitationLink[strings.LastIndex(cu.InvitationLink, "/")+1:]
	code, body, h := b.post(page, url.Values{"invitation": {"revoke"}})
	wantStatus(t, "revoke", code, http.StatusSeeOther, body)
	code, body, _ = b.get(h.Get("Location"))
	wantStatus(t, "after revoke", code, http.StatusOK, body)
	if !strings.Contains(body, "The invitation was revoked") || !strings.Contains(body, "No valid link") || strings.Contains(body, `value="revoke"`) {
		t.Errorf("page after revoke:\n%s", body)
	}
	if _, err := e.app.AcceptInvitation(context.Background(), token, "Jo", testPassword, "127.0.0.1"); err == nil {
		t.Fatal("a revoked link was accepted")
	}
	// Resend: a new link, shown once, emailed; it works.
	code, body, _ = b.post(page, url.Values{"invitation": {"resend"}})
	wantStatus(t, "resend", code, http.StatusOK, body)
	link := regexp.MustCompile(`value="(http[^"]+/invitations/(inv_[^"]+))"`).FindStringSubmatch(body)
	if link == nil || !strings.Contains(body, "An email with this link was sent to jo@example.test") {
		t.Fatalf("resend page:\n%s", body)
	}
	srv.WaitFor(t, "jo@example.test", "", 5*time.Second)
	if _, err := e.app.AcceptInvitation(context.Background(), link[2], "Jo", testPassword, "127.0.0.1"); err != nil {
		t.Fatalf("the resent link: %v", err)
	}
	// Registered: no invitation buttons any more, and a resend is refused on the page.
	_, body, _ = b.get(page)
	if strings.Contains(body, "Resend invitation") {
		t.Error("a registered user's page offers a resend")
	}
	code, body, _ = b.post(page, url.Values{"invitation": {"resend"}})
	wantStatus(t, "resend to a registered user", code, http.StatusConflict, body)
}

func TestAdminInvitationWithoutMail(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/users", url.Values{"email": {"kim@example.test"}, "mode": {"invite"}})
	wantStatus(t, "invite", code, http.StatusOK, body)
	if !strings.Contains(body, "No email server is configured") || !strings.Contains(body, "/invitations/inv") {
		t.Fatalf("invitation without email:\n%s", body)
	}
}
