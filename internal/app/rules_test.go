package app

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// nameStarts is a rule condition on the device name's prefix.
func nameStarts(prefix string) []portico.RuleCondition {
	return []portico.RuleCondition{{Property: portico.PropDeviceName, Operator: portico.OpStartsWith, Value: prefix}}
}

func (e *env) rule(name, target string, enabled bool, conds []portico.RuleCondition) *portico.AssignmentRule {
	e.t.Helper()
	r, err := e.a.CreateRule(e.ctx, e.owner, RuleInput{Name: name, Enabled: &enabled, Match: portico.MatchAll,
		TargetGroupID: target, Conditions: conds})
	if err != nil {
		e.t.Fatalf("create rule %s: %v", name, err)
	}
	return r
}

func TestRuleValidation(t *testing.T) {
	e := newEnv(t)
	target := e.group("Target", "")
	valid := RuleInput{Name: "Cambridge", Match: portico.MatchAll, TargetGroupID: target, Conditions: nameStarts("CAM-")}
	with := func(edit func(in *RuleInput)) RuleInput {
		in := valid
		in.Conditions = append([]portico.RuleCondition{}, valid.Conditions...)
		edit(&in)
		return in
	}
	tests := []struct {
		name    string
		in      RuleInput
		field   string
		message string
	}{
		{"valid", valid, "", ""},
		{"value with spaces", with(func(in *RuleInput) { in.Conditions[0].Value = "Windows 10 Pro" }),
			"conditions[0].value", "positions 8, 11 (Windows*10*Pro)"},
		{"trailing space", with(func(in *RuleInput) { in.Conditions[0].Value = "CAM " }), "conditions[0].value", "position 4"},
		{"unknown target", with(func(in *RuleInput) { in.TargetGroupID = "grp_nosuch" }), "target_group_id", "no such"},
		{"Unassigned target", with(func(in *RuleInput) { in.TargetGroupID = portico.UnassignedGroupID }), "target_group_id", ""},
		{"no conditions", with(func(in *RuleInput) { in.Conditions = nil }), "conditions", ""},
		{"bad match", with(func(in *RuleInput) { in.Match = "most" }), "match", ""},
		{"long name", with(func(in *RuleInput) { in.Name = strings.Repeat("r", 101) }), "name", ""},
		{"cidr on a name", with(func(in *RuleInput) {
			in.Conditions[0] = portico.RuleCondition{Property: portico.PropDeviceName, Operator: portico.OpCIDR, Value: "10.0.0.0/8"}
		}), "conditions[0].operator", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := e.a.CreateRule(e.ctx, e.owner, tt.in)
			if tt.field == "" {
				if err != nil || !r.Enabled || r.TargetGroupID != target {
					t.Fatalf("create: %+v, %v", r, err)
				}
				return
			}
			if msg := wantField(t, err, tt.field); !strings.Contains(msg, tt.message) {
				t.Fatalf("message %q does not say %q", msg, tt.message)
			}
		})
	}
	rules, err := e.a.ListRules(e.ctx, e.owner)
	if err != nil || len(rules) != 1 {
		t.Fatalf("refused rules were stored: %+v, %v", rules, err)
	}
	// Managing rules needs assignment_rules.manage at account level.
	viewer := e.user("v@example.test", grant{e.role("Viewer", portico.PermDeviceGroupsView), portico.ScopeTypeAccount, ""})
	if _, err := e.a.ListRules(e.ctx, viewer); err != nil {
		t.Fatalf("a viewer of every group may list rules: %v", err)
	}
	_, err = e.a.CreateRule(e.ctx, viewer, valid)
	wantKind(t, err, portico.KindForbidden)
	nobody := e.user("n@example.test")
	_, err = e.a.ListRules(e.ctx, nobody)
	wantKind(t, err, portico.KindForbidden)
}

