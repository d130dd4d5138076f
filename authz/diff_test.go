package authz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// The differential tests generate thousands of small random accounts — with unknown references,
// expiring assignments, disabled users, devices in Unassigned and groups whose parent is gone — and
// compare the engine with the reference on random queries, before and after random changes.

var (
	baseTime    = time.Date(2030, 1, 1, 12, 0, 0, 0, time.UTC)
	catalogue   = portico.Catalogue()
	featureList = portico.Features
)

// gen draws ids from small spaces so that references often miss, and often hit objects that a later
// change creates.
type gen struct {
	r       *rand.Rand
	account string
	// ids of the objects that exist, to aim references at them
	groups, users, userGroups, roles, devices []string
}

// ref names an existing object most of the time, else any id of the space.
func (g *gen) ref(existing []string, prefix string, space int) string {
	if len(existing) > 0 && g.chance(0.8) {
		return existing[g.r.IntN(len(existing))]
	}
	return g.id(prefix, space)
}

func (g *gen) id(prefix string, n int) string { return fmt.Sprintf("%s%d", prefix, g.r.IntN(n)) }

func (g *gen) chance(p float64) bool { return g.r.Float64() < p }

func (g *gen) user(id string) UserNode {
	u := UserNode{ID: id, Name: g.id("name", 4), Email: id + "@example.com",
		State: portico.StateActivated, Status: portico.StatusActive}
	if g.chance(0.08) {
		u.State = portico.StateInvited
	}
	if g.chance(0.08) {
		u.Status = portico.StatusDisabled
	}
	u.Owner = g.chance(0.1)
	return u
}

func (g *gen) userGroup(id string) UserGroupNode {
	ug := UserGroupNode{ID: id, Name: "team " + id}
	for range g.r.IntN(5) {
		ug.MemberIDs = append(ug.MemberIDs, g.ref(g.users, "u", 8))
	}
	return ug
}

func (g *gen) role(id string) RoleNode {
	var s portico.PermissionSet
	density := []float64{0.05, 0.15, 0.4}[g.r.IntN(3)]
	for _, p := range catalogue {
		if g.chance(density) {
			s = s.With(p.ID)
		}
	}
	return RoleNode{ID: id, Name: "role " + id, Permissions: s}
}

func (g *gen) group(id string) GroupNode {
	n := GroupNode{ID: id, Name: g.id("G", 5)}
	if g.chance(0.75) {
		n.ParentID = g.groupRef()
	}
	if g.chance(0.5) {
		n.Settings = portico.GroupSettings{}
		for _, f := range featureList {
			if g.chance(0.2) {
				n.Settings[f.Feature] = g.chance(0.5)
			}
		}
	}
	return n
}

func (g *gen) groupRef() string {
	switch {
	case g.chance(0.2):
		return portico.UnassignedGroupID
	case len(g.groups) > 0 && g.chance(0.9):
		return g.groups[g.r.IntN(len(g.groups))]
	}
	return g.id("g", 14)
}

// aim records which objects exist.
func (g *gen) aim(gr *Graph) {
	g.groups, g.users, g.userGroups, g.roles, g.devices = nil, nil, nil, nil, nil
	for _, n := range gr.Groups {
		g.groups = append(g.groups, n.ID)
	}
	for _, n := range gr.Users {
		g.users = append(g.users, n.ID)
	}
	for _, n := range gr.UserGroups {
		g.userGroups = append(g.userGroups, n.ID)
	}
	for _, n := range gr.Roles {
		g.roles = append(g.roles, n.ID)
	}
	for _, n := range gr.Devices {
		g.devices = append(g.devices, n.ID)
	}
}

func (g *gen) device(id string) DeviceNode {
	return DeviceNode{ID: id, GroupID: g.groupRef(), Name: g.id("D", 6)}
}

func (g *gen) when() time.Time {
	return baseTime.Add(time.Duration(g.r.IntN(9)-4) * time.Hour)
}

