package app

import (
	"encoding/base32"
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portico-dev/portico"
)

const userPassword = "a long enough password"

// TestTOTPRFC6238Vectors checks the verification path against RFC 6238 appendix B (the SHA-1 rows:
// eight digits, secret "12345678901234567890").
func TestTOTPRFC6238Vectors(t *testing.T) {
	secret := base32.StdEncoding.EncodeToString([]byte("12345678901234567890"))
	vectors := []struct {
		unix int64
		code string
	}{
		{59, "94287082"},
		{1111111109, "07081804"},
		{1111111111, "14050471"},
		{1234567890, "89005924"},
		{2000000000, "69279037"},
		{20000000000, "65353130"},
	}
	for _, v := range vectors {
		at := time.Unix(v.unix, 0).UTC()
		step, ok := totpMatch(secret, v.code, at, otp.DigitsEight, 0)
		if !ok || step != v.unix/30 {
			t.Errorf("T=%d code %s: matched %v at step %d, want step %d", v.unix, v.code, ok, step, v.unix/30)
		}
		wrong := []byte(v.code)
		wrong[7] = '0' + (wrong[7]-'0'+1)%10
		if _, ok := totpMatch(secret, string(wrong), at, otp.DigitsEight, 0); ok {
			t.Errorf("T=%d: wrong code %s accepted", v.unix, wrong)
		}
		// One step of skew accepts the previous step's code, and no more.
		if step, ok := totpMatch(secret, v.code, at.Add(30*time.Second), otp.DigitsEight, 1); !ok || step != v.unix/30 {
			t.Errorf("T=%d: code refused one step later with skew 1", v.unix)
		}
		if _, ok := totpMatch(secret, v.code, at.Add(90*time.Second), otp.DigitsEight, 1); ok {
			t.Errorf("T=%d: code accepted three steps later", v.unix)
		}
	}
}

// newTwoFactorEnv is an env whose App has a server key.
func newTwoFactorEnv(t *testing.T) *env {
	e := newEnv(t)
	key := make([]byte, 32)
	key[0] = 7
	if err := e.a.SetSealKey(key); err != nil {
		t.Fatal(err)
	}
	return e
}

