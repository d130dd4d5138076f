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
func (a *App) ListAssignments(ctx context.Context, ac *Actor, f portico.AssignmentFilter) ([]portico.Assignment, error) {
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
	if err := a.authorize(ctx, ac, portico.ActionRoleAssignmentCreate, portico.PermRoleAssignmentsManage, target); err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			var v portico.Validation
			v.AddMissing("scope_id", "no such %s", targetNoun(target))
			return nil, v.Err()
		}
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
		if err := roleFitsScope(role, as.ScopeType); err != nil {
			return nil, err
		}
		if err := a.checkNoEscalation(ctx, ac, role, as.ScopeType, target); err != nil {
			return nil, err
		}
		// The same principal, role and scope twice would grant nothing more, only hide which of the two
		// is in force (the longer expiry). The lock makes the check and the insert one step for every
		// node (PostgreSQL); on SQLite the single writer already does.
		if err := tx.LockAssignments(ctx, ac.AccountID); err != nil {
			return nil, err
		}
		if dup, err := findIdenticalAssignment(ctx, tx, as); err != nil {
			return nil, err
		} else if dup != nil {
			hint := "remove it first to give it another expiry"
			if !dup.ActiveAt(a.now()) {
				hint = "it has expired: remove it first to grant the role again"
			}
			return nil, portico.Errorf(portico.KindConflict, "an identical assignment already exists: %s (%s)", dup.ID, hint)
		}
		if err := tx.CreateAssignment(ctx, as); err != nil {
			return nil, err
		}
		c := *as
		return &change{action: portico.ActionRoleAssignmentCreate, targetType: "role_assignment", targetID: as.ID,
			detail: assignmentDetail(as),
			edits:  []authz.Change{{UpsertAssignment: &c}}}, nil
	})
	if err != nil {
		targetType, targetID := targetParts(target)
		a.auditRefused(ctx, ac, err, portico.ActionRoleAssignmentCreate, targetType, targetID, assignmentDetail(as))
		return nil, err
	}
	return as, nil
}

// roleFitsScope refuses an assignment on the device tree that would grant nothing: a role none of
// whose permissions take effect there, such as an administration role on a device group (account-wide
// permissions count only from account-level assignments).
func roleFitsScope(role *portico.Role, st portico.ScopeType) error {
	if st != portico.ScopeTypeDeviceGroup && st != portico.ScopeTypeDevice {
		return nil
	}
	if !role.PermissionSet().Expand().Intersect(portico.ScopeSet(portico.ScopeTree)).IsEmpty() {
		return nil
	}
	where := "a device group"
	if st == portico.ScopeTypeDevice {
		where = "a device"
	}
	return invalidField("role_id", "role %q (purpose %s) has no permission that takes effect on %s: assign it at account level, or choose a role with device permissions",
		role.Name, role.Purpose, where)
}

// assignmentDetail describes an assignment for the audit log.
func assignmentDetail(as *portico.Assignment) string {
	return string(as.PrincipalType) + " " + as.PrincipalID + " role " + as.RoleID + " at " + string(as.ScopeType) + " " + as.ScopeID
}

// findIdenticalAssignment returns the stored assignment with as's principal, role and scope (whatever
// its expiry), or nil.
func findIdenticalAssignment(ctx context.Context, tx *store.Tx, as *portico.Assignment) (*portico.Assignment, error) {
	same, err := tx.ListAssignments(ctx, as.AccountID, portico.AssignmentFilter{RoleID: as.RoleID,
		PrincipalType: as.PrincipalType, PrincipalID: as.PrincipalID, ScopeType: as.ScopeType, ScopeID: as.ScopeID})
	if err != nil {
		return nil, err
	}
	for i := range same {
		// The filter ignores an empty scope id; an account-level assignment always has one.
		if same[i].ScopeID == as.ScopeID && same[i].ID != as.ID {
			return &same[i], nil
		}
	}
	return nil, nil
}

