package app

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

func TestCreateDeviceGroupValidation(t *testing.T) {
	e := newEnv(t)
	parent := e.group("Germany", "")
	tests := []struct {
		name  string
		in    GroupInput
		field string // "" means success
	}{
		{"top level", GroupInput{Name: "UK"}, ""},
		{"sub-group", GroupInput{Name: "Munich", ParentID: parent, Colour: "#e67e22", Description: "Bavaria"}, ""},
		{"name at limit", GroupInput{Name: strings.Repeat("n", 100)}, ""},
		{"name too long", GroupInput{Name: strings.Repeat("n", 101)}, "name"},
		{"blank name", GroupInput{Name: "   "}, "name"},
		{"bad colour", GroupInput{Name: "X", Colour: "blue"}, "colour"},
		{"short colour", GroupInput{Name: "X", Colour: "#fff"}, "colour"},
		{"description too long", GroupInput{Name: "X", Description: strings.Repeat("d", 251)}, "description"},
		{"unknown parent", GroupInput{Name: "X", ParentID: "grp_nosuch"}, "parent_id"},
		{"under Unassigned", GroupInput{Name: "X", ParentID: portico.UnassignedGroupID}, "parent_id"},
		{"same name as a sibling", GroupInput{Name: "Germany"}, "name"},
		{"same name under another parent", GroupInput{Name: "UK", ParentID: parent}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := e.a.CreateDeviceGroup(e.ctx, e.owner, tt.in)
			if tt.field != "" {
				wantField(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.ParentID != tt.in.ParentID || g.Name != strings.TrimSpace(tt.in.Name) {
				t.Fatalf("created %+v from %+v", g, tt.in)
			}
			if tt.in.Colour == "" && g.Colour != DefaultGroupColour {
				t.Fatalf("colour %q, want the default", g.Colour)
			}
			got, err := e.a.GetDeviceGroup(e.ctx, e.owner, g.ID)
			if err != nil || got.Name != g.Name {
				t.Fatalf("read back: %+v, %v", got, err)
			}
		})
	}
}

func TestDeviceGroupDepthAndCycles(t *testing.T) {
	e := newEnv(t)
	// A chain of MaxGroupDepth levels: the last one cannot have a sub-group.
	chain := []string{e.group("L1", "")}
	for i := 2; i <= MaxGroupDepth; i++ {
		chain = append(chain, e.group("L"+itoa(i), chain[len(chain)-1]))
	}
	_, err := e.a.CreateDeviceGroup(e.ctx, e.owner, GroupInput{Name: "too deep", ParentID: chain[len(chain)-1]})
	wantField(t, err, "parent_id")

	other := e.group("Other", "")
	sub := e.group("Other sub", other)
	str := func(s string) *string { return &s }
	tests := []struct {
		name   string
		id     string
		parent string
		field  string
	}{
		{"into itself", chain[0], chain[0], "parent_id"},
		{"into its own descendant", chain[0], chain[3], "parent_id"},
		{"too deep after the move", other, chain[len(chain)-2], "parent_id"},
		{"unknown parent", other, "grp_nosuch", "parent_id"},
		{"fits", sub, chain[2], ""},
		{"back to the top", sub, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, tt.id, GroupUpdate{ParentID: str(tt.parent)})
			if tt.field != "" {
				wantField(t, err, tt.field)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if g.ParentID != tt.parent {
				t.Fatalf("parent %q, want %q", g.ParentID, tt.parent)
			}
		})
	}
	// The refused moves changed nothing.
	g, err := e.a.GetDeviceGroup(e.ctx, e.owner, chain[0])
	if err != nil || g.ParentID != "" {
		t.Fatalf("L1 after refused moves: %+v, %v", g, err)
	}
}

func TestUpdateDeviceGroupFields(t *testing.T) {
	e := newEnv(t)
	id := e.group("UK", "")
	str := func(s string) *string { return &s }
	g, err := e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Name: str(" United Kingdom "), Colour: str("#123456")})
	if err != nil || g.Name != "United Kingdom" || g.Colour != "#123456" {
		t.Fatalf("update: %+v, %v", g, err)
	}
	_, err = e.a.UpdateDeviceGroup(e.ctx, e.owner, id, GroupUpdate{Colour: str("red")})
	wantField(t, err, "colour")
	_, err = e.a.UpdateDeviceGroup(e.ctx, e.owner, portico.UnassignedGroupID, GroupUpdate{Name: str("x")})
	wantKind(t, err, portico.KindConflict)
}

