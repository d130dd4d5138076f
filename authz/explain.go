package authz

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/portico-dev/portico"
)

// Explain answers a query with its reasons: for an allowed decision every assignment that grants it,
// for a refusal the first rule that refuses, in a sentence fit for the portal's "Why can / can't I?".
func (s *Snapshot) Explain(q Query) Explanation {
	slot, pi, r, ok := s.lookup(q.UserID, q.Permission, q.Target)
	if !ok {
		return Explanation{Reason: ReasonNotFound.String(), Grants: []Grant{},
			Message: "no such user, permission or target in this account"}
	}
	u := &s.users[slot]
	ex := Explanation{Grants: []Grant{}}
	switch why := s.refusal(u, pi, &r); why {
	case ReasonUserInactive:
		ex.Reason = why.String()
		ex.Message = fmt.Sprintf("user %q is invited or disabled and holds no permission", u.name)
		return ex
	case ReasonUnlicensed:
		ex.Reason = why.String()
		ex.Message = fmt.Sprintf("%s is in Unassigned and holds no licence: %q needs a licensed device",
			s.describe(&r), q.Permission)
		return ex
	case ReasonSettingOff:
		return s.explainSetting(&r, permMetas[pi].feature)
	}
	if u.owner {
		ex.Allowed, ex.Reason = true, ReasonOwner.String()
		ex.Message = fmt.Sprintf("user %q is the account owner and holds every permission", u.name)
		return ex
	}
	ex.Grants = s.grantsFor(slot, pi, &r, q.At)
	if len(ex.Grants) == 0 {
		ex.Reason = ReasonNoGrant.String()
		ex.Message = fmt.Sprintf("no role assignment of user %q that reaches %s grants %q", u.name, s.describe(&r), q.Permission)
		return ex
	}
	ex.Allowed, ex.Reason = true, ReasonGranted.String()
	ex.Message = fmt.Sprintf("%q on %s is granted by %d role assignment(s)", q.Permission, s.describe(&r), len(ex.Grants))
	return ex
}

// explainSetting names the group whose setting switches the feature off: the nearest group, from the
// target's own upwards, that sets it.
func (s *Snapshot) explainSetting(r *resolved, f portico.Feature) Explanation {
	ex := Explanation{Reason: ReasonSettingOff.String(), Grants: []Grant{}, Feature: f}
	at := "Unassigned"
	if r.group >= 0 {
		at = fmt.Sprintf("group %q", s.groups[r.group].name)
	}
	for g := r.group; g >= 0; g = s.tree.parent[g] {
		if _, set := s.groups[g].settings[f]; set {
			ex.SettingGroupID, ex.SettingGroupName = s.groups[g].id, s.groups[g].name
			break
		}
	}
	switch {
	case ex.SettingGroupID == "":
		ex.Message = fmt.Sprintf("setting %q is off at %s by default", f, at)
	case ex.SettingGroupID == s.groups[r.group].id:
		ex.Message = fmt.Sprintf("setting %q is off at %s", f, at)
	default:
		ex.Message = fmt.Sprintf("setting %q is off at %s, inherited from %q", f, at, ex.SettingGroupName)
	}
	return ex
}

// describe names a target for messages.
func (s *Snapshot) describe(r *resolved) string {
	switch r.kind {
	case TargetAccount:
		return "the account"
	case TargetSection:
		if r.section == sectionTeam {
			return "the Team section"
		}
		return "the On-demand section"
	case TargetDevice:
		return fmt.Sprintf("device %q", s.devices.at(r.device).name)
	}
	if r.group == inUnassigned {
		return "Unassigned"
	}
	return fmt.Sprintf("group %q", s.groups[r.group].name)
}

// grantsFor lists the assignments that grant permission pi on the target to the user in the given
// slot at time at, sorted by assignment id. It reads the assignments themselves rather than the grant
// tables, which keep no ids; the differential tests check that both agree.
func (s *Snapshot) grantsFor(slot int32, pi int, r *resolved, at time.Time) []Grant {
	u := &s.users[slot]
	var out []Grant
	add := func(key, name, via string) {
		ids, _ := s.byPrincipal.get(key)
		for _, id := range ids {
			x, ok := s.assigns.get(id)
			if !ok || !x.ActiveAt(at) {
				continue
			}
			kind, gslot, set, ok := s.resolveAssignment(x)
			if !ok || !set.HasIndex(pi) || !s.reaches(kind, gslot, r) {
				continue
			}
			g := Grant{
				AssignmentID: x.ID, PrincipalType: x.PrincipalType, PrincipalID: x.PrincipalID,
				PrincipalName: name, ViaUserGroupID: via, RoleID: x.RoleID, RoleName: s.roles[x.RoleID].name,
				ScopeType: x.ScopeType, ScopeID: x.ScopeID,
			}
			switch kind {
			case kindGroup:
				g.ScopeName = s.groups[gslot].name
				for p := r.group; p >= 0; p = s.tree.parent[p] {
					g.Path = append(g.Path, s.groups[p].id)
					if p == gslot {
						break
					}
				}
				slices.Reverse(g.Path)
			case kindDevice:
				g.ScopeName = s.devices.at(gslot).name
			case kindTeam:
				g.ScopeName = "Team"
			case kindOnDemand:
				g.ScopeName = "On-demand"
			}
			if x.ExpiresAt != nil {
				t := *x.ExpiresAt
				g.ExpiresAt = &t
			}
			out = append(out, g)
		}
	}
	add(principalKey(portico.PrincipalUser, u.id), u.name, "")
	for _, g := range u.groups {
		ug := &s.userGroups[g]
		add(principalKey(portico.PrincipalUserGroup, ug.id), ug.name, ug.id)
	}
	slices.SortFunc(out, func(a, b Grant) int { return cmp.Compare(a.AssignmentID, b.AssignmentID) })
	return out
}

// WhoCan lists the users that hold the permission on the target at time at, sorted by name, then id,
// each with the grants that allow it (none for the owner). An unknown permission or target yields none.
func (s *Snapshot) WhoCan(perm portico.Permission, target Target, at time.Time) []WhoCanEntry {
	pi, ok := permIndex[perm]
	if !ok {
		return nil
	}
	r, ok := s.resolve(target)
	if !ok {
		return nil
	}
	var out []WhoCanEntry
	for slot := range s.users {
		u := &s.users[slot]
		if !u.live || s.refusal(u, pi, &r) != ReasonGranted {
			continue
		}
		e := WhoCanEntry{UserID: u.id, UserName: u.name, Email: u.email, Owner: u.owner, Grants: []Grant{}}
		if !u.owner {
			e.Grants = s.grantsFor(int32(slot), pi, &r, at)
			if len(e.Grants) == 0 {
				continue
			}
		}
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b WhoCanEntry) int {
		if c := cmp.Compare(a.UserName, b.UserName); c != 0 {
			return c
		}
		return cmp.Compare(a.UserID, b.UserID)
	})
	return out
}
