package app

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func TestLegalGate(t *testing.T) {
	e := newEnv(t)
	owner := withIP(e.owner, "203.0.113.7")
	bob := withIP(e.user("bob@example.test"), "198.51.100.9")

	// No versions: no gate, nothing to accept.
	if err := e.a.LegalGate(e.ctx, bob); err != nil {
		t.Fatalf("gate without versions: %v", err)
	}
	if l, err := e.a.AcceptLegal(e.ctx, bob); err != nil || l.Required || !l.Accepted {
		t.Fatalf("accepting nothing: %+v, %v", l, err)
	}

	// Only legal.manage sets versions.
	v1 := LegalUpdate{Terms: portico.LegalDocument{Version: "2026-01", Text: "Be nice."}, Privacy: portico.LegalDocument{Version: "p1", URL: "https://example.test/privacy"}}
	wantKind(t, func() error { _, err := e.a.SetLegal(e.ctx, bob, v1); return err }(), portico.KindForbidden)

	for _, tc := range []struct {
		name  string
		in    LegalUpdate
		field string
	}{
		{"text and url", LegalUpdate{Terms: portico.LegalDocument{Version: "1", Text: "x", URL: "https://x.test"}}, "terms.url"},
		{"neither", LegalUpdate{Terms: portico.LegalDocument{Version: "1"}}, "terms.text"},
		{"no version", LegalUpdate{Privacy: portico.LegalDocument{Text: "x"}}, "privacy.version"},
		{"bad url", LegalUpdate{Privacy: portico.LegalDocument{Version: "1", URL: "javascript:alert(1)"}}, "privacy.url"},
		{"too long", LegalUpdate{Terms: portico.LegalDocument{Version: "1", Text: strings.Repeat("a", maxLegalText+1)}}, "terms.text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.a.SetLegal(e.ctx, owner, tc.in)
			wantField(t, err, tc.field)
		})
	}
	if err := e.a.LegalGate(e.ctx, bob); err != nil {
		t.Fatalf("refused versions were stored: %v", err)
	}

	got, err := e.a.SetLegal(e.ctx, owner, v1)
	if err != nil || !got.Required || got.Accepted || got.Terms.UpdatedAt == nil {
		t.Fatalf("set: %+v, %v", got, err)
	}
	// Everyone, the owner included, is held back; agents and the system are not.
	for _, ac := range []*Actor{owner, bob, {Kind: ActorAPIKey, AccountID: bob.AccountID, UserID: bob.UserID}} {
		if err := e.a.LegalGate(e.ctx, ac); err != ErrLegalAcceptanceRequired || !ac.Decided() {
			t.Fatalf("gate for %s: %v (decided %v)", ac.UserID, err, ac.Decided())
		}
	}
	if err := e.a.LegalGate(e.ctx, SystemActor(e.acc.Account.ID)); err != nil {
		t.Fatalf("system held back: %v", err)
	}
	// Anyone signed in reads the documents.
	if l, err := e.a.GetLegal(e.ctx, bob); err != nil || l.Accepted || l.Terms.Text != "Be nice." || l.Privacy.URL == "" {
		t.Fatalf("bob reads: %+v, %v", l, err)
	}

	e.advance(time.Minute)
	l, err := e.a.AcceptLegal(e.ctx, bob)
	if err != nil || !l.Accepted || l.AcceptedAt == nil {
		t.Fatalf("accept: %+v, %v", l, err)
	}
	if err := e.a.LegalGate(e.ctx, bob); err != nil {
		t.Fatalf("gate after acceptance: %v", err)
	}
	if err := e.a.LegalGate(e.ctx, owner); err != ErrLegalAcceptanceRequired {
		t.Fatalf("owner's gate opened by bob's acceptance: %v", err)
	}
	recs, err := e.a.store.ListLegalAcceptances(e.ctx, bob.AccountID, bob.UserID)
	if err != nil || len(recs) != 2 || recs[0].SourceIP != "198.51.100.9" || recs[0].Version == "" {
		t.Fatalf("acceptances: %+v, %v", recs, err)
	}
	events, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{Action: "legal.accept"})
	if err != nil || len(events) != 1 || !strings.Contains(events[0].Detail, "198.51.100.9") {
		t.Fatalf("audit of acceptance: %+v, %v", events, err)
	}

	// Saving the same versions again keeps acceptances; a new version brings the gate back.
	if _, err := e.a.SetLegal(e.ctx, owner, v1); err != nil {
		t.Fatal(err)
	}
	if err := e.a.LegalGate(e.ctx, bob); err != nil {
		t.Fatalf("gate after saving the same versions: %v", err)
	}
	v2 := v1
	v2.Privacy.Version = "p2"
	if _, err := e.a.SetLegal(e.ctx, owner, v2); err != nil {
		t.Fatal(err)
	}
	if err := e.a.LegalGate(e.ctx, bob); err != ErrLegalAcceptanceRequired {
		t.Fatalf("gate after a new version: %v", err)
	}
	// Clearing both versions removes the gate.
	if _, err := e.a.SetLegal(e.ctx, owner, LegalUpdate{}); err != nil {
		t.Fatal(err)
	}
	if err := e.a.LegalGate(e.ctx, owner); err != nil {
		t.Fatalf("gate without versions: %v", err)
	}
	if events, _ := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{Action: "legal.update"}); len(events) != 5 { // four saves and bob's refusal
		t.Fatalf("audit of updates: %d", len(events))
	}
}