func TestReparentNeedsManageAtBothParents(t *testing.T) {
	e := newEnv(t)
	a, b := e.group("A", ""), e.group("B", "")
	child := e.group("Child", a)
	manager := e.role("Group manager", portico.PermDeviceGroupsManage)
	onlyA := e.user("a@example.test", grant{manager, portico.ScopeTypeDeviceGroup, a})
	both := e.user("ab@example.test", grant{manager, portico.ScopeTypeDeviceGroup, a}, grant{manager, portico.ScopeTypeDeviceGroup, b})
	to := b
	// B is not onlyA's to see: moving under it is refused as if it did not exist.
	_, err := e.a.UpdateDeviceGroup(e.ctx, onlyA, child, GroupUpdate{ParentID: &to})
	wantField(t, err, "parent_id")
	wantKind(t, err, portico.KindNotFound)
	if _, err := e.a.UpdateDeviceGroup(e.ctx, both, child, GroupUpdate{ParentID: &to}); err != nil {
		t.Fatalf("manager of both parents: %v", err)
	}
	// Making it top-level needs device_groups.manage at account level.
	top := ""
	_, err = e.a.UpdateDeviceGroup(e.ctx, both, child, GroupUpdate{ParentID: &top})
	wantKind(t, err, portico.KindForbidden)
	// Creating a top-level group needs it too; a sub-group only at the parent.
	_, err = e.a.CreateDeviceGroup(e.ctx, onlyA, GroupInput{Name: "Top"})
	wantKind(t, err, portico.KindForbidden)
	if _, err := e.a.CreateDeviceGroup(e.ctx, onlyA, GroupInput{Name: "Under A", ParentID: a}); err != nil {
		t.Fatalf("sub-group where allowed: %v", err)
	}
}

func TestDeleteDeviceGroup(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	parent := e.group("Parent", "")
	sub := e.group("Sub", parent)
	withDevice := e.group("With device", "")
	e.device(tok, "PC-1", withDevice)
	target := e.group("Rule target", "")
	enabled := true
	if _, err := e.a.CreateRule(e.ctx, e.owner, RuleInput{Name: "r", Enabled: &enabled, Match: portico.MatchAll,
		TargetGroupID: target, Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpContains, Value: "x"}}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		id      string
		kind    portico.ErrorKind // "" means success
		message string
	}{
		{"has a sub-group", parent, portico.KindConflict, "1 sub-group and 0 devices"},
		{"has a device", withDevice, portico.KindConflict, "0 sub-groups and 1 device"},
		{"rule target", target, portico.KindConflict, "assignment rule"},
		{"Unassigned", portico.UnassignedGroupID, portico.KindConflict, "Unassigned"},
		{"unknown", "grp_nosuch", portico.KindNotFound, ""},
		{"empty", sub, "", ""},
		{"parent once empty", parent, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.a.DeleteDeviceGroup(e.ctx, e.owner, tt.id)
			if tt.kind != "" {
				wantKind(t, err, tt.kind)
				if !strings.Contains(err.Error(), tt.message) {
					t.Fatalf("message %q does not say %q", err, tt.message)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			_, err = e.a.GetDeviceGroup(e.ctx, e.owner, tt.id)
			wantKind(t, err, portico.KindNotFound)
		})
	}
}

func TestListDeviceGroupsFollowsAccess(t *testing.T) {
	e := newEnv(t)
	germany := e.group("Germany", "")
	munich := e.group("Munich", germany)
	berlin := e.group("Berlin", germany)
	uk := e.group("UK", "")
	viewer := e.role("Group viewer", portico.PermDeviceGroupsView)
	// A viewer of Munich also sees Germany, the path to it, but not Berlin or UK.
	u := e.user("m@example.test", grant{viewer, portico.ScopeTypeDeviceGroup, munich})
	groups, err := e.a.ListDeviceGroups(e.ctx, u)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, g := range groups {
		got = append(got, g.ID)
	}
	if len(got) != 2 || !contains(got, germany) || !contains(got, munich) {
		t.Fatalf("Munich viewer sees %v, want Germany and Munich", got)
	}
	if _, err := e.a.GetDeviceGroup(e.ctx, u, germany); err != nil {
		t.Fatalf("the path above a visible group: %v", err)
	}
	// A group one may not view is not found, not forbidden: the refusal does not tell it exists.
	_, err = e.a.GetDeviceGroup(e.ctx, u, berlin)
	wantKind(t, err, portico.KindNotFound)
	all, err := e.a.ListDeviceGroups(e.ctx, e.owner)
	if err != nil || len(all) != 5 { // the default group too
		t.Fatalf("owner sees %d groups (%v), want 5", len(all), err)
	}
	_ = uk
}

