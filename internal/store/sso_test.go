package store

import (
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// The SSO tables run the contract on both backends, like runContract.
func TestSSOSQLite(t *testing.T)   { runSSO(t, openSQLiteTest) }
func TestSSOPostgres(t *testing.T) { runSSO(t, openPostgresTest) }

func runSSO(t *testing.T, open func(t testing.TB) *Store) {
	for name, fn := range map[string]func(*testing.T, *Store){
		"Config":     testSSOConfig,
		"Requests":   testSSORequests,
		"Assertions": testSSOAssertions,
	} {
		t.Run(name, func(t *testing.T) { fn(t, open(t)) })
	}
}

func testSSOConfig(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	_, err := s.GetSSOConfig(ctx, f.acc.ID)
	wantKind(t, err, portico.KindNotFound)

	c := &SSOConfig{AccountID: f.acc.ID, Enabled: true, IdPMetadataXML: "<x/>", IdPEntityID: "https://idp",
		EmailAttribute: "mail", Enforce: true, SPKeySealed: "sealed", SPCertPEM: "cert", UpdatedAt: now}
	must(t, s.PutSSOConfig(ctx, c))
	got := must1[*SSOConfig](t)(s.GetSSOConfig(ctx, f.acc.ID))
	equal(t, got.IdPEntityID, "https://idp")
	equal(t, got.Enforce, true)
	equal(t, got.CreateUsers, false)
	equal(t, got.SPKeySealed, "sealed")

	c.Enforce, c.CreateUsers, c.IdPMetadataURL = false, true, "https://idp/metadata"
	must(t, s.PutSSOConfig(ctx, c))
	got = must1[*SSOConfig](t)(s.GetSSOConfig(ctx, f.acc.ID))
	equal(t, got.Enforce, false)
	equal(t, got.CreateUsers, true)
	equal(t, got.IdPMetadataURL, "https://idp/metadata")

	g := newFixture(t, s, "Globex")
	_, err = s.GetSSOConfig(ctx, g.acc.ID)
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, s.PutSSOConfig(ctx, &SSOConfig{AccountID: "acc_missing", UpdatedAt: now}), portico.KindNotFound)
}

func testSSORequests(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	must(t, s.CreateSSORequest(ctx, f.acc.ID, "id-1", at(5*time.Minute), now))
	must(t, s.CreateSSORequest(ctx, f.acc.ID, "id-old", at(time.Minute), now))

	for _, tc := range []struct {
		name, account, id string
		when              time.Time
		want              bool
	}{
		{"pending", f.acc.ID, "id-1", now, true},
		{"other account", g.acc.ID, "id-1", now, false},
		{"unknown", f.acc.ID, "id-2", now, false},
		{"expired", f.acc.ID, "id-old", at(2 * time.Minute), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			equal(t, must1[bool](t)(s.SSORequestPending(ctx, tc.account, tc.id, tc.when)), tc.want)
		})
	}
	equal(t, must1[bool](t)(s.ConsumeSSORequest(ctx, g.acc.ID, "id-1", now)), false)
	equal(t, must1[bool](t)(s.ConsumeSSORequest(ctx, f.acc.ID, "id-1", now)), true)
	equal(t, must1[bool](t)(s.ConsumeSSORequest(ctx, f.acc.ID, "id-1", now)), false)
	equal(t, must1[bool](t)(s.SSORequestPending(ctx, f.acc.ID, "id-1", now)), false)

	// A new request drops the expired ones.
	must(t, s.CreateSSORequest(ctx, f.acc.ID, "id-3", at(10*time.Minute), at(3*time.Minute)))
	equal(t, must1[bool](t)(s.ConsumeSSORequest(ctx, f.acc.ID, "id-old", now)), false)
}

func testSSOAssertions(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	equal(t, must1[bool](t)(s.RememberSSOAssertion(ctx, f.acc.ID, "a-1", at(time.Minute), now)), true)
	equal(t, must1[bool](t)(s.RememberSSOAssertion(ctx, f.acc.ID, "a-1", at(time.Minute), now)), false)
	equal(t, must1[bool](t)(s.RememberSSOAssertion(ctx, g.acc.ID, "a-1", at(time.Minute), now)), true)
	// Once expired, the record is dropped.
	equal(t, must1[bool](t)(s.RememberSSOAssertion(ctx, f.acc.ID, "a-1", at(3*time.Minute), at(2*time.Minute))), true)
}
