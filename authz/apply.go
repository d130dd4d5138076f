package authz

import (
	"maps"
	"slices"
	"sort"

	"github.com/portico-dev/portico"
)

// Apply returns a new snapshot with the changes made, in order, sharing every part they do not touch.
// The receiver is left as it was.
//
// Deletions cascade as a store's foreign keys would: deleting a user drops the user's assignments and
// memberships; a user group, role, device group or device drops the assignments that name it. A
// device group that still has sub-groups or devices when deleted leaves them behind as top-level groups
// and not-found devices, as New does for unknown references.
func (s *Snapshot) Apply(changes ...Change) *Snapshot {
	if len(changes) == 0 {
		return s
	}
	next := *s
	a := newApplier(&next, false)
	for _, c := range changes {
		a.apply(c)
	}
	return a.finish()
}

// applier makes a batch of changes to a shallow copy of a snapshot. Each slice, map or shard is copied
// the first time the batch writes to it (the own* flags record which are private already), and
// derived data — the group tree, grant tables, the device order — is recomputed once at the end.
type applier struct {
	s *Snapshot
	// fresh is set when building from nothing (New): nothing is shared, nothing needs copying.
	fresh bool

	ownUsers, ownUserSlot, ownUserGroups, ownUserGroupSlot, ownRoles bool
	ownGroups, ownGroupSlot, ownDevices, ownGroupDevs, ownUnassigned bool
	ownUserTables, ownGroupTables                                    bool
	deviceShards, assignShards, principalShards, scopeShards         [numShards]bool
	ownLists                                                         map[int32]bool // groupDevs entries
	ownDevicePages                                                   map[int32]bool // devices pages

	dirty    map[string]bool // principals whose grant tables must be rebuilt
	newUsers map[int32]bool  // user slots whose memberships are computed at the end
	// Ids of roles, groups and devices that appeared or changed: the assignments naming them are
	// re-resolved at the end.
	changedRoles, changedGroups, changedDevices map[string]bool
	treeDirty                                   bool
	reorder                                     map[int32]bool // device slots whose place in order may change
}

func newApplier(s *Snapshot, fresh bool) *applier {
	a := &applier{
		s: s, fresh: fresh,
		ownLists: map[int32]bool{}, ownDevicePages: map[int32]bool{}, dirty: map[string]bool{}, newUsers: map[int32]bool{},
		changedRoles: map[string]bool{}, changedGroups: map[string]bool{}, changedDevices: map[string]bool{},
		reorder: map[int32]bool{},
	}
	if fresh {
		a.ownUsers, a.ownUserSlot, a.ownUserGroups, a.ownUserGroupSlot, a.ownRoles = true, true, true, true, true
		a.ownGroups, a.ownGroupSlot, a.ownDevices, a.ownGroupDevs, a.ownUnassigned = true, true, true, true, true
		a.ownUserTables, a.ownGroupTables = true, true
		for i := range numShards {
			a.deviceShards[i], a.assignShards[i], a.principalShards[i], a.scopeShards[i] = true, true, true, true
		}
	}
	return a
}

// own copies a slice or map on the first write of the batch.
func ownSlice[T any](own *bool, p *[]T) {
	if !*own {
		*p = slices.Clone(*p)
		*own = true
	}
}

func ownMap[K comparable, V any](own *bool, p *map[K]V) {
	if !*own {
		*p = maps.Clone(*p)
		*own = true
	}
}