func (g *gen) assignment(id string) portico.Assignment {
	a := portico.Assignment{ID: id, RoleID: g.ref(g.roles, "r", 6)}
	if g.chance(0.6) {
		a.PrincipalType, a.PrincipalID = portico.PrincipalUser, g.ref(g.users, "u", 8)
	} else {
		a.PrincipalType, a.PrincipalID = portico.PrincipalUserGroup, g.ref(g.userGroups, "ug", 5)
	}
	if g.chance(0.03) {
		a.PrincipalType = "robot"
	}
	switch g.r.IntN(10) {
	case 0, 1:
		a.ScopeType = portico.ScopeTypeAccount
	case 2, 3, 4:
		a.ScopeType, a.ScopeID = portico.ScopeTypeDeviceGroup, g.groupRef()
	case 5, 6:
		a.ScopeType, a.ScopeID = portico.ScopeTypeDevice, g.ref(g.devices, "d", 18)
	case 7:
		a.ScopeType, a.ScopeID = portico.ScopeTypeSection, portico.SectionTeam
	case 8:
		a.ScopeType, a.ScopeID = portico.ScopeTypeSection, portico.SectionOnDemand
	default:
		a.ScopeType, a.ScopeID = portico.ScopeTypeSection, "billing"
	}
	if g.chance(0.3) {
		t := g.when()
		a.ExpiresAt = &t
	}
	if g.chance(0.05) {
		a.AccountID = "other"
	} else if g.chance(0.5) {
		a.AccountID = g.account
	}
	return a
}

// graph makes a random account graph; ids are unique within each kind.
func (g *gen) graph() Graph {
	gr := Graph{AccountID: g.account}
	pick := func(prefix string, space, n int) []string {
		ids := make([]string, space)
		for i := range ids {
			ids[i] = fmt.Sprintf("%s%d", prefix, i)
		}
		g.r.Shuffle(len(ids), func(i, j int) { ids[i], ids[j] = ids[j], ids[i] })
		return ids[:n]
	}
	for _, id := range pick("u", 8, 1+g.r.IntN(7)) {
		gr.Users = append(gr.Users, g.user(id))
	}
	g.aim(&gr)
	for _, id := range pick("ug", 5, g.r.IntN(5)) {
		gr.UserGroups = append(gr.UserGroups, g.userGroup(id))
	}
	for _, id := range pick("r", 6, 1+g.r.IntN(5)) {
		gr.Roles = append(gr.Roles, g.role(id))
	}
	for _, id := range pick("g", 14, 1+g.r.IntN(12)) {
		gr.Groups = append(gr.Groups, g.group(id))
		g.aim(&gr)
	}
	for _, id := range pick("d", 18, g.r.IntN(17)) {
		gr.Devices = append(gr.Devices, g.device(id))
	}
	g.aim(&gr)
	for _, id := range pick("a", 30, g.r.IntN(30)) {
		gr.Assignments = append(gr.Assignments, g.assignment(id))
	}
	return gr
}

// target, permission and query mostly name objects that exist in gr, so that most queries get past
// "not found" and reach the interesting rules.
func (g *gen) target(gr *Graph) Target {
	switch g.r.IntN(14) {
	case 0:
		return Account()
	case 1:
		return Target{Kind: TargetAccount, ID: []string{g.account, "other"}[g.r.IntN(2)]}
	case 2:
		return Section([]string{portico.SectionTeam, portico.SectionOnDemand, "billing"}[g.r.IntN(3)])
	case 3:
		return Group(g.groupRef())
	case 4, 5:
		if len(gr.Groups) > 0 {
			return Group(gr.Groups[g.r.IntN(len(gr.Groups))].ID)
		}
	case 6:
		return Target{Kind: 9, ID: "x"}
	case 7:
		return Device(g.id("d", 18))
	case 8:
		return Target{Kind: TargetDevice, ID: portico.UnassignedGroupID}
	}
	if len(gr.Devices) > 0 {
		return Device(gr.Devices[g.r.IntN(len(gr.Devices))].ID)
	}
	return Device(g.id("d", 18))
}

func (g *gen) permission(gr *Graph) portico.Permission {
	if g.chance(0.02) {
		return "device.teleport"
	}
	if len(gr.Roles) > 0 && g.chance(0.6) {
		if ps := gr.Roles[g.r.IntN(len(gr.Roles))].Permissions.Expand().List(); len(ps) > 0 {
			return ps[g.r.IntN(len(ps))]
		}
	}
	return catalogue[g.r.IntN(len(catalogue))].ID
}

func (g *gen) query(gr *Graph) Query {
	u := g.id("u", 9)
	if len(gr.Users) > 0 && g.chance(0.9) {
		u = gr.Users[g.r.IntN(len(gr.Users))].ID
	}
	return Query{UserID: u, Permission: g.permission(gr), Target: g.target(gr), At: g.when()}
}

