package store

import (
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// The hardening tables run the contract on both backends, like runContract.
func TestHardeningSQLite(t *testing.T)   { runHardening(t, openSQLiteTest) }
func TestHardeningPostgres(t *testing.T) { runHardening(t, openPostgresTest) }

func runHardening(t *testing.T, open func(t testing.TB) *Store) {
	for name, fn := range map[string]func(*testing.T, *Store){
		"Policy":      testAccountPolicy,
		"Logo":        testLogo,
		"Acceptances": testLegalAcceptances,
	} {
		t.Run(name, func(t *testing.T) { fn(t, open(t)) })
	}
}

func testAccountPolicy(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	p := must1[*AccountPolicy](t)(s.GetAccountPolicy(ctx, f.acc.ID))
	if len(p.IPAllowlist) != 0 || p.PasswordRequireMix || p.Terms.Version != "" {
		t.Fatalf("default policy: %+v", p)
	}
	want := &AccountPolicy{
		IPAllowlist:        []portico.IPAllowEntry{{CIDR: "10.0.0.0/8", Description: "office"}, {CIDR: "2001:db8::/32"}},
		PasswordRequireMix: true,
		Terms:              portico.LegalDocument{Version: "2025-01", URL: "https://example.com/terms"},
	}
	must(t, s.PutAccountPolicy(ctx, f.acc.ID, want, now))
	got := must1[*AccountPolicy](t)(s.GetAccountPolicy(ctx, f.acc.ID))
	if len(got.IPAllowlist) != 2 || got.IPAllowlist[1].CIDR != "2001:db8::/32" || !got.PasswordRequireMix || got.Terms.URL != want.Terms.URL {
		t.Fatalf("policy read back: %+v", got)
	}
	// Another account's policy is untouched.
	if other := must1[*AccountPolicy](t)(s.GetAccountPolicy(ctx, g.acc.ID)); len(other.IPAllowlist) != 0 {
		t.Fatalf("other account: %+v", other)
	}
	wantKind(t, s.PutAccountPolicy(ctx, "acc_missing", want, now), portico.KindNotFound)
}

func testLogo(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	_, _, err := s.GetLogo(ctx, f.acc.ID)
	wantKind(t, err, portico.KindNotFound)
	must(t, s.PutAccountPolicy(ctx, f.acc.ID, &AccountPolicy{PasswordRequireMix: true}, now))
	must(t, s.PutLogo(ctx, f.acc.ID, []byte{0x89, 'P', 'N', 'G'}, "image/png", at(time.Minute)))
	equal(t, must1[bool](t)(s.HasLogo(ctx, f.acc.ID)), true)
	logo, typ, err := s.GetLogo(ctx, f.acc.ID)
	must(t, err)
	equal(t, string(logo), "\x89PNG")
	equal(t, typ, "image/png")
	// The logo and the policy live side by side: changing one keeps the other.
	equal(t, must1[*AccountPolicy](t)(s.GetAccountPolicy(ctx, f.acc.ID)).PasswordRequireMix, true)
	must(t, s.PutAccountPolicy(ctx, f.acc.ID, &AccountPolicy{}, at(2*time.Minute)))
	logo, _, err = s.GetLogo(ctx, f.acc.ID)
	must(t, err)
	equal(t, len(logo), 4)
	must(t, s.PutLogo(ctx, f.acc.ID, nil, "", at(3*time.Minute)))
	_, _, err = s.GetLogo(ctx, f.acc.ID)
	wantKind(t, err, portico.KindNotFound)
	equal(t, must1[bool](t)(s.HasLogo(ctx, f.acc.ID)), false)
	g := newFixture(t, s, "Globex")
	equal(t, must1[bool](t)(s.HasLogo(ctx, g.acc.ID)), false)
}

func testLegalAcceptances(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	a := &LegalAcceptance{AccountID: f.acc.ID, UserID: bob.ID, Document: "terms", Version: "v1", AcceptedAt: now, SourceIP: "192.0.2.1"}
	must(t, s.RecordLegalAcceptance(ctx, a))
	again := *a
	again.AcceptedAt = at(time.Hour)
	must(t, s.RecordLegalAcceptance(ctx, &again)) // the first record stays
	must(t, s.RecordLegalAcceptance(ctx, &LegalAcceptance{AccountID: f.acc.ID, UserID: bob.ID, Document: "privacy", Version: "p1", AcceptedAt: at(time.Minute)}))
	list := must1[[]LegalAcceptance](t)(s.ListLegalAcceptances(ctx, f.acc.ID, bob.ID))
	if len(list) != 2 || list[0].Version != "v1" || !list[0].AcceptedAt.Equal(normTime(now)) || list[0].SourceIP != "192.0.2.1" {
		t.Fatalf("acceptances: %+v", list)
	}
	// Another account cannot record for, or read, this user.
	g := newFixture(t, s, "Globex")
	wantKind(t, s.RecordLegalAcceptance(ctx, &LegalAcceptance{AccountID: g.acc.ID, UserID: bob.ID, Document: "terms", Version: "v2", AcceptedAt: now}), portico.KindNotFound)
	equal(t, len(must1[[]LegalAcceptance](t)(s.ListLegalAcceptances(ctx, g.acc.ID, bob.ID))), 0)
}
