package portal

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/sso/ssotest"
)

// newSSOTestEnv is a portal whose account signs in through a real test IdP.
func newSSOTestEnv(t *testing.T, in app.SSOInput) (*testEnv, *ssotest.IdP) {
	e := newTwoFactorTestEnv(t)
	e.app.BaseURL = e.srv.URL
	e.app.AllowLocalIdPMetadata = true // the test IdP listens on loopback
	idp := ssotest.NewIdP(t)
	in.IdPMetadataURL = idp.MetadataURL()
	ctx := context.Background()
	if _, err := e.app.PutSSO(ctx, e.owner, in); err != nil {
		t.Fatal(err)
	}
	md, err := e.app.SSOMetadata(ctx, e.acc.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	idp.RegisterSP(t, "portico", md)
	return e, idp
}

// TestSSOSignInThroughIdP drives the whole flow as a browser would: the SP's login URL redirects to
// the IdP, the IdP's login form is posted, and the IdP's auto-post form goes back to the ACS from
// the IdP's origin; the browser ends on the dashboard, signed in.
func TestSSOSignInThroughIdP(t *testing.T) {
	e, idp := newSSOTestEnv(t, app.SSOInput{Enabled: true})
	if _, err := e.app.CreateUser(context.Background(), e.owner, app.NewUser{Email: "alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	idp.AddUser(t, "alice", "idp-password", "alice@example.test", "Alice Liddell")

	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	// The sign-in page's SSO form sends the email's user to the account's login URL.
	noFollow := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := noFollow.PostForm(e.srv.URL+"/sign-in/sso", url.Values{"email": {"Alice@example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	login := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || login != "/saml/"+e.acc.Account.ID+"/login" {
		t.Fatalf("continue with SSO: %d %q", res.StatusCode, login)
	}

	form := ssotest.SignInAtIdP(t, client, e.srv.URL+login, "alice", "idp-password")
	body := postFromIdP(t, client, idp, form)
	if res := lastResponse; res.Request.URL.Path != "/" || res.StatusCode != http.StatusOK {
		t.Fatalf("after the ACS: %d at %s: %.300s", res.StatusCode, res.Request.URL, body)
	}
	if !strings.Contains(body, "Alice Liddell") {
		t.Fatalf("dashboard does not show the signed-in user: %.500s", body)
	}

	// The same answer posted again is refused with a page that says why.
	jar2, _ := cookiejar.New(nil)
	body = postFromIdP(t, &http.Client{Jar: jar2}, idp, form)
	if lastResponse.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "already used") {
		t.Fatalf("replay: %d %.300s", lastResponse.StatusCode, body)
	}
}

var lastResponse *http.Response

// postFromIdP posts the IdP's auto-submitting form as a browser does: from the IdP's origin.
func postFromIdP(t *testing.T, client *http.Client, idp *ssotest.IdP, form *ssotest.Form) string {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, form.Action, strings.NewReader(form.Fields.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", idp.URL)
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	lastResponse = res
	return string(b)
}

func TestSSOUnknownEmail(t *testing.T) {
	e, idp := newSSOTestEnv(t, app.SSOInput{Enabled: true})
	idp.AddUser(t, "mallory", "idp-password", "mallory@example.test", "Mallory")
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar}
	form := ssotest.SignInAtIdP(t, client, e.srv.URL+"/saml/"+e.acc.Account.ID+"/login", "mallory", "idp-password")
	body := postFromIdP(t, client, idp, form)
	if lastResponse.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not a user of this account") {
		t.Fatalf("unknown email: %d %.300s", lastResponse.StatusCode, body)
	}
	// An email without SSO stays on the sign-in page with a message.
	b := e.browser()
	code, body, _ := b.post("/sign-in/sso", url.Values{"email": {"nobody@example.test"}})
	wantStatus(t, "continue with SSO, unknown email", code, http.StatusOK, body)
	if !strings.Contains(body, "not set up for this email") {
		t.Fatalf("no message: %.300s", body)
	}
}

func TestSSOSettingsPage(t *testing.T) {
	e := newTwoFactorTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.get("/settings/sso")
	wantStatus(t, "settings page", code, http.StatusOK, body)
	if !strings.Contains(body, `name="idp_metadata_url"`) {
		t.Fatal("no form")
	}
	// Bad input: the field's message is shown, nothing is saved.
	code, body, _ = b.post("/settings/sso", url.Values{"enabled": {"on"}, "idp_metadata_xml": {"<nope/>"}})
	wantStatus(t, "bad metadata", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "idp_metadata_xml-error") {
		t.Fatalf("no field message: %.500s", body)
	}
	if s, _ := e.app.GetSSO(context.Background(), e.owner); s.Enabled {
		t.Fatal("saved despite the error")
	}
	// A good save shows the SP's URLs.
	e.app.AllowLocalIdPMetadata = true // the test IdP listens on loopback
	idp := ssotest.NewIdP(t)
	code, _, hdr := b.post("/settings/sso", url.Values{"enabled": {"on"}, "idp_metadata_url": {idp.MetadataURL()}})
	if code != http.StatusSeeOther || hdr.Get("Location") != "/settings/sso?saved=1" {
		t.Fatalf("save: %d %v", code, hdr)
	}
	_, body, _ = b.get("/settings/sso?saved=1")
	if !strings.Contains(body, "/saml/"+e.acc.Account.ID+"/metadata") {
		t.Fatal("SP metadata URL not shown")
	}
	// The SP metadata is public.
	res, err := http.Get(e.srv.URL + "/saml/" + e.acc.Account.ID + "/metadata")
	if err != nil {
		t.Fatal(err)
	}
	md, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(md), "AssertionConsumerService") {
		t.Fatalf("metadata: %d %.200s", res.StatusCode, md)
	}

	// A technician without account.manage is refused, by the page and by a direct post.
	if _, err := e.app.CreateUser(context.Background(), e.owner, app.NewUser{Email: "tech@example.test", Name: "Tech", Password: testPassword}); err != nil {
		t.Fatal(err)
	}
	tb := e.browser()
	tb.signIn("tech@example.test")
	code, body, _ = tb.get("/settings/sso")
	wantStatus(t, "technician page", code, http.StatusForbidden, body)
	code, body, _ = tb.post("/settings/sso", url.Values{})
	wantStatus(t, "technician post", code, http.StatusForbidden, body)
	if s, _ := e.app.GetSSO(context.Background(), e.owner); !s.Enabled {
		t.Fatal("the technician's post changed the settings")
	}
}
