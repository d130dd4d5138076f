package app

import (
	"context"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// SignIn checks an email and password and opens a portal session, returning the cookie secret. A
// user with two-factor authentication needs a code too: SignIn then answers ErrCodeRequired (use
// SignInWithCode, or BeginSignIn and CompleteSignIn). Failures are slowed and locked out per email
// and per address; a wrong email and a wrong password get the same answer.
func (a *App) SignIn(ctx context.Context, email, password, sourceIP string) (string, *portico.User, error) {
	return a.SignInWithCode(ctx, email, password, "", sourceIP)
}

// OnAuthenticated returns a copy of ctx carrying fn, which the Authenticate methods call when they
// accept a credential (a session, an API key, an agent's credential, a node token). The HTTP server
// uses it to stop counting a connection against its client's cap on unauthenticated connections.
func OnAuthenticated(ctx context.Context, fn func()) context.Context {
	return context.WithValue(ctx, authenticatedKey{}, fn)
}

type authenticatedKey struct{}

// authenticated calls the function OnAuthenticated put in ctx, if any.
func authenticated(ctx context.Context) {
	if fn, ok := ctx.Value(authenticatedKey{}).(func()); ok {
		fn()
	}
}

// SignOut ends a portal session.
func (a *App) SignOut(ctx context.Context, secret string) error {
	return a.store.DeleteWebSession(ctx, portico.HashSecret(secret))
}

// AuthenticateSession resolves a session cookie to its actor. A session idle for longer than the
// account's idle timeout is ended here, on the server, whatever the browser does.
func (a *App) AuthenticateSession(ctx context.Context, secret, sourceIP string) (*Actor, error) {
	unauth := portico.Errorf(portico.KindUnauthenticated, "sign in first")
	hash := portico.HashSecret(secret)
	ws, err := a.store.GetWebSession(ctx, hash)
	if err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return nil, unauth
		}
		return nil, err
	}
	acc, err := a.store.GetAccount(ctx, ws.AccountID)
	if err != nil {
		return nil, err
	}
	now := a.now()
	idle := time.Duration(acc.Settings.IdleTimeoutMinutes) * time.Minute
	if now.Sub(ws.LastSeenAt) > idle {
		_ = a.store.DeleteWebSession(ctx, hash)
		return nil, portico.Errorf(portico.KindUnauthenticated, "signed out after %d minutes of inactivity", acc.Settings.IdleTimeoutMinutes)
	}
	u, err := a.store.GetUser(ctx, ws.AccountID, ws.UserID)
	if err != nil || !u.CanAct() {
		_ = a.store.DeleteWebSession(ctx, hash)
		return nil, unauth
	}
	// Touch at most once a minute: the idle clock has minute resolution and a write per request would
	// make every page view a database write.
	if now.Sub(ws.LastSeenAt) > time.Minute {
		if err := a.store.TouchWebSession(ctx, hash, now); err != nil {
			return nil, err
		}
	}
	authenticated(ctx)
	return &Actor{Kind: ActorUser, AccountID: u.AccountID, UserID: u.ID, Name: u.Name, SourceIP: sourceIP,
		ViaSSO: ws.Method == portico.SessionSSO, SessionHash: hash}, nil
}

// AuthenticateAPIKey resolves a bearer API key to its actor: the key's owner, narrowed to the key's
// permissions when it has a list. A revoked key, or one whose owner can no longer act, fails at once.
func (a *App) AuthenticateAPIKey(ctx context.Context, secret, sourceIP string) (*Actor, error) {
	unauth := portico.Errorf(portico.KindUnauthenticated, "invalid API key")
	k, err := a.store.GetAPIKeyByHash(ctx, portico.HashSecret(secret))
	if err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return nil, unauth
		}
		return nil, err
	}
	if k.RevokedAt != nil {
		return nil, unauth
	}
	u, err := a.store.GetUser(ctx, k.AccountID, k.UserID)
	if err != nil || !u.CanAct() {
		return nil, unauth
	}
	now := a.now()
	if k.LastUsedAt == nil || now.Sub(*k.LastUsedAt) > time.Minute {
		_ = a.store.TouchAPIKey(ctx, k.ID, now)
	}
	ac := &Actor{Kind: ActorAPIKey, AccountID: k.AccountID, UserID: u.ID, Name: u.Name, APIKeyID: k.ID, SourceIP: sourceIP}
	if len(k.Permissions) > 0 {
		s := portico.NewPermissionSet(k.Permissions...).Expand()
		ac.KeyPermissions = &s
	}
	authenticated(ctx)
	return ac, nil
}

// Me is the signed-in user with the permissions they hold at account level.
type Me struct {
	User        *portico.User        `json:"user"`
	Account     *portico.Account     `json:"account"`
	Permissions []portico.Permission `json:"permissions"`
}

// GetMe returns the actor's own user and effective account-level permissions.
func (a *App) GetMe(ctx context.Context, ac *Actor) (*Me, error) {
	ac.MarkDecided() // everyone may read themselves
	u, err := a.store.GetUser(ctx, ac.AccountID, ac.UserID)
	if err != nil {
		return nil, err
	}
	acc, err := a.store.GetAccount(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	perms := snap.Effective(authz.Query{UserID: ac.UserID, Target: authz.Account(), At: a.now()})
	if ac.KeyPermissions != nil {
		perms = perms.Intersect(*ac.KeyPermissions)
	}
	return &Me{User: u, Account: acc, Permissions: perms.List()}, nil
}
