package app

import (
	"context"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/store"
)

// ListAPIKeys lists the account's API keys, never their secrets (api_keys.view).
func (a *App) ListAPIKeys(ctx context.Context, ac *Actor) ([]portico.APIKey, error) {
	if err := a.authorize(ctx, ac, portico.ActionAPIKeyList, portico.PermAPIKeysView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.ListAPIKeys(ctx, ac.AccountID)
}

// CreateAPIKey creates an API key acting as the actor, narrowed to the listed permissions, which must
// be ones the actor holds at account level now (api_keys.manage). The secret is returned once. The
// key never does more than its list, even if its creator later gains more.
func (a *App) CreateAPIKey(ctx context.Context, ac *Actor, name string, perms []portico.Permission) (*portico.APIKey, string, error) {
	if err := a.authorize(ctx, ac, portico.ActionAPIKeyCreate, portico.PermAPIKeysManage, authz.Account()); err != nil {
		return nil, "", err
	}
	if ac.Kind != ActorUser && ac.Kind != ActorAPIKey {
		return nil, "", portico.Errorf(portico.KindForbidden, "only a user can own an API key")
	}
	k := &portico.APIKey{ID: portico.NewID("key"), AccountID: ac.AccountID, UserID: ac.UserID,
		Name: strings.TrimSpace(name), Permissions: perms, CreatedAt: a.now()}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return nil, "", err
	}
	have := snap.Effective(authz.Query{UserID: ac.UserID, Target: authz.Account(), At: a.now()})
	if ac.KeyPermissions != nil {
		have = have.Intersect(*ac.KeyPermissions)
	}
	if err := validate(func(v *portico.Validation) {
		portico.ValidateName(v, "name", k.Name, 100)
		seen := make(map[portico.Permission]int, len(perms))
		for i, p := range perms {
			if first, dup := seen[p]; dup {
				v.Add("permissions["+itoa(i)+"]", "%s is already listed at permissions[%d]", p, first)
				continue
			}
			seen[p] = i
			if _, ok := portico.LookupPermission(p); !ok {
				v.Add("permissions["+itoa(i)+"]", "%q is not a known permission", p)
			} else if !have.Has(p) {
				v.Add("permissions["+itoa(i)+"]", "you do not hold %s at account level, so a key of yours cannot", p)
			}
		}
	}); err != nil {
		return nil, "", err
	}
	if len(perms) == 0 {
		// A key without a list holds what its creator holds now, at any scope, and never more: rights
		// its creator gains later do not reach it. A key made by a narrowed key is narrowed as much.
		held, err := a.heldAnywhere(ctx, ac)
		if err != nil {
			return nil, "", err
		}
		if ac.KeyPermissions != nil {
			held = held.Intersect(*ac.KeyPermissions)
		}
		k.Permissions = held.List()
	}
	secret := portico.NewSecret("pk")
	k.Hash = portico.HashSecret(secret)
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.CreateAPIKey(ctx, k); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionAPIKeyCreate, targetType: "api_key", targetID: k.ID, detail: k.Name}, nil
	})
	if err != nil {
		return nil, "", err
	}
	a.notify(ctx, ac, ac.UserID, mail.KindAPIKeyCreated, k.Name)
	return k, secret, nil
}

// heldAnywhere returns every permission the user holds at some scope: everything for the owner, else
// the permissions (with what they imply) of the roles assigned to the user or to a user group the
// user belongs to, assignments that have expired left out.
func (a *App) heldAnywhere(ctx context.Context, ac *Actor) (portico.PermissionSet, error) {
	u, err := a.store.GetUser(ctx, ac.AccountID, ac.UserID)
	if err != nil {
		return portico.PermissionSet{}, err
	}
	if u.Owner {
		return portico.AllPermissions(), nil
	}
	principals := map[string]bool{"user:" + u.ID: true}
	groups, err := a.store.ListUserGroups(ctx, ac.AccountID)
	if err != nil {
		return portico.PermissionSet{}, err
	}
	for _, g := range groups {
		for _, m := range g.MemberIDs {
			if m == u.ID {
				principals["user_group:"+g.ID] = true
			}
		}
	}
	roles, err := a.store.ListRoles(ctx, ac.AccountID)
	if err != nil {
		return portico.PermissionSet{}, err
	}
	byID := make(map[string]*portico.Role, len(roles))
	for i := range roles {
		byID[roles[i].ID] = &roles[i]
	}
	all, err := a.store.ListAssignments(ctx, ac.AccountID, portico.AssignmentFilter{})
	if err != nil {
		return portico.PermissionSet{}, err
	}
	var held portico.PermissionSet
	now := a.now()
	for _, as := range all {
		if r := byID[as.RoleID]; r != nil && principals[string(as.PrincipalType)+":"+as.PrincipalID] && as.ActiveAt(now) {
			held = held.Union(r.PermissionSet().Expand())
		}
	}
	return held, nil
}

// RevokeAPIKey revokes a key; it fails from its next use (api_keys.manage).
func (a *App) RevokeAPIKey(ctx context.Context, ac *Actor, id string) error {
	if err := a.authorize(ctx, ac, portico.ActionAPIKeyRevoke, portico.PermAPIKeysManage, authz.Account()); err != nil {
		return err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.RevokeAPIKey(ctx, ac.AccountID, id, a.now()); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionAPIKeyRevoke, targetType: "api_key", targetID: id}, nil
	})
	// The change is not quiet: live sessions opened with the key, on every node, are checked again
	// (ActorStillValid) and end now, not at the next periodic check.
	return err
}

// ActorStillValid reports whether an actor that was authenticated earlier could still authenticate
// now, for work that outlives its request (a remote session): its address must still be in the
// account's IP allow list, and an API key must not have been revoked meanwhile. A user's status,
// roles and rights are the engine's to decide and are not checked here.
// When it cannot tell (the database does not answer) it says no, with that reason: fail closed.
func (a *App) ActorStillValid(ctx context.Context, ac *Actor) (bool, string) {
	if ac.Kind != ActorAPIKey && ac.Kind != ActorUser {
		return true, ""
	}
	pol, err := a.store.GetAccountPolicy(ctx, ac.AccountID)
	if err != nil {
		a.log.Error("check the IP allow list", "account", ac.AccountID, "err", err)
		return false, "this server could not confirm that the technician's address is still allowed"
	}
	if !addressAllowed(pol.IPAllowlist, ac.SourceIP) {
		return false, "the technician's address is no longer in the IP allow list"
	}
	if ac.Kind != ActorAPIKey {
		return true, ""
	}
	keys, err := a.store.ListAPIKeys(ctx, ac.AccountID)
	if err != nil {
		a.log.Error("check an API key", "key", ac.APIKeyID, "err", err)
		return false, "this server could not confirm that the API key is still valid"
	}
	for _, k := range keys {
		if k.ID == ac.APIKeyID {
			if k.RevokedAt != nil {
				return false, "API key revoked"
			}
			return true, ""
		}
	}
	return false, "API key revoked"
}
