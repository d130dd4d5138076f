package authz

import (
	"time"

	"github.com/portico-dev/portico"
)

// Snapshot is an immutable view of one account's access graph. Every method is safe for concurrent use.
//
// Layout: every user, user group, device group and device has a stable slot in a slice. Each principal
// (user or user group) has a precomputed grant table (see grantTable) built from its own assignments;
// a decision looks at the tables of the user and of the user's groups, at the target's device and at
// the target's group and its ancestors (parent slots, a handful of steps). Apply copies only the
// slices, shards and tables that a change touches, so snapshots share almost everything.
type Snapshot struct {
	accountID string

	userSlot map[string]int32
	users    []userRec

	userGroupSlot map[string]int32
	userGroups    []userGroupRec

	roles map[string]roleRec

	groupSlot map[string]int32 // live groups only
	groups    []groupRec
	tree      *groupTree

	deviceSlot shardedMap[int32] // live devices only
	devices    deviceTable
	groupDevs  [][]int32 // by group slot: the slots of the devices in the group
	unassigned []int32   // the slots of the devices in Unassigned
	orphans    int       // live devices whose group is unknown
	// order lists live device slots by name, then id; rank is the inverse (by device slot), and
	// orderIDs the device ids in that order, so that ListDevices reads them sequentially.
	order    []int32
	rank     []int32
	orderIDs []string

	assigns     shardedMap[*portico.Assignment]
	byPrincipal shardedMap[[]string] // principal key → its assignment ids, ascending
	// deviceScopes counts the assignments scoped to each device id, known or not yet, so that a new
	// device only sends the applier through all assignments when one names it.
	deviceScopes shardedMap[int32]
	userTables   []*grantTable // by user slot
	groupTables  []*grantTable // by user group slot
}

// New builds a snapshot from a graph. Unknown references (an assignment to a missing role, a device in
// a missing group) are ignored rather than trusted.
//
// In detail: a device whose group is unknown is treated as not found; a group whose parent is unknown
// is a top-level group (and groups in a parent cycle are all top-level); an assignment to an unknown
// principal, role, group or device, or of another account, grants nothing; member ids of unknown users
// are ignored. Each of these takes effect as soon as a later change supplies the missing object. When
// ids repeat, the last object wins.
func New(g Graph) *Snapshot {
	s := &Snapshot{
		accountID:     g.AccountID,
		userSlot:      map[string]int32{},
		userGroupSlot: map[string]int32{},
		roles:         map[string]roleRec{},
		groupSlot:     map[string]int32{},
		tree:          buildTree(nil, nil),
	}
	changes := make([]Change, 0, len(g.Users)+len(g.UserGroups)+len(g.Roles)+len(g.Groups)+len(g.Devices)+len(g.Assignments))
	for i := range g.Users {
		changes = append(changes, Change{UpsertUser: &g.Users[i]})
	}
	for i := range g.UserGroups {
		changes = append(changes, Change{UpsertUserGroup: &g.UserGroups[i]})
	}
	for i := range g.Roles {
		changes = append(changes, Change{UpsertRole: &g.Roles[i]})
	}
	for i := range g.Groups {
		changes = append(changes, Change{UpsertGroup: &g.Groups[i]})
	}
	for i := range g.Devices {
		changes = append(changes, Change{UpsertDevice: &g.Devices[i]})
	}
	for i := range g.Assignments {
		changes = append(changes, Change{UpsertAssignment: &g.Assignments[i]})
	}
	// A fresh snapshot shares nothing, so the applier may write everywhere without copying.
	a := newApplier(s, true)
	for _, c := range changes {
		a.apply(c)
	}
	return a.finish()
}

// AccountID is the account the snapshot describes.
func (s *Snapshot) AccountID() string { return s.accountID }

// Sections a target may name.
const (
	sectionTeam uint8 = iota + 1
	sectionOnDemand
)

// resolved is a target turned into slots.
type resolved struct {
	kind    TargetKind
	section uint8
	group   int32 // the group, or the device's group: a slot or inUnassigned; noGroup otherwise
	device  int32 // the device slot, or -1
}