func (a *applier) apply(c Change) {
	switch {
	case c.UpsertUser != nil:
		a.upsertUser(c.UpsertUser)
	case c.DeleteUser != "":
		a.deleteUser(c.DeleteUser)
	case c.UpsertUserGroup != nil:
		a.upsertUserGroup(c.UpsertUserGroup)
	case c.DeleteUserGroup != "":
		a.deleteUserGroup(c.DeleteUserGroup)
	case c.UpsertRole != nil:
		a.upsertRole(c.UpsertRole)
	case c.DeleteRole != "":
		a.deleteRole(c.DeleteRole)
	case c.UpsertAssignment != nil:
		a.upsertAssignment(c.UpsertAssignment)
	case c.DeleteAssignment != "":
		a.removeAssignment(c.DeleteAssignment)
	case c.UpsertGroup != nil:
		a.upsertGroup(c.UpsertGroup)
	case c.DeleteGroup != "":
		a.deleteGroup(c.DeleteGroup)
	case c.UpsertDevice != nil:
		a.upsertDevice(c.UpsertDevice)
	case c.DeleteDevice != "":
		a.deleteDevice(c.DeleteDevice)
	}
}

// Users and memberships.

func (a *applier) upsertUser(n *UserNode) {
	s := a.s
	canAct := n.State == portico.StateActivated && n.Status == portico.StatusActive
	if slot, ok := s.userSlot[n.ID]; ok {
		ownSlice(&a.ownUsers, &s.users)
		u := &s.users[slot]
		u.name, u.email, u.owner, u.canAct = n.Name, n.Email, n.Owner, canAct
		return
	}
	ownSlice(&a.ownUsers, &s.users)
	ownMap(&a.ownUserSlot, &s.userSlot)
	ownSlice(&a.ownUserTables, &s.userTables)
	slot := int32(len(s.users))
	s.users = append(s.users, userRec{id: n.ID, name: n.Name, email: n.Email, owner: n.Owner, canAct: canAct, live: true})
	s.userSlot[n.ID] = slot
	s.userTables = append(s.userTables, emptyTable)
	a.newUsers[slot] = true
	a.dirty[principalKey(portico.PrincipalUser, n.ID)] = true
}

func (a *applier) deleteUser(id string) {
	s := a.s
	a.dropPrincipal(principalKey(portico.PrincipalUser, id))
	for i := range s.userGroups {
		if g := &s.userGroups[i]; g.live && slices.Contains(g.members, id) {
			ownSlice(&a.ownUserGroups, &s.userGroups)
			g = &s.userGroups[i]
			g.members = slices.DeleteFunc(slices.Clone(g.members), func(m string) bool { return m == id })
		}
	}
	slot, ok := s.userSlot[id]
	if !ok {
		return
	}
	ownSlice(&a.ownUsers, &s.users)
	ownMap(&a.ownUserSlot, &s.userSlot)
	ownSlice(&a.ownUserTables, &s.userTables)
	s.users[slot] = userRec{}
	delete(s.userSlot, id)
	s.userTables[slot] = nil
	delete(a.newUsers, slot)
}

func (a *applier) upsertUserGroup(n *UserGroupNode) {
	s := a.s
	members := make([]string, 0, len(n.MemberIDs))
	for _, m := range n.MemberIDs {
		if !slices.Contains(members, m) {
			members = append(members, m)
		}
	}
	ownSlice(&a.ownUserGroups, &s.userGroups)
	if slot, ok := s.userGroupSlot[n.ID]; ok {
		old := s.userGroups[slot].members
		s.userGroups[slot] = userGroupRec{id: n.ID, name: n.Name, members: members, live: true}
		a.updateMembers(slot, old, members)
		return
	}
	ownMap(&a.ownUserGroupSlot, &s.userGroupSlot)
	ownSlice(&a.ownGroupTables, &s.groupTables)
	slot := int32(len(s.userGroups))
	s.userGroups = append(s.userGroups, userGroupRec{id: n.ID, name: n.Name, members: members, live: true})
	s.userGroupSlot[n.ID] = slot
	s.groupTables = append(s.groupTables, emptyTable)
	a.dirty[principalKey(portico.PrincipalUserGroup, n.ID)] = true
	a.updateMembers(slot, nil, members)
}

