package app

import (
	"context"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// Effective returns the permissions the actor holds on a target right now, narrowed by an API key,
// so that an interface can show exactly the actions the server would allow and hide the rest. It is
// not an authorization decision: every action is still decided by its own use case.
func (a *App) Effective(ctx context.Context, ac *Actor, t authz.Target) (portico.PermissionSet, error) {
	ac.MarkDecided()
	if ac.Kind != ActorUser && ac.Kind != ActorAPIKey {
		return portico.PermissionSet{}, nil
	}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return portico.PermissionSet{}, err
	}
	perms := snap.Effective(authz.Query{UserID: ac.UserID, Target: t, At: a.now()})
	if ac.KeyPermissions != nil {
		perms = perms.Intersect(*ac.KeyPermissions)
	}
	return perms, nil
}
