package app

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/sso"
	"github.com/portico-dev/portico/internal/store"
)

// SAML single sign-on, per account.
//
// The account's administrator (account.manage) saves the IdP's metadata (fetched from a URL or
// pasted); the first save generates the service provider's RSA key pair, whose private key is sealed
// with the server key (totp_key.go) and never returned. The SP's metadata, ACS and login URLs
// are /saml/{account id}/metadata, /acs and /login.
//
// A sign-in starts at /saml/{account}/login (StartSSO): the request id is stored for
// SSORequestLifetime, and the response must answer it, once. FinishSSO validates the response
// (signature, issuer, audience, destination, validity times — internal/sso), refuses an assertion id
// already accepted, and maps the email to a user of the account:
//   - an activated, active user signs in;
//   - an invited user is activated (named as the IdP says) and signs in, within the seat limit;
//   - an unknown email creates a technician when the account allows it, within the seat limit;
//   - anything else is refused with a message saying why.
//
// The IdP is the user's second factor: SSO sign-ins do not ask for a TOTP code. With enforcement on,
// password sign-in is refused for everyone but the owner (who keeps a way in if the IdP breaks).

// SSORequestLifetime is how long a sign-in started at the IdP may take.
const SSORequestLifetime = 10 * time.Minute

// SSOSettings is an account's SSO configuration as administrators see it (never the private key).
type SSOSettings struct {
	Enabled        bool   `json:"enabled"`
	IdPMetadataURL string `json:"idp_metadata_url"`
	IdPMetadataXML string `json:"idp_metadata_xml"`
	IdPEntityID    string `json:"idp_entity_id"`
	EmailAttribute string `json:"email_attribute"`
	Enforce        bool   `json:"enforce"`
	CreateUsers    bool   `json:"create_users"`
	// The service provider's URLs, to give to the IdP ("" before the first save).
	SPEntityID    string     `json:"sp_entity_id"`
	SPMetadataURL string     `json:"sp_metadata_url"`
	ACSURL        string     `json:"acs_url"`
	LoginURL      string     `json:"login_url"`
	SPCertificate string     `json:"sp_certificate"`
	UpdatedAt     *time.Time `json:"updated_at,omitempty"`
}

// SSOInput is the input of PutSSO; it replaces the whole configuration.
type SSOInput struct {
	Enabled bool `json:"enabled"`
	// IdPMetadataURL, when set, is fetched; otherwise IdPMetadataXML is used.
	IdPMetadataURL string `json:"idp_metadata_url"`
	IdPMetadataXML string `json:"idp_metadata_xml"`
	EmailAttribute string `json:"email_attribute"`
	Enforce        bool   `json:"enforce"`
	CreateUsers    bool   `json:"create_users"`
}

func (a *App) ssoView(accountID string, c *store.SSOConfig) *SSOSettings {
	out := &SSOSettings{}
	if c == nil {
		return out
	}
	meta, acs, login := sso.URLs(a.BaseURL, accountID)
	at := c.UpdatedAt
	return &SSOSettings{Enabled: c.Enabled, IdPMetadataURL: c.IdPMetadataURL, IdPMetadataXML: c.IdPMetadataXML,
		IdPEntityID: c.IdPEntityID, EmailAttribute: c.EmailAttribute, Enforce: c.Enforce, CreateUsers: c.CreateUsers,
		SPEntityID: meta, SPMetadataURL: meta, ACSURL: acs, LoginURL: login, SPCertificate: c.SPCertPEM, UpdatedAt: &at}
}

// GetSSO returns the account's SSO configuration (account.manage: it shapes how everyone signs in).
func (a *App) GetSSO(ctx context.Context, ac *Actor) (*SSOSettings, error) {
	if err := a.authorize(ctx, ac, portico.ActionSSOView, portico.PermAccountManage, authz.Account()); err != nil {
		return nil, err
	}
	c, err := a.store.GetSSOConfig(ctx, ac.AccountID)
	if portico.IsKind(err, portico.KindNotFound) {
		return a.ssoView(ac.AccountID, nil), nil
	}
	if err != nil {
		return nil, err
	}
	return a.ssoView(ac.AccountID, c), nil
}

