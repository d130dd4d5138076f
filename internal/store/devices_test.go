package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func testDeviceGroups(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	equal(t, must1[*portico.DeviceGroup](t)(s.GetDeviceGroup(ctx, f.acc.ID, f.group.ID)), f.group)
	child := &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: f.acc.ID, ParentID: f.group.ID, Name: "London",
		Colour: "#abcdef", Description: "HQ", Settings: portico.GroupSettings{portico.FeatureChat: false, portico.FeatureRequireAck: true},
		CreatedAt: now}
	must(t, s.CreateDeviceGroup(ctx, child))
	equal(t, must1[*portico.DeviceGroup](t)(s.GetDeviceGroup(ctx, f.acc.ID, child.ID)), child)
	paris := f.deviceGroup(t, s, f.group.ID, "Paris")
	top := f.deviceGroup(t, s, "", "Berlin")
	// Sorted by name over the whole tree.
	equal(t, must1[[]portico.DeviceGroup](t)(s.ListDeviceGroups(ctx, f.acc.ID)), []portico.DeviceGroup{*f.group, *top, *child, *paris})

	// Sibling names are unique; the same name at another level is fine.
	wantConflictField(t, s.CreateDeviceGroup(ctx, &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: f.acc.ID,
		ParentID: f.group.ID, Name: "London", CreatedAt: now}), "name")
	wantConflictField(t, s.CreateDeviceGroup(ctx, &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: f.acc.ID,
		Name: "Berlin", CreatedAt: now}), "name")
	f.deviceGroup(t, s, child.ID, "Paris")
	f.deviceGroup(t, s, "", "London")
	// Unassigned is not a group.
	_, err := s.GetDeviceGroup(ctx, f.acc.ID, portico.UnassignedGroupID)
	wantKind(t, err, portico.KindNotFound)

	// Update: move under another parent, rename, new settings.
	child.ParentID, child.Name, child.Colour, child.Description = top.ID, "Londres", "#000000", ""
	child.Settings = portico.GroupSettings{portico.FeatureView: false}
	must(t, s.UpdateDeviceGroup(ctx, child))
	equal(t, must1[*portico.DeviceGroup](t)(s.GetDeviceGroup(ctx, f.acc.ID, child.ID)), child)
	paris.ParentID, paris.Name = top.ID, "Londres"
	wantConflictField(t, s.UpdateDeviceGroup(ctx, paris), "name")

	// Another account: not found, and its groups cannot be a parent.
	g := newFixture(t, s, "Globex")
	_, err = s.GetDeviceGroup(ctx, g.acc.ID, child.ID)
	wantKind(t, err, portico.KindNotFound)
	stolen := *child
	stolen.AccountID = g.acc.ID
	wantKind(t, s.UpdateDeviceGroup(ctx, &stolen), portico.KindNotFound)
	wantKind(t, s.DeleteDeviceGroup(ctx, g.acc.ID, child.ID), portico.KindNotFound)
	wantKind(t, s.CreateDeviceGroup(ctx, &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: g.acc.ID,
		ParentID: child.ID, Name: "x", CreatedAt: now}), portico.KindNotFound)
	if gs := must1[[]portico.DeviceGroup](t)(s.ListDeviceGroups(ctx, g.acc.ID)); len(gs) != 1 {
		t.Fatalf("Globex groups: %v", gs)
	}

	// Children: groups and devices directly inside.
	f.device(t, s, top.ID, "pc1")
	f.device(t, s, "", "new")
	groups, devices := must2[int, int](t)(s.CountGroupChildren(ctx, f.acc.ID, top.ID))
	if groups != 1 || devices != 1 {
		t.Fatalf("CountGroupChildren(top) = %d, %d; want 1, 1", groups, devices)
	}
	groups, devices = must2[int, int](t)(s.CountGroupChildren(ctx, f.acc.ID, portico.UnassignedGroupID))
	if groups != 0 || devices != 1 {
		t.Fatalf("CountGroupChildren(unassigned) = %d, %d; want 0, 1", groups, devices)
	}
	// A non-empty group is not deleted.
	wantKind(t, s.DeleteDeviceGroup(ctx, f.acc.ID, top.ID), portico.KindConflict)
	must1[*portico.DeviceGroup](t)(s.GetDeviceGroup(ctx, f.acc.ID, top.ID))

	// Deleting an empty group deletes the assignments scoped to it; its tokens become account-wide.
	r := f.role(t, s, "R")
	asg := f.assign(t, s, portico.PrincipalUser, f.owner.ID, r.ID, portico.ScopeTypeDeviceGroup, paris.ID)
	tok := &portico.EnrollmentToken{ID: "tok_1", AccountID: f.acc.ID, GroupID: paris.ID, Hash: "th", CreatedAt: now}
	must(t, s.CreateEnrollmentToken(ctx, tok))
	must(t, s.DeleteDeviceGroup(ctx, f.acc.ID, paris.ID))
	_, err = s.GetDeviceGroup(ctx, f.acc.ID, paris.ID)
	wantKind(t, err, portico.KindNotFound)
	_, err = s.GetAssignment(ctx, f.acc.ID, asg.ID)
	wantKind(t, err, portico.KindNotFound)
	if got := must1[*portico.EnrollmentToken](t)(s.GetEnrollmentTokenByHash(ctx, "th")); got.GroupID != "" {
		t.Fatalf("token still bound to deleted group %q", got.GroupID)
	}
}

