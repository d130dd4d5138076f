package authz

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"github.com/portico-dev/portico"
)

// This file holds the snapshot's internal indexes. Every object gets a slot (an index into a slice)
// that never changes while the object lives, so that the precomputed grant tables can refer to groups
// and devices by a small integer, and a change to one object leaves the slots of all others valid.

// Catalogue facts, looked up by permission index in the hot path instead of through the catalogue's
// maps and slices.
type permMeta struct {
	scope   portico.PermissionScope
	remote  bool
	feature portico.Feature
	gate    uint16 // the feature's bit in a group's off mask; 0 when no setting gates the permission
}

var (
	permIndex     map[portico.Permission]int
	permMetas     []permMeta
	permAll       portico.PermissionSet
	scopeAccount  portico.PermissionSet
	scopeTree     portico.PermissionSet
	scopeOnDemand portico.PermissionSet
	remoteSet     portico.PermissionSet
	// featureBit maps each group setting to its bit in an off mask; gatedBy lists, per bit, the
	// permissions that the setting removes when off.
	featureBit map[portico.Feature]uint16
	gatedBy    []portico.PermissionSet
	// defaultOff is the off mask of a group that sets nothing and has no parent (and of Unassigned).
	defaultOff uint16
)

func init() {
	featureBit = make(map[portico.Feature]uint16, len(portico.Features))
	for i, f := range portico.Features {
		featureBit[f.Feature] = 1 << i
		gatedBy = append(gatedBy, portico.GatedPermissions(f.Feature))
		if !f.Default {
			defaultOff |= 1 << i
		}
	}
	cat := portico.Catalogue()
	permIndex = make(map[portico.Permission]int, len(cat))
	permMetas = make([]permMeta, len(cat))
	for _, p := range cat {
		i := p.ID.Index()
		permIndex[p.ID] = i
		permMetas[i] = permMeta{scope: p.Scope, remote: p.Remote, feature: p.GatedBy, gate: featureBit[p.GatedBy]}
	}
	permAll = portico.AllPermissions()
	scopeAccount = portico.ScopeSet(portico.ScopeAccountOnly)
	scopeTree = portico.ScopeSet(portico.ScopeTree)
	scopeOnDemand = portico.ScopeSet(portico.ScopeOnDemand)
	remoteSet = portico.RemoteSet()
}

// gatedOff returns the permissions that the settings in an off mask remove.
func gatedOff(off uint16) portico.PermissionSet {
	var s portico.PermissionSet
	for i := range gatedBy {
		if off&(1<<i) != 0 {
			s = s.Union(gatedBy[i])
		}
	}
	return s
}

// numShards splits the big id maps (devices, assignments) so that a change copies one shard, not the
// whole map.
const numShards = 64

// shardedMap is a copy-on-write map from string ids to V. Copying the struct copies only the 64 shard
// pointers; set and del clone a shard the first time a batch of changes touches it.
type shardedMap[V any] struct {
	shards [numShards]map[string]V
}

// shardOf hashes an id with FNV-1a: cheap, allocation-free and good enough for random ids.
func shardOf(k string) int {
	h := uint32(2166136261)
	for i := 0; i < len(k); i++ {
		h ^= uint32(k[i])
		h *= 16777619
	}
	return int(h % numShards)
}

func (m *shardedMap[V]) get(k string) (V, bool) {
	v, ok := m.shards[shardOf(k)][k]
	return v, ok
}

// own makes shard i private to the current batch; owned records which shards already are.
func (m *shardedMap[V]) own(i int, owned *[numShards]bool) {
	if !owned[i] {
		m.shards[i] = maps.Clone(m.shards[i])
		if m.shards[i] == nil {
			m.shards[i] = map[string]V{}
		}
		owned[i] = true
	}
}

func (m *shardedMap[V]) set(k string, v V, owned *[numShards]bool) {
	i := shardOf(k)
	m.own(i, owned)
	if m.shards[i] == nil { // a nil shard is shared by nobody
		m.shards[i] = map[string]V{}
	}
	m.shards[i][k] = v
}

func (m *shardedMap[V]) del(k string, owned *[numShards]bool) {
	i := shardOf(k)
	if _, ok := m.shards[i][k]; !ok {
		return
	}
	m.own(i, owned)
	delete(m.shards[i], k)
}