// PutSSO saves the account's SSO configuration (account.manage), fetching the IdP's metadata when a
// URL is given. The first save generates the service provider's key pair.
func (a *App) PutSSO(ctx context.Context, ac *Actor, in SSOInput) (*SSOSettings, error) {
	if err := a.authorize(ctx, ac, portico.ActionSSOUpdate, portico.PermAccountManage, authz.Account()); err != nil {
		return nil, err
	}
	// Whoever chooses the identity provider can sign in as any user it names: only someone who
	// holds every permission already may choose it.
	missing, err := a.missingAt(ctx, ac, portico.AllPermissions(), portico.ScopeTypeAccount, authz.Account())
	if err != nil {
		return nil, err
	}
	if !missing.IsEmpty() {
		list := missing.List()
		names := make([]string, 0, 3)
		for _, p := range list[:min(3, len(list))] {
			names = append(names, string(p))
		}
		err := portico.Errorf(portico.KindForbidden, "the identity provider can sign in as any user of the account, so changing single sign-on needs every permission (the owner, or the Administrator role for the whole account): %d missing, such as %s",
			len(list), strings.Join(names, ", "))
		a.auditRefused(ctx, ac, err, portico.ActionSSOUpdate, "account", ac.AccountID, "")
		return nil, err
	}
	in.IdPMetadataURL = strings.TrimSpace(in.IdPMetadataURL)
	in.IdPMetadataXML = strings.TrimSpace(in.IdPMetadataXML)
	in.EmailAttribute = strings.TrimSpace(in.EmailAttribute)
	var entityID string
	// The fetch happens before the write: no lock is held across network I/O.
	if err := validate(func(v *portico.Validation) {
		if len(in.EmailAttribute) > 200 {
			v.Add("email_attribute", "must be at most 200 characters")
		}
		field := "idp_metadata_xml"
		if in.IdPMetadataURL != "" {
			field = "idp_metadata_url"
			raw, err := sso.FetchIdPMetadata(ctx, sso.MetadataClient(a.AllowLocalIdPMetadata), in.IdPMetadataURL)
			if err != nil {
				v.Add(field, "could not be fetched: %s", err.Error())
				return
			}
			in.IdPMetadataXML = string(raw)
		}
		if in.IdPMetadataXML == "" {
			if in.Enabled {
				v.Add(field, "is required to turn single sign-on on")
			}
			return
		}
		ed, err := sso.ParseIdPMetadata([]byte(in.IdPMetadataXML))
		if err != nil {
			v.Add(field, "is not usable IdP metadata: %s", err.Error())
			return
		}
		entityID = ed.EntityID
	}); err != nil {
		return nil, err
	}
	if _, err := a.twoFactorAEAD(); err != nil { // the key pair is sealed with the server's key
		return nil, err
	}
	var saved *store.SSOConfig
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		c, err := tx.GetSSOConfig(ctx, ac.AccountID)
		if portico.IsKind(err, portico.KindNotFound) {
			c, err = &store.SSOConfig{AccountID: ac.AccountID}, nil
		}
		if err != nil {
			return nil, err
		}
		if c.SPKeySealed == "" {
			keyPEM, certPEM, err := sso.GenerateKeyPair("Portico "+ac.AccountID, a.now())
			if err != nil {
				return nil, err
			}
			if c.SPKeySealed, err = a.sealSecret(ssoKeyBinding(ac.AccountID), string(keyPEM)); err != nil {
				return nil, err
			}
			c.SPCertPEM = string(certPEM)
		}
		c.Enabled, c.IdPMetadataURL, c.IdPMetadataXML, c.IdPEntityID = in.Enabled, in.IdPMetadataURL, in.IdPMetadataXML, entityID
		c.EmailAttribute, c.Enforce, c.CreateUsers, c.UpdatedAt = in.EmailAttribute, in.Enforce, in.CreateUsers, a.now()
		if err := tx.PutSSOConfig(ctx, c); err != nil {
			return nil, err
		}
		saved = c
		detail := "off"
		if c.Enabled {
			detail = "on, IdP " + entityID
			if c.Enforce {
				detail += ", enforced"
			}
			if c.CreateUsers {
				detail += ", creates users"
			}
		}
		return &change{action: portico.ActionSSOUpdate, targetType: "account", targetID: ac.AccountID, detail: detail}, nil
	})
	if err != nil {
		return nil, err
	}
	return a.ssoView(ac.AccountID, saved), nil
}

// ssoKeyBinding binds a sealed SP key to its account (see sealSecret).
func ssoKeyBinding(accountID string) string { return "sso:" + accountID }

// serviceProvider builds the account's SP from its stored configuration.
func (a *App) serviceProvider(ctx context.Context, accountID string) (*sso.SP, *store.SSOConfig, error) {
	unavailable := portico.Errorf(portico.KindNotFound, "single sign-on is not set up for this account")
	c, err := a.store.GetSSOConfig(ctx, accountID)
	if portico.IsKind(err, portico.KindNotFound) {
		return nil, nil, unavailable
	}
	if err != nil {
		return nil, nil, err
	}
	keyPEM, err := a.openSecret(ssoKeyBinding(accountID), c.SPKeySealed)
	if err != nil {
		return nil, nil, err
	}
	sp, err := sso.New(sso.Config{BaseURL: a.BaseURL, AccountID: accountID, KeyPEM: []byte(keyPEM),
		CertPEM: []byte(c.SPCertPEM), IdPMetadata: []byte(c.IdPMetadataXML), EmailAttribute: c.EmailAttribute})
	if err != nil {
		return nil, nil, err
	}
	return sp, c, nil
}