func must2[A, B any](t testing.TB) func(A, B, error) (A, B) {
	return func(a A, b B, err error) (A, B) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return a, b
	}
}

func testDevices(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	seen, left := at(10e9), at(-3600e9)
	d := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: portico.UnassignedGroupID, Name: "PC-1",
		Hostname: "pc-1.corp", IPAddresses: []string{"10.1.2.3", "fe80::1"}, LoggedInUser: `CORP\jdoe`, OSName: "Windows",
		OSVersion: "11 23H2", DeviceType: "laptop", Manufacturer: "Lenovo", AssetID: "A-1", AgentVersion: "1.2.3",
		DirectoryGroups: []string{"CN=Laptops"}, Status: portico.DeviceAvailable, LastSeen: &seen, CreatedAt: now,
		LeftUnassignedAt: &left, RuleApplied: true, CredentialHash: "cred"}
	must(t, s.CreateDevice(ctx, d))
	equal(t, must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d.ID)), d)
	equal(t, must1[*portico.Device](t)(s.GetDeviceAnyAccount(ctx, d.ID)), d)
	if n := rawCount(t, s, `SELECT COUNT(*) FROM devices WHERE id = $1 AND group_id IS NULL`, d.ID); n != 1 {
		t.Fatal("a device in Unassigned is not stored with group_id NULL")
	}
	// An empty GroupID means Unassigned too.
	e := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, Name: "PC-2", Status: portico.DeviceUnavailable, CreatedAt: now}
	must(t, s.CreateDevice(ctx, e))
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, e.ID)); got.GroupID != portico.UnassignedGroupID {
		t.Fatalf("GroupID = %q", got.GroupID)
	}

	// Update every field UpdateDevice manages; the others, written from a stale copy, are left alone.
	stored := *d
	d.GroupID, d.Name, d.DirectoryGroups, d.LeftUnassignedAt, d.RuleApplied = f.group.ID, "Reception", nil, nil, false
	stored.GroupID, stored.Name, stored.DirectoryGroups, stored.LeftUnassignedAt, stored.RuleApplied = d.GroupID, d.Name, d.DirectoryGroups, d.LeftUnassignedAt, d.RuleApplied
	d.Hostname, d.IPAddresses, d.LoggedInUser = "rec", []string{"192.0.2.7"}, ""
	d.OSName, d.OSVersion, d.DeviceType, d.Manufacturer, d.AssetID, d.AgentVersion = "Linux", "6.1", "desktop", "Dell", "A-2", "1.3.0"
	d.Status, d.LastSeen, d.CredentialHash = portico.DeviceInSession, nil, "cred2"
	must(t, s.UpdateDevice(ctx, d))
	equal(t, must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d.ID)), &stored)
	// Inventory has its own writer.
	must(t, s.UpdateDeviceInventory(ctx, d))
	stored.Hostname, stored.IPAddresses, stored.LoggedInUser = d.Hostname, d.IPAddresses, d.LoggedInUser
	stored.OSName, stored.OSVersion, stored.DeviceType, stored.Manufacturer, stored.AssetID, stored.AgentVersion = d.OSName, d.OSVersion, d.DeviceType, d.Manufacturer, d.AssetID, d.AgentVersion
	equal(t, must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d.ID)), &stored)
	*d = stored
	// Into a group that does not exist (or is another account's): refused.
	g := newFixture(t, s, "Globex")
	bad := *d
	bad.GroupID = g.group.ID
	wantKind(t, s.UpdateDevice(ctx, &bad), portico.KindNotFound)
	wantKind(t, s.CreateDevice(ctx, &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: "grp_missing",
		Name: "x", CreatedAt: now}), portico.KindNotFound)
	equal(t, must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d.ID)), d)

	// Isolation.
	_, err := s.GetDevice(ctx, g.acc.ID, d.ID)
	wantKind(t, err, portico.KindNotFound)
	stolen := *d
	stolen.AccountID, stolen.GroupID = g.acc.ID, portico.UnassignedGroupID
	wantKind(t, s.UpdateDevice(ctx, &stolen), portico.KindNotFound)
	wantKind(t, s.DeleteDevice(ctx, g.acc.ID, d.ID), portico.KindNotFound)
	_, err = s.GetDeviceAnyAccount(ctx, "dev_missing")
	wantKind(t, err, portico.KindNotFound)

	if n := must1[int](t)(s.CountDevices(ctx, f.acc.ID)); n != 2 {
		t.Fatalf("CountDevices = %d", n)
	}
	if n := must1[int](t)(s.CountLicensedDevices(ctx, f.acc.ID)); n != 1 {
		t.Fatalf("CountLicensedDevices = %d", n)
	}
	if n := must1[int](t)(s.CountDevices(ctx, g.acc.ID)); n != 0 {
		t.Fatalf("CountDevices(other) = %d", n)
	}
}