// checkNoEscalation refuses (KindForbidden) an assignment of role at a scope unless the actor holds
// there every permission of the role that takes effect at that scope. The system is exempt; the owner
// holds everything. A nil role passes (the caller reports it missing).
func (a *App) checkNoEscalation(ctx context.Context, ac *Actor, role *portico.Role, st portico.ScopeType, target authz.Target) error {
	if role == nil {
		return nil
	}
	missing, err := a.missingAt(ctx, ac, role.PermissionSet().Expand(), st, target)
	if err != nil {
		return err
	}
	if !missing.IsEmpty() {
		return portico.Errorf(portico.KindForbidden, "you cannot assign a role with permissions you do not hold here: %s", permNames(missing))
	}
	return nil
}

// missingAt returns the permissions of want (expanded with what they imply by the caller) that an
// assignment at the scope would make effective and that the actor does not hold there: the rule
// checkNoEscalation applies to a new assignment, and UpdateRole and group membership to existing
// ones. The system misses nothing.
func (a *App) missingAt(ctx context.Context, ac *Actor, want portico.PermissionSet, st portico.ScopeType, target authz.Target) (portico.PermissionSet, error) {
	if ac.Kind == ActorSystem {
		return portico.PermissionSet{}, nil
	}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return portico.PermissionSet{}, err
	}
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
	return want.Minus(have), nil
}

// missingForAssignments returns what the actor lacks, per missingAt, for perms (expanded) at the scope of each
// assignment (expired ones included: they are still stored, and a longer expiry would bring them
// back).
func (a *App) missingForAssignments(ctx context.Context, ac *Actor, perms func(as *portico.Assignment) portico.PermissionSet, as []portico.Assignment) (portico.PermissionSet, error) {
	var missing portico.PermissionSet
	if ac.Kind == ActorSystem {
		return missing, nil
	}
	for i := range as {
		m, err := a.missingAt(ctx, ac, perms(&as[i]), as[i].ScopeType, assignmentTarget(as[i].ScopeType, as[i].ScopeID))
		if err != nil {
			return missing, err
		}
		missing = missing.Union(m)
	}
	return missing, nil
}

// rolePermissions returns, for missingForAssignments, the expanded permissions of an assignment's
// role, reading the account's roles once.
func rolePermissions(ctx context.Context, tx *store.Tx, accountID string) (func(as *portico.Assignment) portico.PermissionSet, error) {
	roles, err := tx.ListRoles(ctx, accountID)
	if err != nil {
		return nil, err
	}
	perms := make(map[string]portico.PermissionSet, len(roles))
	for i := range roles {
		perms[roles[i].ID] = roles[i].PermissionSet().Expand()
	}
	return func(as *portico.Assignment) portico.PermissionSet { return perms[as.RoleID] }, nil
}

// permNames lists a set's permission ids, comma-separated, in catalogue order.
func permNames(s portico.PermissionSet) string {
	names := make([]string, 0, s.Len())
	for _, p := range s.List() {
		names = append(names, string(p))
	}
	return strings.Join(names, ", ")
}

// DeleteAssignment removes a role assignment (role_assignments.manage at its scope).
func (a *App) DeleteAssignment(ctx context.Context, ac *Actor, id string) error {
	as, err := a.store.GetAssignment(ctx, ac.AccountID, id)
	if err != nil {
		ac.MarkDecided() // not found in the actor's own account: nothing to decide
		return err
	}
	if err := a.authorize(ctx, ac, portico.ActionRoleAssignmentDelete, portico.PermRoleAssignmentsManage, assignmentTarget(as.ScopeType, as.ScopeID)); err != nil {
		return err
	}
	return a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.DeleteAssignment(ctx, ac.AccountID, id); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionRoleAssignmentDelete, targetType: "role_assignment", targetID: id,
			edits: []authz.Change{{DeleteAssignment: id}}}, nil
	})
}
