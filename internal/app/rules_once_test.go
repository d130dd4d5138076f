package app

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// dryRunIDs returns the devices a dry run of the rule lists.
func (e *env) dryRunIDs(ruleID string) []string {
	e.t.Helper()
	res, err := e.a.DryRun(e.ctx, e.owner, ruleID)
	if err != nil {
		e.t.Fatalf("dry run: %v", err)
	}
	var out []string
	for _, m := range res.Matches {
		out = append(out, m.DeviceID)
	}
	return out
}

// audits returns the details of the account's successful audit entries for action.
func (e *env) audits(action portico.AuditAction) []string {
	e.t.Helper()
	evs, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{Action: action, Outcome: portico.OutcomeSuccess})
	if err != nil {
		e.t.Fatal(err)
	}
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.Detail)
	}
	return out
}

// A device that no rule placed — tried at enrollment when nothing matched — stays eligible: a rule
// created later shows it in its dry run and moves it in the next batch run, and only that move marks it.
func TestRulesLaterRuleTakesWaitingDevice(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	elsewhere, lab := e.group("Elsewhere", ""), e.group("Lab", "")
	e.rule("Elsewhere", elsewhere, true, nameStarts("ZZZ-")) // fires at enrollment, matches nothing
	dev := e.enroll(tok, "LAB-1")
	if d := e.get(dev); !d.Unassigned() || d.RuleApplied {
		t.Fatalf("unmatched device: group %q, marked %v; want Unassigned, unmarked", d.GroupID, d.RuleApplied)
	}
	r := e.rule("Lab", lab, true, nameStarts("LAB-"))
	if got := e.dryRunIDs(r.ID); len(got) != 1 || got[0] != dev {
		t.Fatalf("dry run of a later rule lists %v, want the waiting device", got)
	}
	moved, err := e.a.ApplyRules(e.ctx, e.owner)
	if err != nil || moved != 1 {
		t.Fatalf("batch run moved %d (%v), want 1", moved, err)
	}
	d := e.get(dev)
	if d.GroupID != lab || !d.RuleApplied || d.LeftUnassignedAt == nil || !contains(e.history(dev), "moved") {
		t.Fatalf("after the batch run: group %q marked %v left %v history %v", d.GroupID, d.RuleApplied, d.LeftUnassignedAt, e.history(dev))
	}
	// Assigned once: the rules never touch it again.
	if moved, err := e.a.ApplyRules(e.ctx, e.owner); err != nil || moved != 0 {
		t.Fatalf("second batch run moved %d (%v)", moved, err)
	}
	if got := e.dryRunIDs(r.ID); len(got) != 0 {
		t.Fatalf("dry run lists an assigned device: %v", got)
	}
}

// A device a rule matched while no licence was free stays eligible and moves once a licence is free,
// at the next batch run.
func TestRulesLicenceShortageFixedLater(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	lab := e.group("Lab", "")
	r := e.rule("Lab", lab, true, nameStarts("LAB-"))
	e.setAccount(func(s *portico.AccountSettings) { s.ManagedLicences = 0 })
	dev := e.enroll(tok, "LAB-1")
	if d := e.get(dev); !d.Unassigned() || d.RuleApplied || !contains(e.history(dev), "assignment_rule") {
		t.Fatalf("no licence: group %q marked %v history %v", d.GroupID, d.RuleApplied, e.history(dev))
	}
	if got := e.dryRunIDs(r.ID); len(got) != 1 {
		t.Fatalf("dry run during the shortage lists %v", got)
	}
	for range 3 {
		if moved, err := e.a.ApplyRules(e.ctx, e.owner); err != nil || moved != 0 {
			t.Fatalf("batch run without licences moved %d (%v)", moved, err)
		}
	}
	notes := 0
	for _, h := range e.history(dev) {
		if h == "assignment_rule" {
			notes++
		}
	}
	if notes != 1 {
		t.Errorf("the shortage is noted %d times in the history after several runs, want once: %v", notes, e.history(dev))
	}
	e.setAccount(func(s *portico.AccountSettings) { s.ManagedLicences = 5 })
	if moved, err := e.a.ApplyRules(e.ctx, e.owner); err != nil || moved != 1 {
		t.Fatalf("batch run with a licence moved %d (%v), want 1", moved, err)
	}
	if d := e.get(dev); d.GroupID != lab || !d.RuleApplied {
		t.Fatalf("after the shortage: group %q marked %v", d.GroupID, d.RuleApplied)
	}
}