func testDeviceList(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	sub := f.deviceGroup(t, s, f.group.ID, "Sub")
	mk := func(group, name, host, ip, user string, st portico.DeviceStatus) *portico.Device {
		d := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: group, Name: name, Hostname: host,
			IPAddresses: []string{ip}, LoggedInUser: user, Status: st, CreatedAt: now}
		must(t, s.CreateDevice(ctx, d))
		return d
	}
	a := mk(f.group.ID, "alpha", "a.corp", "10.0.0.1", "ann", portico.DeviceAvailable)
	b := mk(f.group.ID, "Bravo", "b.corp", "10.0.0.2", "BOB", portico.DeviceUnavailable)
	c := mk(sub.ID, "charlie", "c.corp", "192.168.1.9", "cat", portico.DeviceAvailable)
	u := mk(portico.UnassignedGroupID, "delta_50%", "d.home", "172.16.0.4", "dan", portico.DeviceInSession)
	g := newFixture(t, s, "Globex")
	g.device(t, s, g.group.ID, "alpha")

	list := func(fl portico.DeviceFilter) ([]string, int) {
		t.Helper()
		ds, total, err := s.ListDevices(ctx, f.acc.ID, fl)
		must(t, err)
		var ids []string
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		return ids, total
	}
	check := func(fl portico.DeviceFilter, wantTotal int, want ...*portico.Device) {
		t.Helper()
		ids, total := list(fl)
		var wantIDs []string
		for _, d := range want {
			wantIDs = append(wantIDs, d.ID)
		}
		equal(t, ids, wantIDs)
		if total != wantTotal {
			t.Fatalf("total = %d, want %d", total, wantTotal)
		}
	}
	// By name, byte order (upper case first), then id.
	check(portico.DeviceFilter{}, 4, b, a, c, u)
	check(portico.DeviceFilter{Page: portico.Page{Limit: 2}}, 4, b, a)
	check(portico.DeviceFilter{Page: portico.Page{Limit: 2, Offset: 2}}, 4, c, u)
	check(portico.DeviceFilter{Page: portico.Page{Offset: 3}}, 4, u)
	check(portico.DeviceFilter{Page: portico.Page{Limit: 2, Offset: 10}}, 4)
	check(portico.DeviceFilter{GroupIDs: []string{f.group.ID}}, 2, b, a)
	check(portico.DeviceFilter{GroupIDs: []string{f.group.ID, sub.ID}}, 3, b, a, c)
	check(portico.DeviceFilter{GroupIDs: []string{portico.UnassignedGroupID}}, 1, u)
	check(portico.DeviceFilter{GroupIDs: []string{portico.UnassignedGroupID, sub.ID}}, 2, c, u)
	check(portico.DeviceFilter{GroupIDs: []string{g.group.ID}}, 0)
	check(portico.DeviceFilter{GroupIDs: []string{}}, 0)
	check(portico.DeviceFilter{IDs: []string{a.ID, u.ID, "dev_missing"}}, 2, a, u)
	check(portico.DeviceFilter{IDs: []string{}}, 0)
	check(portico.DeviceFilter{Q: "BRAVO"}, 1, b)
	check(portico.DeviceFilter{Q: "corp"}, 3, b, a, c)
	check(portico.DeviceFilter{Q: "192.168"}, 1, c)
	check(portico.DeviceFilter{Q: "bob"}, 1, b)
	check(portico.DeviceFilter{Q: "50%"}, 1, u)
	check(portico.DeviceFilter{Q: "_"}, 1, u)
	check(portico.DeviceFilter{Status: portico.DeviceAvailable}, 2, a, c)
	check(portico.DeviceFilter{Status: portico.DeviceAvailable, GroupIDs: []string{sub.ID}, Q: "char"}, 1, c)

	// A long list of ids (more than either database allows as parameters) works.
	many := make([]string, 70000)
	for i := range many {
		many[i] = fmt.Sprintf("dev_%06d", i)
	}
	many[12345] = c.ID
	check(portico.DeviceFilter{IDs: many}, 1, c)
}