func (a *applier) deleteUserGroup(id string) {
	s := a.s
	a.dropPrincipal(principalKey(portico.PrincipalUserGroup, id))
	slot, ok := s.userGroupSlot[id]
	if !ok {
		return
	}
	a.updateMembers(slot, s.userGroups[slot].members, nil)
	ownSlice(&a.ownUserGroups, &s.userGroups)
	ownMap(&a.ownUserGroupSlot, &s.userGroupSlot)
	ownSlice(&a.ownGroupTables, &s.groupTables)
	s.userGroups[slot] = userGroupRec{}
	delete(s.userGroupSlot, id)
	s.groupTables[slot] = nil
}

// updateMembers moves user group g out of the users that left it and into those that joined.
func (a *applier) updateMembers(g int32, old, members []string) {
	s := a.s
	for _, id := range old {
		if slices.Contains(members, id) {
			continue
		}
		if u, ok := s.userSlot[id]; ok && !a.newUsers[u] {
			ownSlice(&a.ownUsers, &s.users)
			s.users[u].groups = slices.DeleteFunc(slices.Clone(s.users[u].groups), func(x int32) bool { return x == g })
		}
	}
	for _, id := range members {
		if slices.Contains(old, id) {
			continue
		}
		if u, ok := s.userSlot[id]; ok && !a.newUsers[u] {
			ownSlice(&a.ownUsers, &s.users)
			gs := s.users[u].groups
			if i, found := slices.BinarySearch(gs, g); !found {
				s.users[u].groups = slices.Insert(slices.Clone(gs), i, g)
			}
		}
	}
}

// Roles.

func (a *applier) upsertRole(n *RoleNode) {
	ownMap(&a.ownRoles, &a.s.roles)
	a.s.roles[n.ID] = roleRec{id: n.ID, name: n.Name, perms: n.Permissions.Intersect(permAll).Expand()}
	a.changedRoles[n.ID] = true
}

func (a *applier) deleteRole(id string) {
	a.dropWhere(func(x *portico.Assignment) bool { return x.RoleID == id })
	if _, ok := a.s.roles[id]; ok {
		ownMap(&a.ownRoles, &a.s.roles)
		delete(a.s.roles, id)
	}
}

// Assignments.

func (a *applier) upsertAssignment(n *portico.Assignment) {
	s := a.s
	x := *n
	if n.ExpiresAt != nil {
		t := *n.ExpiresAt
		x.ExpiresAt = &t
	}
	key := principalKey(x.PrincipalType, x.PrincipalID)
	if old, ok := s.assigns.get(x.ID); ok {
		if oldKey := principalKey(old.PrincipalType, old.PrincipalID); oldKey != key {
			a.removeAssignment(x.ID)
		} else {
			// Same principal: the id is already in its list.
			a.countScope(old, -1)
			s.assigns.set(x.ID, &x, &a.assignShards)
			a.countScope(&x, 1)
			a.dirty[key] = true
			return
		}
	}
	s.assigns.set(x.ID, &x, &a.assignShards)
	a.countScope(&x, 1)
	ids, _ := s.byPrincipal.get(key)
	if !a.fresh {
		ids = slices.Clip(ids) // never append into an array an older snapshot shares
	}
	s.byPrincipal.set(key, append(ids, x.ID), &a.principalShards)
	a.dirty[key] = true
}

func (a *applier) removeAssignment(id string) {
	s := a.s
	old, ok := s.assigns.get(id)
	if !ok {
		return
	}
	s.assigns.del(id, &a.assignShards)
	a.countScope(old, -1)
	key := principalKey(old.PrincipalType, old.PrincipalID)
	ids, _ := s.byPrincipal.get(key)
	ids = slices.DeleteFunc(slices.Clone(ids), func(x string) bool { return x == id })
	if len(ids) == 0 {
		s.byPrincipal.del(key, &a.principalShards)
	} else {
		s.byPrincipal.set(key, ids, &a.principalShards)
	}
	a.dirty[key] = true
}