// SSOMetadata returns the service provider metadata of an account (public: the IdP needs it).
func (a *App) SSOMetadata(ctx context.Context, accountID string) ([]byte, error) {
	sp, _, err := a.serviceProvider(ctx, accountID)
	if err != nil {
		return nil, err
	}
	return sp.Metadata()
}

// StartSSO begins a sign-in through the account's IdP: it returns the URL to send the browser to.
func (a *App) StartSSO(ctx context.Context, accountID string) (string, error) {
	sp, c, err := a.serviceProvider(ctx, accountID)
	if err != nil {
		return "", err
	}
	if !c.Enabled {
		return "", portico.Errorf(portico.KindNotFound, "single sign-on is not set up for this account")
	}
	u, id, err := sp.StartLogin("")
	if err != nil {
		return "", err
	}
	now := a.now()
	if err := a.store.CreateSSORequest(ctx, accountID, id, now.Add(SSORequestLifetime), now); err != nil {
		return "", err
	}
	return u.String(), nil
}

// SSOAccountForEmail returns the account whose SSO a user with this email signs in through, or ""
// when there is none (no such user, or the account has SSO off).
func (a *App) SSOAccountForEmail(ctx context.Context, email string) (string, error) {
	u, err := a.store.GetUserByEmail(ctx, strings.ToLower(strings.TrimSpace(email)))
	if portico.IsKind(err, portico.KindNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	c, err := a.store.GetSSOConfig(ctx, u.AccountID)
	if portico.IsKind(err, portico.KindNotFound) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	if !c.Enabled {
		return "", nil
	}
	return u.AccountID, nil
}

// passwordSignInRefused says why a user may not sign in with a password: the account enforces SSO
// and the user is not its owner. nil means a password is fine.
func (a *App) passwordSignInRefused(ctx context.Context, u *portico.User) error {
	if u.Owner {
		return nil
	}
	c, err := a.store.GetSSOConfig(ctx, u.AccountID)
	if portico.IsKind(err, portico.KindNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if c.Enabled && c.Enforce {
		return portico.Errorf(portico.KindUnauthenticated, "this account signs in through single sign-on: use “Sign in with SSO”")
	}
	return nil
}

// errSSORefused is what a browser is told when the IdP's answer cannot sign anyone in.
func errSSORefused(why string) error {
	return portico.Errorf(portico.KindUnauthenticated, "single sign-on failed: %s", why)
}

// FinishSSO checks the IdP's response posted to the account's ACS and, when it names a user who may
// sign in, opens a portal session, audited "session.create" with detail "sso".
func (a *App) FinishSSO(ctx context.Context, accountID string, r *http.Request, sourceIP string) (string, *portico.User, error) {
	sp, c, err := a.serviceProvider(ctx, accountID)
	if err != nil {
		return "", nil, err
	}
	sys := &Actor{Kind: ActorSystem, AccountID: accountID, Name: "sso", SourceIP: sourceIP}
	if !c.Enabled {
		return "", nil, portico.Errorf(portico.KindNotFound, "single sign-on is not set up for this account")
	}
	now := a.now()
	reqID := sso.InResponseTo(r)
	if reqID != "" {
		pending, err := a.store.SSORequestPending(ctx, accountID, reqID, now)
		if err != nil {
			return "", nil, err
		}
		if !pending {
			reqID = "" // then no InResponseTo matches and the response is refused
		}
	}
	id, err := sp.ParseResponse(r, reqID)
	if errors.Is(err, sso.ErrNoEmail) {
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "account", accountID, "sso: no email in the assertion")
		return "", nil, errSSORefused("your identity provider sent no email address")
	}
	if err != nil {
		a.log.InfoContext(ctx, "SSO response refused", "account", accountID, "err", err)
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "account", accountID, "sso: invalid response")
		return "", nil, errSSORefused("the identity provider's answer is not valid, has expired or was already used: start again")
	}
	// One response per request, one use per assertion: of two posts of the same answer, one loses here.
	if ok, err := a.store.ConsumeSSORequest(ctx, accountID, id.RequestID, now); err != nil || !ok {
		if err != nil {
			return "", nil, err
		}
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "account", accountID, "sso: response replayed")
		return "", nil, errSSORefused("this answer of the identity provider was already used: start again")
	}
	if ok, err := a.store.RememberSSOAssertion(ctx, accountID, id.AssertionID, id.NotOnOrAfter, now); err != nil || !ok {
		if err != nil {
			return "", nil, err
		}
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "account", accountID, "sso: assertion replayed")
		return "", nil, errSSORefused("this answer of the identity provider was already used: start again")
	}
	u, err := a.ssoUser(ctx, c, id, sys)
	if err != nil {
		return "", nil, err
	}
	ac := &Actor{Kind: ActorUser, AccountID: u.AccountID, UserID: u.ID, Name: u.Name, SourceIP: sourceIP}
	secret, err := a.openWebSession(ctx, u, ac, "sso")
	if err != nil {
		return "", nil, err
	}
	return secret, u, nil
}

