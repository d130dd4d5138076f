package app

import (
	"context"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// assignmentTarget is where role_assignments.manage is needed to change an assignment at a scope.
func assignmentTarget(st portico.ScopeType, id string) authz.Target {
	switch st {
	case portico.ScopeTypeDeviceGroup:
		return authz.Group(id)
	case portico.ScopeTypeDevice:
		return authz.Device(id)
	}
	return authz.Account()
}

// ListAssignments lists role assignments matching the filter that the actor may see: all of them with
// roles.view, otherwise those at scopes where the actor may manage assignments.
func (a *App) ListAssignments(ctx context.Context, ac *Actor, f store.AssignmentFilter) ([]portico.Assignment, error) {
	all, err := a.store.ListAssignments(ctx, ac.AccountID, f)
	if err != nil {
		return nil, err
	}
	if a.can(ctx, ac, portico.PermRolesView, authz.Account()) {
		return all, nil
	}
	out := all[:0]
	for _, as := range all {
		if a.can(ctx, ac, portico.PermRoleAssignmentsManage, assignmentTarget(as.ScopeType, as.ScopeID)) {
			out = append(out, as)
		}
	}
	return out, nil
}

// AssignmentInput is the input of CreateAssignment.
type AssignmentInput struct {
	PrincipalType portico.PrincipalType
	PrincipalID   string
	RoleID        string
	ScopeType     portico.ScopeType
	ScopeID       string
	ExpiresAt     *time.Time
}

// CreateAssignment gives a user or user group a role at a scope (role_assignments.manage there). To
// stop a delegated administrator from granting more than they hold, a non-owner may only assign a role
// whose permissions, as far as they take effect at that scope, they hold there themself.
func (a *App) CreateAssignment(ctx context.Context, ac *Actor, in AssignmentInput) (*portico.Assignment, error) {
	as := &portico.Assignment{ID: portico.NewID("asg"), AccountID: ac.AccountID, PrincipalType: in.PrincipalType,
		PrincipalID: in.PrincipalID, RoleID: in.RoleID, ScopeType: in.ScopeType, ScopeID: in.ScopeID,
		ExpiresAt: in.ExpiresAt, CreatedAt: a.now()}
	if as.ExpiresAt != nil {
		t := as.ExpiresAt.UTC()
		as.ExpiresAt = &t
	}
	if err := validate(func(v *portico.Validation) { as.ValidateShape(v, a.now()) }); err != nil {
		ac.MarkDecided() // refused on its shape, before any object is looked at
		return nil, err
	}
	target := assignmentTarget(as.ScopeType, as.ScopeID)
	if err := a.authorize(ctx, ac, "role_assignment.create", portico.PermRoleAssignmentsManage, target); err != nil {
		return nil, err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		var v portico.Validation
		role, err := tx.GetRole(ctx, ac.AccountID, as.RoleID)
		if portico.IsKind(err, portico.KindNotFound) {
			v.AddMissing("role_id", "no such role")
		} else if err != nil {
			return nil, err
		}
		switch as.PrincipalType {
		case portico.PrincipalUser:
			_, err = tx.GetUser(ctx, ac.AccountID, as.PrincipalID)
		case portico.PrincipalUserGroup:
			_, err = tx.GetUserGroup(ctx, ac.AccountID, as.PrincipalID)
		}
		if portico.IsKind(err, portico.KindNotFound) {
			v.AddMissing("principal_id", "no such %s", strings.ReplaceAll(string(as.PrincipalType), "_", " "))
		} else if err != nil {
			return nil, err
		}
		if as.ScopeType == portico.ScopeTypeDeviceGroup && as.ScopeID == portico.UnassignedGroupID {
			v.Add("scope_id", "roles cannot be assigned on Unassigned: assign them on the device or at account level")
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if role != nil {
			if err := a.checkNoEscalation(ctx, ac, role, as.ScopeType, target); err != nil {
				return nil, err
			}
		}
		if err := tx.CreateAssignment(ctx, as); err != nil {
			return nil, err
		}
		c := *as
		return &change{action: "role_assignment.create", targetType: "role_assignment", targetID: as.ID,
			detail: string(as.PrincipalType) + " " + as.PrincipalID + " role " + as.RoleID + " at " + string(as.ScopeType) + " " + as.ScopeID,
			edits:  []authz.Change{{UpsertAssignment: &c}}}, nil
	})
	if err != nil {
		return nil, err
	}
	return as, nil
}

func (a *App) checkNoEscalation(ctx context.Context, ac *Actor, role *portico.Role, st portico.ScopeType, target authz.Target) error {
	if ac.Kind == ActorSystem {
		return nil
	}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return err
	}
	want := role.PermissionSet().Expand()
	switch st {
	case portico.ScopeTypeDeviceGroup, portico.ScopeTypeDevice:
		want = want.Intersect(portico.ScopeSet(portico.ScopeTree))
	case portico.ScopeTypeSection:
		want = want.Minus(portico.ScopeSet(portico.ScopeTree))
	}
	q := authz.Query{UserID: ac.UserID, Target: authz.Account(), At: a.now()}
	have := snap.Effective(q)
	if st == portico.ScopeTypeDeviceGroup || st == portico.ScopeTypeDevice {
		q.Target = target
		have = have.Union(snap.Effective(q))
	}
	if ac.KeyPermissions != nil {
		have = have.Intersect(*ac.KeyPermissions)
	}
	if missing := want.Minus(have); !missing.IsEmpty() {
		names := make([]string, 0, missing.Len())
		for _, p := range missing.List() {
			names = append(names, string(p))
		}
		return portico.Errorf(portico.KindForbidden, "you cannot assign a role with permissions you do not hold here: %s", strings.Join(names, ", "))
	}
	return nil
}

// DeleteAssignment removes a role assignment (role_assignments.manage at its scope).
func (a *App) DeleteAssignment(ctx context.Context, ac *Actor, id string) error {
	as, err := a.store.GetAssignment(ctx, ac.AccountID, id)
	if err != nil {
		ac.MarkDecided() // not found in the actor's own account: nothing to decide
		return err
	}
	if err := a.authorize(ctx, ac, "role_assignment.delete", portico.PermRoleAssignmentsManage, assignmentTarget(as.ScopeType, as.ScopeID)); err != nil {
		return err
	}
	return a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.DeleteAssignment(ctx, ac.AccountID, id); err != nil {
			return nil, err
		}
		return &change{action: "role_assignment.delete", targetType: "role_assignment", targetID: id,
			edits: []authz.Change{{DeleteAssignment: id}}}, nil
	})
}