// resolve looks the target up; ok=false means not found. An account target may carry the snapshot's
// account id or none.
func (s *Snapshot) resolve(t Target) (resolved, bool) {
	r := resolved{kind: t.Kind, group: noGroup, device: -1}
	switch t.Kind {
	case TargetAccount:
		return r, t.ID == "" || t.ID == s.accountID
	case TargetSection:
		switch t.ID {
		case portico.SectionTeam:
			r.section = sectionTeam
		case portico.SectionOnDemand:
			r.section = sectionOnDemand
		default:
			return r, false
		}
		return r, true
	case TargetDeviceGroup:
		if t.ID == portico.UnassignedGroupID {
			r.group = inUnassigned
			return r, true
		}
		g, ok := s.groupSlot[t.ID]
		r.group = g
		return r, ok
	case TargetDevice:
		d, ok := s.deviceSlot.get(t.ID)
		if !ok || s.devices.at(d).group == noGroup {
			return r, false
		}
		r.device, r.group = d, s.devices.at(d).group
		return r, true
	}
	return r, false
}

// onTree reports whether the target is a device or a device group (Unassigned included), where
// licences and group settings apply.
func (r *resolved) onTree() bool { return r.kind == TargetDeviceGroup || r.kind == TargetDevice }

// offMask is the target's features switched off; Unassigned sets nothing and so has the defaults.
func (s *Snapshot) offMask(r *resolved) uint16 {
	if r.group >= 0 {
		return s.tree.off[r.group]
	}
	return defaultOff
}

// lookup finds the user, permission and target of a query.
func (s *Snapshot) lookup(userID string, perm portico.Permission, t Target) (int32, int, resolved, bool) {
	slot, ok := s.userSlot[userID]
	if !ok {
		return 0, 0, resolved{}, false
	}
	pi, ok := permIndex[perm]
	if !ok {
		return 0, 0, resolved{}, false
	}
	r, ok := s.resolve(t)
	if !ok {
		return 0, 0, resolved{}, false
	}
	return slot, pi, r, true
}

// refusal applies the rules that refuse whatever the grants (docs/authorization.md §2), in order, and returns
// ReasonGranted when none refuses.
func (s *Snapshot) refusal(u *userRec, pi int, r *resolved) Reason {
	if !u.canAct {
		return ReasonUserInactive
	}
	m := &permMetas[pi]
	if m.remote && r.onTree() && r.group == inUnassigned {
		return ReasonUnlicensed
	}
	if m.gate != 0 && r.onTree() && s.offMask(r)&m.gate != 0 {
		return ReasonSettingOff
	}
	return ReasonGranted
}

// Decide answers a query (docs/authorization.md §2). Refusals come in this order: not found (unknown user, target or
// permission), user inactive, unlicensed (a remote action on a device in Unassigned or on Unassigned
// itself), setting off (for the owner too); then the owner holds everything and anyone else needs an
// unexpired assignment that reaches the target and whose role holds the permission. It does not
// allocate.
func (s *Snapshot) Decide(q Query) Decision {
	slot, pi, r, ok := s.lookup(q.UserID, q.Permission, q.Target)
	if !ok {
		return Decision{Reason: ReasonNotFound}
	}
	u := &s.users[slot]
	if why := s.refusal(u, pi, &r); why != ReasonGranted {
		return Decision{Reason: why}
	}
	if u.owner {
		return Decision{Allowed: true, Reason: ReasonOwner}
	}
	if s.userTables[slot].grants(s, pi, &r, q.At) {
		return Decision{Allowed: true, Reason: ReasonGranted}
	}
	for _, g := range u.groups {
		if s.groupTables[g].grants(s, pi, &r, q.At) {
			return Decision{Allowed: true, Reason: ReasonGranted}
		}
	}
	return Decision{Reason: ReasonNoGrant}
}