// all calls fn for every entry, in no particular order.
func (m *shardedMap[V]) all(fn func(k string, v V)) {
	for _, sh := range m.shards {
		for k, v := range sh {
			fn(k, v)
		}
	}
}

// Slot values of a device's group besides a real group's slot.
const (
	inUnassigned int32 = -1 // the device is in Unassigned
	noGroup      int32 = -2 // the device's group is unknown: the device is treated as not found
)

type userRec struct {
	id, name, email string
	owner           bool
	canAct          bool // activated and active
	live            bool
	groups          []int32 // slots of the live user groups the user belongs to, ascending
}

type userGroupRec struct {
	id, name string
	members  []string // member user ids as given, without duplicates
	live     bool
}

type roleRec struct {
	id, name string
	perms    portico.PermissionSet // with implications expanded
}

type groupRec struct {
	id, name, parentID string
	settings           portico.GroupSettings
	live               bool
}

type deviceRec struct {
	id, name, groupID string
	group             int32 // resolved groupID: a group slot, inUnassigned or noGroup
	live              bool
}

// groupTree is derived from the group records whenever a group changes: 5,000 groups take well under
// a millisecond, so it is simply rebuilt.
type groupTree struct {
	parent []int32  // by group slot; -1 for a root (and for dead slots)
	off    []uint16 // features effectively off at the group, own setting or inherited
	// preorder lists live groups depth first; the subtree of g is preorder[pre[g]:end[g]].
	preorder []int32
	pre, end []int32
}

// buildTree resolves parent ids and derives everything else. A parent that does not exist makes the
// group a root; groups caught in a parent cycle all become roots, so the result does not depend on
// the order in which the groups were given.
func buildTree(groups []groupRec, slotOf map[string]int32) *groupTree {
	n := len(groups)
	t := &groupTree{
		parent: make([]int32, n),
		off:    make([]uint16, n),
		pre:    make([]int32, n),
		end:    make([]int32, n),
	}
	for i := range groups {
		t.parent[i] = -1
		if !groups[i].live {
			continue
		}
		if p, ok := slotOf[groups[i].parentID]; ok && groups[p].live {
			t.parent[i] = p
		}
	}
	const (
		unseen = iota
		onPath
		done
	)
	state := make([]uint8, n)
	var path []int32
	for i := range groups {
		if !groups[i].live || state[i] != unseen {
			continue
		}
		path = path[:0]
		x := int32(i)
		for x >= 0 && state[x] == unseen {
			state[x] = onPath
			path = append(path, x)
			x = t.parent[x]
		}
		if x >= 0 && state[x] == onPath {
			at := slices.Index(path, x)
			for _, y := range path[at:] {
				t.parent[y] = -1
			}
		}
		for _, y := range path {
			state[y] = done
		}
	}

	// Children in CSR form, then an iterative depth-first walk.
	first := make([]int32, n+1)
	for i := range groups {
		if groups[i].live && t.parent[i] >= 0 {
			first[t.parent[i]+1]++
		}
	}
	for i := 1; i <= n; i++ {
		first[i] += first[i-1]
	}
	kids := make([]int32, first[n])
	fill := slices.Clone(first[:n])
	for i := range groups {
		if groups[i].live && t.parent[i] >= 0 {
			p := t.parent[i]
			kids[fill[p]] = int32(i)
			fill[p]++
		}
	}
	t.preorder = make([]int32, 0, n)
	var stack []int32
	for i := range groups {
		if !groups[i].live || t.parent[i] >= 0 {
			continue
		}
		stack = append(stack[:0], int32(i))
		for len(stack) > 0 {
			g := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if g < 0 { // a marker: the subtree of ^g is complete
				t.end[^g] = int32(len(t.preorder))
				continue
			}
			t.pre[g] = int32(len(t.preorder))
			t.preorder = append(t.preorder, g)
			off := defaultOff
			if p := t.parent[g]; p >= 0 {
				off = t.off[p]
			}
			for f, on := range groups[g].settings {
				if bit, ok := featureBit[f]; ok {
					if on {
						off &^= bit
					} else {
						off |= bit
					}
				}
			}
			t.off[g] = off
			stack = append(stack, ^g)
			for k := first[g+1] - 1; k >= first[g]; k-- {
				stack = append(stack, kids[k])
			}
		}
	}
	return t
}

// Kinds of scope a resolved assignment applies at.
type grantKind uint8