func testMoveDevices(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	d1, d2 := f.device(t, s, "", "d1"), f.device(t, s, "", "d2")
	when := at(time.Hour)
	must(t, s.MoveDevices(ctx, f.acc.ID, []string{d1.ID, d2.ID}, f.group.ID, &when))
	for _, id := range []string{d1.ID, d2.ID} {
		got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, id))
		if got.GroupID != f.group.ID || got.LeftUnassignedAt == nil || !got.LeftUnassignedAt.Equal(normTime(when)) {
			t.Fatalf("after move: group %q, left %v", got.GroupID, got.LeftUnassignedAt)
		}
	}
	// Without a time, LeftUnassignedAt stays.
	must(t, s.MoveDevices(ctx, f.acc.ID, []string{d1.ID}, portico.UnassignedGroupID, nil))
	got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID))
	if got.GroupID != portico.UnassignedGroupID || got.LeftUnassignedAt == nil {
		t.Fatalf("after move back: group %q, left %v", got.GroupID, got.LeftUnassignedAt)
	}
	if n := must1[int](t)(s.CountLicensedDevices(ctx, f.acc.ID)); n != 1 {
		t.Fatalf("CountLicensedDevices = %d", n)
	}

	// Any id outside the account: nothing moves.
	g := newFixture(t, s, "Globex")
	x := g.device(t, s, "", "x")
	wantKind(t, s.MoveDevices(ctx, f.acc.ID, []string{d1.ID, x.ID}, f.group.ID, nil), portico.KindNotFound)
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID)); got.GroupID != portico.UnassignedGroupID {
		t.Fatalf("partial move: %q", got.GroupID)
	}
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, g.acc.ID, x.ID)); got.GroupID != portico.UnassignedGroupID {
		t.Fatalf("another account's device moved: %q", got.GroupID)
	}
	// Into another account's group, or a missing one: refused.
	wantKind(t, s.MoveDevices(ctx, f.acc.ID, []string{d1.ID}, g.group.ID, nil), portico.KindNotFound)
	wantKind(t, s.MoveDevices(ctx, f.acc.ID, []string{d1.ID}, "grp_missing", nil), portico.KindNotFound)
	// Inside a transaction, with duplicates in the list.
	must(t, s.Tx(ctx, func(tx *Tx) error { return tx.MoveDevices(ctx, f.acc.ID, []string{d1.ID, d1.ID}, f.group.ID, nil) }))
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID)); got.GroupID != f.group.ID {
		t.Fatalf("group %q", got.GroupID)
	}
}