// check compares the engine with the reference on n random queries and returns the first
// disagreement.
func check(t *testing.T, g *gen, s *Snapshot, gr *Graph, n int) bool {
	t.Helper()
	ref := reference{gr}
	for range n {
		q := g.query(gr)
		want := ref.decide(q)
		if got := s.Decide(q); got != want {
			t.Errorf("Decide(%+v) = %+v, want %+v\ngraph: %+v", q, got, want, *gr)
			return false
		}
		ex := s.Explain(q)
		if ex.Allowed != want.Allowed || ex.Reason != want.Reason.String() {
			t.Errorf("Explain(%+v) = %v %s, want %+v", q, ex.Allowed, ex.Reason, want)
			return false
		}
		if want.Reason == ReasonGranted {
			var ids []string
			for _, gr := range ex.Grants {
				ids = append(ids, gr.AssignmentID)
			}
			if wantIDs := ref.granting(q.UserID, q.Permission, q.Target, q.At); !slices.Equal(ids, wantIDs) {
				t.Errorf("Explain(%+v) grants %v, want %v", q, ids, wantIDs)
				return false
			}
		}
		if got, want := s.Effective(q), ref.effective(q); got != want {
			t.Errorf("Effective(%+v) = %v, want %v", q, got.List(), want.List())
			return false
		}
		if g.chance(0.2) {
			var got []string
			for _, e := range s.WhoCan(q.Permission, q.Target, q.At) {
				got = append(got, e.UserID)
			}
			var want []string
			for _, u := range gr.Users {
				if ref.decide(Query{UserID: u.ID, Permission: q.Permission, Target: q.Target, At: q.At}).Allowed {
					want = append(want, u.ID)
				}
			}
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("WhoCan(%s, %+v) = %v, want %v", q.Permission, q.Target, got, want)
				return false
			}
		}
		lq := ListQuery{UserID: q.UserID, Permission: q.Permission, At: q.At, Recursive: g.chance(0.5)}
		switch g.r.IntN(3) {
		case 0:
			lq.GroupID = g.groupRef()
		case 1:
			lq.GroupID = g.id("g", 14)
		}
		if got, want := s.ListDevices(lq), ref.listDevices(lq); !slices.Equal(got, want) {
			t.Errorf("ListDevices(%+v) = %v, want %v\ngraph: %+v", lq, got, want, *gr)
			return false
		}
	}
	return true
}

func TestDifferentialNew(t *testing.T) {
	accounts := 1500
	if testing.Short() {
		accounts = 300
	}
	for seed := range accounts {
		g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 1)), account: "acc"}
		gr := g.graph()
		g.aim(&gr)
		if !check(t, g, New(gr), &gr, 30) {
			t.Fatalf("seed %d", seed)
		}
	}
}