const (
	kindAccount grantKind = iota
	kindTeam
	kindOnDemand
	kindGroup
	kindDevice
)

// timedGrant is an assignment with an expiry, kept aside and checked at query time.
type timedGrant struct {
	kind    grantKind
	slot    int32 // group or device slot for kindGroup and kindDevice
	set     portico.PermissionSet
	expires time.Time
}

// grantTable is what one principal (a user or a user group) is granted by its own assignments,
// precomputed: every set is already narrowed to the permissions that count at that kind of scope
// (account-only permissions only from account and Team assignments, and so on), so a lookup never
// needs to look at scopes again.
type grantTable struct {
	account  portico.PermissionSet           // account-level assignments: every permission counts
	team     portico.PermissionSet           // Team section: account-scope permissions
	onDemand portico.PermissionSet           // On-demand section: on-demand permissions
	groups   map[int32]portico.PermissionSet // by group slot: tree permissions
	devices  map[int32]portico.PermissionSet // by device slot: tree permissions
	nodes    portico.PermissionSet           // union of groups and devices, to skip the lookups
	timed    []timedGrant
	timedAny portico.PermissionSet // union of the timed sets
}

var emptyTable = &grantTable{}

// principalKey names a principal in byPrincipal.
func principalKey(t portico.PrincipalType, id string) string { return string(t) + ":" + id }

// resolveAssignment says where an assignment applies and which permissions it makes count there, or
// ok=false when it refers to something unknown (then it grants nothing until that thing appears).
func (s *Snapshot) resolveAssignment(a *portico.Assignment) (kind grantKind, slot int32, set portico.PermissionSet, ok bool) {
	if a.AccountID != "" && a.AccountID != s.accountID {
		return 0, 0, set, false
	}
	role, ok := s.roles[a.RoleID]
	if !ok {
		return 0, 0, set, false
	}
	switch a.ScopeType {
	case portico.ScopeTypeAccount:
		return kindAccount, -1, role.perms, true
	case portico.ScopeTypeSection:
		switch a.ScopeID {
		case portico.SectionTeam:
			return kindTeam, -1, role.perms.Intersect(scopeAccount), true
		case portico.SectionOnDemand:
			return kindOnDemand, -1, role.perms.Intersect(scopeOnDemand), true
		}
	case portico.ScopeTypeDeviceGroup:
		if g, ok := s.groupSlot[a.ScopeID]; ok {
			return kindGroup, g, role.perms.Intersect(scopeTree), true
		}
	case portico.ScopeTypeDevice:
		if d, ok := s.deviceSlot.get(a.ScopeID); ok {
			return kindDevice, d, role.perms.Intersect(scopeTree), true
		}
	}
	return 0, 0, set, false
}

// buildTable computes a principal's grant table from its assignments.
func (s *Snapshot) buildTable(key string) *grantTable {
	ids, _ := s.byPrincipal.get(key)
	if len(ids) == 0 {
		return emptyTable
	}
	t := &grantTable{}
	for _, id := range ids {
		a, ok := s.assigns.get(id)
		if !ok {
			continue
		}
		kind, slot, set, ok := s.resolveAssignment(a)
		if !ok || set.IsEmpty() {
			continue
		}
		if a.ExpiresAt != nil {
			t.timed = append(t.timed, timedGrant{kind: kind, slot: slot, set: set, expires: *a.ExpiresAt})
			t.timedAny = t.timedAny.Union(set)
			continue
		}
		switch kind {
		case kindAccount:
			t.account = t.account.Union(set)
		case kindTeam:
			t.team = t.team.Union(set)
		case kindOnDemand:
			t.onDemand = t.onDemand.Union(set)
		case kindGroup:
			if t.groups == nil {
				t.groups = map[int32]portico.PermissionSet{}
			}
			t.groups[slot] = t.groups[slot].Union(set)
			t.nodes = t.nodes.Union(set)
		case kindDevice:
			if t.devices == nil {
				t.devices = map[int32]portico.PermissionSet{}
			}
			t.devices[slot] = t.devices[slot].Union(set)
			t.nodes = t.nodes.Union(set)
		}
	}
	return t
}

// compareDevices orders devices by name, then id: the order of ListDevices.
func compareDevices(a, b *deviceRec) int {
	if c := cmp.Compare(a.name, b.name); c != 0 {
		return c
	}
	return cmp.Compare(a.id, b.id)
}