func testDeleteDeviceCascades(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	d, keep := f.device(t, s, f.group.ID, "pc"), f.device(t, s, f.group.ID, "keep")
	r := f.role(t, s, "R")
	asg := f.assign(t, s, portico.PrincipalUser, f.owner.ID, r.ID, portico.ScopeTypeDevice, d.ID)
	asgKeep := f.assign(t, s, portico.PrincipalUser, f.owner.ID, r.ID, portico.ScopeTypeDevice, keep.ID)
	must(t, s.SetFavourite(ctx, f.acc.ID, f.owner.ID, d.ID, true))
	must(t, s.AddHistory(ctx, &portico.HistoryEntry{ID: "his_1", AccountID: f.acc.ID, DeviceID: d.ID, At: now, Action: "enrolled"}))
	must(t, s.DeleteDevice(ctx, f.acc.ID, d.ID))
	_, err := s.GetDevice(ctx, f.acc.ID, d.ID)
	wantKind(t, err, portico.KindNotFound)
	_, err = s.GetAssignment(ctx, f.acc.ID, asg.ID)
	wantKind(t, err, portico.KindNotFound)
	must1[*portico.Assignment](t)(s.GetAssignment(ctx, f.acc.ID, asgKeep.ID))
	equal(t, must1[[]string](t)(s.ListFavourites(ctx, f.acc.ID, f.owner.ID)), []string{})
	if n := rawCount(t, s, `SELECT COUNT(*) FROM device_history WHERE device_id = $1`, d.ID); n != 0 {
		t.Fatalf("%d history entries left", n)
	}
	wantKind(t, s.DeleteDevice(ctx, f.acc.ID, d.ID), portico.KindNotFound)
}

func testFavourites(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	d1, d2 := f.device(t, s, f.group.ID, "d1"), f.device(t, s, "", "d2")
	must(t, s.SetFavourite(ctx, f.acc.ID, bob.ID, d1.ID, true))
	must(t, s.SetFavourite(ctx, f.acc.ID, bob.ID, d1.ID, true)) // again: no-op
	must(t, s.SetFavourite(ctx, f.acc.ID, bob.ID, d2.ID, true))
	must(t, s.SetFavourite(ctx, f.acc.ID, f.owner.ID, d2.ID, true))
	equal(t, must1[[]string](t)(s.ListFavourites(ctx, f.acc.ID, bob.ID)), sorted(d1.ID, d2.ID))
	must(t, s.SetFavourite(ctx, f.acc.ID, bob.ID, d1.ID, false))
	must(t, s.SetFavourite(ctx, f.acc.ID, bob.ID, d1.ID, false))
	equal(t, must1[[]string](t)(s.ListFavourites(ctx, f.acc.ID, bob.ID)), []string{d2.ID})
	equal(t, must1[[]string](t)(s.ListFavourites(ctx, f.acc.ID, f.owner.ID)), []string{d2.ID})

	g := newFixture(t, s, "Globex")
	x := g.device(t, s, "", "x")
	wantKind(t, s.SetFavourite(ctx, f.acc.ID, bob.ID, x.ID, true), portico.KindNotFound)
	equal(t, must1[[]string](t)(s.ListFavourites(ctx, g.acc.ID, bob.ID)), []string{})
}

