package store

import (
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// The two-factor tables run the contract on both backends, like runContract.
func TestTwoFactorSQLite(t *testing.T)   { runTwoFactor(t, openSQLiteTest) }
func TestTwoFactorPostgres(t *testing.T) { runTwoFactor(t, openPostgresTest) }

func runTwoFactor(t *testing.T, open func(t testing.TB) *Store) {
	for name, fn := range map[string]func(*testing.T, *Store){
		"Enrolment":     testTwoFactorEnrolment,
		"RecoveryCodes": testRecoveryCodes,
		"Challenges":    testSignInChallenges,
	} {
		t.Run(name, func(t *testing.T) { fn(t, open(t)) })
	}
}

func testTwoFactorEnrolment(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	_, err := s.GetTwoFactor(ctx, f.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)

	must(t, s.PutTwoFactor(ctx, &TwoFactor{AccountID: f.acc.ID, UserID: bob.ID, SecretSealed: "sealed-1", CreatedAt: now}))
	got := must1[*TwoFactor](t)(s.GetTwoFactor(ctx, f.acc.ID, bob.ID))
	equal(t, got.SecretSealed, "sealed-1")
	equal(t, got.Enabled, false)
	if !got.CreatedAt.Equal(normTime(now)) || got.EnabledAt != nil {
		t.Fatalf("times: %v %v", got.CreatedAt, got.EnabledAt)
	}

	must(t, s.EnableTwoFactor(ctx, f.acc.ID, bob.ID, at(time.Minute)))
	got = must1[*TwoFactor](t)(s.GetTwoFactor(ctx, f.acc.ID, bob.ID))
	if !got.Enabled || got.EnabledAt == nil || !got.EnabledAt.Equal(normTime(at(time.Minute))) {
		t.Fatalf("after enable: %+v", got)
	}

	// Steps only move forward: the same step or an older one is refused.
	for _, tc := range []struct {
		step int64
		want bool
	}{{100, true}, {100, false}, {99, false}, {101, true}} {
		ok := must1[bool](t)(s.AcceptTwoFactorStep(ctx, f.acc.ID, bob.ID, tc.step))
		if ok != tc.want {
			t.Fatalf("step %d: accepted %v, want %v", tc.step, ok, tc.want)
		}
	}
	equal(t, must1[*TwoFactor](t)(s.GetTwoFactor(ctx, f.acc.ID, bob.ID)).LastStep, int64(101))

	// Another account sees nothing and changes nothing.
	g := newFixture(t, s, "Globex")
	_, err = s.GetTwoFactor(ctx, g.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)
	if ok := must1[bool](t)(s.AcceptTwoFactorStep(ctx, g.acc.ID, bob.ID, 500)); ok {
		t.Fatal("a step was accepted across accounts")
	}
	wantKind(t, s.EnableTwoFactor(ctx, g.acc.ID, bob.ID, now), portico.KindNotFound)
	wantKind(t, s.PutTwoFactor(ctx, &TwoFactor{AccountID: g.acc.ID, UserID: bob.ID, SecretSealed: "x", CreatedAt: now}), portico.KindNotFound)

	// A new enrolment replaces the old one and starts over.
	must(t, s.PutTwoFactor(ctx, &TwoFactor{AccountID: f.acc.ID, UserID: bob.ID, SecretSealed: "sealed-2", CreatedAt: now}))
	got = must1[*TwoFactor](t)(s.GetTwoFactor(ctx, f.acc.ID, bob.ID))
	if got.SecretSealed != "sealed-2" || got.Enabled || got.LastStep != 0 {
		t.Fatalf("replaced enrolment: %+v", got)
	}

	must(t, s.DeleteTwoFactor(ctx, g.acc.ID, bob.ID)) // another account's delete removes nothing
	must1[*TwoFactor](t)(s.GetTwoFactor(ctx, f.acc.ID, bob.ID))
	must(t, s.DeleteTwoFactor(ctx, f.acc.ID, bob.ID))
	_, err = s.GetTwoFactor(ctx, f.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)

	// Enrolment goes with its user.
	must(t, s.PutTwoFactor(ctx, &TwoFactor{AccountID: f.acc.ID, UserID: bob.ID, SecretSealed: "s", CreatedAt: now}))
	must(t, s.DeleteUser(ctx, f.acc.ID, bob.ID))
	if n := rawCount(t, s, `SELECT COUNT(*) FROM user_two_factor WHERE user_id = '`+bob.ID+`'`); n != 0 {
		t.Fatalf("%d enrolments outlive their user", n)
	}
}

func testRecoveryCodes(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	must(t, s.PutTwoFactor(ctx, &TwoFactor{AccountID: f.acc.ID, UserID: bob.ID, SecretSealed: "s", CreatedAt: now}))
	must(t, s.ReplaceRecoveryCodes(ctx, f.acc.ID, bob.ID, []string{"h1", "h2", "h3"}))
	equal(t, must1[int](t)(s.CountRecoveryCodes(ctx, f.acc.ID, bob.ID)), 3)

	g := newFixture(t, s, "Globex")
	if ok := must1[bool](t)(s.UseRecoveryCode(ctx, g.acc.ID, bob.ID, "h1", now)); ok {
		t.Fatal("a recovery code was used across accounts")
	}
	wantKind(t, s.ReplaceRecoveryCodes(ctx, g.acc.ID, bob.ID, []string{"x"}), portico.KindNotFound)

	if ok := must1[bool](t)(s.UseRecoveryCode(ctx, f.acc.ID, bob.ID, "h1", now)); !ok {
		t.Fatal("an unused recovery code was refused")
	}
	if ok := must1[bool](t)(s.UseRecoveryCode(ctx, f.acc.ID, bob.ID, "h1", now)); ok {
		t.Fatal("a recovery code worked twice")
	}
	if ok := must1[bool](t)(s.UseRecoveryCode(ctx, f.acc.ID, bob.ID, "nope", now)); ok {
		t.Fatal("an unknown recovery code worked")
	}
	equal(t, must1[int](t)(s.CountRecoveryCodes(ctx, f.acc.ID, bob.ID)), 2)

	// Replacing them invalidates the old ones; a new enrolment drops them.
	must(t, s.ReplaceRecoveryCodes(ctx, f.acc.ID, bob.ID, []string{"h4"}))
	if ok := must1[bool](t)(s.UseRecoveryCode(ctx, f.acc.ID, bob.ID, "h2", now)); ok {
		t.Fatal("a replaced recovery code still works")
	}
	equal(t, must1[int](t)(s.CountRecoveryCodes(ctx, f.acc.ID, bob.ID)), 1)
	must(t, s.PutTwoFactor(ctx, &TwoFactor{AccountID: f.acc.ID, UserID: bob.ID, SecretSealed: "s2", CreatedAt: now}))
	equal(t, must1[int](t)(s.CountRecoveryCodes(ctx, f.acc.ID, bob.ID)), 0)

	must(t, s.ReplaceRecoveryCodes(ctx, f.acc.ID, bob.ID, []string{"h5"}))
	must(t, s.DeleteTwoFactor(ctx, f.acc.ID, bob.ID))
	equal(t, must1[int](t)(s.CountRecoveryCodes(ctx, f.acc.ID, bob.ID)), 0)
}

func testSignInChallenges(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	must(t, s.CreateSignInChallenge(ctx, &SignInChallenge{Hash: "c1", AccountID: f.acc.ID, UserID: bob.ID, ExpiresAt: at(5 * time.Minute)}))
	must(t, s.CreateSignInChallenge(ctx, &SignInChallenge{Hash: "old", AccountID: f.acc.ID, UserID: bob.ID, ExpiresAt: at(-time.Minute)}))
	wantKind(t, s.CreateSignInChallenge(ctx, &SignInChallenge{Hash: "c2", AccountID: f.acc.ID, UserID: "usr_nobody", ExpiresAt: now}), portico.KindNotFound)

	c := must1[*SignInChallenge](t)(s.GetSignInChallenge(ctx, "c1"))
	if c.UserID != bob.ID || c.AccountID != f.acc.ID || !c.ExpiresAt.Equal(normTime(at(5*time.Minute))) || c.Failures != 0 {
		t.Fatalf("challenge: %+v", c)
	}
	equal(t, must1[int](t)(s.FailSignInChallenge(ctx, "c1")), 1)
	equal(t, must1[int](t)(s.FailSignInChallenge(ctx, "c1")), 2)
	_, err := s.FailSignInChallenge(ctx, "none")
	wantKind(t, err, portico.KindNotFound)

	// Deleting one also sweeps the expired ones.
	must(t, s.DeleteSignInChallenge(ctx, "c1", now))
	for _, h := range []string{"c1", "old"} {
		_, err := s.GetSignInChallenge(ctx, h)
		wantKind(t, err, portico.KindNotFound)
	}
}
