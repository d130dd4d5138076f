// Package sso is Portico's SAML 2.0 service provider, built on github.com/crewjam/saml: the per-account
// key pair, the service provider's metadata, authentication requests (HTTP-Redirect binding) and the
// validation of the IdP's responses (HTTP-POST binding). What a valid response means — which user
// signs in — is the application's (internal/app/sso*.go); this package keeps no state.
package sso

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crewjam/saml"
)

// maxMetadataSize bounds IdP metadata fetched or pasted.
const maxMetadataSize = 1 << 20

// GenerateKeyPair returns a new RSA-2048 private key and a self-signed certificate for it (PEM), valid
// for ten years: IdPs use the certificate only to check the service provider's signatures and to
// encrypt assertions, so it needs no CA.
func GenerateKeyPair(commonName string, now time.Time) (keyPEM, certPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate SP key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, fmt.Errorf("generate SP certificate serial: %w", err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: commonName, Organization: []string{"Portico"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(10, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, fmt.Errorf("generate SP certificate: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	return keyPEM, certPEM, nil
}

// ParseIdPMetadata parses an IdP's metadata (an EntityDescriptor, or an EntitiesDescriptor holding
// exactly one IdP) and checks that it has what sign-in needs: an entity id, a single sign-on service
// with the HTTP-Redirect binding and a signing certificate.
func ParseIdPMetadata(raw []byte) (*saml.EntityDescriptor, error) {
	if len(raw) > maxMetadataSize {
		return nil, errors.New("the metadata is larger than 1 MiB")
	}
	var ed saml.EntityDescriptor
	if err := xml.Unmarshal(raw, &ed); err != nil || ed.EntityID == "" {
		var set saml.EntitiesDescriptor
		if err2 := xml.Unmarshal(raw, &set); err2 != nil {
			return nil, fmt.Errorf("not SAML metadata: %w", err)
		}
		var idps []saml.EntityDescriptor
		for _, e := range set.EntityDescriptors {
			if len(e.IDPSSODescriptors) > 0 {
				idps = append(idps, e)
			}
		}
		if len(idps) != 1 {
			return nil, fmt.Errorf("the metadata must describe exactly one identity provider, it describes %d", len(idps))
		}
		ed = idps[0]
	}
	if ed.EntityID == "" {
		return nil, errors.New("the metadata has no entityID")
	}
	if len(ed.IDPSSODescriptors) == 0 {
		return nil, errors.New("the metadata describes no identity provider (IDPSSODescriptor)")
	}
	sp := saml.ServiceProvider{IDPMetadata: &ed}
	if sp.GetSSOBindingLocation(saml.HTTPRedirectBinding) == "" {
		return nil, errors.New("the identity provider offers no single sign-on service with the HTTP-Redirect binding")
	}
	hasCert := false
	for _, d := range ed.IDPSSODescriptors {
		for _, kd := range d.KeyDescriptors {
			if (kd.Use == "" || kd.Use == "signing") && len(kd.KeyInfo.X509Data.X509Certificates) > 0 {
				hasCert = true
			}
		}
	}
	if !hasCert {
		return nil, errors.New("the metadata has no signing certificate")
	}
	return &ed, nil
}

// FetchIdPMetadata downloads an IdP's metadata from an http(s) URL.
func FetchIdPMetadata(ctx context.Context, client *http.Client, rawURL string) ([]byte, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, errors.New("must be an http or https URL")
	}
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("fetch IdP metadata: %w", err)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("fetch IdP metadata: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch IdP metadata: the server answered %s", resp.Status)
	}
	raw, err := io.ReadAll(io.LimitReader(resp.Body, maxMetadataSize+1))
	if err != nil {
		return nil, fmt.Errorf("fetch IdP metadata: %w", err)
	}
	return raw, nil
}

// Config is what a service provider is made of.
type Config struct {
	// BaseURL is the portal's public address; the SP's URLs are BaseURL/saml/{AccountID}/….
	BaseURL   string
	AccountID string
	KeyPEM    []byte
	CertPEM   []byte
	// IdPMetadata is the IdP's metadata XML.
	IdPMetadata []byte
	// EmailAttribute names the attribute carrying the email (see Identity).
	EmailAttribute string
}

// SP is one account's service provider.
type SP struct {
	sp        *saml.ServiceProvider
	emailAttr string
}

// URLs returns the SP's metadata (also its entity id), assertion consumer service and login URLs.
func URLs(baseURL, accountID string) (metadata, acs, login string) {
	base := strings.TrimRight(baseURL, "/") + "/saml/" + url.PathEscape(accountID)
	return base + "/metadata", base + "/acs", base + "/login"
}

// New builds the account's service provider.
func New(cfg Config) (*SP, error) {
	kb, _ := pem.Decode(cfg.KeyPEM)
	if kb == nil {
		return nil, errors.New("sso: no PEM private key")
	}
	key, err := x509.ParsePKCS1PrivateKey(kb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sso: parse private key: %w", err)
	}
	cb, _ := pem.Decode(cfg.CertPEM)
	if cb == nil {
		return nil, errors.New("sso: no PEM certificate")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return nil, fmt.Errorf("sso: parse certificate: %w", err)
	}
	// Without IdP metadata the SP can still publish its own (the IdP administrator needs it first).
	var idp *saml.EntityDescriptor
	if len(cfg.IdPMetadata) > 0 {
		if idp, err = ParseIdPMetadata(cfg.IdPMetadata); err != nil {
			return nil, fmt.Errorf("sso: IdP metadata: %w", err)
		}
	}
	metaS, acsS, _ := URLs(cfg.BaseURL, cfg.AccountID)
	metaURL, err := url.Parse(metaS)
	if err != nil {
		return nil, fmt.Errorf("sso: base URL: %w", err)
	}
	acsURL, _ := url.Parse(acsS)
	sp := &saml.ServiceProvider{
		EntityID:          metaS,
		Key:               key,
		Certificate:       cert,
		MetadataURL:       *metaURL,
		AcsURL:            *acsURL,
		IDPMetadata:       idp,
		AuthnNameIDFormat: saml.UnspecifiedNameIDFormat,
		// Only the HTTP-POST binding: artifact resolution would need the IdP reachable from the
		// server, and Portico does not need it.
		AssertionConsumerServiceBindings: []string{saml.HTTPPostBinding},
		MetadataValidDuration:            7 * 24 * time.Hour,
		// Every response must answer a request this SP made (no IdP-initiated sign-in): that is what
		// ties the response to the browser that started, and makes replays detectable.
		AllowIDPInitiated: false,
		// Conditions this package cannot evaluate make an assertion Indeterminate, which must be refused
		// (saml-core §2.5.1.1).
		RejectUnknownConditions: true,
		// Decrypting unauthenticated AES-CBC invites padding-oracle attacks: such an assertion must
		// come in a signed response.
		RequireSignedResponseForCBC: true,
	}
	return &SP{sp: sp, emailAttr: strings.TrimSpace(cfg.EmailAttribute)}, nil
}

// EntityID is the SP's entity id (its metadata URL).
func (s *SP) EntityID() string { return s.sp.EntityID }

// Metadata returns the SP's metadata XML, to give to the IdP.
func (s *SP) Metadata() ([]byte, error) {
	out, err := xml.MarshalIndent(s.sp.Metadata(), "", "  ")
	if err != nil {
		return nil, fmt.Errorf("sso: marshal metadata: %w", err)
	}
	return append([]byte(xml.Header), out...), nil
}

// StartLogin makes an authentication request and returns the IdP URL to send the browser to and the
// request's id, which the caller must remember until the response comes.
func (s *SP) StartLogin(relayState string) (redirect *url.URL, requestID string, err error) {
	if s.sp.IDPMetadata == nil {
		return nil, "", ErrNoIdP
	}
	req, err := s.sp.MakeAuthenticationRequest(s.sp.GetSSOBindingLocation(saml.HTTPRedirectBinding),
		saml.HTTPRedirectBinding, saml.HTTPPostBinding)
	if err != nil {
		return nil, "", fmt.Errorf("sso: make authentication request: %w", err)
	}
	u, err := req.Redirect(relayState, s.sp)
	if err != nil {
		return nil, "", fmt.Errorf("sso: redirect: %w", err)
	}
	return u, req.ID, nil
}

// InResponseTo reads, without trusting it, the request id a posted response says it answers, so the
// caller can look it up before the response is validated.
func InResponseTo(r *http.Request) string {
	raw, err := base64.StdEncoding.DecodeString(r.PostFormValue("SAMLResponse"))
	if err != nil || len(raw) > maxMetadataSize {
		return ""
	}
	var head struct {
		InResponseTo string `xml:"InResponseTo,attr"`
	}
	if err := xml.NewDecoder(bytes.NewReader(raw)).Decode(&head); err != nil {
		return ""
	}
	return head.InResponseTo
}

// Identity is what a valid response says about the user.
type Identity struct {
	Email string
	// Name is the display name (cn, displayName, or given name and surname), "" when none came.
	Name string
	// AssertionID and NotOnOrAfter let the caller refuse the same assertion twice until it expires.
	AssertionID  string
	NotOnOrAfter time.Time
	RequestID    string
}

// ErrNoIdP is returned when sign-in is attempted before the IdP's metadata is configured.
var ErrNoIdP = errors.New("sso: no identity provider is configured")

// ErrNoEmail is returned for a valid response that carries no usable email.
var ErrNoEmail = errors.New("the identity provider sent no email address")

// ParseResponse validates a response posted to the ACS: the signature with the IdP's certificates,
// issuer, audience, destination, validity times and that it answers requestID (one the caller made
// and has not seen answered). It returns who signed in.
func (s *SP) ParseResponse(r *http.Request, requestID string) (*Identity, error) {
	if s.sp.IDPMetadata == nil {
		return nil, ErrNoIdP
	}
	// The library reads r.PostForm without parsing it.
	if err := r.ParseForm(); err != nil {
		return nil, fmt.Errorf("sso: read response form: %w", err)
	}
	var ids []string
	if requestID != "" {
		ids = []string{requestID}
	}
	a, err := s.sp.ParseResponse(r, ids)
	if err != nil {
		var ire *saml.InvalidResponseError
		if errors.As(err, &ire) && ire.PrivateErr != nil {
			return nil, fmt.Errorf("sso: invalid response: %w", ire.PrivateErr)
		}
		return nil, fmt.Errorf("sso: invalid response: %w", err)
	}
	id := &Identity{AssertionID: a.ID, RequestID: requestID}
	id.NotOnOrAfter = a.IssueInstant.Add(saml.MaxIssueDelay)
	if a.Conditions != nil && !a.Conditions.NotOnOrAfter.IsZero() && a.Conditions.NotOnOrAfter.After(id.NotOnOrAfter) {
		id.NotOnOrAfter = a.Conditions.NotOnOrAfter
	}
	id.Email = s.email(a)
	if id.Email == "" {
		return nil, ErrNoEmail
	}
	id.Name = attr(a, "displayName", "cn", "urn:oid:2.16.840.1.113730.3.1.241", "urn:oid:2.5.4.3")
	if id.Name == "" {
		given, sur := attr(a, "givenName", "urn:oid:2.5.4.42"), attr(a, "sn", "surname", "urn:oid:2.5.4.4")
		id.Name = strings.TrimSpace(given + " " + sur)
	}
	return id, nil
}

func (s *SP) email(a *saml.Assertion) string {
	if s.emailAttr != "" {
		if strings.EqualFold(s.emailAttr, "NameID") {
			return nameID(a)
		}
		return asEmail(attr(a, s.emailAttr))
	}
	if e := nameID(a); e != "" {
		return e
	}
	return asEmail(attr(a, "email", "mail", "emailAddress", "urn:oid:0.9.2342.19200300.100.1.3",
		"http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"))
}

func nameID(a *saml.Assertion) string {
	if a.Subject == nil || a.Subject.NameID == nil {
		return ""
	}
	return asEmail(a.Subject.NameID.Value)
}

// asEmail returns v, lower-cased, when it looks like an email address.
func asEmail(v string) string {
	v = strings.ToLower(strings.TrimSpace(v))
	at := strings.LastIndexByte(v, '@')
	if at <= 0 || at == len(v)-1 || strings.ContainsAny(v, " \t\r\n<>") {
		return ""
	}
	return v
}

// attr returns the first value of the first attribute whose Name or FriendlyName is one of names.
func attr(a *saml.Assertion, names ...string) string {
	for _, n := range names {
		for _, st := range a.AttributeStatements {
			for _, at := range st.Attributes {
				if (strings.EqualFold(at.Name, n) || strings.EqualFold(at.FriendlyName, n)) && len(at.Values) > 0 {
					if v := strings.TrimSpace(at.Values[0].Value); v != "" {
						return v
					}
				}
			}
		}
	}
	return ""
}