func testHistory(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	d, other := f.device(t, s, f.group.ID, "pc"), f.device(t, s, f.group.ID, "other")
	var all []portico.HistoryEntry
	for i, action := range []string{"enrolled", "moved", "edited", "moved", "session"} {
		h := portico.HistoryEntry{ID: fmt.Sprintf("his_%d", i), AccountID: f.acc.ID, DeviceID: d.ID, At: at(time.Duration(i) * time.Minute),
			ActorID: f.owner.ID, ActorName: "Owner", Action: action, Detail: fmt.Sprintf("step %d", i)}
		must(t, s.AddHistory(ctx, &h))
		all = append([]portico.HistoryEntry{h}, all...) // newest first
	}
	// Two in the same instant keep their insertion order (newest first).
	same1 := portico.HistoryEntry{ID: "his_a", AccountID: f.acc.ID, DeviceID: d.ID, At: at(time.Hour), Action: "x"}
	same2 := portico.HistoryEntry{ID: "his_b", AccountID: f.acc.ID, DeviceID: d.ID, At: at(time.Hour), Action: "x"}
	must(t, s.AddHistory(ctx, &same1))
	must(t, s.AddHistory(ctx, &same2))
	all = append([]portico.HistoryEntry{same2, same1}, all...)
	must(t, s.AddHistory(ctx, &portico.HistoryEntry{ID: "his_o", AccountID: f.acc.ID, DeviceID: other.ID, At: now, Action: "moved"}))

	got, total := must2[[]portico.HistoryEntry, int](t)(s.ListHistory(ctx, f.acc.ID, d.ID, portico.HistoryFilter{}))
	equal(t, got, all)
	if total != 7 {
		t.Fatalf("total = %d", total)
	}
	got, total = must2[[]portico.HistoryEntry, int](t)(s.ListHistory(ctx, f.acc.ID, d.ID, portico.HistoryFilter{Action: "moved"}))
	equal(t, got, []portico.HistoryEntry{all[3], all[5]})
	since, until := at(time.Minute), at(3*time.Minute)
	got, total = must2[[]portico.HistoryEntry, int](t)(s.ListHistory(ctx, f.acc.ID, d.ID, portico.HistoryFilter{Since: &since, Until: &until}))
	equal(t, got, []portico.HistoryEntry{all[4], all[5]})
	got, total = must2[[]portico.HistoryEntry, int](t)(s.ListHistory(ctx, f.acc.ID, d.ID, portico.HistoryFilter{Page: portico.Page{Limit: 2, Offset: 1}}))
	equal(t, got, all[1:3])
	if total != 7 {
		t.Fatalf("paged total = %d", total)
	}

	g := newFixture(t, s, "Globex")
	got, total = must2[[]portico.HistoryEntry, int](t)(s.ListHistory(ctx, g.acc.ID, d.ID, portico.HistoryFilter{}))
	if len(got) != 0 || total != 0 {
		t.Fatalf("another account sees history: %v", got)
	}
	wantKind(t, s.AddHistory(ctx, &portico.HistoryEntry{ID: "his_x", AccountID: g.acc.ID, DeviceID: d.ID, At: now, Action: "x"}), portico.KindNotFound)
}