// code returns the current TOTP code for secret at the env's clock.
func (e *env) code(secret string) string {
	e.t.Helper()
	c, err := totp.GenerateCodeCustom(secret, e.now, totp.ValidateOpts{Period: 30, Digits: otp.DigitsSix, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// enrol sets up 2FA for the actor and returns the secret and recovery codes.
func (e *env) enrol(ac *Actor) (string, []string) {
	e.t.Helper()
	en, err := e.a.StartTwoFactor(e.ctx, ac)
	if err != nil {
		e.t.Fatalf("start 2FA: %v", err)
	}
	rc, err := e.a.ConfirmTwoFactor(e.ctx, ac, e.code(en.Secret))
	if err != nil {
		e.t.Fatalf("confirm 2FA: %v", err)
	}
	return en.Secret, rc.Codes
}

func (e *env) email(ac *Actor) string {
	e.t.Helper()
	u, err := e.a.store.GetUser(e.ctx, ac.AccountID, ac.UserID)
	if err != nil {
		e.t.Fatal(err)
	}
	return u.Email
}

func TestTwoFactorEnrolmentAndSignIn(t *testing.T) {
	e := newTwoFactorEnv(t)
	bob := e.user("bob@example.test")

	en, err := e.a.StartTwoFactor(e.ctx, bob)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(en.URL, "otpauth://totp/Portico:bob@example.test?") || !strings.HasPrefix(en.QRCode, "data:image/png;base64,") {
		t.Fatalf("enrolment: %s / %.40s", en.URL, en.QRCode)
	}
	// The secret is not stored in clear text.
	tf, err := e.a.store.GetTwoFactor(e.ctx, bob.AccountID, bob.UserID)
	if err != nil || strings.Contains(tf.SecretSealed, en.Secret) || tf.Enabled {
		t.Fatalf("stored enrolment %+v (err %v) shows the secret or is on", tf, err)
	}
	// Until confirmed, 2FA is not in force.
	if _, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, "", "10.0.0.1"); err != nil {
		t.Fatalf("sign-in while enrolment is pending: %v", err)
	}
	wantField(t, mustErr(e.a.ConfirmTwoFactor(e.ctx, bob, "000000")), "totp")
	rc, err := e.a.ConfirmTwoFactor(e.ctx, bob, e.code(en.Secret))
	if err != nil {
		t.Fatal(err)
	}
	if len(rc.Codes) != 10 {
		t.Fatalf("%d recovery codes, want 10", len(rc.Codes))
	}
	st, err := e.a.GetTwoFactorStatus(e.ctx, bob)
	if err != nil || !st.Enabled || st.Pending || st.RecoveryCodesLeft != 10 {
		t.Fatalf("status %+v, %v", st, err)
	}
	_, err = e.a.StartTwoFactor(e.ctx, bob)
	wantKind(t, err, portico.KindConflict)

	// A right password alone now asks for the code, naming the field.
	_, _, err = e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, "", "10.0.0.1")
	if err != ErrCodeRequired {
		t.Fatalf("sign-in without a code: %v, want ErrCodeRequired", err)
	}
	// The code that confirmed enrolment was used in this time step: it does not work again.
	_, _, err = e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, e.code(en.Secret), "10.0.0.1")
	wantKind(t, err, portico.KindUnauthenticated)
	e.advance(30 * time.Second)
	code := e.code(en.Secret)
	if _, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, code, "10.0.0.1"); err != nil {
		t.Fatalf("sign-in with a fresh code: %v", err)
	}
	if _, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, code, "10.0.0.1"); !portico.IsKind(err, portico.KindUnauthenticated) {
		t.Fatalf("replayed code: %v, want refused", err)
	}

	// A recovery code works once, typed in any case and with or without its dash.
	rcode := strings.ToUpper(strings.ReplaceAll(rc.Codes[3], "-", ""))
	if _, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, rcode, "10.0.0.1"); err != nil {
		t.Fatalf("recovery code: %v", err)
	}
	_, _, err = e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, rc.Codes[3], "10.0.0.1")
	wantKind(t, err, portico.KindUnauthenticated)
	if st, _ := e.a.GetTwoFactorStatus(e.ctx, bob); st.RecoveryCodesLeft != 9 {
		t.Fatalf("%d recovery codes left, want 9", st.RecoveryCodesLeft)
	}

	// Regenerating needs a code and replaces every old recovery code.
	_, err = e.a.RegenerateRecoveryCodes(e.ctx, bob, "")
	wantField(t, err, "totp")
	fresh, err := e.a.RegenerateRecoveryCodes(e.ctx, bob, rc.Codes[0])
	if err != nil || len(fresh.Codes) != 10 {
		t.Fatalf("regenerate: %v", err)
	}
	_, _, err = e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, rc.Codes[1], "10.0.0.1")
	wantKind(t, err, portico.KindUnauthenticated)

	// Disabling needs a right code; then the password suffices again.
	wantField(t, e.a.DisableTwoFactor(e.ctx, bob, "123456"), "totp")
	e.advance(30 * time.Second)
	if err := e.a.DisableTwoFactor(e.ctx, bob, e.code(en.Secret)); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, "", "10.0.0.1"); err != nil {
		t.Fatalf("sign-in after disabling: %v", err)
	}
	// API keys do not manage 2FA.
	_, err = e.a.StartTwoFactor(e.ctx, &Actor{Kind: ActorAPIKey, AccountID: bob.AccountID, UserID: bob.UserID})
	wantKind(t, err, portico.KindForbidden)
}

func mustErr[T any](_ T, err error) error { return err }

func TestTwoFactorFailuresCountTowardsLockout(t *testing.T) {
	e := newTwoFactorEnv(t)
	bob := e.user("bob@example.test")
	secret, _ := e.enrol(bob)
	e.advance(30 * time.Second)
	for i := range 5 {
		_, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, "000000", "10.0.0.2")
		if !portico.IsKind(err, portico.KindUnauthenticated) || !strings.Contains(err.Error(), "two-factor") {
			t.Fatalf("wrong code %d: %v", i, err)
		}
	}
	_, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, e.code(secret), "10.0.0.3")
	if err == nil || !strings.Contains(err.Error(), "too many") {
		t.Fatalf("right code after five wrong ones: %v, want a lockout", err)
	}
	e.advance(16 * time.Minute)
	if _, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, e.code(secret), "10.0.0.3"); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}

