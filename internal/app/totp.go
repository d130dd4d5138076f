package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base32"
	"encoding/base64"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/store"
)

// TOTP parameters (RFC 6238 with the values every authenticator app supports).
const (
	totpPeriod = 30
	totpDigits = otp.DigitsSix
	// totpSkew accepts the code of the step before and after the current one, for clocks a little off.
	totpSkew = 1
	// totpIssuer names Portico in authenticator apps.
	totpIssuer = "Portico"
	// recoveryCodeCount is how many single-use recovery codes an enrolment gets.
	recoveryCodeCount = 10
)

// ErrTwoFactorRequired is the refusal of everything but enrolment to a user whose account requires
// 2FA and who has not set it up.
var ErrTwoFactorRequired = &portico.Error{Kind: portico.KindForbidden,
	Message: "two-factor authentication must be set up first",
	Fields:  []portico.FieldError{{Field: "totp", Message: "must be set up first"}}}

// totpMatch checks code against the secret at now, allowing skew steps either side, and returns the
// time step it matched. digits is 6 in use; the RFC's test vectors use 8.
func totpMatch(secret, code string, now time.Time, digits otp.Digits, skew int) (int64, bool) {
	if len(code) != digits.Length() {
		return 0, false
	}
	step := now.Unix() / totpPeriod
	matched, found := int64(0), false
	// Every candidate is computed, matched or not, so that timing says nothing of which step matched.
	for s := step - int64(skew); s <= step+int64(skew); s++ {
		want, err := totp.GenerateCodeCustom(secret, time.Unix(s*totpPeriod, 0), totp.ValidateOpts{
			Period: totpPeriod, Digits: digits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && !found {
			matched, found = s, true
		}
	}
	return matched, found
}

// normaliseCode drops the spaces and dashes people type or paste with codes.
func normaliseCode(code string) string {
	return strings.ToLower(strings.NewReplacer(" ", "", "-", "", "\t", "").Replace(strings.TrimSpace(code)))
}

// isTOTPCode reports whether a normalised code has the shape of a TOTP code (six digits); anything
// else is tried as a recovery code.
func isTOTPCode(code string) bool {
	if len(code) != totpDigits.Length() {
		return false
	}
	for _, r := range code {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// recoveryHash is what the store keeps of a recovery code: bound to the user, so that equal codes of
// two users do not share a hash.
func recoveryHash(userID, code string) string {
	return portico.HashSecret("recovery:" + userID + ":" + code)
}

// newRecoveryCodes returns fresh codes for display (xxxxx-xxxxx, 50 random bits each) and their hashes.
func newRecoveryCodes(userID string) (codes, hashes []string) {
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	for range recoveryCodeCount {
		var b [7]byte
		_, _ = rand.Read(b[:])
		c := strings.ToLower(enc.EncodeToString(b[:]))[:10]
		codes = append(codes, c[:5]+"-"+c[5:])
		hashes = append(hashes, recoveryHash(userID, c))
	}
	return codes, hashes
}

// checkSecondFactor accepts a current TOTP code (once: its time step must be later than the last
// accepted one) or an unused recovery code (then spent). It reports how the user passed ("totp" or
// "recovery_code"), or "" when the code is wrong or already used.
func (a *App) checkSecondFactor(ctx context.Context, q interface {
	AcceptTwoFactorStep(context.Context, string, string, int64) (bool, error)
	UseRecoveryCode(context.Context, string, string, string, time.Time) (bool, error)
}, tf *store.TwoFactor, code string) (string, error) {
	code = normaliseCode(code)
	if code == "" {
		return "", nil
	}
	if isTOTPCode(code) {
		secret, err := a.openSecret(tf.UserID, tf.SecretSealed)
		if err != nil {
			return "", err
		}
		step, ok := totpMatch(secret, code, a.now(), totpDigits, totpSkew)
		if !ok {
			return "", nil
		}
		fresh, err := q.AcceptTwoFactorStep(ctx, tf.AccountID, tf.UserID, step)
		if err != nil || !fresh {
			return "", err
		}
		return "totp", nil
	}
	if !tf.Enabled {
		return "", nil // recovery codes exist only once enrolment is confirmed
	}
	used, err := q.UseRecoveryCode(ctx, tf.AccountID, tf.UserID, recoveryHash(tf.UserID, code), a.now())
	if err != nil || !used {
		return "", err
	}
	return "recovery_code", nil
}

// TwoFactorStatus is what a user sees of their own 2FA.
type TwoFactorStatus struct {
	// Enabled is true once enrolment was confirmed with a valid code.
	Enabled bool `json:"enabled"`
	// Pending is true between starting and confirming enrolment.
	Pending bool `json:"pending"`
	// Required is true when the account requires 2FA of every user.
	Required bool `json:"required"`
	// RecoveryCodesLeft counts the unused recovery codes.
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
	EnabledAt         *time.Time `json:"enabled_at,omitempty"`
}

// TwoFactorEnrolment is a started enrolment: the secret for manual entry, the otpauth:// URL and the
// same as a QR code (a PNG data URL) for authenticator apps.
type TwoFactorEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
	QRCode string `json:"qr_code"`
}

// RecoveryCodes are freshly made recovery codes, shown this once.
type RecoveryCodes struct {
	Codes []string `json:"recovery_codes"`
}

// selfOnly lets a signed-in user (not an API key) manage their own 2FA, which needs no permission.
func selfOnly(ac *Actor) error {
	ac.MarkDecided()
	if ac.Kind != ActorUser {
		return portico.Errorf(portico.KindForbidden, "two-factor authentication is managed by the signed-in user, not with an API key")
	}
	return nil
}

// GetTwoFactorStatus returns the actor's own 2FA status.
func (a *App) GetTwoFactorStatus(ctx context.Context, ac *Actor) (*TwoFactorStatus, error) {
	ac.MarkDecided() // everyone may read their own status
	acc, err := a.store.GetAccount(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	st := &TwoFactorStatus{Required: acc.Settings.Require2FA}
	tf, err := a.store.GetTwoFactor(ctx, ac.AccountID, ac.UserID)
	if portico.IsKind(err, portico.KindNotFound) {
		return st, nil
	}
	if err != nil {
		return nil, err
	}
	st.Enabled, st.Pending, st.EnabledAt = tf.Enabled, !tf.Enabled, tf.EnabledAt
	if tf.Enabled {
		if st.RecoveryCodesLeft, err = a.store.CountRecoveryCodes(ctx, ac.AccountID, ac.UserID); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// StartTwoFactor begins enrolment: a new secret, not yet in force. A user who has 2FA must disable it
// first; starting again while pending replaces the pending secret.
func (a *App) StartTwoFactor(ctx context.Context, ac *Actor) (*TwoFactorEnrolment, error) {
	if err := selfOnly(ac); err != nil {
		return nil, err
	}
	u, err := a.store.GetUser(ctx, ac.AccountID, ac.UserID)
	if err != nil {
		return nil, err
	}
	key, err := totp.Generate(totp.GenerateOpts{Issuer: totpIssuer, AccountName: u.Email, Period: totpPeriod,
		Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
	if err != nil {
		return nil, fmt.Errorf("start 2FA: %w", err)
	}
	sealed, err := a.sealSecret(u.ID, key.Secret())
	if err != nil {
		return nil, err
	}
	img, err := key.Image(256, 256)
	if err != nil {
		return nil, fmt.Errorf("start 2FA: QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("start 2FA: QR code: %w", err)
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		old, err := tx.GetTwoFactor(ctx, ac.AccountID, u.ID)
		if err == nil && old.Enabled {
			return nil, &portico.Error{Kind: portico.KindConflict, Message: "two-factor authentication is already on: disable it first",
				Fields: []portico.FieldError{{Field: "totp", Message: "is already enabled"}}}
		}
		if err != nil && !portico.IsKind(err, portico.KindNotFound) {
			return nil, err
		}
		if err := tx.PutTwoFactor(ctx, &store.TwoFactor{AccountID: ac.AccountID, UserID: u.ID, SecretSealed: sealed, CreatedAt: a.now()}); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionUser2FAStart, targetType: "user", targetID: u.ID}, nil
	})
	if err != nil {
		return nil, err
	}
	return &TwoFactorEnrolment{Secret: key.Secret(), URL: key.URL(),
		QRCode: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes())}, nil
}

// codeRequired is the invalid-input error for a missing or wrong code.
// lockedField refuses an attempt because of a lockout (429), naming the field whose guesses caused it.
func lockedField(field, msg string) error {
	return &portico.Error{Kind: portico.KindRateLimited, Message: msg, Fields: []portico.FieldError{{Field: field, Message: msg}}}
}

func codeError(msg string) error {
	return &portico.Error{Kind: portico.KindInvalid, Message: "invalid input",
		Fields: []portico.FieldError{{Field: "totp", Message: msg}}}
}

// ConfirmTwoFactor turns a started enrolment on with a valid code from the authenticator app and
// returns the recovery codes, shown this once.
func (a *App) ConfirmTwoFactor(ctx context.Context, ac *Actor, code string) (*RecoveryCodes, error) {
	if err := selfOnly(ac); err != nil {
		return nil, err
	}
	if normaliseCode(code) == "" {
		return nil, codeError("is required")
	}
	var out *RecoveryCodes
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		tf, err := tx.GetTwoFactor(ctx, ac.AccountID, ac.UserID)
		if portico.IsKind(err, portico.KindNotFound) {
			return nil, portico.Errorf(portico.KindConflict, "start two-factor enrolment first")
		}
		if err != nil {
			return nil, err
		}
		if tf.Enabled {
			return nil, portico.Errorf(portico.KindConflict, "two-factor authentication is already on")
		}
		how, err := a.checkSecondFactor(ctx, tx, tf, code)
		if err != nil {
			return nil, err
		}
		if how != "totp" {
			return nil, codeError("is wrong or was already used: enter the current code from your authenticator app")
		}
		if err := tx.EnableTwoFactor(ctx, ac.AccountID, ac.UserID, a.now()); err != nil {
			return nil, err
		}
		codes, hashes := newRecoveryCodes(ac.UserID)
		if err := tx.ReplaceRecoveryCodes(ctx, ac.AccountID, ac.UserID, hashes); err != nil {
			return nil, err
		}
		out = &RecoveryCodes{Codes: codes}
		return &change{action: portico.ActionUser2FAEnable, targetType: "user", targetID: ac.UserID}, nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// chargeCodeCheck charges the check of a code that proveSecondFactor will make: wrong codes count
// towards the sign-in lockout, and the lockout holds here too, so that a session left open is not a
// way to guess codes faster than signing in allows.
func (a *App) chargeCodeCheck(ctx context.Context, ac *Actor) (*signinCharge, error) {
	return a.chargeOwnAttempt(ctx, ac, lockedField("totp", "too many wrong codes or passwords: try again in 15 minutes"))
}

// proveSecondFactor checks, inside a write, that the actor has 2FA on and sent a current or recovery
// code, and sets *wrong when the code is wrong (see chargeCodeCheck).
func (a *App) proveSecondFactor(ctx context.Context, tx *store.Tx, ac *Actor, code string, wrong *bool) (*store.TwoFactor, error) {
	tf, err := tx.GetTwoFactor(ctx, ac.AccountID, ac.UserID)
	if portico.IsKind(err, portico.KindNotFound) || (err == nil && !tf.Enabled) {
		return nil, portico.Errorf(portico.KindConflict, "two-factor authentication is not on")
	}
	if err != nil {
		return nil, err
	}
	if normaliseCode(code) == "" {
		return nil, codeError("is required: a current code or a recovery code")
	}
	how, err := a.checkSecondFactor(ctx, tx, tf, code)
	if err != nil {
		return nil, err
	}
	if how == "" {
		*wrong = true
		return nil, codeError("is wrong or was already used")
	}
	return tf, nil
}

// DisableTwoFactor turns the actor's own 2FA off; it needs a current code or a recovery code. In an
// account that requires 2FA the user is then held at enrolment again.
func (a *App) DisableTwoFactor(ctx context.Context, ac *Actor, code string) error {
	if err := selfOnly(ac); err != nil {
		return err
	}
	charge, err := a.chargeCodeCheck(ctx, ac)
	if err != nil {
		return err
	}
	wrong := false
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if _, err := a.proveSecondFactor(ctx, tx, ac, code, &wrong); err != nil {
			return nil, err
		}
		if err := tx.DeleteTwoFactor(ctx, ac.AccountID, ac.UserID); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionUser2FADisable, targetType: "user", targetID: ac.UserID}, nil
	})
	charge.settle(ctx, wrong)
	if err == nil {
		a.notify(ctx, ac, ac.UserID, mail.KindTwoFactorDisabled, "")
	}
	return err
}

// RegenerateRecoveryCodes replaces the actor's recovery codes (the old ones stop working) and returns
// the new ones, shown this once. It needs a current code or a recovery code.
func (a *App) RegenerateRecoveryCodes(ctx context.Context, ac *Actor, code string) (*RecoveryCodes, error) {
	if err := selfOnly(ac); err != nil {
		return nil, err
	}
	charge, err := a.chargeCodeCheck(ctx, ac)
	if err != nil {
		return nil, err
	}
	var out *RecoveryCodes
	wrong := false
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if _, err := a.proveSecondFactor(ctx, tx, ac, code, &wrong); err != nil {
			return nil, err
		}
		codes, hashes := newRecoveryCodes(ac.UserID)
		if err := tx.ReplaceRecoveryCodes(ctx, ac.AccountID, ac.UserID, hashes); err != nil {
			return nil, err
		}
		out = &RecoveryCodes{Codes: codes}
		return &change{action: portico.ActionUser2FARecoveryCodes, targetType: "user", targetID: ac.UserID}, nil
	})
	charge.settle(ctx, wrong)
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ResetTwoFactor removes another user's 2FA (users.manage_2fa), for a user who lost their device and
// their recovery codes; nobody else may reset the owner's. Their portal sessions end, so that they sign in again (and, where the account
// requires 2FA, enrol again).
func (a *App) ResetTwoFactor(ctx context.Context, ac *Actor, userID string) error {
	if err := a.authorize(ctx, ac, portico.ActionUser2FAReset, portico.PermUsersManage2FA, authz.Account()); err != nil {
		return err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		u, err := tx.GetUser(ctx, ac.AccountID, userID)
		if err != nil {
			return nil, err
		}
		// A reset needs no code: it is for someone else who lost theirs, done by a person. One's own
		// second factor goes off with a code (DisableTwoFactor), never with a stolen session or key.
		if ac.Kind != ActorUser {
			return nil, portico.Errorf(portico.KindForbidden, "two-factor authentication is reset by a signed-in administrator, not with an API key")
		}
		if userID == ac.UserID {
			return nil, portico.Errorf(portico.KindForbidden, "to turn off your own two-factor authentication, give a current code or a recovery code (POST /api/v1/me/2fa/disable, or your profile page)")
		}
		// The owner's second factor protects every permission of the account: only the owner may
		// turn it off (DisableTwoFactor, with a code).
		if u.Owner {
			return nil, portico.Errorf(portico.KindForbidden, "the account owner's two-factor authentication can only be changed by themself")
		}
		if _, err := tx.GetTwoFactor(ctx, ac.AccountID, userID); err != nil {
			if portico.IsKind(err, portico.KindNotFound) {
				return nil, portico.Errorf(portico.KindConflict, "this user has no two-factor authentication to reset")
			}
			return nil, err
		}
		if err := tx.DeleteTwoFactor(ctx, ac.AccountID, userID); err != nil {
			return nil, err
		}
		if err := tx.DeleteUserWebSessions(ctx, ac.AccountID, userID); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionUser2FAReset, targetType: "user", targetID: userID}, nil
	})
	a.auditRefused(ctx, ac, err, portico.ActionUser2FAReset, "user", userID, "")
	if err == nil {
		a.notify(ctx, ac, userID, mail.KindTwoFactorReset, "")
	}
	return err
}

// UserHasTwoFactor reports whether a user of the actor's account has 2FA on (users.view), for the
// user page.
func (a *App) UserHasTwoFactor(ctx context.Context, ac *Actor, userID string) (bool, error) {
	if userID == ac.UserID && ac.Kind == ActorUser {
		ac.MarkDecided()
	} else if err := a.authorize(ctx, ac, portico.ActionUserView, portico.PermUsersView, authz.Account()); err != nil {
		return false, err
	}
	tf, err := a.store.GetTwoFactor(ctx, ac.AccountID, userID)
	if portico.IsKind(err, portico.KindNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	return tf.Enabled, nil
}

// TwoFactorGate refuses (ErrTwoFactorRequired) a user, or an API key of a user, whose account requires
// 2FA while they have not set it up. The API and the portal call it on every request except the
// enrolment endpoints and signing out. The refusal is itself the authorization decision.
func (a *App) TwoFactorGate(ctx context.Context, ac *Actor) error {
	if ac == nil || (ac.Kind != ActorUser && ac.Kind != ActorAPIKey) || ac.AccountID == "" {
		return nil
	}
	if ac.ViaSSO {
		return nil // the identity provider is this session's second factor
	}
	acc, err := a.store.GetAccount(ctx, ac.AccountID)
	if err != nil {
		return err
	}
	if !acc.Settings.Require2FA {
		return nil
	}
	tf, err := a.store.GetTwoFactor(ctx, ac.AccountID, ac.UserID)
	if err != nil && !portico.IsKind(err, portico.KindNotFound) {
		return err
	}
	if tf != nil && tf.Enabled {
		return nil
	}
	ac.MarkDecided()
	return ErrTwoFactorRequired
}