// countScope adds delta to the count of assignments scoped to x's device, if x is scoped to one.
func (a *applier) countScope(x *portico.Assignment, delta int32) {
	if x.ScopeType != portico.ScopeTypeDevice {
		return
	}
	n, _ := a.s.deviceScopes.get(x.ScopeID)
	if n += delta; n > 0 {
		a.s.deviceScopes.set(x.ScopeID, n, &a.scopeShards)
	} else {
		a.s.deviceScopes.del(x.ScopeID, &a.scopeShards)
	}
}

// dropPrincipal removes every assignment of a principal.
func (a *applier) dropPrincipal(key string) {
	ids, _ := a.s.byPrincipal.get(key)
	for _, id := range slices.Clone(ids) {
		a.removeAssignment(id)
	}
}

// dropWhere removes the assignments that match; it scans them all, which is fine for deletions of
// roles, groups and devices (50,000 assignments take well under a millisecond).
func (a *applier) dropWhere(match func(*portico.Assignment) bool) {
	var ids []string
	a.s.assigns.all(func(id string, x *portico.Assignment) {
		if match(x) {
			ids = append(ids, id)
		}
	})
	for _, id := range ids {
		a.removeAssignment(id)
	}
}

// Device groups.

// reservedGroupID reports ids that cannot name a real group: "" means "no parent", and Unassigned is
// the folder outside the tree.
func reservedGroupID(id string) bool { return id == "" || id == portico.UnassignedGroupID }

func (a *applier) upsertGroup(n *GroupNode) {
	if reservedGroupID(n.ID) {
		return
	}
	s := a.s
	rec := groupRec{id: n.ID, name: n.Name, parentID: n.ParentID, settings: maps.Clone(n.Settings), live: true}
	ownSlice(&a.ownGroups, &s.groups)
	a.treeDirty = true
	if slot, ok := s.groupSlot[n.ID]; ok {
		s.groups[slot] = rec
		return
	}
	ownMap(&a.ownGroupSlot, &s.groupSlot)
	ownSlice(&a.ownGroupDevs, &s.groupDevs)
	slot := int32(len(s.groups))
	s.groups = append(s.groups, rec)
	s.groupSlot[n.ID] = slot
	s.groupDevs = append(s.groupDevs, nil)
	a.changedGroups[n.ID] = true
	if s.orphans > 0 {
		for d := range s.devices.len() {
			if dev := s.devices.at(d); dev.live && dev.group == noGroup && dev.groupID == n.ID {
				a.device(d).group = slot
				s.orphans--
				a.addToGroup(slot, d)
			}
		}
	}
}

func (a *applier) deleteGroup(id string) {
	a.dropWhere(func(x *portico.Assignment) bool {
		return x.ScopeType == portico.ScopeTypeDeviceGroup && x.ScopeID == id
	})
	s := a.s
	slot, ok := s.groupSlot[id]
	if !ok {
		return
	}
	for _, d := range s.groupDevs[slot] {
		a.device(d).group = noGroup
		s.orphans++
	}
	ownSlice(&a.ownGroupDevs, &s.groupDevs)
	ownSlice(&a.ownGroups, &s.groups)
	ownMap(&a.ownGroupSlot, &s.groupSlot)
	s.groupDevs[slot] = nil
	s.groups[slot] = groupRec{}
	delete(s.groupSlot, id)
	a.treeDirty = true
}

// Devices.

func (a *applier) resolveGroup(id string) int32 {
	if id == portico.UnassignedGroupID {
		return inUnassigned
	}
	if g, ok := a.s.groupSlot[id]; ok {
		return g
	}
	return noGroup
}

// addToGroup and removeFromGroup keep groupDevs and unassigned in step with a device's group.
func (a *applier) addToGroup(g, d int32) {
	s := a.s
	switch {
	case g == inUnassigned:
		if !a.ownUnassigned {
			s.unassigned = slices.Clip(s.unassigned)
			a.ownUnassigned = true
		}
		s.unassigned = append(s.unassigned, d)
	case g >= 0:
		ownSlice(&a.ownGroupDevs, &s.groupDevs)
		if !a.fresh && !a.ownLists[g] {
			s.groupDevs[g] = slices.Clip(s.groupDevs[g])
			a.ownLists[g] = true
		}
		s.groupDevs[g] = append(s.groupDevs[g], d)
	default:
		s.orphans++
	}
}