func TestPortalTwoStepSignIn(t *testing.T) {
	e := newTwoFactorEnv(t)
	bob := e.user("bob@example.test")
	secret, _ := e.enrol(bob)

	// Without 2FA the first step opens the session.
	e.user("carol@example.test")
	r, err := e.a.BeginSignIn(e.ctx, "carol@example.test", userPassword, "10.0.0.1")
	if err != nil || r.Secret == "" || r.Challenge != "" {
		t.Fatalf("carol: %+v %v", r, err)
	}

	r, err = e.a.BeginSignIn(e.ctx, "bob@example.test", userPassword, "10.0.0.1")
	if err != nil || r.Secret != "" || r.Challenge == "" {
		t.Fatalf("bob: %+v %v", r, err)
	}
	_, err = e.a.BeginSignIn(e.ctx, "bob@example.test", "wrong password!", "10.0.0.1")
	wantKind(t, err, portico.KindUnauthenticated)

	_, _, err = e.a.CompleteSignIn(e.ctx, "sic_forged", e.code(secret), "10.0.0.1")
	wantKind(t, err, portico.KindUnauthenticated)
	_, _, err = e.a.CompleteSignIn(e.ctx, r.Challenge, "000000", "10.0.0.1")
	wantKind(t, err, portico.KindUnauthenticated)
	e.advance(30 * time.Second)
	sess, u, err := e.a.CompleteSignIn(e.ctx, r.Challenge, e.code(secret), "10.0.0.1")
	if err != nil || sess == "" || u.ID != bob.UserID {
		t.Fatalf("complete: %v", err)
	}
	if _, err := e.a.AuthenticateSession(e.ctx, sess, "10.0.0.1"); err != nil {
		t.Fatalf("session of a completed sign-in: %v", err)
	}
	// The token works once.
	e.advance(30 * time.Second)
	_, _, err = e.a.CompleteSignIn(e.ctx, r.Challenge, e.code(secret), "10.0.0.1")
	wantKind(t, err, portico.KindUnauthenticated)

	// A pending sign-in expires after five minutes.
	r, _ = e.a.BeginSignIn(e.ctx, "bob@example.test", userPassword, "10.0.0.1")
	e.advance(ChallengeLifetime + time.Second)
	_, _, err = e.a.CompleteSignIn(e.ctx, r.Challenge, e.code(secret), "10.0.0.1")
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Fatalf("expired challenge: %v", err)
	}
}

func TestResetTwoFactorAndPolicyGate(t *testing.T) {
	e := newTwoFactorEnv(t)
	bob := e.user("bob@example.test")
	plain := e.user("plain@example.test")
	admin := e.user("admin@example.test", grant{roleID: e.role("2FA admin", portico.PermUsersView, portico.PermUsersManage2FA), scopeType: portico.ScopeTypeAccount})
	e.enrol(bob)

	// The policy holds back whoever has not enrolled, users and their API keys alike.
	for _, ac := range []*Actor{bob, plain, admin} {
		if err := e.a.TwoFactorGate(e.ctx, ac); err != nil {
			t.Fatalf("gate without the policy: %v", err)
		}
	}
	e.setAccount(func(s *portico.AccountSettings) { s.Require2FA = true })
	if err := e.a.TwoFactorGate(e.ctx, bob); err != nil {
		t.Fatalf("enrolled user held back: %v", err)
	}
	gated := &Actor{Kind: ActorAPIKey, AccountID: plain.AccountID, UserID: plain.UserID}
	if err := e.a.TwoFactorGate(e.ctx, gated); err != ErrTwoFactorRequired || !gated.Decided() {
		t.Fatalf("unenrolled API key: %v (decided %v)", err, gated.Decided())
	}
	if err := e.a.TwoFactorGate(e.ctx, SystemActor(e.acc.Account.ID)); err != nil {
		t.Fatalf("system actor held back: %v", err)
	}
	st, _ := e.a.GetTwoFactorStatus(e.ctx, plain)
	if !st.Required || st.Enabled {
		t.Fatalf("status %+v", st)
	}
	e.enrol(plain)
	if err := e.a.TwoFactorGate(e.ctx, plain); err != nil {
		t.Fatalf("gate after enrolment: %v", err)
	}

	// Reset needs users.manage_2fa and is audited; it ends the user's sessions.
	wantKind(t, e.a.ResetTwoFactor(e.ctx, plain, bob.UserID), portico.KindForbidden)
	sess, _, err := e.a.SignInWithCode(e.ctx, "bob@example.test", userPassword, "", "10.0.0.1")
	if err != ErrCodeRequired {
		t.Fatalf("bob without code: %v", err)
	}
	_ = sess
	if err := e.a.ResetTwoFactor(e.ctx, admin, bob.UserID); err != nil {
		t.Fatal(err)
	}
	if has, _ := e.a.UserHasTwoFactor(e.ctx, admin, bob.UserID); has {
		t.Fatal("2FA still on after reset")
	}
	wantKind(t, e.a.ResetTwoFactor(e.ctx, admin, bob.UserID), portico.KindConflict)
	other, _ := e.newAccount("Other", "other@example.test")
	wantKind(t, e.a.ResetTwoFactor(e.ctx, admin, other.Owner.ID), portico.KindNotFound)
	events, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{Action: "user.2fa_reset"})
	if err != nil || len(events) < 2 {
		t.Fatalf("audit of resets: %d events, %v", len(events), err)
	}
	// Bob is held at enrolment again.
	if err := e.a.TwoFactorGate(e.ctx, bob); err != ErrTwoFactorRequired {
		t.Fatalf("gate after reset: %v", err)
	}
}