// A device moved out of Unassigned by hand was assigned once: moved back by hand (after the 90-day
// lockout), no rule moves it again — neither a batch run nor a dry run considers it. The same goes
// for a device installed straight into a group and moved to Unassigned by hand.
func TestRulesLeaveDevicesMovedBackByHand(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	office, lab := e.group("Office", ""), e.group("Lab", "")
	dev := e.enroll(tok, "LAB-1") // no rule yet
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{dev}, office); err != nil {
		t.Fatal(err)
	}
	e.advance(portico.UnassignedLockout + 24*time.Hour)
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{dev}, portico.UnassignedGroupID); err != nil {
		t.Fatal(err)
	}
	// Installed straight into a group, then moved to Unassigned by hand.
	e.setAccount(func(s *portico.AccountSettings) { s.InstallerGroupAssignment = true })
	installed := e.enroll(e.token(office), "LAB-2")
	if g := e.get(installed).GroupID; g != office {
		t.Fatalf("installer assignment put LAB-2 in %q", g)
	}
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{installed}, portico.UnassignedGroupID); err != nil {
		t.Fatal(err)
	}
	// A device that never left Unassigned, for contrast.
	waiting := e.enroll(tok, "LAB-3")

	r := e.rule("Lab", lab, true, nameStarts("LAB-"))
	if got := e.dryRunIDs(r.ID); len(got) != 1 || got[0] != waiting {
		t.Fatalf("dry run lists %v, want only LAB-3", got)
	}
	moved, err := e.a.ApplyRules(e.ctx, e.owner)
	if err != nil || moved != 1 {
		t.Fatalf("batch run moved %d (%v), want 1 (LAB-3)", moved, err)
	}
	for _, id := range []string{dev, installed} {
		if d := e.get(id); !d.Unassigned() {
			t.Fatalf("%s, moved back by hand, was moved by a rule to %q", d.Name, d.GroupID)
		}
	}
	if g := e.get(waiting).GroupID; g != lab {
		t.Fatalf("LAB-3 in %q, want Lab", g)
	}
}

// DeleteRules deletes all the listed rules or none: an unknown id in the middle refuses the request,
// naming that id, and nothing is deleted or audited. A successful bulk delete writes one audit entry
// per rule.
func TestDeleteRulesAllOrNothing(t *testing.T) {
	e := newEnv(t)
	g := e.group("Target", "")
	a, b, c := e.rule("Alpha", g, true, nameStarts("A")), e.rule("Bravo", g, true, nameStarts("B")), e.rule("Charlie", g, true, nameStarts("C"))
	count := func() int {
		rules, err := e.a.ListRules(e.ctx, e.owner)
		if err != nil {
			t.Fatal(err)
		}
		return len(rules)
	}
	err := e.a.DeleteRules(e.ctx, e.owner, []string{a.ID, "rul_nosuch", b.ID})
	wantKind(t, err, portico.KindNotFound)
	if msg := wantField(t, err, "rule_ids[1]"); !strings.Contains(msg, "rul_nosuch") {
		t.Fatalf("refusal %q does not name the unknown id", msg)
	}
	if n := count(); n != 3 {
		t.Fatalf("a refused bulk delete left %d of 3 rules", n)
	}
	if got := e.audits("assignment_rule.delete"); len(got) != 0 {
		t.Fatalf("a refused bulk delete was audited as done: %v", got)
	}
	wantField(t, e.a.DeleteRules(e.ctx, e.owner, nil), "rule_ids")
	wantField(t, e.a.DeleteRules(e.ctx, e.owner, []string{a.ID, ""}), "rule_ids[1]")

	viewer := e.user("v@example.test", grant{e.role("Viewer", portico.PermDeviceGroupsView), portico.ScopeTypeAccount, ""})
	wantKind(t, e.a.DeleteRules(e.ctx, viewer, []string{a.ID}), portico.KindForbidden)

	if err := e.a.DeleteRules(e.ctx, e.owner, []string{a.ID, c.ID, a.ID}); err != nil {
		t.Fatal(err)
	}
	rules, _ := e.a.ListRules(e.ctx, e.owner)
	if len(rules) != 1 || rules[0].ID != b.ID {
		t.Fatalf("after deleting Alpha and Charlie: %+v", rules)
	}
	got := e.audits("assignment_rule.delete")
	if len(got) != 2 || !contains(got, "Alpha") || !contains(got, "Charlie") {
		t.Fatalf("audit entries of the bulk delete: %v, want one for Alpha and one for Charlie", got)
	}
}
