package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// Names of the legal documents, as recorded with each acceptance.
const (
	LegalTerms   = "terms"
	LegalPrivacy = "privacy"
)

// Limits of a legal document.
const (
	maxLegalText    = 20000
	maxLegalVersion = 100
	maxLegalURL     = 2000
)

// ErrLegalAcceptanceRequired refuses a user, or an API key of a user, who has not accepted the
// account's current terms of service and privacy policy.
var ErrLegalAcceptanceRequired = &portico.Error{Kind: portico.KindForbidden,
	Message: "accept the current terms of service and privacy policy first",
	Fields:  []portico.FieldError{{Field: "legal", Message: "accept the current terms of service and privacy policy first"}}}

// Legal is the account's current legal documents and whether the caller has accepted them.
type Legal struct {
	Terms   portico.LegalDocument `json:"terms"`
	Privacy portico.LegalDocument `json:"privacy"`
	// Required reports whether the account asks for acceptance at all (at least one version is set).
	Required bool `json:"required"`
	// Accepted reports whether the caller accepted every current version.
	Accepted bool `json:"accepted"`
	// AcceptedAt is when the caller accepted the current versions (the later of the two acceptances).
	AcceptedAt *time.Time `json:"accepted_at,omitempty"`
}

// LegalUpdate sets the current version of both documents. A document with an empty version asks for
// no acceptance.
type LegalUpdate struct {
	Terms   portico.LegalDocument `json:"terms"`
	Privacy portico.LegalDocument `json:"privacy"`
}

// GetLegal returns the account's current legal documents and whether the caller accepted them. Anyone
// signed in may read them: they are what everyone is asked to accept.
func (a *App) GetLegal(ctx context.Context, ac *Actor) (*Legal, error) {
	if err := a.legalCaller(ac); err != nil {
		return nil, err
	}
	pol, err := a.store.GetAccountPolicy(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	return a.legalView(ctx, ac, pol)
}

// legalCaller accepts any signed-in person; being signed in is the whole authorization.
func (a *App) legalCaller(ac *Actor) error {
	if ac == nil || ac.AccountID == "" || (ac.Kind != ActorUser && ac.Kind != ActorAPIKey) || ac.UserID == "" {
		if ac != nil {
			ac.MarkDecided()
		}
		return portico.Errorf(portico.KindForbidden, "only a signed-in user has legal documents to accept")
	}
	ac.MarkDecided()
	return nil
}

func (a *App) legalView(ctx context.Context, ac *Actor, pol *store.AccountPolicy) (*Legal, error) {
	l := &Legal{Terms: pol.Terms, Privacy: pol.Privacy}
	l.Required = pol.Terms.Version != "" || pol.Privacy.Version != ""
	accepted, at, err := a.acceptedCurrent(ctx, ac, pol)
	if err != nil {
		return nil, err
	}
	l.Accepted = accepted
	if accepted && l.Required {
		l.AcceptedAt = &at
	}
	return l, nil
}

// acceptedCurrent reports whether the user accepted every current version, and when they last did.
func (a *App) acceptedCurrent(ctx context.Context, ac *Actor, pol *store.AccountPolicy) (bool, time.Time, error) {
	if pol.Terms.Version == "" && pol.Privacy.Version == "" {
		return true, time.Time{}, nil
	}
	acc, err := a.store.ListLegalAcceptances(ctx, ac.AccountID, ac.UserID)
	if err != nil {
		return false, time.Time{}, err
	}
	var last time.Time
	for _, d := range []struct{ name, version string }{{LegalTerms, pol.Terms.Version}, {LegalPrivacy, pol.Privacy.Version}} {
		if d.version == "" {
			continue
		}
		found := false
		for _, x := range acc {
			if x.Document == d.name && x.Version == d.version {
				found = true
				if x.AcceptedAt.After(last) {
					last = x.AcceptedAt
				}
				break
			}
		}
		if !found {
			return false, time.Time{}, nil
		}
	}
	return true, last, nil
}

// SetLegal sets the current versions of the terms of service and the privacy policy (legal.manage).
// A new version of either makes every user, the owner included, accept again.
func (a *App) SetLegal(ctx context.Context, ac *Actor, in LegalUpdate) (*Legal, error) {
	if err := a.authorize(ctx, ac, portico.ActionLegalUpdate, portico.PermLegalManage, authz.Account()); err != nil {
		return nil, err
	}
	terms, privacy := normaliseLegal(in.Terms), normaliseLegal(in.Privacy)
	if err := validate(func(v *portico.Validation) {
		checkLegal(v, "terms", terms)
		checkLegal(v, "privacy", privacy)
	}); err != nil {
		return nil, err
	}
	var saved *store.AccountPolicy
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		pol, err := tx.GetAccountPolicy(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		now := a.now()
		pol.Terms = keepLegalTime(pol.Terms, terms, now)
		pol.Privacy = keepLegalTime(pol.Privacy, privacy, now)
		if err := tx.PutAccountPolicy(ctx, ac.AccountID, pol, now); err != nil {
			return nil, err
		}
		saved = pol
		return &change{action: portico.ActionLegalUpdate, targetType: "account", targetID: ac.AccountID,
			detail: fmt.Sprintf("terms %s, privacy %s", versionOrNone(terms.Version), versionOrNone(privacy.Version))}, nil
	})
	if err != nil {
		return nil, err
	}
	return a.legalView(ctx, ac, saved)
}

