package app

import (
	"context"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// ListRoles lists the account's roles, system roles first (roles.view).
func (a *App) ListRoles(ctx context.Context, ac *Actor) ([]portico.Role, error) {
	if err := a.authorize(ctx, ac, portico.ActionRoleList, portico.PermRolesView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.ListRoles(ctx, ac.AccountID)
}

// GetRole returns one role (roles.view).
func (a *App) GetRole(ctx context.Context, ac *Actor, id string) (*portico.Role, error) {
	if err := a.authorize(ctx, ac, portico.ActionRoleView, portico.PermRolesView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.GetRole(ctx, ac.AccountID, id)
}

// RoleInput is the input of CreateRole and UpdateRole; nil fields stay as they are. Purpose is only
// read at creation: it is fixed afterwards.
type RoleInput struct {
	Name        *string
	Description *string
	Purpose     *portico.Purpose
	Permissions *[]portico.Permission
}

// CreateRole creates a role (roles.manage). A new role has no permission unless the input lists some;
// a list lacking a prerequisite is refused, naming every missing one.
func (a *App) CreateRole(ctx context.Context, ac *Actor, in RoleInput) (*portico.Role, error) {
	if err := a.authorize(ctx, ac, portico.ActionRoleCreate, portico.PermRolesManage, authz.Account()); err != nil {
		return nil, err
	}
	r := &portico.Role{ID: portico.NewID("rol"), AccountID: ac.AccountID, CreatedAt: a.now(), Permissions: []portico.Permission{}}
	if in.Name != nil {
		r.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.Purpose != nil {
		r.Purpose = *in.Purpose
	}
	if in.Permissions != nil {
		r.Permissions = *in.Permissions
	}
	if err := validate(r.Validate); err != nil {
		return nil, err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.CreateRole(ctx, r); err != nil {
			return nil, err
		}
		n := roleNode(r)
		return &change{action: portico.ActionRoleCreate, targetType: "role", targetID: r.ID, detail: r.Name,
			edits: []authz.Change{{UpsertRole: &n}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// UpdateRole edits a role (roles.manage). System roles cannot be changed; the purpose cannot change.
// Every user holding the role sees the change on their next request.
//
// Adding permissions to a role changes what every one of its assignments grants, so a non-owner must
// hold the added permissions (with what they imply) at the scope of each of the role's assignments, as
// if making those assignments anew; otherwise a delegated administrator could assign himself a
// harmless role and then grow it. Removing permissions is always allowed. Refusals are audited.
func (a *App) UpdateRole(ctx context.Context, ac *Actor, id string, in RoleInput) (*portico.Role, error) {
	if err := a.authorize(ctx, ac, portico.ActionRoleUpdate, portico.PermRolesManage, authz.Account()); err != nil {
		return nil, err
	}
	var out *portico.Role
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		r, err := tx.GetRole(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if r.System {
			return nil, portico.Errorf(portico.KindForbidden, "%q is a system role: clone it to make a role you can change", r.Name)
		}
		if in.Purpose != nil && *in.Purpose != r.Purpose {
			return nil, &portico.Error{Kind: portico.KindInvalid, Message: "invalid input",
				Fields: []portico.FieldError{{Field: "purpose", Message: "is fixed when the role is created"}}}
		}
		before := r.PermissionSet().Expand()
		if in.Name != nil {
			r.Name = strings.TrimSpace(*in.Name)
		}
		if in.Description != nil {
			r.Description = *in.Description
		}
		if in.Permissions != nil {
			r.Permissions = *in.Permissions
		}
		if err := validate(r.Validate); err != nil {
			return nil, err
		}
		if added := r.PermissionSet().Expand().Minus(before); !added.IsEmpty() && ac.Kind != ActorSystem {
			assigned, err := tx.ListAssignments(ctx, ac.AccountID, portico.AssignmentFilter{RoleID: r.ID})
			if err != nil {
				return nil, err
			}
			missing, err := a.missingForAssignments(ctx, ac,
				func(*portico.Assignment) portico.PermissionSet { return added }, assigned)
			if err != nil {
				return nil, err
			}
			if !missing.IsEmpty() {
				return nil, portico.Errorf(portico.KindForbidden,
					"you cannot add permissions you do not hold where this role is assigned (by its existing assignments): %s",
					permNames(missing))
			}
		}
		if err := tx.UpdateRole(ctx, r); err != nil {
			return nil, err
		}
		out = r
		n := roleNode(r)
		return &change{action: portico.ActionRoleUpdate, targetType: "role", targetID: r.ID, detail: r.Name,
			edits: []authz.Change{{UpsertRole: &n}}}, nil
	})
	if err != nil {
		a.auditRefused(ctx, ac, err, portico.ActionRoleUpdate, "role", id, "")
		return nil, err
	}
	return out, nil
}

// CloneRole copies a role (system or not) under a new name with the same purpose and permissions
// (roles.manage).
func (a *App) CloneRole(ctx context.Context, ac *Actor, id, name string) (*portico.Role, error) {
	if err := a.authorize(ctx, ac, portico.ActionRoleClone, portico.PermRolesManage, authz.Account()); err != nil {
		return nil, err
	}
	src, err := a.store.GetRole(ctx, ac.AccountID, id)
	if err != nil {
		return nil, err
	}
	name = strings.TrimSpace(name)
	if name == "" {
		name = "Copy of " + src.Name
	}
	r := &portico.Role{ID: portico.NewID("rol"), AccountID: ac.AccountID, Name: name, Description: src.Description,
		Purpose: src.Purpose, Permissions: src.Permissions, CreatedAt: a.now()}
	if err := validate(r.Validate); err != nil {
		return nil, err
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.CreateRole(ctx, r); err != nil {
			return nil, err
		}
		n := roleNode(r)
		return &change{action: portico.ActionRoleClone, targetType: "role", targetID: r.ID, detail: "from " + src.ID,
			edits: []authz.Change{{UpsertRole: &n}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// RoleDependents lists the assignments that deleting the role would remove (roles.view).
func (a *App) RoleDependents(ctx context.Context, ac *Actor, id string) ([]portico.Assignment, error) {
	if err := a.authorize(ctx, ac, portico.ActionRoleDependents, portico.PermRolesView, authz.Account()); err != nil {
		return nil, err
	}
	if _, err := a.store.GetRole(ctx, ac.AccountID, id); err != nil {
		return nil, err
	}
	return a.store.ListAssignments(ctx, ac.AccountID, portico.AssignmentFilter{RoleID: id})
}

// DeleteRole deletes a role and every assignment that uses it (roles.delete). System roles cannot be
// deleted.
func (a *App) DeleteRole(ctx context.Context, ac *Actor, id string) error {
	if err := a.authorize(ctx, ac, portico.ActionRoleDelete, portico.PermRolesDelete, authz.Account()); err != nil {
		return err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		r, err := tx.GetRole(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if r.System {
			return nil, portico.Errorf(portico.KindForbidden, "%q is a system role and cannot be deleted", r.Name)
		}
		deps, err := tx.ListAssignments(ctx, ac.AccountID, portico.AssignmentFilter{RoleID: id})
		if err != nil {
			return nil, err
		}
		if err := tx.DeleteRole(ctx, ac.AccountID, id); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionRoleDelete, targetType: "role", targetID: id,
			detail: r.Name + " with " + itoa(len(deps)) + " assignment(s)",
			edits:  []authz.Change{{DeleteRole: id}}}, nil
	})
	a.auditRefused(ctx, ac, err, portico.ActionRoleDelete, "role", id, "")
	return err
}