func testRules(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	mk := func(name string) *portico.AssignmentRule {
		r := &portico.AssignmentRule{ID: portico.NewID("rul"), AccountID: f.acc.ID, Name: name, Enabled: true, Match: portico.MatchAll,
			TargetGroupID: f.group.ID, Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpStartsWith, Value: name}},
			CreatedAt: now}
		must(t, s.CreateRule(ctx, r))
		return r
	}
	r1, r2, r3 := mk("one"), mk("two"), mk("three")
	if r1.Position != 1 || r2.Position != 2 || r3.Position != 3 {
		t.Fatalf("positions %d %d %d", r1.Position, r2.Position, r3.Position)
	}
	equal(t, must1[*portico.AssignmentRule](t)(s.GetRule(ctx, f.acc.ID, r2.ID)), r2)
	equal(t, must1[[]portico.AssignmentRule](t)(s.ListRules(ctx, f.acc.ID)), []portico.AssignmentRule{*r1, *r2, *r3})

	sub := f.deviceGroup(t, s, f.group.ID, "Sub")
	r2.Name, r2.Description, r2.Enabled, r2.Match, r2.TargetGroupID = "two!", "desc", false, portico.MatchAny, sub.ID
	r2.Conditions = []portico.RuleCondition{{Property: portico.PropIPAddress, Operator: portico.OpCIDR, Value: "10.0.0.0/8"},
		{Property: portico.PropOSName, Operator: portico.OpEquals, Value: "Linux"}}
	must(t, s.UpdateRule(ctx, r2))
	equal(t, must1[*portico.AssignmentRule](t)(s.GetRule(ctx, f.acc.ID, r2.ID)), r2)
	// A rule's target group keeps the group from being deleted.
	wantKind(t, s.DeleteDeviceGroup(ctx, f.acc.ID, sub.ID), portico.KindConflict)

	must(t, s.ReorderRules(ctx, f.acc.ID, []string{r3.ID, r1.ID, r2.ID}))
	var order []string
	for _, r := range must1[[]portico.AssignmentRule](t)(s.ListRules(ctx, f.acc.ID)) {
		order = append(order, r.Name)
	}
	equal(t, order, []string{"three", "one", "two!"})
	// Not exactly the account's rules: invalid, order unchanged.
	g := newFixture(t, s, "Globex")
	foreign := &portico.AssignmentRule{ID: "rul_foreign", AccountID: g.acc.ID, Name: "f", Match: portico.MatchAll, TargetGroupID: g.group.ID, CreatedAt: now}
	must(t, s.CreateRule(ctx, foreign))
	for _, ids := range [][]string{{r3.ID, r1.ID}, {r3.ID, r1.ID, r2.ID, r2.ID}, {r3.ID, r1.ID, foreign.ID}, {r3.ID, r1.ID, r2.ID, foreign.ID}} {
		wantKind(t, s.ReorderRules(ctx, f.acc.ID, ids), portico.KindInvalid)
	}
	if got := must1[[]portico.AssignmentRule](t)(s.ListRules(ctx, f.acc.ID)); got[0].ID != r3.ID || len(got) != 3 {
		t.Fatalf("order changed: %v", got)
	}
	// A new rule goes last.
	r4 := mk("four")
	if r4.Position != 4 {
		t.Fatalf("new rule position %d", r4.Position)
	}

	// Isolation: another account's group as target, another account's rule.
	bad := &portico.AssignmentRule{ID: "rul_bad", AccountID: f.acc.ID, Name: "bad", Match: portico.MatchAll, TargetGroupID: g.group.ID, CreatedAt: now}
	wantKind(t, s.CreateRule(ctx, bad), portico.KindNotFound)
	_, err := s.GetRule(ctx, f.acc.ID, foreign.ID)
	wantKind(t, err, portico.KindNotFound)
	stolen := *r1
	stolen.AccountID, stolen.TargetGroupID = g.acc.ID, g.group.ID
	wantKind(t, s.UpdateRule(ctx, &stolen), portico.KindNotFound)
	wantKind(t, s.DeleteRule(ctx, g.acc.ID, r1.ID), portico.KindNotFound)

	must(t, s.DeleteRule(ctx, f.acc.ID, r1.ID))
	order = nil
	for _, r := range must1[[]portico.AssignmentRule](t)(s.ListRules(ctx, f.acc.ID)) {
		order = append(order, r.Name)
	}
	equal(t, order, []string{"three", "two!", "four"})
}

