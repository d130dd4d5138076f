package app

import (
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/sso/ssotest"
)

// ssoEnv is an account with SSO through a real test IdP.
type ssoEnv struct {
	*env
	idp *ssotest.IdP
}

func newSSOEnv(t *testing.T, in SSOInput) *ssoEnv {
	e := &ssoEnv{env: newTwoFactorEnv(t), idp: ssotest.NewIdP(t)}
	e.a.AllowLocalIdPMetadata = true // the test IdP listens on loopback
	in.IdPMetadataURL = e.idp.MetadataURL()
	if _, err := e.a.PutSSO(e.ctx, e.owner, in); err != nil {
		t.Fatalf("put SSO: %v", err)
	}
	md, err := e.a.SSOMetadata(e.ctx, e.acc.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	e.idp.RegisterSP(t, "portico", md)
	return e
}

// answer signs in at the IdP as login and returns the request the browser would post to the ACS.
func (e *ssoEnv) answer(login string) *http.Request {
	e.t.Helper()
	start, err := e.a.StartSSO(e.ctx, e.acc.Account.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	form := ssotest.SignInAtIdP(e.t, &http.Client{Jar: jar}, start, login, "idp-password")
	return postForm(form.Action, form.Fields)
}

func postForm(action string, f url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, action, strings.NewReader(f.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func (e *ssoEnv) finish(r *http.Request) (string, *portico.User, error) {
	return e.a.FinishSSO(e.ctx, e.acc.Account.ID, r, "192.0.2.1")
}

func TestSSOInvitedUserSignsIn(t *testing.T) {
	e := newSSOEnv(t, SSOInput{Enabled: true})
	cu, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "alice@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	e.idp.AddUser(t, "alice", "idp-password", "alice@example.test", "Alice Liddell")

	r := e.answer("alice")
	secret, u, err := e.finish(r)
	if err != nil {
		t.Fatal(err)
	}
	if u.ID != cu.User.ID || u.State != portico.StateActivated || u.Name != "Alice Liddell" {
		t.Fatalf("user after SSO: %+v", u)
	}
	ac, err := e.a.AuthenticateSession(e.ctx, secret, "192.0.2.1")
	if err != nil || ac.UserID != u.ID {
		t.Fatalf("session: %v %+v", err, ac)
	}
	events, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	var sawActivate, sawSession bool
	for _, ev := range events {
		sawActivate = sawActivate || (ev.Action == "user.activate" && ev.TargetID == u.ID && ev.Detail == "sso")
		sawSession = sawSession || (ev.Action == "session.create" && ev.ActorID == u.ID && ev.Detail == "sso" && ev.Outcome == portico.OutcomeSuccess)
	}
	if !sawActivate || !sawSession {
		t.Fatalf("audit: activate %v, session %v", sawActivate, sawSession)
	}

	// The same answer again (replay) is refused, and so is a second sign-in with it after a new request.
	if _, _, err := e.finish(postFormFrom(r)); err == nil {
		t.Fatal("replayed response accepted")
	}
	// A fresh answer signs the activated user in again.
	if _, _, err := e.finish(e.answer("alice")); err != nil {
		t.Fatalf("second sign-in: %v", err)
	}
}

// postFormFrom copies a posted request so it can be sent again.
func postFormFrom(r *http.Request) *http.Request {
	_ = r.ParseForm()
	return postForm(r.URL.String(), r.PostForm)
}

func TestSSORefusals(t *testing.T) {
	e := newSSOEnv(t, SSOInput{Enabled: true})
	if _, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "alice@example.test"}); err != nil {
		t.Fatal(err)
	}
	e.idp.AddUser(t, "alice", "idp-password", "alice@example.test", "Alice")
	e.idp.AddUser(t, "mallory", "idp-password", "mallory@example.test", "Mallory")
	e.idp.AddUser(t, "owner", "idp-password", e.acc.Owner.Email, "Owner")
	other, _ := e.newAccount("Other Ltd", "owner@other.test")
	e.idp.AddUser(t, "otherowner", "idp-password", "owner@other.test", "Other owner")

	tamper := func(r *http.Request) *http.Request {
		_ = r.ParseForm()
		raw, _ := base64.StdEncoding.DecodeString(r.PostForm.Get("SAMLResponse"))
		s := string(raw)
		i := strings.Index(s, "<ds:SignatureValue>") + len("<ds:SignatureValue>") + 3
		b := []byte(s)
		b[i] ^= 1
		f := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(b)}}
		return postForm(r.URL.String(), f)
	}
	for _, tc := range []struct {
		name, login string
		change      func(*http.Request) *http.Request
		message     string
	}{
		{"unknown email", "mallory", nil, "not a user of this account"},
		{"the owner", "owner", nil, "owner signs in with a password"},
		{"another account's user", "otherowner", nil, "not a user of this account"},
		{"tampered", "alice", tamper, "not valid"},
		{"no response", "alice", func(r *http.Request) *http.Request { return postForm(r.URL.String(), url.Values{}) }, "not valid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.answer(tc.login)
			if tc.change != nil {
				r = tc.change(r)
			}
			_, _, err := e.finish(r)
			wantKind(t, err, portico.KindUnauthenticated)
			if !strings.Contains(err.Error(), tc.message) {
				t.Fatalf("message %q, want %q", err, tc.message)
			}
		})
	}
	u, err := e.a.store.GetUserByEmail(e.ctx, "alice@example.test")
	if err != nil || u.State != portico.StateInvited {
		t.Fatalf("alice changed by refused sign-ins: %+v %v", u, err)
	}
	if _, err := e.a.store.GetUserByEmail(e.ctx, "mallory@example.test"); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("mallory created: %v", err)
	}
	// SSO of an account that has none.
	if _, err := e.a.StartSSO(e.ctx, other.Account.ID); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("start SSO without configuration: %v", err)
	}
}

