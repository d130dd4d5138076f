package app

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func TestMoveOutOfUnassignedAndThe90DayRule(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	office := e.group("Office", "")
	dev := e.enroll(tok, "PC-1")
	if d := e.get(dev); !d.Unassigned() || d.GroupName != "Unassigned" {
		t.Fatalf("new device in %q (%s), want Unassigned", d.GroupID, d.GroupName)
	}
	left := e.now
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{dev}, office); err != nil {
		t.Fatal(err)
	}
	d := e.get(dev)
	if d.GroupID != office || d.GroupName != "Office" || d.LeftUnassignedAt == nil || !d.LeftUnassignedAt.Equal(left) {
		t.Fatalf("after move: group %q left %v", d.GroupID, d.LeftUnassignedAt)
	}

	tests := []struct {
		name    string
		after   time.Duration
		allowed bool
	}{
		{"at once", 0, false},
		{"after 89 days", 89 * 24 * time.Hour, false},
		{"after 90 days", 90 * 24 * time.Hour, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.now = left.Add(tt.after)
			err := e.a.MoveDevices(e.ctx, e.owner, []string{dev}, portico.UnassignedGroupID)
			if !tt.allowed {
				msg := wantField(t, err, "group_id")
				if !strings.Contains(msg, left.Add(portico.UnassignedLockout).Format(time.DateOnly)) {
					t.Fatalf("message %q does not say from when the move is allowed", msg)
				}
				if e.get(dev).GroupID != office {
					t.Fatal("refused move changed the group")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !e.get(dev).Unassigned() {
				t.Fatal("device not back in Unassigned")
			}
		})
	}
	if got := e.history(dev); !contains(got, "enrolled") || !contains(got, "moved") {
		t.Fatalf("history %v", got)
	}
}

func TestLicenceExhaustion(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	office := e.group("Office", "")
	e.setAccount(func(s *portico.AccountSettings) { s.ManagedLicences = 2 })
	d1, d2, d3 := e.enroll(tok, "PC-1"), e.enroll(tok, "PC-2"), e.enroll(tok, "PC-3")
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{d1}, office); err != nil {
		t.Fatal(err)
	}
	// Two devices need two licences; one is free: neither moves.
	err := e.a.MoveDevices(e.ctx, e.owner, []string{d2, d3}, office)
	wantKind(t, err, portico.KindLimit)
	if !strings.Contains(err.Error(), "licence") {
		t.Fatalf("unclear message: %v", err)
	}
	if !e.get(d2).Unassigned() || !e.get(d3).Unassigned() {
		t.Fatal("a refused bulk move moved a device")
	}
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{d2}, office); err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.a.MoveDevices(e.ctx, e.owner, []string{d3}, office), portico.KindLimit)
	lic, err := e.a.GetLicences(e.ctx, e.owner)
	if err != nil || lic.ManagedUsed != 2 || lic.ManagedLimit != 2 {
		t.Fatalf("licences %+v, %v", lic, err)
	}
	// Moving between groups needs no new licence.
	other := e.group("Other", "")
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{d1}, other); err != nil {
		t.Fatalf("move between groups: %v", err)
	}
	// Going back to Unassigned (after the lockout) frees a licence.
	e.advance(portico.UnassignedLockout)
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{d1}, portico.UnassignedGroupID); err != nil {
		t.Fatal(err)
	}
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{d3}, office); err != nil {
		t.Fatalf("licence not freed: %v", err)
	}
	// Licences need account.view or billing.view.
	nobody := e.user("n@example.test")
	_, err = e.a.GetLicences(e.ctx, nobody)
	wantKind(t, err, portico.KindForbidden)
}

