package authz

import (
	"cmp"
	"slices"
	"time"

	"github.com/portico-dev/portico"
)

// reference is a deliberately naive implementation of docs/authorization.md §2, written straight from the text and
// the package documentation, with no index and no precomputation: it loops over every assignment and
// walks group parents one lookup at a time. The differential tests hold the engine to its answers.
type reference struct{ g *Graph }

func (r reference) user(id string) *UserNode {
	for i := range r.g.Users {
		if r.g.Users[i].ID == id {
			return &r.g.Users[i]
		}
	}
	return nil
}

func (r reference) group(id string) *GroupNode {
	if id == "" || id == portico.UnassignedGroupID {
		return nil
	}
	for i := range r.g.Groups {
		if r.g.Groups[i].ID == id {
			return &r.g.Groups[i]
		}
	}
	return nil
}

func (r reference) device(id string) *DeviceNode {
	for i := range r.g.Devices {
		if r.g.Devices[i].ID == id {
			return &r.g.Devices[i]
		}
	}
	return nil
}

func (r reference) role(id string) *RoleNode {
	for i := range r.g.Roles {
		if r.g.Roles[i].ID == id {
			return &r.g.Roles[i]
		}
	}
	return nil
}

// parent of a group: nil for a top-level group, for an unknown parent, and for a group on a parent
// cycle (walking up from it comes back to it).
func (r reference) parent(g *GroupNode) *GroupNode {
	p := r.group(g.ParentID)
	if p == nil {
		return nil
	}
	x := p
	for range len(r.g.Groups) + 1 {
		if x == nil {
			return p
		}
		if x.ID == g.ID {
			return nil
		}
		x = r.group(x.ParentID)
	}
	return p
}

// deviceFound reports whether a device exists and sits in a known group or Unassigned.
func (r reference) deviceFound(d *DeviceNode) bool {
	return d != nil && (d.GroupID == portico.UnassignedGroupID || r.group(d.GroupID) != nil)
}

// targetGroup returns the group a device or group target is in, and whether it is Unassigned.
func (r reference) targetGroup(t Target) (g *GroupNode, unassigned bool) {
	id := t.ID
	if t.Kind == TargetDevice {
		id = r.device(t.ID).GroupID
	}
	if id == portico.UnassignedGroupID {
		return nil, true
	}
	return r.group(id), false
}

func (r reference) targetExists(t Target) bool {
	switch t.Kind {
	case TargetAccount:
		return t.ID == "" || t.ID == r.g.AccountID
	case TargetSection:
		return t.ID == portico.SectionTeam || t.ID == portico.SectionOnDemand
	case TargetDeviceGroup:
		return t.ID == portico.UnassignedGroupID || r.group(t.ID) != nil
	case TargetDevice:
		return r.deviceFound(r.device(t.ID))
	}
	return false
}

// settingOn is the effective value of a feature at a group: the nearest group, itself or an ancestor,
// that sets it; else the default.
func (r reference) settingOn(g *GroupNode, f portico.Feature) bool {
	for ; g != nil; g = r.parent(g) {
		if v, ok := g.Settings[f]; ok {
			return v
		}
	}
	info, _ := portico.LookupFeature(f)
	return info.Default
}

// isMember reports whether the assignment's principal is the user or a user group holding the user.
func (r reference) isMember(a *portico.Assignment, userID string) bool {
	switch a.PrincipalType {
	case portico.PrincipalUser:
		return a.PrincipalID == userID
	case portico.PrincipalUserGroup:
		for _, ug := range r.g.UserGroups {
			if ug.ID == a.PrincipalID {
				return slices.Contains(ug.MemberIDs, userID)
			}
		}
	}
	return false
}