func TestSSOCreatesUsersWithinSeats(t *testing.T) {
	e := newSSOEnv(t, SSOInput{Enabled: true, CreateUsers: true})
	e.setAccount(func(s *portico.AccountSettings) { s.SeatLimit = 1 })
	e.idp.AddUser(t, "bob", "idp-password", "bob@example.test", "Bob Builder")
	e.idp.AddUser(t, "carol", "idp-password", "carol@example.test", "Carol")
	_, u, err := e.finish(e.answer("bob"))
	if err != nil {
		t.Fatal(err)
	}
	if u.Email != "bob@example.test" || u.Name != "Bob Builder" || !u.CanAct() || u.Owner {
		t.Fatalf("created user: %+v", u)
	}
	_, _, err = e.finish(e.answer("carol"))
	wantKind(t, err, portico.KindUnauthenticated)
	if !strings.Contains(err.Error(), "seat") {
		t.Fatalf("message: %v", err)
	}
	if _, err := e.a.store.GetUserByEmail(e.ctx, "carol@example.test"); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("carol created beyond the seat limit: %v", err)
	}
}

func TestSSOEnforcement(t *testing.T) {
	e := newSSOEnv(t, SSOInput{Enabled: true})
	tech := e.user("tech@example.test")
	_ = tech
	if _, _, err := e.a.SignIn(e.ctx, "tech@example.test", userPassword, "192.0.2.1"); err != nil {
		t.Fatalf("password sign-in before enforcement: %v", err)
	}
	in := SSOInput{Enabled: true, Enforce: true, IdPMetadataURL: e.idp.MetadataURL()}
	if _, err := e.a.PutSSO(e.ctx, e.owner, in); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.a.SignIn(e.ctx, "tech@example.test", userPassword, "192.0.2.1")
	wantKind(t, err, portico.KindUnauthenticated)
	if !strings.Contains(err.Error(), "single sign-on") {
		t.Fatalf("message: %v", err)
	}
	if _, _, err := e.a.SignIn(e.ctx, "owner@example.test", "correct horse battery", "192.0.2.1"); err != nil {
		t.Fatalf("the owner is refused: %v", err)
	}
	// A wrong password still answers as before: enforcement says nothing to someone without it.
	_, _, err = e.a.SignIn(e.ctx, "tech@example.test", "wrong password!!", "192.0.2.1")
	if err == nil || strings.Contains(err.Error(), "single sign-on") {
		t.Fatalf("wrong password: %v", err)
	}
}