// model applies a change to a plain graph, with the cascades Apply documents.
func model(gr Graph, c Change) Graph {
	dropAssignments := func(drop func(a *portico.Assignment) bool) {
		gr.Assignments = slices.DeleteFunc(slices.Clone(gr.Assignments), func(a portico.Assignment) bool { return drop(&a) })
	}
	switch {
	case c.UpsertUser != nil:
		gr.Users = upsertByID(gr.Users, *c.UpsertUser, func(x UserNode) string { return x.ID })
	case c.DeleteUser != "":
		gr.Users = deleteByID(gr.Users, c.DeleteUser, func(x UserNode) string { return x.ID })
		ugs := slices.Clone(gr.UserGroups)
		for i := range ugs {
			ugs[i].MemberIDs = slices.DeleteFunc(slices.Clone(ugs[i].MemberIDs), func(m string) bool { return m == c.DeleteUser })
		}
		gr.UserGroups = ugs
		dropAssignments(func(a *portico.Assignment) bool {
			return a.PrincipalType == portico.PrincipalUser && a.PrincipalID == c.DeleteUser
		})
	case c.UpsertUserGroup != nil:
		gr.UserGroups = upsertByID(gr.UserGroups, *c.UpsertUserGroup, func(x UserGroupNode) string { return x.ID })
	case c.DeleteUserGroup != "":
		gr.UserGroups = deleteByID(gr.UserGroups, c.DeleteUserGroup, func(x UserGroupNode) string { return x.ID })
		dropAssignments(func(a *portico.Assignment) bool {
			return a.PrincipalType == portico.PrincipalUserGroup && a.PrincipalID == c.DeleteUserGroup
		})
	case c.UpsertRole != nil:
		gr.Roles = upsertByID(gr.Roles, *c.UpsertRole, func(x RoleNode) string { return x.ID })
	case c.DeleteRole != "":
		gr.Roles = deleteByID(gr.Roles, c.DeleteRole, func(x RoleNode) string { return x.ID })
		dropAssignments(func(a *portico.Assignment) bool { return a.RoleID == c.DeleteRole })
	case c.UpsertAssignment != nil:
		gr.Assignments = upsertByID(gr.Assignments, *c.UpsertAssignment, func(x portico.Assignment) string { return x.ID })
	case c.DeleteAssignment != "":
		gr.Assignments = deleteByID(gr.Assignments, c.DeleteAssignment, func(x portico.Assignment) string { return x.ID })
	case c.UpsertGroup != nil:
		gr.Groups = upsertByID(gr.Groups, *c.UpsertGroup, func(x GroupNode) string { return x.ID })
	case c.DeleteGroup != "":
		gr.Groups = deleteByID(gr.Groups, c.DeleteGroup, func(x GroupNode) string { return x.ID })
		dropAssignments(func(a *portico.Assignment) bool {
			return a.ScopeType == portico.ScopeTypeDeviceGroup && a.ScopeID == c.DeleteGroup
		})
	case c.UpsertDevice != nil:
		gr.Devices = upsertByID(gr.Devices, *c.UpsertDevice, func(x DeviceNode) string { return x.ID })
	case c.DeleteDevice != "":
		gr.Devices = deleteByID(gr.Devices, c.DeleteDevice, func(x DeviceNode) string { return x.ID })
		dropAssignments(func(a *portico.Assignment) bool {
			return a.ScopeType == portico.ScopeTypeDevice && a.ScopeID == c.DeleteDevice
		})
	}
	return gr
}

func upsertByID[T any](xs []T, x T, id func(T) string) []T {
	xs = slices.Clone(xs)
	for i := range xs {
		if id(xs[i]) == id(x) {
			xs[i] = x
			return xs
		}
	}
	return append(xs, x)
}

func deleteByID[T any](xs []T, del string, id func(T) string) []T {
	return slices.DeleteFunc(slices.Clone(xs), func(x T) bool { return id(x) == del })
}

func (g *gen) change() Change {
	switch g.r.IntN(12) {
	case 0:
		u := g.user(g.id("u", 8))
		return Change{UpsertUser: &u}
	case 1:
		return Change{DeleteUser: g.id("u", 8)}
	case 2:
		ug := g.userGroup(g.id("ug", 5))
		return Change{UpsertUserGroup: &ug}
	case 3:
		if g.chance(0.5) {
			return Change{DeleteUserGroup: g.id("ug", 5)}
		}
		return Change{DeleteRole: g.id("r", 6)}
	case 4:
		r := g.role(g.id("r", 6))
		return Change{UpsertRole: &r}
	case 5, 6:
		a := g.assignment(g.id("a", 30))
		return Change{UpsertAssignment: &a}
	case 7:
		return Change{DeleteAssignment: g.id("a", 30)}
	case 8:
		n := g.group(g.id("g", 14))
		return Change{UpsertGroup: &n}
	case 9:
		return Change{DeleteGroup: g.id("g", 14)}
	case 10:
		d := g.device(g.id("d", 18))
		return Change{UpsertDevice: &d}
	}
	return Change{DeleteDevice: g.id("d", 18)}
}

func TestDifferentialApply(t *testing.T) {
	accounts := 300
	if testing.Short() {
		accounts = 60
	}
	for seed := range accounts {
		g := &gen{r: rand.New(rand.NewPCG(uint64(seed), 2)), account: "acc"}
		gr := g.graph()
		s := New(gr)
		g.aim(&gr)
		for step := range 25 {
			prev, prevGraph := s, gr
			var batch []Change
			for range 1 + g.r.IntN(3) {
				g.aim(&gr)
				c := g.change()
				batch = append(batch, c)
				gr = model(gr, c)
			}
			s = s.Apply(batch...)
			if !check(t, g, s, &gr, 10) {
				t.Fatalf("seed %d step %d after %+v", seed, step, batch)
			}
			// The old snapshot must not have changed.
			if !check(t, g, prev, &prevGraph, 3) {
				t.Fatalf("seed %d step %d: Apply changed the snapshot it was called on", seed, step)
			}
		}
	}
}
