// Package ssotest runs a real SAML identity provider (github.com/crewjam/saml/samlidp, in memory) for
// tests, and drives a browser-less sign-in through it: start at the service provider, follow the
// redirect to the IdP, post its login form, and post the IdP's auto-submitting form back to the ACS.
package ssotest

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/crewjam/saml/samlidp"
	"golang.org/x/crypto/bcrypt"

	"github.com/portico-dev/portico/internal/sso"
)

// IdP is a running test identity provider.
type IdP struct {
	URL    string
	Server *samlidp.Server
	http   *httptest.Server
}

// NewIdP starts an identity provider on loopback; it stops when the test ends.
func NewIdP(t testing.TB) *IdP {
	t.Helper()
	keyPEM, certPEM, err := sso.GenerateKeyPair("test IdP", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := pem.Decode(keyPEM)
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := pem.Decode(certPEM)
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	idp := &IdP{}
	var h http.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { idp.Server.ServeHTTP(w, r) })
	idp.http = httptest.NewServer(h)
	t.Cleanup(idp.http.Close)
	idp.URL = idp.http.URL
	u, _ := url.Parse(idp.URL)
	idp.Server, err = samlidp.New(samlidp.Options{URL: *u, Key: key, Certificate: cert,
		Store: &samlidp.MemoryStore{}, Logger: log.New(io.Discard, "", 0)})
	if err != nil {
		t.Fatal(err)
	}
	return idp
}

// MetadataURL is where the IdP serves its metadata.
func (i *IdP) MetadataURL() string { return i.URL + "/metadata" }

// Metadata returns the IdP's metadata XML.
func (i *IdP) Metadata(t testing.TB) []byte {
	t.Helper()
	resp, err := http.Get(i.MetadataURL())
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("IdP metadata: %v %s", err, resp.Status)
	}
	return b
}

// AddUser creates a user who signs in at the IdP with login and password.
func (i *IdP) AddUser(t testing.TB, login, password, email, commonName string) {
	t.Helper()
	hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	if err := i.Server.Store.Put("/users/"+login, samlidp.User{Name: login, HashedPassword: hash,
		Email: email, CommonName: commonName}); err != nil {
		t.Fatal(err)
	}
}

// RegisterSP tells the IdP about a service provider, given its metadata XML.
func (i *IdP) RegisterSP(t testing.TB, id string, metadata []byte) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPut, i.URL+"/services/"+id, bytes.NewReader(metadata))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("register SP at the IdP: %s", resp.Status)
	}
}

// Form is an HTML form: where it posts and its fields.
type Form struct {
	Action string
	Fields url.Values
}

var (
	formRe  = regexp.MustCompile(`(?is)<form[^>]*action="([^"]*)"`)
	inputRe = regexp.MustCompile(`(?is)<input[^>]*>`)
	attrRe  = regexp.MustCompile(`(?is)(name|value)="([^"]*)"`)
)

// ParseForm reads the first form of an HTML page (enough for the IdP's simple pages).
func ParseForm(page string) (*Form, error) {
	m := formRe.FindStringSubmatch(page)
	if m == nil {
		return nil, fmt.Errorf("no form in page: %.300s", page)
	}
	f := &Form{Action: unescape(m[1]), Fields: url.Values{}}
	for _, in := range inputRe.FindAllString(page, -1) {
		var name, value string
		for _, a := range attrRe.FindAllStringSubmatch(in, -1) {
			if strings.EqualFold(a[1], "name") {
				name = unescape(a[2])
			} else {
				value = unescape(a[2])
			}
		}
		if name != "" {
			f.Fields.Set(name, value)
		}
	}
	return f, nil
}

func unescape(s string) string {
	r := strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&#34;", `"`, "&#39;", "'", "&#43;", "+", "&#x2B;", "+", "&#x3D;", "=", "&#61;", "=")
	return r.Replace(s)
}

// SignInAtIdP follows a redirect to the IdP (loginURL, which the SP answered with), signs in there
// with login and password, and returns the IdP's auto-post form addressed to the ACS, not yet posted.
func SignInAtIdP(t testing.TB, client *http.Client, idpURL, login, password string) *Form {
	t.Helper()
	resp, err := client.Get(idpURL)
	if err != nil {
		t.Fatal(err)
	}
	page := readBody(t, resp)
	login1, err := ParseForm(page)
	if err != nil {
		t.Fatal(err)
	}
	login1.Fields.Set("user", login)
	login1.Fields.Set("password", password)
	resp, err = client.PostForm(login1.Action, login1.Fields)
	if err != nil {
		t.Fatal(err)
	}
	page = readBody(t, resp)
	back, err := ParseForm(page)
	if err != nil {
		t.Fatal(err)
	}
	if back.Fields.Get("SAMLResponse") == "" {
		t.Fatalf("the IdP did not answer with a SAMLResponse: %.500s", page)
	}
	return back
}

func readBody(t testing.TB, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