func (a *applier) removeFromGroup(g, d int32) {
	s := a.s
	drop := func(x int32) bool { return x == d }
	switch {
	case g == inUnassigned:
		s.unassigned = slices.DeleteFunc(slices.Clone(s.unassigned), drop)
		a.ownUnassigned = true
	case g >= 0:
		ownSlice(&a.ownGroupDevs, &s.groupDevs)
		s.groupDevs[g] = slices.DeleteFunc(slices.Clone(s.groupDevs[g]), drop)
		a.ownLists[g] = true
	default:
		s.orphans--
	}
}

func (a *applier) upsertDevice(n *DeviceNode) {
	s := a.s
	g := a.resolveGroup(n.GroupID)
	rec := deviceRec{id: n.ID, name: n.Name, groupID: n.GroupID, group: g, live: true}
	if slot, ok := s.deviceSlot.get(n.ID); ok {
		old := *s.devices.at(slot)
		if old.group != g {
			a.removeFromGroup(old.group, slot)
			a.addToGroup(g, slot)
		}
		if old.name != n.Name {
			a.reorder[slot] = true
		}
		*a.device(slot) = rec
		return
	}
	slot := a.appendDevice(rec)
	s.deviceSlot.set(n.ID, slot, &a.deviceShards)
	a.addToGroup(g, slot)
	a.reorder[slot] = true
	a.changedDevices[n.ID] = true
}

func (a *applier) deleteDevice(id string) {
	a.dropWhere(func(x *portico.Assignment) bool {
		return x.ScopeType == portico.ScopeTypeDevice && x.ScopeID == id
	})
	s := a.s
	slot, ok := s.deviceSlot.get(id)
	if !ok {
		return
	}
	a.removeFromGroup(s.devices.at(slot).group, slot)
	*a.device(slot) = deviceRec{}
	s.deviceSlot.del(id, &a.deviceShards)
	a.reorder[slot] = true
}

// finish recomputes what the changes made stale and returns the snapshot.
func (a *applier) finish() *Snapshot {
	s := a.s
	if a.treeDirty {
		s.tree = buildTree(s.groups, s.groupSlot)
	}

	// New users learn their memberships from the user groups, in one pass over all of them.
	if len(a.newUsers) > 0 {
		ownSlice(&a.ownUsers, &s.users)
		for u := range a.newUsers {
			s.users[u].groups = nil
		}
		for g := range s.userGroups {
			for _, m := range s.userGroups[g].members {
				if u, ok := s.userSlot[m]; ok && a.newUsers[u] {
					s.users[u].groups = append(s.users[u].groups, int32(g))
				}
			}
		}
	}

	// Grant tables: a fresh build makes them all; otherwise those of the principals whose
	// assignments changed or name a role, group or device that changed.
	if a.fresh {
		for u := range s.users {
			if s.users[u].live {
				s.userTables[u] = s.buildTable(principalKey(portico.PrincipalUser, s.users[u].id))
			}
		}
		for g := range s.userGroups {
			if s.userGroups[g].live {
				s.groupTables[g] = s.buildTable(principalKey(portico.PrincipalUserGroup, s.userGroups[g].id))
			}
		}
	} else {
		// A new device matters only to assignments already scoped to it (made before it was known).
		scoped := false
		for id := range a.changedDevices {
			if _, ok := s.deviceScopes.get(id); ok {
				scoped = true
				break
			}
		}
		if len(a.changedRoles)+len(a.changedGroups) > 0 || scoped {
			s.assigns.all(func(_ string, x *portico.Assignment) {
				if a.changedRoles[x.RoleID] ||
					(x.ScopeType == portico.ScopeTypeDeviceGroup && a.changedGroups[x.ScopeID]) ||
					(x.ScopeType == portico.ScopeTypeDevice && a.changedDevices[x.ScopeID]) {
					a.dirty[principalKey(x.PrincipalType, x.PrincipalID)] = true
				}
			})
		}
		for key := range a.dirty {
			a.rebuildTable(key)
		}
	}

	if a.fresh || len(a.reorder) > 0 {
		a.rebuildOrder()
	}
	return s
}

