package authz

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// The benchmarks run on one generated account of the size the acceptance targets name: 100,000
// devices, 5,000 groups up to 8 deep, 10,000 users, 1,000 user groups, 200 roles and 50,000
// assignments. Run with:
//
//	GOMAXPROCS=1 go test -run '^$' -bench . -benchtime=2s ./authz

const (
	bigDevices     = 100_000
	bigGroups      = 5_000
	bigDepth       = 8
	bigUsers       = 10_000
	bigUserGroups  = 1_000
	bigRoles       = 200
	bigAssignments = 50_000
)

var (
	bigOnce  sync.Once
	bigGraph Graph
	bigSnap  *Snapshot
)

// big returns the generated account (deterministic) and its snapshot, built once per process.
func big(b *testing.B) (*Graph, *Snapshot) {
	b.Helper()
	bigOnce.Do(func() {
		bigGraph = genBig(rand.New(rand.NewPCG(42, 42)))
		bigSnap = New(bigGraph)
	})
	return &bigGraph, bigSnap
}

func genBig(r *rand.Rand) Graph {
	g := Graph{AccountID: "big"}
	var devicePerms, otherPerms []portico.Permission
	for _, p := range portico.Catalogue() {
		if p.Scope == portico.ScopeTree {
			devicePerms = append(devicePerms, p.ID)
		} else {
			otherPerms = append(otherPerms, p.ID)
		}
	}

	// Groups: about 20 top-level groups; each further group hangs under a random earlier one that is
	// not yet at the maximum depth.
	depth := make([]int, 0, bigGroups)
	for i := range bigGroups {
		n := GroupNode{ID: fmt.Sprintf("grp-%05d", i), Name: fmt.Sprintf("Group %05d", r.IntN(bigGroups))}
		d := 0
		if i >= 20 {
			for {
				p := r.IntN(i)
				if depth[p] < bigDepth-1 {
					n.ParentID, d = g.Groups[p].ID, depth[p]+1
					break
				}
			}
		}
		if r.IntN(10) == 0 {
			n.Settings = portico.GroupSettings{portico.Features[r.IntN(len(portico.Features))].Feature: r.IntN(2) == 0}
		}
		depth = append(depth, d)
		g.Groups = append(g.Groups, n)
	}
	for i := range bigDevices {
		d := DeviceNode{ID: fmt.Sprintf("dev-%06d", i), Name: fmt.Sprintf("PC-%06d", r.IntN(bigDevices)),
			GroupID: g.Groups[r.IntN(bigGroups)].ID}
		if r.IntN(50) == 0 {
			d.GroupID = portico.UnassignedGroupID
		}
		g.Devices = append(g.Devices, d)
	}
	for i := range bigUsers {
		u := UserNode{ID: fmt.Sprintf("usr-%05d", i), Name: fmt.Sprintf("User %05d", r.IntN(bigUsers)),
			State: portico.StateActivated, Status: portico.StatusActive, Owner: i == 0}
		if r.IntN(20) == 0 {
			u.Status = portico.StatusDisabled
		}
		g.Users = append(g.Users, u)
	}
	// Each user is in 0 to 4 user groups; a few groups are large departments.
	for i := range bigUserGroups {
		g.UserGroups = append(g.UserGroups, UserGroupNode{ID: fmt.Sprintf("ug-%04d", i), Name: fmt.Sprintf("Team %04d", i)})
	}
	for _, u := range g.Users {
		for range r.IntN(5) {
			ug := &g.UserGroups[r.IntN(bigUserGroups)]
			if r.IntN(4) == 0 {
				ug = &g.UserGroups[r.IntN(10)]
			}
			ug.MemberIDs = append(ug.MemberIDs, u.ID)
		}
	}
	for i := range bigRoles {
		var s portico.PermissionSet
		for range 3 + r.IntN(15) {
			s = s.With(devicePerms[r.IntN(len(devicePerms))])
		}
		if i%5 == 0 {
			for range 1 + r.IntN(5) {
				s = s.With(otherPerms[r.IntN(len(otherPerms))])
			}
		}
		g.Roles = append(g.Roles, RoleNode{ID: fmt.Sprintf("role-%03d", i), Name: fmt.Sprintf("Role %03d", i), Permissions: s})
	}
	for i := range bigAssignments {
		a := portico.Assignment{ID: fmt.Sprintf("asg-%05d", i), AccountID: "big", RoleID: g.Roles[r.IntN(bigRoles)].ID}
		if r.IntN(10) < 6 {
			a.PrincipalType, a.PrincipalID = portico.PrincipalUser, g.Users[r.IntN(bigUsers)].ID
		} else {
			a.PrincipalType, a.PrincipalID = portico.PrincipalUserGroup, g.UserGroups[r.IntN(bigUserGroups)].ID
		}
		switch k := r.IntN(100); {
		case k < 3:
			a.ScopeType = portico.ScopeTypeAccount
		case k < 5:
			a.ScopeType, a.ScopeID = portico.ScopeTypeSection, []string{portico.SectionTeam, portico.SectionOnDemand}[r.IntN(2)]
		case k < 65:
			a.ScopeType, a.ScopeID = portico.ScopeTypeDeviceGroup, g.Groups[r.IntN(bigGroups)].ID
		default:
			a.ScopeType, a.ScopeID = portico.ScopeTypeDevice, g.Devices[r.IntN(bigDevices)].ID
		}
		if r.IntN(10) == 0 {
			t := baseTime.Add(time.Duration(r.IntN(48)-24) * time.Hour)
			a.ExpiresAt = &t
		}
		g.Assignments = append(g.Assignments, a)
	}
	return g
}