func TestMoveNeedsPermissionOnSourceAndTarget(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	a, b, c := e.group("A", ""), e.group("B", ""), e.group("C", "")
	inA := e.device(tok, "PC-A", a)
	inC := e.device(tok, "PC-C", c)
	mover := e.role("Mover", portico.PermDeviceMove)
	u := e.user("u@example.test", grant{mover, portico.ScopeTypeDeviceGroup, a}, grant{mover, portico.ScopeTypeDeviceGroup, b})
	tests := []struct {
		name   string
		ids    []string
		target string
		kind   portico.ErrorKind // "" means success
		field  string
	}{
		// Groups and devices the user may not view are refused as unknown ones are.
		{"target without permission", []string{inA}, c, portico.KindNotFound, "group_id"},
		{"source without permission", []string{inC}, b, portico.KindNotFound, ""},
		{"one source of two without permission", []string{inA, inC}, b, portico.KindNotFound, ""},
		{"to Unassigned needs account-level move", []string{inA}, portico.UnassignedGroupID, portico.KindForbidden, ""},
		{"unknown target", []string{inA}, "grp_nosuch", portico.KindInvalid, "group_id"},
		{"no devices", nil, b, portico.KindInvalid, "device_ids"},
		{"no target", []string{inA}, "", portico.KindInvalid, "group_id"},
		{"both allowed", []string{inA}, b, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.a.MoveDevices(e.ctx, u, tt.ids, tt.target)
			switch {
			case tt.field != "":
				wantField(t, err, tt.field)
			case tt.kind != "":
				wantKind(t, err, tt.kind)
			case err != nil:
				t.Fatal(err)
			}
		})
	}
	if e.get(inA).GroupID != b || e.get(inC).GroupID != c {
		t.Fatal("devices not where the allowed moves put them")
	}
}

func TestNarrowRoleSeesOnlyItsDevices(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	germany := e.group("Germany", "")
	munich := e.group("Munich", germany)
	uk := e.group("UK", "")
	muc := e.device(tok, "MUC-1", munich)
	ger := e.device(tok, "GER-1", germany)
	ukd := e.device(tok, "UK-1", uk)
	unassigned := e.enroll(tok, "NEW-1")
	alice := e.user("alice@example.test", grant{e.systemRole("device_connection"), portico.ScopeTypeDeviceGroup, germany})

	page, err := e.a.ListDevices(e.ctx, alice, DeviceQuery{})
	if err != nil {
		t.Fatal(err)
	}
	if got := idsOf(page); page.Total != 2 || len(got) != 2 || got[0] != ger || got[1] != muc {
		t.Fatalf("alice sees %v (total %d), want GER-1, MUC-1", got, page.Total)
	}
	page, err = e.a.ListDevices(e.ctx, e.owner, DeviceQuery{})
	if err != nil || page.Total != 4 {
		t.Fatalf("owner sees %d (%v), want 4", page.Total, err)
	}
	if _, err := e.a.GetDevice(e.ctx, alice, muc); err != nil {
		t.Fatalf("alice reads her device: %v", err)
	}
	for _, id := range []string{ukd, unassigned} {
		_, err := e.a.GetDevice(e.ctx, alice, id)
		wantKind(t, err, portico.KindNotFound) // not hers to see: not found, not forbidden
	}
	name := "renamed"
	_, err = e.a.UpdateDevice(e.ctx, alice, muc, DeviceUpdate{Name: &name})
	wantKind(t, err, portico.KindForbidden)
	groups, err := e.a.ListDeviceGroups(e.ctx, alice)
	if err != nil || len(groups) != 2 {
		t.Fatalf("alice sees groups %+v (%v), want Germany and Munich", groups, err)
	}

	// Filters: a group without its sub-groups, then with them.
	page, err = e.a.ListDevices(e.ctx, alice, DeviceQuery{GroupID: germany})
	if err != nil || page.Total != 1 || idsOf(page)[0] != ger {
		t.Fatalf("Germany only: %+v, %v", page, err)
	}
	page, err = e.a.ListDevices(e.ctx, alice, DeviceQuery{GroupID: germany, Recursive: true})
	if err != nil || page.Total != 2 {
		t.Fatalf("Germany and below: %+v, %v", page, err)
	}
	page, err = e.a.ListDevices(e.ctx, alice, DeviceQuery{GroupID: uk})
	if err != nil || page.Total != 0 {
		t.Fatalf("UK for alice: %+v, %v", page, err)
	}

	// A user with no device access at all cannot open the section; devices.list opens it, empty.
	nobody := e.user("n@example.test")
	_, err = e.a.ListDevices(e.ctx, nobody, DeviceQuery{})
	wantKind(t, err, portico.KindForbidden)
	lister := e.user("l@example.test", grant{e.systemRole("devices_list"), portico.ScopeTypeAccount, ""})
	page, err = e.a.ListDevices(e.ctx, lister, DeviceQuery{})
	if err != nil || page.Total != 0 {
		t.Fatalf("devices.list alone: %+v, %v", page, err)
	}

	// A new assignment takes effect on the next request.
	if _, err := e.a.CreateAssignment(e.ctx, e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: alice.UserID, RoleID: e.systemRole("device_connection"), ScopeType: portico.ScopeTypeDevice, ScopeID: ukd}); err != nil {
		t.Fatal(err)
	}
	page, err = e.a.ListDevices(e.ctx, alice, DeviceQuery{})
	if err != nil || page.Total != 3 {
		t.Fatalf("after a device assignment alice sees %d (%v), want 3", page.Total, err)
	}
}

