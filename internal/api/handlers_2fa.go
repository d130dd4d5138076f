package api

import (
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// signInWithCodeRequest signs in; totp carries the TOTP code or a recovery code for users with 2FA.
type signInWithCodeRequest struct {
	Email    string `json:"email" openapi:"required"`
	Password string `json:"password" openapi:"required"`
	// TOTP is the current code from the authenticator app, or a recovery code. A user with 2FA who
	// leaves it out is answered 401 with a problem naming the field "totp".
	TOTP string `json:"totp,omitempty"`
}

func signInWithCode(c *call, in *signInWithCodeRequest) (*portico.User, error) {
	c.ac.MarkDecided() // the credentials are the check
	var v portico.Validation
	if strings.TrimSpace(in.Email) == "" {
		v.Add("email", "is required: the email address you sign in with")
	}
	if in.Password == "" {
		v.Add("password", "is required")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	secret, u, err := c.app().SignInWithCode(c.ctx(), in.Email, in.Password, in.TOTP, c.ip)
	if err != nil {
		return nil, err
	}
	c.setSessionCookie(secret)
	return u, nil
}

// twoFactorCodeRequest carries a TOTP code or a recovery code.
type twoFactorCodeRequest struct {
	TOTP string `json:"totp" openapi:"required"`
}

func getTwoFactorStatus(c *call) (*app.TwoFactorStatus, error) {
	return c.app().GetTwoFactorStatus(c.ctx(), c.ac)
}

func startTwoFactor(c *call) (*app.TwoFactorEnrolment, error) {
	return c.app().StartTwoFactor(c.ctx(), c.ac)
}

func confirmTwoFactor(c *call, in *twoFactorCodeRequest) (*app.RecoveryCodes, error) {
	return c.app().ConfirmTwoFactor(c.ctx(), c.ac, in.TOTP)
}

func disableTwoFactor(c *call, in *twoFactorCodeRequest) (noContent, error) {
	return noContent{}, c.app().DisableTwoFactor(c.ctx(), c.ac, in.TOTP)
}

func regenerateRecoveryCodes(c *call, in *twoFactorCodeRequest) (*app.RecoveryCodes, error) {
	return c.app().RegenerateRecoveryCodes(c.ctx(), c.ac, in.TOTP)
}

func resetTwoFactor(c *call) (noContent, error) {
	return noContent{}, c.app().ResetTwoFactor(c.ctx(), c.ac, c.id())
}

// twoFactorOpen are the operations a user held back by the account's 2FA policy may still call: their
// own enrolment (and signing out, which is public).
var twoFactorOpen = map[string]bool{
	"getTwoFactorStatus": true, "startTwoFactor": true, "confirmTwoFactor": true,
}

// withTwoFactorGate makes every authenticated route, except enrolment, refuse a caller whose account
// requires 2FA and who has not set it up (403, "two-factor authentication must be set up first"). It
// runs before the body is read, so nothing of the request reaches the app.
func withTwoFactorGate(rs []Route) []Route {
	for i := range rs {
		if rs[i].Public || twoFactorOpen[rs[i].OperationID] {
			continue
		}
		inner := rs[i].ep.fn
		rs[i].ep.fn = func(c *call) (any, error) {
			if err := c.app().TwoFactorGate(c.ctx(), c.ac); err != nil {
				return nil, err
			}
			return inner(c)
		}
	}
	return rs
}