func TestSSOSettings(t *testing.T) {
	e := newTwoFactorEnv(t)
	idp := ssotest.NewIdP(t)
	s, err := e.a.GetSSO(e.ctx, e.owner)
	if err != nil || s.Enabled || s.SPMetadataURL != "" {
		t.Fatalf("before: %+v %v", s, err)
	}
	for _, tc := range []struct {
		name    string
		in      SSOInput
		field   string
		refused bool // the address is refused before any connection
	}{
		{"enabled without metadata", SSOInput{Enabled: true}, "idp_metadata_xml", false},
		{"bad XML", SSOInput{IdPMetadataXML: "<nope/>"}, "idp_metadata_xml", false},
		{"loopback URL", SSOInput{IdPMetadataURL: idp.MetadataURL()}, "idp_metadata_url", true},
		{"cloud metadata service", SSOInput{IdPMetadataURL: "http://169.254.169.254/latest/meta-data/"}, "idp_metadata_url", true},
		{"not a URL", SSOInput{IdPMetadataURL: "ftp://x"}, "idp_metadata_url", false},
		{"long attribute", SSOInput{EmailAttribute: strings.Repeat("a", 201)}, "email_attribute", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.a.PutSSO(e.ctx, e.owner, tc.in)
			msg := wantField(t, err, tc.field)
			if tc.refused && !strings.Contains(msg, "refusing to connect") {
				t.Errorf("message %q does not say the address is refused", msg)
			}
		})
	}
	// Allowed by the operator, a loopback IdP is fetched, and an unreachable one is reported.
	e.a.AllowLocalIdPMetadata = true
	_, err = e.a.PutSSO(e.ctx, e.owner, SSOInput{IdPMetadataURL: "http://127.0.0.1:1/metadata"})
	if msg := wantField(t, err, "idp_metadata_url"); !strings.Contains(msg, "could not be fetched") || strings.Contains(msg, "refusing") {
		t.Errorf("unreachable loopback URL when allowed: %q", msg)
	}
	s, err = e.a.PutSSO(e.ctx, e.owner, SSOInput{Enabled: true, IdPMetadataXML: string(idp.Metadata(t)), EmailAttribute: "mail"})
	if err != nil {
		t.Fatal(err)
	}
	if !s.Enabled || s.IdPEntityID != idp.MetadataURL() || s.SPMetadataURL != "http://localhost:8080/saml/"+e.acc.Account.ID+"/metadata" ||
		!strings.Contains(s.SPCertificate, "CERTIFICATE") {
		t.Fatalf("saved: %+v", s)
	}
	// The key pair stays across saves; the private key is sealed.
	c1, _ := e.a.store.GetSSOConfig(e.ctx, e.acc.Account.ID)
	if !strings.HasPrefix(c1.SPKeySealed, "v1:") {
		t.Fatalf("key not sealed: %.20s", c1.SPKeySealed)
	}
	if _, err := e.a.PutSSO(e.ctx, e.owner, SSOInput{}); err != nil {
		t.Fatal(err)
	}
	c2, _ := e.a.store.GetSSOConfig(e.ctx, e.acc.Account.ID)
	if c2.SPCertPEM != c1.SPCertPEM || c2.Enabled {
		t.Fatal("key pair changed on save, or still enabled")
	}
	// Only account.manage reads or changes it.
	tech := e.user("tech@example.test")
	_, err = e.a.GetSSO(e.ctx, tech)
	wantKind(t, err, portico.KindForbidden)
	_, err = e.a.PutSSO(e.ctx, tech, SSOInput{})
	wantKind(t, err, portico.KindForbidden)
}

// TestSSOSessionSkipsTheTwoFactorGate: in an account that requires 2FA, a session the identity
// provider vouched for is not held back (the IdP is its second factor); the same user signing in
// with a password is.
func TestSSOSessionSkipsTheTwoFactorGate(t *testing.T) {
	e := newSSOEnv(t, SSOInput{Enabled: true})
	e.setAccount(func(s *portico.AccountSettings) { s.Require2FA = true })
	cu, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "alice@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	e.idp.AddUser(t, "alice", "idp-password", "alice@example.test", "Alice Liddell")
	secret, _, err := e.finish(e.answer("alice"))
	if err != nil {
		t.Fatal(err)
	}
	ac, err := e.a.AuthenticateSession(e.ctx, secret, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.a.TwoFactorGate(e.ctx, ac); err != nil {
		t.Fatalf("SSO session held back by the 2FA gate: %v", err)
	}
	pw := &Actor{Kind: ActorUser, AccountID: cu.User.AccountID, UserID: cu.User.ID}
	if err := e.a.TwoFactorGate(e.ctx, pw); !portico.IsKind(err, portico.KindForbidden) {
		t.Fatalf("a password session of the same user: %v, want held back", err)
	}
}

// TestSSOConfigurationNeedsEveryPermission: the identity provider can sign in as anyone it names, so
// a delegated administrator (account.manage, but not every permission) may not choose it, and the
// refusal is audited.
func TestSSOConfigurationNeedsEveryPermission(t *testing.T) {
	e := newSSOEnv(t, SSOInput{Enabled: true})
	lead := e.user("lead@example.test", grant{roleID: e.systemRole("team_administrator"), scopeType: portico.ScopeTypeAccount})
	admin := e.user("admin@example.test", grant{roleID: e.systemRole("administrator"), scopeType: portico.ScopeTypeAccount})
	before, err := e.a.GetSSO(e.ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.a.PutSSO(e.ctx, lead, SSOInput{Enabled: true, IdPMetadataXML: string(e.idp.Metadata(t)), CreateUsers: true})
	wantKind(t, err, portico.KindForbidden)
	if !strings.Contains(err.Error(), "every permission") {
		t.Errorf("message: %v", err)
	}
	if after, _ := e.a.GetSSO(e.ctx, e.owner); after.CreateUsers != before.CreateUsers {
		t.Error("a refused change was saved")
	}
	if denied := e.deniedAudits("sso.update"); len(denied) != 1 {
		t.Errorf("denied sso.update entries: %q", denied)
	}
	if _, err := e.a.PutSSO(e.ctx, admin, SSOInput{Enabled: true, IdPMetadataXML: string(e.idp.Metadata(t))}); err != nil {
		t.Errorf("an Administrator for the whole account: %v", err)
	}
}