func TestGroupSettingsInheritance(t *testing.T) {
	e := newEnv(t)
	germany := e.group("Germany", "")
	munich := e.group("Munich", germany)
	if _, err := e.a.PutGroupSettings(e.ctx, e.owner, germany, portico.GroupSettings{portico.FeatureChat: false}); err != nil {
		t.Fatal(err)
	}
	v, err := e.a.GetGroupSettings(e.ctx, e.owner, munich)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		feature portico.Feature
		want    EffectiveSetting
	}{
		{portico.FeatureChat, EffectiveSetting{Enabled: false, FromGroupID: germany}},
		{portico.FeatureView, EffectiveSetting{Enabled: true}},
		{portico.FeatureRequireAck, EffectiveSetting{Enabled: false}},
	}
	for _, tt := range tests {
		if got := v.Effective[tt.feature]; got != tt.want {
			t.Errorf("Munich %s = %+v, want %+v", tt.feature, got, tt.want)
		}
	}
	if len(v.Own) != 0 || len(v.Effective) != len(portico.Features) {
		t.Fatalf("Munich view %+v", v)
	}

	// Munich sets chat itself: its own value wins over the inherited one.
	v, err = e.a.PutGroupSettings(e.ctx, e.owner, munich, portico.GroupSettings{portico.FeatureChat: true})
	if err != nil || v.Effective[portico.FeatureChat] != (EffectiveSetting{Enabled: true, FromGroupID: munich}) {
		t.Fatalf("Munich chat on: %+v, %v", v, err)
	}

	// Disable all sets every feature explicitly; enable all too, acknowledgement included.
	v, err = e.a.SetAllGroupSettings(e.ctx, e.owner, germany, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, fi := range portico.Features {
		if on, ok := v.Own[fi.Feature]; !ok || on || v.Effective[fi.Feature].FromGroupID != germany {
			t.Errorf("after disable all, %s own=%v,%v effective=%+v", fi.Feature, on, ok, v.Effective[fi.Feature])
		}
	}
	v, err = e.a.SetAllGroupSettings(e.ctx, e.owner, germany, true)
	if err != nil || len(v.Own) != len(portico.Features) || !v.Effective[portico.FeatureRequireAck].Enabled {
		t.Fatalf("enable all: %+v, %v", v, err)
	}

	// Unknown features are refused, naming them, and change nothing.
	_, err = e.a.PutGroupSettings(e.ctx, e.owner, germany, portico.GroupSettings{"teleport": true})
	wantField(t, err, "own.teleport")
	v, _ = e.a.GetGroupSettings(e.ctx, e.owner, germany)
	if len(v.Own) != len(portico.Features) {
		t.Fatalf("refused put changed the settings: %+v", v.Own)
	}
}

func TestGroupSettingTakesEffectAtOnce(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	germany := e.group("Germany", "")
	munich := e.group("Munich", germany)
	dev := e.device(tok, "MUC-1", munich)
	if !e.a.can(e.ctx, e.owner, portico.PermDeviceChat, authz.Device(dev)) {
		t.Fatal("owner cannot chat before the setting")
	}
	if _, err := e.a.PutGroupSettings(e.ctx, e.owner, germany, portico.GroupSettings{portico.FeatureChat: false}); err != nil {
		t.Fatal(err)
	}
	if e.a.can(e.ctx, e.owner, portico.PermDeviceChat, authz.Device(dev)) {
		t.Fatal("chat switched off at Germany still allowed in Munich")
	}
	// A user without device_groups.settings cannot change settings.
	viewer := e.role("Viewer", portico.PermDeviceGroupsView)
	u := e.user("v@example.test", grant{viewer, portico.ScopeTypeAccount, ""})
	_, err := e.a.SetAllGroupSettings(e.ctx, u, germany, true)
	wantKind(t, err, portico.KindForbidden)
}