// bigQueries draws decisions as a portal would ask them: mostly device permissions on devices.
func bigQueries(g *Graph, n int) []Query {
	r := rand.New(rand.NewPCG(7, 7))
	cat := portico.Catalogue()
	qs := make([]Query, n)
	for i := range qs {
		q := Query{UserID: g.Users[r.IntN(len(g.Users))].ID, At: baseTime}
		q.Permission = cat[r.IntN(len(cat))].ID
		switch k := r.IntN(10); {
		case k < 7:
			q.Target = Device(g.Devices[r.IntN(len(g.Devices))].ID)
		case k < 9:
			q.Target = Group(g.Groups[r.IntN(len(g.Groups))].ID)
		default:
			q.Target = Account()
		}
		qs[i] = q
	}
	return qs
}

func BenchmarkDecide(b *testing.B) {
	g, s := big(b)
	qs := bigQueries(g, 1<<16)
	granted := 0
	for _, q := range qs {
		if s.Decide(q).Allowed {
			granted++
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		s.Decide(qs[i&(len(qs)-1)])
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "decisions/s")

	// p99 from a separate loop that times each call; the clock reads add a few tens of nanoseconds.
	samples := make([]time.Duration, len(qs))
	for i, q := range qs {
		t0 := time.Now()
		s.Decide(q)
		samples[i] = time.Since(t0)
	}
	slices.Sort(samples)
	b.ReportMetric(float64(samples[len(samples)*99/100].Nanoseconds()), "p99-ns")
	b.ReportMetric(100*float64(granted)/float64(len(qs)), "%granted")
}

func BenchmarkListDevices(b *testing.B) {
	g, s := big(b)
	// A technician with device roles on several groups (through own and user-group assignments).
	user := ""
	best := 0
	for _, u := range g.Users[1:200] {
		n := len(s.ListDevices(ListQuery{UserID: u.ID, Permission: portico.PermDeviceView, At: baseTime}))
		if n > best && n < bigDevices/2 {
			user, best = u.ID, n
		}
	}
	// The top-level group in which the technician sees most devices.
	top := ""
	best = 0
	for _, grp := range g.Groups[:20] {
		q := ListQuery{UserID: user, Permission: portico.PermDeviceView, GroupID: grp.ID, Recursive: true, At: baseTime}
		if n := len(s.ListDevices(q)); n > best {
			top, best = grp.ID, n
		}
	}
	cases := []struct {
		name string
		q    ListQuery
	}{
		{"whole-account", ListQuery{UserID: user, Permission: portico.PermDeviceView, At: baseTime}},
		{"one-group-recursive", ListQuery{UserID: user, Permission: portico.PermDeviceView, GroupID: top, Recursive: true, At: baseTime}},
		{"owner-whole-account", ListQuery{UserID: g.Users[0].ID, Permission: portico.PermDeviceView, At: baseTime}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			n := len(s.ListDevices(c.q))
			b.ReportAllocs()
			for b.Loop() {
				s.ListDevices(c.q)
			}
			b.ReportMetric(float64(n), "devices")
		})
	}
}

func BenchmarkApplyAssignment(b *testing.B) {
	g, s := big(b)
	// Alternate between two versions of one assignment so that every Apply changes something.
	a1 := g.Assignments[123]
	a1.ScopeType, a1.ScopeID = portico.ScopeTypeDeviceGroup, g.Groups[7].ID
	a2 := a1
	a2.RoleID = g.Roles[9].ID
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a := &a1
		if i%2 == 1 {
			a = &a2
		}
		s.Apply(Change{UpsertAssignment: a})
	}
}

func BenchmarkApplyUserGroupMembers(b *testing.B) {
	g, s := big(b)
	// A large department loses and regains one member.
	ug := g.UserGroups[0]
	smaller := ug
	smaller.MemberIDs = ug.MemberIDs[1:]
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := &ug
		if i%2 == 1 {
			n = &smaller
		}
		s.Apply(Change{UpsertUserGroup: n})
	}
}

func BenchmarkApplyDeviceMove(b *testing.B) {
	g, s := big(b)
	d := g.Devices[500]
	moved := d
	moved.GroupID = g.Groups[11].ID
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := &d
		if i%2 == 1 {
			n = &moved
		}
		s.Apply(Change{UpsertDevice: n})
	}
}

// BenchmarkApplyNewDevice adds one device, as an enrollment does, to the same snapshot every time.
func BenchmarkApplyNewDevice(b *testing.B) {
	g, s := big(b)
	d := DeviceNode{ID: "dev-new", Name: "new-laptop", GroupID: g.Groups[11].ID}
	b.ReportAllocs()
	for b.Loop() {
		s.Apply(Change{UpsertDevice: &d})
	}
}

func BenchmarkApplyRole(b *testing.B) {
	g, s := big(b)
	r := g.Roles[5]
	changed := r
	changed.Permissions = r.Permissions.With(portico.PermDeviceChat)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		n := &r
		if i%2 == 1 {
			n = &changed
		}
		s.Apply(Change{UpsertRole: n})
	}
}

func BenchmarkNew(b *testing.B) {
	g, _ := big(b)
	b.ReportAllocs()
	for b.Loop() {
		New(*g)
	}
}