func versionOrNone(v string) string {
	if v == "" {
		return "none"
	}
	return `"` + v + `"`
}

// keepLegalTime stamps a document with the time it changed, keeping the old stamp when nothing did.
func keepLegalTime(old, d portico.LegalDocument, now time.Time) portico.LegalDocument {
	if d.Version == "" {
		return portico.LegalDocument{}
	}
	if old.Version == d.Version && old.Text == d.Text && old.URL == d.URL && old.UpdatedAt != nil {
		d.UpdatedAt = old.UpdatedAt
		return d
	}
	d.UpdatedAt = &now
	return d
}

func normaliseLegal(d portico.LegalDocument) portico.LegalDocument {
	return portico.LegalDocument{Version: strings.TrimSpace(d.Version), URL: strings.TrimSpace(d.URL),
		Text: strings.TrimSpace(strings.ReplaceAll(d.Text, "\r\n", "\n"))}
}

// checkLegal holds a document to its rules: a version needs exactly one of a text or an https/http
// address; no version needs neither.
func checkLegal(v *portico.Validation, field string, d portico.LegalDocument) {
	switch {
	case d.Version == "" && (d.Text != "" || d.URL != ""):
		v.Add(field+".version", "is required when a text or an address is given")
	case d.Version != "" && d.Text == "" && d.URL == "":
		v.Add(field+".text", "give either the text or the url of the document")
	case d.Text != "" && d.URL != "":
		v.Add(field+".url", "give either the text or the url of the document, not both")
	}
	if d.Version != "" {
		portico.ValidateName(v, field+".version", d.Version, maxLegalVersion)
	}
	if n := len([]rune(d.Text)); n > maxLegalText {
		v.Add(field+".text", "must be at most %d characters (it has %d)", maxLegalText, n)
	}
	if d.URL != "" {
		u, err := url.Parse(d.URL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(d.URL) > maxLegalURL {
			v.Add(field+".url", "must be an http or https address of at most %d characters", maxLegalURL)
		}
	}
}

// AcceptLegal records that the caller accepts the account's current terms of service and privacy
// policy, with the time and the address they accepted from (audited "legal.accept").
func (a *App) AcceptLegal(ctx context.Context, ac *Actor) (*Legal, error) {
	if err := a.legalCaller(ac); err != nil {
		return nil, err
	}
	pol, err := a.store.GetAccountPolicy(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	if pol.Terms.Version == "" && pol.Privacy.Version == "" {
		// Nothing to accept: the answer says so, and nothing is recorded.
		return a.legalView(ctx, ac, pol)
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		// Read again inside the transaction: the versions accepted are the ones current now.
		cur, err := tx.GetAccountPolicy(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		now := a.now()
		var parts []string
		for _, d := range []struct{ name, version string }{{LegalTerms, cur.Terms.Version}, {LegalPrivacy, cur.Privacy.Version}} {
			if d.version == "" {
				continue
			}
			if err := tx.RecordLegalAcceptance(ctx, &store.LegalAcceptance{AccountID: ac.AccountID, UserID: ac.UserID,
				Document: d.name, Version: d.version, AcceptedAt: now, SourceIP: ac.SourceIP}); err != nil {
				return nil, err
			}
			parts = append(parts, d.name+" "+versionOrNone(d.version))
		}
		pol = cur
		return &change{action: portico.ActionLegalAccept, targetType: "user", targetID: ac.UserID,
			detail: strings.Join(parts, ", ") + " from " + ac.SourceIP}, nil
	})
	if err != nil {
		return nil, err
	}
	return a.legalView(ctx, ac, pol)
}

// LegalGate refuses (ErrLegalAcceptanceRequired) a user, or an API key of a user, who has not accepted
// the account's current terms of service and privacy policy. The API and the portal call it on every
// authenticated request after the IP allow list and before the 2FA gate, except for reading and
// accepting the documents. An account without versions has no gate; agents and the system are never
// subject to it. The refusal is itself the authorization decision.
func (a *App) LegalGate(ctx context.Context, ac *Actor) error {
	if ac == nil || (ac.Kind != ActorUser && ac.Kind != ActorAPIKey) || ac.AccountID == "" {
		return nil
	}
	pol, err := a.store.GetAccountPolicy(ctx, ac.AccountID)
	if err != nil {
		return err
	}
	ok, _, err := a.acceptedCurrent(ctx, ac, pol)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	ac.MarkDecided()
	return ErrLegalAcceptanceRequired
}