func TestListDevicesFiltersAndPages(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	office := e.group("Office", "")
	for _, n := range []string{"ALPHA", "BRAVO", "CHARLIE", "DELTA", "ECHO"} {
		e.device(tok, n, office)
	}
	viewer := e.user("v@example.test", grant{e.systemRole("full_device_access"), portico.ScopeTypeDeviceGroup, office})
	for _, ac := range []*Actor{e.owner, viewer} {
		page, err := e.a.ListDevices(e.ctx, ac, DeviceQuery{Page: portico.Page{Limit: 2, Offset: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 5 || len(page.Devices) != 2 || page.Devices[0].Name != "BRAVO" || page.Devices[1].Name != "CHARLIE" {
			t.Fatalf("%s page 2: %+v", ac.Name, page)
		}
		page, err = e.a.ListDevices(e.ctx, ac, DeviceQuery{Q: "ha"})
		if err != nil || page.Total != 2 { // ALPHA, CHARLIE
			t.Fatalf("%s q=ha: %+v, %v", ac.Name, page, err)
		}
		page, err = e.a.ListDevices(e.ctx, ac, DeviceQuery{Status: portico.DeviceAvailable})
		if err != nil || page.Total != 0 {
			t.Fatalf("%s available: %+v, %v", ac.Name, page, err)
		}
	}
	_, err := e.a.ListDevices(e.ctx, e.owner, DeviceQuery{Status: "asleep"})
	wantField(t, err, "status")
	_, err = e.a.ListDevices(e.ctx, e.owner, DeviceQuery{GroupID: "grp_nosuch"})
	wantKind(t, err, portico.KindNotFound)
}

func TestUpdateAndDeleteDevices(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	a, b := e.group("A", ""), e.group("B", "")
	inA, inB := e.device(tok, "PC-A", a), e.device(tok, "PC-B", b)
	str := func(s string) *string { return &s }
	d, err := e.a.UpdateDevice(e.ctx, e.owner, inA, DeviceUpdate{Name: str(" Reception PC ")})
	if err != nil || d.Name != "Reception PC" {
		t.Fatalf("rename: %+v, %v", d, err)
	}
	_, err = e.a.UpdateDevice(e.ctx, e.owner, inA, DeviceUpdate{Name: str("")})
	wantField(t, err, "name")
	_, err = e.a.UpdateDevice(e.ctx, e.owner, inA, DeviceUpdate{Name: str(strings.Repeat("x", 101))})
	wantField(t, err, "name")

	deleter := e.role("Deleter", portico.PermDeviceDelete)
	u := e.user("d@example.test", grant{deleter, portico.ScopeTypeDeviceGroup, a})
	// All or nothing: one device the user may not delete refuses the lot.
	wantKind(t, e.a.DeleteDevices(e.ctx, u, []string{inA, inB}), portico.KindNotFound) // inB is not theirs to see
	e.get(inA)
	if err := e.a.DeleteDevices(e.ctx, u, []string{inA}); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.GetDevice(e.ctx, e.owner, inA)
	wantKind(t, err, portico.KindNotFound)
	wantField(t, e.a.DeleteDevices(e.ctx, e.owner, nil), "device_ids")
	wantKind(t, e.a.DeleteDevices(e.ctx, e.owner, []string{inB, "dev_nosuch"}), portico.KindNotFound)
	e.get(inB)
	if err := e.a.DeleteDevices(e.ctx, e.owner, []string{inB}); err != nil {
		t.Fatal(err)
	}
	// The emptied group can now go.
	if err := e.a.DeleteDeviceGroup(e.ctx, e.owner, b); err != nil {
		t.Fatal(err)
	}
}

func TestFavourites(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	office := e.group("Office", "")
	d1, d2 := e.device(tok, "PC-1", office), e.device(tok, "PC-2", office)
	other := e.user("o@example.test", grant{e.systemRole("full_device_access"), portico.ScopeTypeDeviceGroup, office})
	if err := e.a.SetFavourite(e.ctx, e.owner, d2, true); err != nil {
		t.Fatal(err)
	}
	page, err := e.a.ListDevices(e.ctx, e.owner, DeviceQuery{FavouritesOnly: true})
	if err != nil || page.Total != 1 || page.Devices[0].ID != d2 || !page.Devices[0].Favourite {
		t.Fatalf("owner favourites: %+v, %v", page, err)
	}
	if v := e.get(d1); v.Favourite {
		t.Fatal("PC-1 marked favourite")
	}
	// Favourites are per user.
	page, err = e.a.ListDevices(e.ctx, other, DeviceQuery{FavouritesOnly: true})
	if err != nil || page.Total != 0 {
		t.Fatalf("other user's favourites: %+v, %v", page, err)
	}
	if err := e.a.SetFavourite(e.ctx, other, d1, true); err != nil {
		t.Fatal(err)
	}
	page, _ = e.a.ListDevices(e.ctx, other, DeviceQuery{FavouritesOnly: true})
	if page.Total != 1 || page.Devices[0].ID != d1 {
		t.Fatalf("other user's favourites: %+v", page)
	}
	if err := e.a.SetFavourite(e.ctx, e.owner, d2, false); err != nil {
		t.Fatal(err)
	}
	page, _ = e.a.ListDevices(e.ctx, e.owner, DeviceQuery{FavouritesOnly: true})
	if page.Total != 0 {
		t.Fatalf("unmarked favourite still listed: %+v", page)
	}
	// A device the user cannot view cannot be a favourite.
	hidden := e.device(tok, "PC-3", e.group("Hidden", ""))
	wantKind(t, e.a.SetFavourite(e.ctx, other, hidden, true), portico.KindNotFound)
}

func TestDeviceHistory(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	office := e.group("Office", "")
	dev := e.device(tok, "PC-1", office)
	name := "PC-One"
	if _, err := e.a.UpdateDevice(e.ctx, e.owner, dev, DeviceUpdate{Name: &name}); err != nil {
		t.Fatal(err)
	}
	entries, total, err := e.a.DeviceHistory(e.ctx, e.owner, dev, portico.HistoryFilter{})
	if err != nil || total != 3 {
		t.Fatalf("history: %d entries (%v), want 3", total, err)
	}
	var actions []string
	for _, h := range entries {
		actions = append(actions, h.Action)
		if h.Action == "moved" && h.ActorID != e.owner.UserID {
			t.Fatalf("move recorded as done by %q", h.ActorID)
		}
	}
	for _, want := range []string{"enrolled", "moved", "edited"} {
		if !contains(actions, want) {
			t.Fatalf("history %v lacks %q", actions, want)
		}
	}
	moved, total, err := e.a.DeviceHistory(e.ctx, e.owner, dev, portico.HistoryFilter{Action: "moved"})
	if err != nil || total != 1 || len(moved) != 1 {
		t.Fatalf("filtered history: %+v, %v", moved, err)
	}
	// device.history is needed: "Only device connection" does not have it.
	u := e.user("c@example.test", grant{e.systemRole("device_connection"), portico.ScopeTypeDeviceGroup, office})
	_, _, err = e.a.DeviceHistory(e.ctx, u, dev, portico.HistoryFilter{})
	wantKind(t, err, portico.KindForbidden)
}

func TestCrossAccountIDsAreNotFound(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	group := e.group("Office", "")
	dev := e.device(tok, "PC-1", group)
	enabled := true
	rule, err := e.a.CreateRule(e.ctx, e.owner, RuleInput{Name: "r", Enabled: &enabled, Match: portico.MatchAll,
		TargetGroupID: group, Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpContains, Value: "pc"}}})
	if err != nil {
		t.Fatal(err)
	}
	_, other := e.newAccount("Other Ltd", "other@example.test")
	otherGroup, err := e.a.CreateDeviceGroup(e.ctx, other, GroupInput{Name: "Theirs"})
	if err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	tests := []struct {
		name string
		call func() error
	}{
		{"get device", func() error { _, err := e.a.GetDevice(e.ctx, other, dev); return err }},
		{"update device", func() error { _, err := e.a.UpdateDevice(e.ctx, other, dev, DeviceUpdate{Name: str("x")}); return err }},
		{"delete device", func() error { return e.a.DeleteDevices(e.ctx, other, []string{dev}) }},
		{"move device", func() error { return e.a.MoveDevices(e.ctx, other, []string{dev}, otherGroup.ID) }},
		{"favourite", func() error { return e.a.SetFavourite(e.ctx, other, dev, true) }},
		{"history", func() error { _, _, err := e.a.DeviceHistory(e.ctx, other, dev, portico.HistoryFilter{}); return err }},
		{"get group", func() error { _, err := e.a.GetDeviceGroup(e.ctx, other, group); return err }},
		{"update group", func() error {
			_, err := e.a.UpdateDeviceGroup(e.ctx, other, group, GroupUpdate{Name: str("x")})
			return err
		}},
		{"delete group", func() error { return e.a.DeleteDeviceGroup(e.ctx, other, group) }},
		{"group settings", func() error { _, err := e.a.GetGroupSettings(e.ctx, other, group); return err }},
		{"list group devices", func() error { _, err := e.a.ListDevices(e.ctx, other, DeviceQuery{GroupID: group}); return err }},
		{"get rule", func() error { _, err := e.a.GetRule(e.ctx, other, rule.ID); return err }},
		{"delete rule", func() error { return e.a.DeleteRule(e.ctx, other, rule.ID) }},
		{"dry run", func() error { _, err := e.a.DryRun(e.ctx, other, rule.ID); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantKind(t, tt.call(), portico.KindNotFound) })
	}
	// Where another account's id is an input field, it is refused as an unknown value of that field.
	_, err = e.a.CreateDeviceGroup(e.ctx, other, GroupInput{Name: "x", ParentID: group})
	wantField(t, err, "parent_id")
	_, err = e.a.CreateRule(e.ctx, other, RuleInput{Name: "x", Match: portico.MatchAll, TargetGroupID: group,
		Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpContains, Value: "pc"}}})
	wantField(t, err, "target_group_id")
	_, _, err = e.a.CreateEnrollmentToken(e.ctx, other, group)
	wantField(t, err, "device_group_id")
	// The other owner's device list does not include ours.
	page, err := e.a.ListDevices(e.ctx, other, DeviceQuery{})
	if err != nil || page.Total != 0 {
		t.Fatalf("other account lists %+v, %v", page, err)
	}
	if e.get(dev).GroupID != group {
		t.Fatal("device changed by another account")
	}
}