// reaches applies the scope rules: account-level assignments reach everything; Team and On-demand
// section assignments count only for account-scope and on-demand permissions respectively, on the
// account or their own section; group and device assignments count only for tree permissions, on their
// subtree or device.
func (r reference) reaches(a *portico.Assignment, scope portico.PermissionScope, t Target) bool {
	switch a.ScopeType {
	case portico.ScopeTypeAccount:
		return true
	case portico.ScopeTypeSection:
		switch a.ScopeID {
		case portico.SectionTeam:
			return scope == portico.ScopeAccountOnly &&
				(t.Kind == TargetAccount || (t.Kind == TargetSection && t.ID == portico.SectionTeam))
		case portico.SectionOnDemand:
			return scope == portico.ScopeOnDemand &&
				(t.Kind == TargetAccount || (t.Kind == TargetSection && t.ID == portico.SectionOnDemand))
		}
		return false
	case portico.ScopeTypeDeviceGroup:
		if scope != portico.ScopeTree || r.group(a.ScopeID) == nil {
			return false
		}
		if t.Kind != TargetDevice && t.Kind != TargetDeviceGroup {
			return false
		}
		g, _ := r.targetGroup(t)
		for ; g != nil; g = r.parent(g) {
			if g.ID == a.ScopeID {
				return true
			}
		}
		return false
	case portico.ScopeTypeDevice:
		return scope == portico.ScopeTree && t.Kind == TargetDevice && t.ID == a.ScopeID &&
			r.device(a.ScopeID) != nil
	}
	return false
}

// granting returns the assignments that grant the permission on the target to the user at time at.
func (r reference) granting(userID string, p portico.Permission, t Target, at time.Time) []string {
	info, _ := portico.LookupPermission(p)
	var ids []string
	for i := range r.g.Assignments {
		a := &r.g.Assignments[i]
		if a.AccountID != "" && a.AccountID != r.g.AccountID {
			continue
		}
		if !r.isMember(a, userID) || !a.ActiveAt(at) {
			continue
		}
		role := r.role(a.RoleID)
		if role == nil || !role.Permissions.Expand().Has(p) {
			continue
		}
		if r.reaches(a, info.Scope, t) {
			ids = append(ids, a.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

func (r reference) decide(q Query) Decision {
	u := r.user(q.UserID)
	info, known := portico.LookupPermission(q.Permission)
	if u == nil || !known || !r.targetExists(q.Target) {
		return Decision{Reason: ReasonNotFound}
	}
	if u.State != portico.StateActivated || u.Status != portico.StatusActive {
		return Decision{Reason: ReasonUserInactive}
	}
	onTree := q.Target.Kind == TargetDevice || q.Target.Kind == TargetDeviceGroup
	if onTree {
		g, unassigned := r.targetGroup(q.Target)
		if info.Remote && unassigned {
			return Decision{Reason: ReasonUnlicensed}
		}
		if info.GatedBy != "" && !r.settingOn(g, info.GatedBy) {
			return Decision{Reason: ReasonSettingOff}
		}
	}
	if u.Owner {
		return Decision{Allowed: true, Reason: ReasonOwner}
	}
	if len(r.granting(q.UserID, q.Permission, q.Target, q.At)) > 0 {
		return Decision{Allowed: true, Reason: ReasonGranted}
	}
	return Decision{Reason: ReasonNoGrant}
}

func (r reference) effective(q Query) portico.PermissionSet {
	var s portico.PermissionSet
	for _, p := range portico.Catalogue() {
		q.Permission = p.ID
		if r.decide(q).Allowed {
			s = s.With(p.ID)
		}
	}
	return s
}

// inGroupScope reports whether a device belongs to the part of the account a ListQuery names.
func (r reference) inGroupScope(d *DeviceNode, q ListQuery) bool {
	switch q.GroupID {
	case "":
		return true
	case portico.UnassignedGroupID:
		return d.GroupID == portico.UnassignedGroupID
	}
	if !q.Recursive {
		return d.GroupID == q.GroupID
	}
	for g := r.group(d.GroupID); g != nil; g = r.parent(g) {
		if g.ID == q.GroupID {
			return true
		}
	}
	return false
}

func (r reference) listDevices(q ListQuery) []string {
	if q.GroupID != "" && q.GroupID != portico.UnassignedGroupID && r.group(q.GroupID) == nil {
		return nil
	}
	var found []*DeviceNode
	for i := range r.g.Devices {
		d := &r.g.Devices[i]
		if !r.deviceFound(d) || !r.inGroupScope(d, q) {
			continue
		}
		if r.decide(Query{UserID: q.UserID, Permission: q.Permission, Target: Device(d.ID), At: q.At}).Allowed {
			found = append(found, d)
		}
	}
	slices.SortFunc(found, func(a, b *DeviceNode) int {
		if c := cmp.Compare(a.Name, b.Name); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	var ids []string
	for _, d := range found {
		ids = append(ids, d.ID)
	}
	return ids
}
