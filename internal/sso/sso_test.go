package sso_test

import (
	"encoding/base64"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/sso"
	"github.com/portico-dev/portico/internal/sso/ssotest"
)

var testKey, testCert = func() ([]byte, []byte) {
	key, cert, err := sso.GenerateKeyPair("sp", time.Now())
	if err != nil {
		panic(err)
	}
	return key, cert
}()

func newSP(t *testing.T, idp *ssotest.IdP, emailAttr string) *sso.SP {
	t.Helper()
	sp := unregisteredSP(t, idp, "acc_1", emailAttr)
	md, err := sp.Metadata()
	if err != nil {
		t.Fatal(err)
	}
	idp.RegisterSP(t, "portico", md)
	return sp
}

// respond runs a sign-in at the IdP and returns the request the browser would post to the ACS.
// unregisteredSP is an SP of the given account that the IdP does not know, with the same key pair.
func unregisteredSP(t *testing.T, idp *ssotest.IdP, account, emailAttr string) *sso.SP {
	t.Helper()
	sp, err := sso.New(sso.Config{BaseURL: "http://portal.test", AccountID: account, KeyPEM: testKey, CertPEM: testCert,
		IdPMetadata: idp.Metadata(t), EmailAttribute: emailAttr})
	if err != nil {
		t.Fatal(err)
	}
	return sp
}

func respond(t *testing.T, idp *ssotest.IdP, sp *sso.SP) (*http.Request, string) {
	t.Helper()
	u, reqID, err := sp.StartLogin("")
	if err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	form := ssotest.SignInAtIdP(t, &http.Client{Jar: jar}, u.String(), "alice", "secret-pass")
	_, acs, _ := sso.URLs("http://portal.test", "acc_1")
	if form.Action != acs {
		t.Fatalf("the IdP posts to %q, want the ACS %q", form.Action, acs)
	}
	return acsRequest(form.Action, form.Fields), reqID
}

func acsRequest(action string, fields url.Values) *http.Request {
	r := httptest.NewRequest(http.MethodPost, action, strings.NewReader(fields.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func TestSignInThroughIdP(t *testing.T) {
	idp := ssotest.NewIdP(t)
	idp.AddUser(t, "alice", "secret-pass", "Alice@Example.com", "Alice Liddell")
	sp := newSP(t, idp, "")
	r, reqID := respond(t, idp, sp)
	if got := sso.InResponseTo(r); got != reqID {
		t.Fatalf("InResponseTo = %q, want %q", got, reqID)
	}
	id, err := sp.ParseResponse(r, reqID)
	if err != nil {
		t.Fatal(err)
	}
	if id.Email != "alice@example.com" || id.Name != "Alice Liddell" || id.AssertionID == "" || !id.NotOnOrAfter.After(time.Now()) {
		t.Fatalf("identity: %+v", id)
	}
}

func TestResponsesRefused(t *testing.T) {
	idp := ssotest.NewIdP(t)
	idp.AddUser(t, "alice", "secret-pass", "alice@example.com", "Alice")
	sp := newSP(t, idp, "")
	other := unregisteredSP(t, idp, "acc_2", "")
	for _, tc := range []struct {
		name   string
		change func(r *http.Request, reqID string) (*http.Request, string)
		// at is the SP the response is given to (nil: the one it was made for).
		at *sso.SP
	}{
		{"another request id", func(r *http.Request, _ string) (*http.Request, string) { return r, "id-other" }, nil},
		{"no request id", func(r *http.Request, _ string) (*http.Request, string) { return r, "" }, nil},
		{"tampered", func(r *http.Request, reqID string) (*http.Request, string) {
			_ = r.ParseForm()
			raw, _ := base64.StdEncoding.DecodeString(r.PostForm.Get("SAMLResponse"))
			// Change one character of the signature value: the signature must no longer verify.
			s := string(raw)
			i := strings.Index(s, "SignatureValue>") + len("SignatureValue>") + 5
			b := []byte(s)
			if b[i] == 'A' {
				b[i] = 'B'
			} else {
				b[i] = 'A'
			}
			f := url.Values{"SAMLResponse": {base64.StdEncoding.EncodeToString(b)}}
			return acsRequest(r.URL.String(), f), reqID
		}, nil},
		// Another account's SP (same key, so decryption works): destination and audience differ.
		{"another SP", func(r *http.Request, reqID string) (*http.Request, string) { return r, reqID }, other},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, reqID := respond(t, idp, sp)
			r, reqID = tc.change(r, reqID)
			at := sp
			if tc.at != nil {
				at = tc.at
			}
			if id, err := at.ParseResponse(r, reqID); err == nil {
				t.Fatalf("accepted: %+v", id)
			}
		})
	}
}

func TestEmailAttribute(t *testing.T) {
	idp := ssotest.NewIdP(t)
	// A NameID that is no email: the email comes from the "mail" attribute.
	idp.AddUser(t, "alice", "secret-pass", "alice@example.com", "Alice")
	for _, tc := range []struct{ attr, want string }{
		{"", "alice@example.com"},
		{"mail", "alice@example.com"},
		{"urn:oid:0.9.2342.19200300.100.1.3", "alice@example.com"},
		{"NameID", "alice@example.com"},
		{"department", ""},
	} {
		t.Run(tc.attr, func(t *testing.T) {
			sp := newSP(t, idp, tc.attr)
			r, reqID := respond(t, idp, sp)
			id, err := sp.ParseResponse(r, reqID)
			if tc.want == "" {
				if err == nil {
					t.Fatalf("accepted without an email: %+v", id)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if id.Email != tc.want {
				t.Fatalf("email %q, want %q", id.Email, tc.want)
			}
		})
	}
}

func TestParseIdPMetadata(t *testing.T) {
	idp := ssotest.NewIdP(t)
	good := idp.Metadata(t)
	if _, err := sso.ParseIdPMetadata(good); err != nil {
		t.Fatal(err)
	}
	for name, raw := range map[string]string{
		"not xml":  "hello",
		"empty":    "",
		"no idp":   `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"></EntityDescriptor>`,
		"too big":  strings.Repeat(" ", 2<<20),
		"sp only":  `<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></EntityDescriptor>`,
		"no certs": strings.ReplaceAll(string(good), "X509Certificate>", "Y>"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sso.ParseIdPMetadata([]byte(raw)); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
