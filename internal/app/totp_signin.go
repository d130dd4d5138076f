package app

import (
	"context"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store"
)

// ChallengeLifetime is how long a pending sign-in (password checked, code due) lasts.
const ChallengeLifetime = 5 * time.Minute

// challengeMaxFailures ends a pending sign-in after this many wrong codes; the sign-in limiter has
// counted each of them too.
const challengeMaxFailures = 5

// ErrCodeRequired answers a right password of a user with 2FA when no code came with it: the client
// asks for the code (field "totp") and sends both again.
var ErrCodeRequired = &portico.Error{Kind: portico.KindUnauthenticated, Message: "a two-factor code is required",
	Fields: []portico.FieldError{{Field: "totp", Message: "is required: the code from your authenticator app, or a recovery code"}}}

func errTooManySignIns() error {
	return portico.Errorf(portico.KindRateLimited, "too many failed sign-ins: try again in 15 minutes")
}

func errWrongCode() error {
	return &portico.Error{Kind: portico.KindUnauthenticated, Message: "wrong two-factor code",
		Fields: []portico.FieldError{{Field: "totp", Message: "is wrong or was already used"}}}
}

// SignInResult is the outcome of a password check: either a session (Secret, User), or a pending
// sign-in whose Challenge token must come back with a code (CompleteSignIn).
type SignInResult struct {
	Secret    string
	User      *portico.User
	Challenge string
}

// checkPasswordSignIn runs the first factor exactly as SignIn does: lockout, the same answer for a
// wrong email and a wrong password, and users who cannot act refused.
func (a *App) checkPasswordSignIn(ctx context.Context, email, password, sourceIP string) (*portico.User, *Actor, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	now := a.now()
	refused := portico.Errorf(portico.KindUnauthenticated, "wrong email or password")
	charge, locked, err := a.signins.attempt(ctx, email, sourceIP, now)
	if err != nil {
		return nil, nil, err
	}
	if locked {
		return nil, nil, errTooManySignIns()
	}
	u, err := a.store.GetUserByEmail(ctx, email)
	if err != nil && !portico.IsKind(err, portico.KindNotFound) {
		charge.settle(ctx, false)
		return nil, nil, err
	}
	if u == nil || u.PasswordHash == "" {
		checkPassword(dummyHash, password)
		charge.settle(ctx, true)
		return nil, nil, refused
	}
	ac := &Actor{Kind: ActorUser, AccountID: u.AccountID, UserID: u.ID, Name: u.Name, SourceIP: sourceIP}
	right := checkPassword(u.PasswordHash, password)
	charge.settle(ctx, !right)
	if !right {
		a.auditFailed(ctx, ac, portico.ActionSessionCreate, "user", u.ID, "wrong password")
		return nil, nil, refused
	}
	if !u.CanAct() {
		a.auditFailed(ctx, ac, portico.ActionSessionCreate, "user", u.ID, "user "+string(u.State)+"/"+string(u.Status))
		if u.State != portico.StateActivated {
			return nil, nil, portico.Errorf(portico.KindUnauthenticated, "this user has not completed registration")
		}
		return nil, nil, portico.Errorf(portico.KindUnauthenticated, "this user is disabled")
	}
	if err := a.passwordSignInRefused(ctx, u); err != nil { // SSO enforced (sso.go)
		a.auditFailed(ctx, ac, portico.ActionSessionCreate, "user", u.ID, "password sign-in refused: SSO enforced")
		return nil, nil, err
	}
	return u, ac, nil
}