// rebuildTable replaces the grant table of the principal a key names, if it exists.
func (a *applier) rebuildTable(key string) {
	s := a.s
	typ, id, _ := cutKey(key)
	switch typ {
	case portico.PrincipalUser:
		if slot, ok := s.userSlot[id]; ok {
			ownSlice(&a.ownUserTables, &s.userTables)
			s.userTables[slot] = s.buildTable(key)
		}
	case portico.PrincipalUserGroup:
		if slot, ok := s.userGroupSlot[id]; ok {
			ownSlice(&a.ownGroupTables, &s.groupTables)
			s.groupTables[slot] = s.buildTable(key)
		}
	}
}

func cutKey(key string) (portico.PrincipalType, string, bool) {
	for i := 0; i < len(key); i++ {
		if key[i] == ':' {
			return portico.PrincipalType(key[:i]), key[i+1:], true
		}
	}
	return "", key, false
}

// rebuildOrder updates the name order of the devices. A few moved devices are merged into the
// existing order in linear time; a fresh build sorts everything.
func (a *applier) rebuildOrder() {
	s := a.s
	less := func(x, y int32) int { return compareDevices(s.devices.at(x), s.devices.at(y)) }
	var order []int32
	var ids []string
	if a.fresh {
		order = make([]int32, 0, s.devices.len())
		for d := range s.devices.len() {
			if s.devices.at(d).live {
				order = append(order, d)
			}
		}
		slices.SortFunc(order, less)
		ids = make([]string, len(order))
		for i, d := range order {
			ids[i] = s.devices.at(d).id
		}
	} else {
		// The devices that changed leave their old places (found through the old rank) and are put
		// back where a binary search over the others says; everything else is copied a run at a time
		// with its id. So a change of one device costs a few comparisons and one copy of the arrays,
		// rather than a comparison with, and a read of, every device.
		var moved, gone []int32
		for d := range a.reorder {
			if s.devices.at(d).live {
				moved = append(moved, d)
			}
			if int(d) < len(s.rank) {
				if p := s.rank[d]; int(p) < len(s.order) && s.order[p] == d {
					gone = append(gone, p)
				}
			}
		}
		slices.SortFunc(moved, less)
		slices.Sort(gone)
		// oldPos maps an index into the old order without the gone places to an index into it.
		oldPos := func(k int) int {
			for _, g := range gone {
				if int(g) > k {
					break
				}
				k++
			}
			return k
		}
		kept := len(s.order) - len(gone)
		order = make([]int32, 0, kept+len(moved))
		ids = make([]string, 0, kept+len(moved))
		from, g := 0, 0 // the next old place to copy, and the next gone place to skip
		copyTo := func(to int) {
			for from < to {
				end := to
				if g < len(gone) && int(gone[g]) < end {
					end = int(gone[g])
				}
				order = append(order, s.order[from:end]...)
				ids = append(ids, s.orderIDs[from:end]...)
				from = end
				if g < len(gone) && int(gone[g]) == from {
					from++
					g++
				}
			}
		}
		lo := 0
		for _, m := range moved {
			at := lo + sort.Search(kept-lo, func(k int) bool { return less(s.order[oldPos(lo+k)], m) > 0 })
			to := len(s.order)
			if at < kept {
				to = oldPos(at)
			}
			copyTo(to)
			order = append(order, m)
			ids = append(ids, s.devices.at(m).id)
			lo = at
		}
		copyTo(len(s.order))
	}
	rank := make([]int32, s.devices.len())
	for i, d := range order {
		rank[d] = int32(i)
	}
	s.order, s.rank, s.orderIDs = order, rank, ids
}