// ssoUser finds, activates or creates the user an assertion names.
func (a *App) ssoUser(ctx context.Context, c *store.SSOConfig, id *sso.Identity, sys *Actor) (*portico.User, error) {
	accountID := c.AccountID
	u, err := a.store.GetUserByEmail(ctx, id.Email)
	if err != nil && !portico.IsKind(err, portico.KindNotFound) {
		return nil, err
	}
	if u != nil && u.AccountID != accountID {
		u = nil // another account's user is unknown here
	}
	switch {
	case u == nil && !c.CreateUsers:
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "account", accountID, "sso: unknown email "+id.Email)
		return nil, errSSORefused(id.Email + " is not a user of this account: ask an administrator to invite you")
	case u != nil && u.Owner:
		// The owner's account is the way back in when the IdP is wrong or hostile: it signs in with
		// its password and second factor only.
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "user", u.ID, "sso: the owner signs in with a password")
		return nil, errSSORefused("the account owner signs in with a password, not through single sign-on")
	case u != nil && u.State == portico.StateActivated:
		if u.Status != portico.StatusActive {
			a.auditFailed(ctx, sys, portico.ActionSessionCreate, "user", u.ID, "sso: user disabled")
			return nil, errSSORefused("your user is disabled")
		}
		return u, nil
	}
	// Activate the invited user, or create a new one: both take a seat.
	now := a.now()
	creating := u == nil
	if creating && validate(func(v *portico.Validation) { portico.ValidateEmail(v, "email", id.Email) }) != nil {
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "account", accountID, "sso: unusable email "+strconv.QuoteToASCII(id.Email))
		return nil, errSSORefused("the identity provider sent an email address this account cannot hold")
	}
	name := strings.TrimSpace(id.Name)
	if r := []rune(name); len(r) > 100 {
		name = string(r[:100])
	}
	if validate(func(v *portico.Validation) { portico.ValidateName(v, "name", name, 100) }) != nil {
		name = "" // one a person could not type here (hidden characters…) is not taken from the IdP either
	}
	if creating {
		if name == "" {
			name = strings.Split(id.Email, "@")[0]
		}
		u = &portico.User{ID: portico.NewID("usr"), AccountID: accountID, Email: id.Email, Name: name,
			Language: "en-GB", Theme: "system", CreatedAt: now, Status: portico.StatusActive}
	} else if name != "" {
		u.Name = name
	}
	u.State, u.ActivatedAt = portico.StateActivated, &now
	actor := &Actor{Kind: ActorUser, AccountID: accountID, UserID: u.ID, Name: u.Name, SourceIP: sys.SourceIP}
	noSeat := false
	err = a.write(ctx, actor, func(tx *store.Tx) (*change, error) {
		acc, err := tx.GetAccount(ctx, accountID)
		if err != nil {
			return nil, err
		}
		active, err := tx.ListUsers(ctx, accountID, portico.UserFilter{State: portico.StateActivated})
		if err != nil {
			return nil, err
		}
		taken := 0
		for _, x := range active {
			if !x.Owner && x.Status == portico.StatusActive {
				taken++
			}
		}
		if taken >= acc.Settings.SeatLimit {
			noSeat = true
			return nil, nil
		}
		ch := &change{action: portico.ActionUserActivate, targetType: "user", targetID: u.ID, detail: "sso"}
		if creating {
			if err := tx.CreateUser(ctx, u); err != nil {
				return nil, err
			}
			ch.action, ch.detail = portico.ActionUserCreate, "sso: "+u.Email
		} else if err := tx.UpdateUser(ctx, u); err != nil {
			return nil, err
		}
		n := userNode(u)
		ch.edits = []authz.Change{{UpsertUser: &n}}
		return ch, nil
	})
	if err != nil {
		return nil, err
	}
	if noSeat {
		a.auditFailed(ctx, sys, portico.ActionSessionCreate, "account", accountID, "sso: no free seat for "+id.Email)
		return nil, errSSORefused("every seat of this account's plan is taken: ask an administrator")
	}
	return a.store.GetUser(ctx, accountID, u.ID)
}