func TestRulesRunOnceAtEnrollmentInOrder(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	cam, lab, other := e.group("Cambridge", ""), e.group("Lab", ""), e.group("Other", "")
	r1 := e.rule("Cambridge", cam, true, nameStarts("CAM-"))
	r2 := e.rule("Lab", lab, true, nameStarts("CAM-LAB"))
	e.rule("Disabled", other, false, nameStarts("XYZ"))

	tests := []struct {
		name  string
		order []string // rule ids, before enrolling; nil keeps the order
		want  string
	}{
		{"CAM-LAB-1", nil, cam}, // the first matching rule wins
		{"CAM-LT-1", nil, cam},
		{"XYZ-1", nil, portico.UnassignedGroupID}, // a disabled rule never fires
		{"NOPE-1", nil, portico.UnassignedGroupID},
		{"CAM-LAB-2", []string{r2.ID, r1.ID}, lab}, // reordered: Lab is tried first
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.order != nil {
				all, _ := e.a.ListRules(e.ctx, e.owner)
				order := append([]string{}, tt.order...)
				for _, r := range all {
					if !contains(order, r.ID) {
						order = append(order, r.ID)
					}
				}
				if err := e.a.ReorderRules(e.ctx, e.owner, order); err != nil {
					t.Fatal(err)
				}
			}
			d := e.get(e.enroll(tok, tt.name))
			// Only a move marks the device as assigned; one left in Unassigned stays eligible.
			if d.GroupID != tt.want || d.RuleApplied != (tt.want != portico.UnassignedGroupID) {
				t.Fatalf("%s in %q (rule applied %v), want %q", tt.name, d.GroupID, d.RuleApplied, tt.want)
			}
			if tt.want != portico.UnassignedGroupID && d.LeftUnassignedAt == nil {
				t.Fatal("a rule move did not start the 90-day lockout")
			}
		})
	}
	rules, _ := e.a.ListRules(e.ctx, e.owner)
	if rules[0].ID != r2.ID || rules[1].ID != r1.ID {
		t.Fatalf("order after reorder: %s, %s", rules[0].Name, rules[1].Name)
	}
	wantField(t, e.a.ReorderRules(e.ctx, e.owner, []string{r1.ID}), "rule_ids")
	wantField(t, e.a.ReorderRules(e.ctx, e.owner, []string{r1.ID, r1.ID, r2.ID}), "rule_ids[1]")

	// A device the rules tried without moving is still waiting in Unassigned: a later rule takes it.
	page, err := e.a.ListDevices(e.ctx, e.owner, DeviceQuery{GroupID: portico.UnassignedGroupID, Q: "nope"})
	if err != nil || page.Total != 1 {
		t.Fatalf("NOPE-1: %+v, %v", page, err)
	}
	nope := page.Devices[0].ID
	r3 := e.rule("Nope", other, true, nameStarts("NOPE"))
	dry, err := e.a.DryRun(e.ctx, e.owner, r3.ID)
	if err != nil || len(dry.Matches) != 1 || dry.Matches[0].DeviceID != nope {
		t.Fatalf("dry run over a waiting device: %+v, %v", dry, err)
	}
	moved, err := e.a.ApplyRules(e.ctx, e.owner)
	if err != nil || moved != 1 {
		t.Fatalf("apply: %d, %v", moved, err)
	}
	if e.get(nope).GroupID != other {
		t.Fatal("a waiting device was not moved by a later rule")
	}
	if got := e.history(e.enroll(tok, "CAM-LT-9")); !contains(got, "enrolled") || !contains(got, "moved") {
		t.Fatalf("history of a device moved by a rule: %v", got)
	}
}

