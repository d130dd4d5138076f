package api_test

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/sso/ssotest"
)

func TestSSOConfiguration(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	idp := ssotest.NewIdP(t)
	e.app.AllowLocalIdPMetadata = true // the test IdP listens on loopback

	// Bad input names the field.
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"enabled": true}, "idp_metadata_xml"},
		{map[string]any{"idp_metadata_xml": "<x/>"}, "idp_metadata_xml"},
		{map[string]any{"idp_metadata_url": "gopher://x"}, "idp_metadata_url"},
		{map[string]any{"enabled": "yes"}, "enabled"},
	} {
		r := owner.Do("PUT", "/api/v1/sso", tc.body)
		p := r.Problem(t)
		if (r.Status != 400 && r.Status != 422) || len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
			t.Fatalf("%v: %d %s", tc.body, r.Status, r.Body)
		}
	}

	r := owner.Do("PUT", "/api/v1/sso", map[string]any{"enabled": true, "idp_metadata_url": idp.MetadataURL(), "enforce": true})
	var got app.SSOSettings
	r.Decode(t, &got)
	if r.Status != 200 || !got.Enabled || !got.Enforce || got.IdPEntityID != idp.MetadataURL() ||
		!strings.HasSuffix(got.SPMetadataURL, "/saml/"+e.A.acc.Account.ID+"/metadata") {
		t.Fatalf("put: %d %s", r.Status, r.Body)
	}
	if strings.Contains(string(r.Body), "PRIVATE KEY") || strings.Contains(string(r.Body), "sealed") {
		t.Fatal("the private key left the server")
	}
	r = owner.Do("GET", "/api/v1/sso", nil)
	r.Decode(t, &got)
	if r.Status != 200 || got.LoginURL == "" || !strings.Contains(got.SPCertificate, "CERTIFICATE") {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}

	// Enforced: a technician's password sign-in is refused, the owner's is not.
	r = e.anon().Do("POST", "/api/v1/session", map[string]any{"email": e.A.user.Email, "password": testPassword})
	if r.Status != 401 || !strings.Contains(string(r.Body), "single sign-on") {
		t.Fatalf("technician with a password: %d %s", r.Status, r.Body)
	}
	e.signIn(e.A.acc.Owner.Email)
}