func TestLoadSealKey(t *testing.T) {
	t.Setenv(SealKeyEnv, "")
	t.Setenv(legacySealKeyEnv, "")
	dir := t.TempDir()
	k1, err := LoadSealKey(dir)
	if err != nil || len(k1) != 32 {
		t.Fatalf("create key: %v", err)
	}
	fi, err := os.Stat(filepath.Join(dir, "seal.key"))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode: %v %v", fi.Mode(), err)
	}
	k2, err := LoadSealKey(dir)
	if err != nil || string(k1) != string(k2) {
		t.Fatalf("reloaded key differs: %v", err)
	}
	t.Setenv(SealKeyEnv, "c2hvcnQ=")
	if _, err := LoadSealKey(dir); err == nil {
		t.Fatal("a short key from the environment was accepted")
	}
	// The first names still work: an earlier version's data directory keeps its 2fa.key, and
	// PORTICO_2FA_KEY is read when PORTICO_SEAL_KEY is not set.
	t.Setenv(SealKeyEnv, "")
	old := t.TempDir()
	if err := os.WriteFile(filepath.Join(old, "2fa.key"), []byte(base64.StdEncoding.EncodeToString(k1)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := LoadSealKey(old); err != nil || string(k) != string(k1) {
		t.Fatalf("an earlier version's 2fa.key: %v", err)
	}
	if _, err := os.Stat(filepath.Join(old, "seal.key")); err == nil {
		t.Fatal("a new key was made beside the earlier version's")
	}
	t.Setenv(legacySealKeyEnv, base64.StdEncoding.EncodeToString(k1))
	if k, err := LoadSealKey(t.TempDir()); err != nil || string(k) != string(k1) {
		t.Fatalf("PORTICO_2FA_KEY: %v", err)
	}

	// A secret sealed under one key does not open under another, nor for another user.
	e := newTwoFactorEnv(t)
	sealed, err := e.a.sealSecret("usr_a", "JBSWY3DPEHPK3PXP")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.a.openSecret("usr_a", sealed); err != nil || got != "JBSWY3DPEHPK3PXP" {
		t.Fatalf("open: %q %v", got, err)
	}
	if _, err := e.a.openSecret("usr_b", sealed); err == nil {
		t.Fatal("a sealed secret opened for another user")
	}
	if err := e.a.SetSealKey(k1); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.openSecret("usr_a", sealed); err == nil {
		t.Fatal("a sealed secret opened under another key")
	}
	// Without a key, enrolment is refused rather than storing the secret in clear.
	bare := newEnv(t)
	_, err = bare.a.StartTwoFactor(bare.ctx, bare.owner)
	wantKind(t, err, portico.KindUnavailable)
}