func TestDryRunAndApply(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	// Devices enrolled while no rule exists are left for the rules to try later.
	cam1, cam2, other := e.enroll(tok, "CAM-1"), e.enroll(tok, "CAM-2"), e.enroll(tok, "OXF-1")
	if e.get(cam1).RuleApplied {
		t.Fatal("device marked as tried with no rule to try")
	}
	target, early := e.group("Cambridge", ""), e.group("Early", "")
	r := e.rule("Cambridge", target, false, nameStarts("CAM-"))

	// Dry run of a disabled rule previews it as if enabled; nothing moves.
	dry, err := e.a.DryRun(e.ctx, e.owner, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range dry.Matches {
		got = append(got, m.DeviceID)
		if m.RuleID != r.ID || m.TargetGroupID != target {
			t.Fatalf("match %+v", m)
		}
	}
	if len(got) != 2 || !contains(got, cam1) || !contains(got, cam2) {
		t.Fatalf("dry run matches %v, want CAM-1 and CAM-2", got)
	}
	if !e.get(cam1).Unassigned() {
		t.Fatal("dry run moved a device")
	}
	// An earlier rule that catches CAM-1 takes it in the real run, so the dry run no longer lists it.
	first := e.rule("CAM-1 first", early, true, []portico.RuleCondition{{Property: portico.PropDeviceName, Operator: portico.OpEquals, Value: "cam-1"}})
	rules, _ := e.a.ListRules(e.ctx, e.owner)
	if err := e.a.ReorderRules(e.ctx, e.owner, []string{first.ID, rules[0].ID}); err != nil {
		t.Fatal(err)
	}
	dry, _ = e.a.DryRun(e.ctx, e.owner, r.ID)
	if len(dry.Matches) != 1 || dry.Matches[0].DeviceID != cam2 {
		t.Fatalf("dry run after an earlier rule: %+v", dry.Matches)
	}

	// Apply with one licence free: the first device moves, the second stays and says why.
	e.setAccount(func(s *portico.AccountSettings) { s.ManagedLicences = 1 })
	enabled := true
	if _, err := e.a.UpdateRule(e.ctx, e.owner, r.ID, RuleInput{Name: r.Name, Enabled: &enabled, Match: r.Match,
		TargetGroupID: r.TargetGroupID, Conditions: r.Conditions}); err != nil {
		t.Fatal(err)
	}
	moved, err := e.a.ApplyRules(e.ctx, e.owner)
	if err != nil || moved != 1 {
		t.Fatalf("apply moved %d (%v), want 1", moved, err)
	}
	if g := e.get(cam1).GroupID; g != early {
		t.Fatalf("CAM-1 in %q, want Early", g)
	}
	c2 := e.get(cam2)
	if !c2.Unassigned() || c2.RuleApplied || !contains(e.history(cam2), "assignment_rule") {
		t.Fatalf("CAM-2 without a licence: group %q tried %v history %v", c2.GroupID, c2.RuleApplied, e.history(cam2))
	}
	if o := e.get(other); !o.Unassigned() || o.RuleApplied {
		t.Fatalf("OXF-1 matched nothing but was marked as assigned: %+v", o.Device)
	}
	// A device left waiting for a licence moves once one is free; a moved device is never moved again.
	e.setAccount(func(s *portico.AccountSettings) { s.ManagedLicences = 10 })
	if moved, err := e.a.ApplyRules(e.ctx, e.owner); err != nil || moved != 1 || e.get(cam2).GroupID != target {
		t.Fatalf("second apply moved %d (%v)", moved, err)
	}
	if moved, err := e.a.ApplyRules(e.ctx, e.owner); err != nil || moved != 0 {
		t.Fatalf("third apply moved %d (%v)", moved, err)
	}
	dry, _ = e.a.DryRun(e.ctx, e.owner, r.ID)
	if len(dry.Matches) != 0 {
		t.Fatalf("dry run after apply: %+v", dry.Matches)
	}
	wantKind(t, func() error { _, err := e.a.DryRun(e.ctx, e.owner, "rul_nosuch"); return err }(), portico.KindNotFound)
}

func TestUpdateAndDeleteRule(t *testing.T) {
	e := newEnv(t)
	target := e.group("Target", "")
	r := e.rule("Rule", target, true, nameStarts("A"))
	upd, err := e.a.UpdateRule(e.ctx, e.owner, r.ID, RuleInput{Name: "Renamed", Match: portico.MatchAny,
		TargetGroupID: target, Conditions: nameStarts("B")})
	if err != nil || upd.Name != "Renamed" || !upd.Enabled || upd.Match != portico.MatchAny || upd.Conditions[0].Value != "B" {
		t.Fatalf("update: %+v, %v", upd, err)
	}
	_, err = e.a.UpdateRule(e.ctx, e.owner, r.ID, RuleInput{Name: "Renamed", Match: portico.MatchAny,
		TargetGroupID: target, Conditions: nameStarts("B C")})
	wantField(t, err, "conditions[0].value")
	got, _ := e.a.GetRule(e.ctx, e.owner, r.ID)
	if got.Conditions[0].Value != "B" {
		t.Fatal("a refused update changed the rule")
	}
	if err := e.a.DeleteRule(e.ctx, e.owner, r.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.GetRule(e.ctx, e.owner, r.ID)
	wantKind(t, err, portico.KindNotFound)
	// With the rule gone its target group can be deleted.
	if err := e.a.DeleteDeviceGroup(e.ctx, e.owner, target); err != nil {
		t.Fatal(err)
	}
}
