package app

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/crypto/argon2"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// Argon2id parameters (RFC 9106's second recommended option, with less memory so that a burst of
// sign-ins cannot exhaust a small server).
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
)

// hashPassword returns an argon2id hash in the PHC string format.
func hashPassword(password string) string {
	salt := make([]byte, 16)
	_, _ = rand.Read(salt)
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// checkPassword reports whether password matches a hash made by hashPassword.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	var m, t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil {
		return false
	}
	b64 := base64.RawStdEncoding
	salt, err1 := b64.DecodeString(parts[4])
	want, err2 := b64.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked when no user matches, so that a wrong email costs the same time as a wrong
// password and does not reveal which emails exist.
var dummyHash = hashPassword("portico-no-such-user")

// PasswordPolicy is what an account requires of new passwords. Existing passwords are not checked
// again: the policy applies wherever a password is set (creating a user with a password, accepting an
// invitation, changing one's password).
type PasswordPolicy struct {
	// MinLength is the account setting password_min_length (at least 8).
	MinLength int `json:"min_length" openapi:"required"`
	// RequireMix requires at least one letter and one digit.
	RequireMix bool `json:"require_mix"`
}

// commonPasswordsText is a short list of the passwords attackers try first, and of the stems they
// decorate with digits ("Password2024!"); all are refused whatever the account's policy.
//
//go:embed password_common.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, line := range strings.Split(commonPasswordsText, "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "#") {
			m[strings.ToLower(line)] = true
		}
	}
	return m
}()

// isCommonPassword reports whether pw is on the list, ignoring case, or is a listed word followed
// only by digits and symbols.
func isCommonPassword(pw string) bool {
	lower := strings.ToLower(strings.TrimSpace(pw))
	if commonPasswords[lower] {
		return true
	}
	stem := strings.TrimRightFunc(lower, func(r rune) bool { return !unicode.IsLetter(r) })
	return stem != lower && commonPasswords[stem]
}

// validatePassword checks a new password against the account's policy, naming field in the message.
func validatePassword(v *portico.Validation, field, pw string, p PasswordPolicy) {
	min := p.MinLength
	if min < 8 {
		min = 8
	}
	hasLetter := strings.IndexFunc(pw, unicode.IsLetter) >= 0
	hasDigit := strings.IndexFunc(pw, unicode.IsDigit) >= 0
	switch {
	case len([]rune(pw)) < min:
		v.Add(field, "must be at least %d characters", min)
	case len(pw) > 1024:
		v.Add(field, "must be at most 1024 bytes")
	case strings.TrimSpace(pw) == "":
		v.Add(field, "must not be blank")
	case p.RequireMix && (!hasLetter || !hasDigit):
		v.Add(field, "must contain both letters and digits")
	case isCommonPassword(pw):
		v.Add(field, "is too common: choose a password that is not on lists of common passwords")
	}
}

// policyReader is a store or a transaction.
type policyReader interface {
	GetAccountPolicy(ctx context.Context, accountID string) (*store.AccountPolicy, error)
}

// passwordPolicy is the policy of acc, read through q (a transaction when inside a write).
func passwordPolicy(ctx context.Context, q policyReader, acc *portico.Account) (PasswordPolicy, error) {
	pol, err := q.GetAccountPolicy(ctx, acc.ID)
	if err != nil {
		return PasswordPolicy{}, fmt.Errorf("password policy: %w", err)
	}
	return PasswordPolicy{MinLength: acc.Settings.PasswordMinLength, RequireMix: pol.PasswordRequireMix}, nil
}

// GetPasswordPolicy returns the account's password policy (account.view).
func (a *App) GetPasswordPolicy(ctx context.Context, ac *Actor) (*PasswordPolicy, error) {
	if err := a.authorize(ctx, ac, portico.ActionPasswordPolicyView, portico.PermAccountView, authz.Account()); err != nil {
		return nil, err
	}
	acc, err := a.store.GetAccount(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	p, err := passwordPolicy(ctx, a.store, acc)
	if err != nil {
		return nil, err
	}
	return &p, nil
}

// SetPasswordPolicy replaces the account's password policy (account.manage): the minimum length is
// the account setting password_min_length, the mix rule is kept with the account's other policies.
func (a *App) SetPasswordPolicy(ctx context.Context, ac *Actor, in PasswordPolicy) (*PasswordPolicy, error) {
	if err := a.authorize(ctx, ac, portico.ActionPasswordPolicyUpdate, portico.PermAccountManage, authz.Account()); err != nil {
		return nil, err
	}
	if err := validate(func(v *portico.Validation) {
		if in.MinLength < 8 || in.MinLength > 128 {
			v.Add("min_length", "must be between 8 and 128")
		}
	}); err != nil {
		return nil, err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		pol, err := tx.GetAccountPolicy(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		if acc.Settings.PasswordMinLength != in.MinLength {
			acc.Settings.PasswordMinLength = in.MinLength
			if err := tx.UpdateAccount(ctx, acc); err != nil {
				return nil, err
			}
		}
		pol.PasswordRequireMix = in.RequireMix
		if err := tx.PutAccountPolicy(ctx, ac.AccountID, pol, a.now()); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionPasswordPolicyUpdate, targetType: "account", targetID: ac.AccountID,
			detail: fmt.Sprintf("min_length=%d require_mix=%t", in.MinLength, in.RequireMix)}, nil
	})
	if err != nil {
		return nil, err
	}
	out := in
	return &out, nil
}