// grants reports whether the table grants permission pi on the target at time at.
func (t *grantTable) grants(s *Snapshot, pi int, r *resolved, at time.Time) bool {
	if t.account.HasIndex(pi) {
		return true
	}
	switch r.kind {
	case TargetAccount:
		// Section assignments apply across the account, so they answer account-level questions.
		if t.team.HasIndex(pi) || t.onDemand.HasIndex(pi) {
			return true
		}
	case TargetSection:
		if (r.section == sectionTeam && t.team.HasIndex(pi)) || (r.section == sectionOnDemand && t.onDemand.HasIndex(pi)) {
			return true
		}
	default:
		if t.nodes.HasIndex(pi) {
			if r.device >= 0 && t.devices[r.device].HasIndex(pi) {
				return true
			}
			if len(t.groups) > 0 {
				for g := r.group; g >= 0; g = s.tree.parent[g] {
					if t.groups[g].HasIndex(pi) {
						return true
					}
				}
			}
		}
	}
	if t.timedAny.HasIndex(pi) {
		for i := range t.timed {
			tg := &t.timed[i]
			if tg.set.HasIndex(pi) && at.Before(tg.expires) && s.reaches(tg.kind, tg.slot, r) {
				return true
			}
		}
	}
	return false
}

// reaches reports whether an assignment of the given kind and slot applies to the target.
func (s *Snapshot) reaches(kind grantKind, slot int32, r *resolved) bool {
	switch kind {
	case kindAccount:
		return true
	case kindTeam:
		return r.kind == TargetAccount || (r.kind == TargetSection && r.section == sectionTeam)
	case kindOnDemand:
		return r.kind == TargetAccount || (r.kind == TargetSection && r.section == sectionOnDemand)
	case kindDevice:
		return r.device == slot
	case kindGroup:
		if !r.onTree() {
			return false
		}
		for g := r.group; g >= 0; g = s.tree.parent[g] {
			if g == slot {
				return true
			}
		}
	}
	return false
}

// held is the union of what the table grants on the target at time at.
func (t *grantTable) held(s *Snapshot, r *resolved, at time.Time) portico.PermissionSet {
	set := t.account
	switch r.kind {
	case TargetAccount:
		set = set.Union(t.team).Union(t.onDemand)
	case TargetSection:
		if r.section == sectionTeam {
			set = set.Union(t.team)
		} else {
			set = set.Union(t.onDemand)
		}
	default:
		if r.device >= 0 {
			set = set.Union(t.devices[r.device])
		}
		if len(t.groups) > 0 {
			for g := r.group; g >= 0; g = s.tree.parent[g] {
				set = set.Union(t.groups[g])
			}
		}
	}
	for i := range t.timed {
		tg := &t.timed[i]
		if at.Before(tg.expires) && s.reaches(tg.kind, tg.slot, r) {
			set = set.Union(tg.set)
		}
	}
	return set
}

// Effective returns every permission the user holds on the target at q.At (q.Permission is ignored):
// exactly the permissions for which Decide would allow. An unknown or inactive user holds nothing.
func (s *Snapshot) Effective(q Query) portico.PermissionSet {
	slot, ok := s.userSlot[q.UserID]
	if !ok {
		return portico.PermissionSet{}
	}
	u := &s.users[slot]
	r, ok := s.resolve(q.Target)
	if !ok || !u.canAct {
		return portico.PermissionSet{}
	}
	var set portico.PermissionSet
	if u.owner {
		set = permAll
	} else {
		set = s.userTables[slot].held(s, &r, q.At)
		for _, g := range u.groups {
			set = set.Union(s.groupTables[g].held(s, &r, q.At))
		}
	}
	return set.Minus(s.blocked(&r))
}

// blocked is what the licence and setting rules remove on a target, whoever asks.
func (s *Snapshot) blocked(r *resolved) portico.PermissionSet {
	var b portico.PermissionSet
	if !r.onTree() {
		return b
	}
	if r.group == inUnassigned {
		b = remoteSet
	}
	return b.Union(gatedOff(s.offMask(r)))
}