// enabledTwoFactor returns the user's confirmed enrolment, or nil.
func (a *App) enabledTwoFactor(ctx context.Context, u *portico.User) (*store.TwoFactor, error) {
	tf, err := a.store.GetTwoFactor(ctx, u.AccountID, u.ID)
	if portico.IsKind(err, portico.KindNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if !tf.Enabled {
		return nil, nil
	}
	return tf, nil
}

// secondFactor checks code for a signed-in-by-password user, counting a wrong one as a failed sign-in.
func (a *App) secondFactor(ctx context.Context, u *portico.User, ac *Actor, tf *store.TwoFactor, code string) (string, error) {
	charge, locked, err := a.signins.attempt(ctx, u.Email, ac.SourceIP, a.now())
	if err != nil {
		return "", err
	}
	if locked {
		return "", errTooManySignIns()
	}
	how, err := a.checkSecondFactor(ctx, a.store, tf, code)
	charge.settle(ctx, err == nil && how == "")
	if err != nil {
		return "", err
	}
	if how == "" {
		a.auditFailed(ctx, ac, portico.ActionSessionCreate, "user", u.ID, "wrong two-factor code")
		return "", errWrongCode()
	}
	return how, nil
}

// openWebSession starts a portal session for a user who passed every factor.
// detail "sso" marks a session the identity provider vouched for (see TwoFactorGate).
func (a *App) openWebSession(ctx context.Context, u *portico.User, ac *Actor, detail string) (string, error) {
	now := a.now()
	if err := a.signins.succeed(ctx, u.Email); err != nil {
		return "", err
	}
	secret := portico.NewSecret("ps")
	method := portico.SessionPassword
	if detail == "sso" {
		method = portico.SessionSSO
	}
	ws := &portico.WebSession{Hash: portico.HashSecret(secret), AccountID: u.AccountID, UserID: u.ID,
		CreatedAt: now, LastSeenAt: now, SourceIP: ac.SourceIP, Method: method}
	if err := a.store.CreateWebSession(ctx, ws); err != nil {
		return "", err
	}
	if err := a.store.AppendAudit(ctx, a.auditEvent(ac, portico.ActionSessionCreate, "user", u.ID, portico.OutcomeSuccess, detail)); err != nil {
		return "", err
	}
	return secret, nil
}

// SignInWithCode signs in with email, password and, for a user with 2FA, a TOTP or recovery code in
// the same request (the API's way). A right password without the code answers ErrCodeRequired; a
// wrong code counts towards the sign-in lockout like a wrong password.
func (a *App) SignInWithCode(ctx context.Context, email, password, code, sourceIP string) (string, *portico.User, error) {
	u, ac, err := a.checkPasswordSignIn(ctx, email, password, sourceIP)
	if err != nil {
		return "", nil, err
	}
	tf, err := a.enabledTwoFactor(ctx, u)
	if err != nil {
		return "", nil, err
	}
	detail := ""
	if tf != nil {
		if normaliseCode(code) == "" {
			return "", nil, ErrCodeRequired
		}
		if detail, err = a.secondFactor(ctx, u, ac, tf, code); err != nil {
			return "", nil, err
		}
	}
	secret, err := a.openWebSession(ctx, u, ac, detail)
	if err != nil {
		return "", nil, err
	}
	return secret, u, nil
}

// BeginSignIn checks email and password (the portal's first step). Without 2FA it opens the session
// at once. With 2FA it stores a pending sign-in and returns its random token instead: the portal puts
// the token, and nothing else, in the code form, and CompleteSignIn finishes. The record lives on the
// server (five minutes, a few wrong codes, one use), so the password is never carried between the
// steps and a token copied from a form is worthless without the code.
func (a *App) BeginSignIn(ctx context.Context, email, password, sourceIP string) (*SignInResult, error) {
	u, ac, err := a.checkPasswordSignIn(ctx, email, password, sourceIP)
	if err != nil {
		return nil, err
	}
	tf, err := a.enabledTwoFactor(ctx, u)
	if err != nil {
		return nil, err
	}
	if tf == nil {
		secret, err := a.openWebSession(ctx, u, ac, "")
		if err != nil {
			return nil, err
		}
		return &SignInResult{Secret: secret, User: u}, nil
	}
	token := portico.NewSecret("sic")
	if err := a.store.CreateSignInChallenge(ctx, &store.SignInChallenge{Hash: portico.HashSecret(token),
		AccountID: u.AccountID, UserID: u.ID, ExpiresAt: a.now().Add(ChallengeLifetime)}); err != nil {
		return nil, err
	}
	return &SignInResult{User: u, Challenge: token}, nil
}

// CompleteSignIn finishes a pending sign-in with a TOTP or recovery code. An unknown or expired token
// asks the user to start again; too many wrong codes end the pending sign-in.
func (a *App) CompleteSignIn(ctx context.Context, challenge, code, sourceIP string) (string, *portico.User, error) {
	expired := portico.Errorf(portico.KindUnauthenticated, "the sign-in expired: enter your email and password again")
	hash := portico.HashSecret(challenge)
	c, err := a.store.GetSignInChallenge(ctx, hash)
	if portico.IsKind(err, portico.KindNotFound) {
		return "", nil, expired
	}
	if err != nil {
		return "", nil, err
	}
	now := a.now()
	if now.After(c.ExpiresAt) || c.Failures >= challengeMaxFailures {
		_ = a.store.DeleteSignInChallenge(ctx, hash, now)
		return "", nil, expired
	}
	u, err := a.store.GetUser(ctx, c.AccountID, c.UserID)
	if err != nil || !u.CanAct() {
		_ = a.store.DeleteSignInChallenge(ctx, hash, now)
		return "", nil, expired
	}
	ac := &Actor{Kind: ActorUser, AccountID: u.AccountID, UserID: u.ID, Name: u.Name, SourceIP: sourceIP}
	tf, err := a.enabledTwoFactor(ctx, u)
	if err != nil {
		return "", nil, err
	}
	detail := ""
	if tf != nil { // reset by an administrator meanwhile: the password alone now suffices
		if normaliseCode(code) == "" {
			return "", nil, ErrCodeRequired
		}
		if detail, err = a.secondFactor(ctx, u, ac, tf, code); err != nil {
			if portico.IsKind(err, portico.KindUnauthenticated) {
				if n, ferr := a.store.FailSignInChallenge(ctx, hash); ferr == nil && n >= challengeMaxFailures {
					_ = a.store.DeleteSignInChallenge(ctx, hash, now)
				}
			}
			return "", nil, err
		}
	}
	if err := a.store.DeleteSignInChallenge(ctx, hash, now); err != nil {
		return "", nil, err
	}
	secret, err := a.openWebSession(ctx, u, ac, detail)
	if err != nil {
		return "", nil, err
	}
	return secret, u, nil
}