func testEnrollmentTokens(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	t1 := &portico.EnrollmentToken{ID: "tok_1", AccountID: f.acc.ID, CreatedAt: now, CreatedBy: f.owner.ID, Hash: portico.HashSecret("one")}
	t2 := &portico.EnrollmentToken{ID: "tok_2", AccountID: f.acc.ID, GroupID: f.group.ID, CreatedAt: at(time.Second), CreatedBy: f.owner.ID, Hash: portico.HashSecret("two")}
	must(t, s.CreateEnrollmentToken(ctx, t1))
	must(t, s.CreateEnrollmentToken(ctx, t2))
	equal(t, must1[*portico.EnrollmentToken](t)(s.GetEnrollmentTokenByHash(ctx, t2.Hash)), t2)
	equal(t, must1[[]portico.EnrollmentToken](t)(s.ListEnrollmentTokens(ctx, f.acc.ID)), []portico.EnrollmentToken{*t2, *t1})
	_, err := s.GetEnrollmentTokenByHash(ctx, "nope")
	wantKind(t, err, portico.KindNotFound)

	must(t, s.RevokeEnrollmentToken(ctx, f.acc.ID, t1.ID, at(time.Minute)))
	must(t, s.RevokeEnrollmentToken(ctx, f.acc.ID, t1.ID, at(time.Hour))) // keeps the first time
	t1.RevokedAt = ptr(normTime(at(time.Minute)))
	equal(t, must1[*portico.EnrollmentToken](t)(s.GetEnrollmentTokenByHash(ctx, t1.Hash)), t1)

	g := newFixture(t, s, "Globex")
	wantKind(t, s.RevokeEnrollmentToken(ctx, g.acc.ID, t2.ID, now), portico.KindNotFound)
	if ts := must1[[]portico.EnrollmentToken](t)(s.ListEnrollmentTokens(ctx, g.acc.ID)); len(ts) != 0 {
		t.Fatalf("another account's tokens: %v", ts)
	}
	wantKind(t, s.CreateEnrollmentToken(ctx, &portico.EnrollmentToken{ID: "tok_3", AccountID: g.acc.ID, GroupID: f.group.ID,
		CreatedAt: now, Hash: "h3"}), portico.KindNotFound)
}

func testAPIKeys(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	k1 := &portico.APIKey{ID: "key_1", AccountID: f.acc.ID, UserID: f.owner.ID, Name: "ci", CreatedAt: now, Hash: portico.HashSecret("k1")}
	k2 := &portico.APIKey{ID: "key_2", AccountID: f.acc.ID, UserID: f.owner.ID, Name: "read", CreatedAt: at(time.Second),
		Permissions: []portico.Permission{portico.PermDevicesList, portico.PermDeviceView}, Hash: portico.HashSecret("k2")}
	must(t, s.CreateAPIKey(ctx, k1))
	must(t, s.CreateAPIKey(ctx, k2))
	equal(t, must1[*portico.APIKey](t)(s.GetAPIKeyByHash(ctx, k2.Hash)), k2)
	if got := must1[*portico.APIKey](t)(s.GetAPIKeyByHash(ctx, k1.Hash)); got.Permissions != nil {
		t.Fatalf("a key without a list reads back with %v", got.Permissions)
	}
	equal(t, must1[[]portico.APIKey](t)(s.ListAPIKeys(ctx, f.acc.ID)), []portico.APIKey{*k1, *k2})

	must(t, s.TouchAPIKey(ctx, k1.ID, at(time.Minute)))
	must(t, s.RevokeAPIKey(ctx, f.acc.ID, k1.ID, at(time.Hour)))
	k1.LastUsedAt, k1.RevokedAt = ptr(normTime(at(time.Minute))), ptr(normTime(at(time.Hour)))
	equal(t, must1[*portico.APIKey](t)(s.GetAPIKeyByHash(ctx, k1.Hash)), k1)
	wantKind(t, s.TouchAPIKey(ctx, "key_missing", now), portico.KindNotFound)

	g := newFixture(t, s, "Globex")
	wantKind(t, s.RevokeAPIKey(ctx, g.acc.ID, k2.ID, now), portico.KindNotFound)
	if got := must1[*portico.APIKey](t)(s.GetAPIKeyByHash(ctx, k2.Hash)); got.RevokedAt != nil {
		t.Fatal("revoked through another account")
	}
	wantKind(t, s.CreateAPIKey(ctx, &portico.APIKey{ID: "key_3", AccountID: g.acc.ID, UserID: f.owner.ID, Name: "x",
		CreatedAt: now, Hash: "h3"}), portico.KindNotFound)
}
