package app

import (
	"context"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// ListUserGroups lists the account's user groups with their members (user_groups.view).
func (a *App) ListUserGroups(ctx context.Context, ac *Actor) ([]portico.UserGroup, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserGroupList, portico.PermUserGroupsView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.ListUserGroups(ctx, ac.AccountID)
}

// GetUserGroup returns one user group (user_groups.view).
func (a *App) GetUserGroup(ctx context.Context, ac *Actor, id string) (*portico.UserGroup, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserGroupView, portico.PermUserGroupsView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.GetUserGroup(ctx, ac.AccountID, id)
}

// UserGroupInput is the input of CreateUserGroup and UpdateUserGroup; nil fields stay as they are.
type UserGroupInput struct {
	Name        *string
	Description *string
	MemberIDs   *[]string
}

// CreateUserGroup creates a user group, optionally with members (user_groups.manage).
func (a *App) CreateUserGroup(ctx context.Context, ac *Actor, in UserGroupInput) (*portico.UserGroup, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserGroupCreate, portico.PermUserGroupsManage, authz.Account()); err != nil {
		return nil, err
	}
	g := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: ac.AccountID, CreatedAt: a.now(), MemberIDs: []string{}}
	if in.Name != nil {
		g.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		g.Description = *in.Description
	}
	if in.MemberIDs != nil {
		g.MemberIDs = dedupe(*in.MemberIDs)
	}
	if err := validate(g.Validate); err != nil {
		return nil, err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := a.checkUsers(ctx, tx, ac.AccountID, "member_ids", g.MemberIDs); err != nil {
			return nil, err
		}
		// A new group has no access rights yet; the check costs nothing and keeps the rule in one place.
		if err := a.checkNewMembers(ctx, tx, ac, g.ID, nil, g.MemberIDs); err != nil {
			return nil, err
		}
		if err := tx.CreateUserGroup(ctx, g); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionUserGroupCreate, targetType: "user_group", targetID: g.ID, detail: g.Name,
			edits: []authz.Change{{UpsertUserGroup: &authz.UserGroupNode{ID: g.ID, Name: g.Name, MemberIDs: g.MemberIDs}}}}, nil
	})
	if err != nil {
		a.auditRefused(ctx, ac, err, portico.ActionUserGroupCreate, "user_group", g.ID, "")
		return nil, err
	}
	return a.store.GetUserGroup(ctx, ac.AccountID, g.ID)
}

// UpdateUserGroup edits a user group's name, description or members (user_groups.manage).
func (a *App) UpdateUserGroup(ctx context.Context, ac *Actor, id string, in UserGroupInput) (*portico.UserGroup, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserGroupUpdate, portico.PermUserGroupsManage, authz.Account()); err != nil {
		return nil, err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		g, err := tx.GetUserGroup(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if in.Name != nil {
			g.Name = strings.TrimSpace(*in.Name)
		}
		if in.Description != nil {
			g.Description = *in.Description
		}
		if err := validate(g.Validate); err != nil {
			return nil, err
		}
		if err := tx.UpdateUserGroup(ctx, g); err != nil {
			return nil, err
		}
		if in.MemberIDs != nil {
			before := g.MemberIDs
			g.MemberIDs = dedupe(*in.MemberIDs)
			if err := a.checkUsers(ctx, tx, ac.AccountID, "user_ids", g.MemberIDs); err != nil {
				return nil, err
			}
			if err := a.checkNewMembers(ctx, tx, ac, g.ID, before, g.MemberIDs); err != nil {
				return nil, err
			}
			if err := tx.SetUserGroupMembers(ctx, ac.AccountID, id, g.MemberIDs); err != nil {
				return nil, err
			}
		}
		return &change{action: portico.ActionUserGroupUpdate, targetType: "user_group", targetID: g.ID, detail: g.Name,
			edits: []authz.Change{{UpsertUserGroup: &authz.UserGroupNode{ID: g.ID, Name: g.Name, MemberIDs: g.MemberIDs}}}}, nil
	})
	if err != nil {
		a.auditRefused(ctx, ac, err, portico.ActionUserGroupUpdate, "user_group", id, "")
		return nil, err
	}
	return a.store.GetUserGroup(ctx, ac.AccountID, id)
}

// DeleteUserGroup deletes a user group and the access rights given to it (user_groups.delete).
func (a *App) DeleteUserGroup(ctx context.Context, ac *Actor, id string) error {
	if err := a.authorize(ctx, ac, portico.ActionUserGroupDelete, portico.PermUserGroupsDelete, authz.Account()); err != nil {
		return err
	}
	return a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		g, err := tx.GetUserGroup(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if err := tx.DeleteUserGroup(ctx, ac.AccountID, id); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionUserGroupDelete, targetType: "user_group", targetID: id, detail: g.Name,
			edits: []authz.Change{{DeleteUserGroup: id}}}, nil
	})
}

// checkNewMembers refuses (KindForbidden) to add users to a group whose access rights grant more than
// the actor holds: a member receives every role assigned to the group, so adding one — the actor
// himself or anyone else — is held to the rule of assigning those roles anew (checkNoEscalation), at
// the scope of each of the group's assignments. Removing members is always allowed; so is any change
// that adds nobody. The error names the missing permissions.
func (a *App) checkNewMembers(ctx context.Context, tx *store.Tx, ac *Actor, groupID string, before, after []string) error {
	if ac.Kind == ActorSystem {
		return nil
	}
	had := make(map[string]bool, len(before))
	for _, id := range before {
		had[id] = true
	}
	var added []string
	for _, id := range after {
		if !had[id] {
			added = append(added, id)
		}
	}
	if len(added) == 0 {
		return nil
	}
	assigned, err := tx.ListAssignments(ctx, ac.AccountID, portico.AssignmentFilter{PrincipalType: portico.PrincipalUserGroup, PrincipalID: groupID})
	if err != nil || len(assigned) == 0 {
		return err
	}
	perms, err := rolePermissions(ctx, tx, ac.AccountID)
	if err != nil {
		return err
	}
	missing, err := a.missingForAssignments(ctx, ac, perms, assigned)
	if err != nil {
		return err
	}
	if !missing.IsEmpty() {
		return portico.Errorf(portico.KindForbidden,
			"you cannot add members to this group: its access rights include permissions you do not hold there: %s",
			permNames(missing))
	}
	return nil
}

// checkUsers refuses ids that are not users of the account, naming each.
func (a *App) checkUsers(ctx context.Context, tx *store.Tx, accountID, field string, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	users, err := tx.ListUsers(ctx, accountID, portico.UserFilter{IDs: ids})
	if err != nil {
		return err
	}
	known := make(map[string]bool, len(users))
	for _, u := range users {
		known[u.ID] = true
	}
	var v portico.Validation
	for i, id := range ids {
		if !known[id] {
			v.AddMissing(field+"["+itoa(i)+"]", "%q is not a user of this account", id)
		}
	}
	return v.Err()
}

func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
