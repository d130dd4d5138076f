package app

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// RuleInput is the input of CreateRule and UpdateRule. A nil Enabled means enabled for a new rule
// and unchanged for an update; every other field is replaced.
type RuleInput struct {
	Name          string
	Description   string
	Enabled       *bool
	Match         portico.RuleMatch
	TargetGroupID string
	Conditions    []portico.RuleCondition
}

// DryRunResult lists what a rule would do now.
type DryRunResult struct {
	Matches []DryRunMatch `json:"matches"`
}

// DryRunMatch is one Unassigned device that a rule would move, and where.
type DryRunMatch struct {
	DeviceID      string `json:"device_id"`
	DeviceName    string `json:"device_name"`
	RuleID        string `json:"rule_id"`
	RuleName      string `json:"rule_name"`
	TargetGroupID string `json:"target_group_id"`
}

// ListRules lists the account's assignment rules in the order they are tried (assignment_rules.manage,
// or device_groups.view at account level: whoever sees the whole tree may see what fills it).
func (a *App) ListRules(ctx context.Context, ac *Actor) ([]portico.AssignmentRule, error) {
	if err := a.authorizeRulesView(ctx, ac, portico.ActionAssignmentRuleList); err != nil {
		return nil, err
	}
	return a.store.ListRules(ctx, ac.AccountID)
}

// GetRule returns one assignment rule (as ListRules).
func (a *App) GetRule(ctx context.Context, ac *Actor, id string) (*portico.AssignmentRule, error) {
	if err := a.authorizeRulesView(ctx, ac, portico.ActionAssignmentRuleView); err != nil {
		return nil, err
	}
	return a.store.GetRule(ctx, ac.AccountID, id)
}

func (a *App) authorizeRulesView(ctx context.Context, ac *Actor, action portico.AuditAction) error {
	if a.can(ctx, ac, portico.PermAssignmentRulesManage, authz.Account()) {
		return nil
	}
	return a.authorize(ctx, ac, action, portico.PermDeviceGroupsView, authz.Account())
}

// ruleFromInput fills r from in and validates it, checking that the target group exists in the
// account. Values with spaces are refused with their positions.
func ruleFromInput(ctx context.Context, tx *store.Tx, r *portico.AssignmentRule, in RuleInput) error {
	r.Name = strings.TrimSpace(in.Name)
	r.Description = in.Description
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	r.Match = in.Match
	r.TargetGroupID = in.TargetGroupID
	r.Conditions = append([]portico.RuleCondition{}, in.Conditions...)
	var v portico.Validation
	r.Validate(&v)
	if r.TargetGroupID != "" && r.TargetGroupID != portico.UnassignedGroupID {
		_, err := tx.GetDeviceGroup(ctx, r.AccountID, r.TargetGroupID)
		if portico.IsKind(err, portico.KindNotFound) {
			v.AddMissing("target_group_id", "no such device group")
		} else if err != nil {
			return err
		}
	}
	return v.Err()
}

// CreateRule adds an assignment rule at the end of the list (assignment_rules.manage).
func (a *App) CreateRule(ctx context.Context, ac *Actor, in RuleInput) (*portico.AssignmentRule, error) {
	if err := a.authorize(ctx, ac, portico.ActionAssignmentRuleCreate, portico.PermAssignmentRulesManage, authz.Account()); err != nil {
		return nil, err
	}
	r := &portico.AssignmentRule{ID: portico.NewID("rul"), AccountID: ac.AccountID, Enabled: true, CreatedAt: a.now()}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := ruleFromInput(ctx, tx, r, in); err != nil {
			return nil, err
		}
		r.Position = 0 // the store puts it after the last rule
		if err := tx.CreateRule(ctx, r); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionAssignmentRuleCreate, targetType: "assignment_rule", targetID: r.ID, detail: r.Name}, nil
	})
	if err != nil {
		return nil, portico.WithOp("create assignment rule", err)
	}
	return a.store.GetRule(ctx, ac.AccountID, r.ID)
}

// UpdateRule replaces a rule's fields, keeping its place in the order (assignment_rules.manage).
func (a *App) UpdateRule(ctx context.Context, ac *Actor, id string, in RuleInput) (*portico.AssignmentRule, error) {
	if err := a.authorize(ctx, ac, portico.ActionAssignmentRuleUpdate, portico.PermAssignmentRulesManage, authz.Account()); err != nil {
		return nil, err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		r, err := tx.GetRule(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if err := ruleFromInput(ctx, tx, r, in); err != nil {
			return nil, err
		}
		if err := tx.UpdateRule(ctx, r); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionAssignmentRuleUpdate, targetType: "assignment_rule", targetID: r.ID,
			detail: r.Name + pick(r.Enabled, " (enabled)", " (disabled)")}, nil
	})
	if err != nil {
		return nil, portico.WithOp("update assignment rule", err)
	}
	return a.store.GetRule(ctx, ac.AccountID, id)
}

// DeleteRule deletes an assignment rule (assignment_rules.manage).
func (a *App) DeleteRule(ctx context.Context, ac *Actor, id string) error {
	if err := a.authorize(ctx, ac, portico.ActionAssignmentRuleDelete, portico.PermAssignmentRulesManage, authz.Account()); err != nil {
		return err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		r, err := tx.GetRule(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if err := tx.DeleteRule(ctx, ac.AccountID, id); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionAssignmentRuleDelete, targetType: "assignment_rule", targetID: id, detail: r.Name}, nil
	})
	return portico.WithOp("delete assignment rule", err)
}

// maxBulkRules bounds how many rules one DeleteRules call may name.
const maxBulkRules = 1000

// DeleteRules deletes several assignment rules at once, all or none, in one transaction
// (assignment_rules.manage). Each deleted rule gets its own audit entry. An id that is not a rule of
// the account refuses the whole request, naming it in field rule_ids[i], and deletes nothing; an id
// listed twice is deleted once.
func (a *App) DeleteRules(ctx context.Context, ac *Actor, ids []string) error {
	if err := a.authorize(ctx, ac, portico.ActionAssignmentRuleDelete, portico.PermAssignmentRulesManage, authz.Account()); err != nil {
		return err
	}
	var v portico.Validation
	switch {
	case len(ids) == 0:
		v.Add("rule_ids", "must list at least one assignment rule")
	case len(ids) > maxBulkRules:
		v.Add("rule_ids", "must list at most %d rules at once (got %d)", maxBulkRules, len(ids))
	}
	for i, id := range ids {
		if strings.TrimSpace(id) == "" {
			v.Add("rule_ids["+itoa(i)+"]", "is empty")
		}
	}
	if err := v.Err(); err != nil {
		return portico.WithOp("delete assignment rules", err)
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		rules, err := tx.ListRules(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		byID := make(map[string]*portico.AssignmentRule, len(rules))
		for i := range rules {
			byID[rules[i].ID] = &rules[i]
		}
		var v portico.Validation
		var doomed []*portico.AssignmentRule
		seen := make(map[string]bool, len(ids))
		for i, id := range ids {
			r := byID[id]
			switch {
			case r == nil:
				v.AddMissing("rule_ids["+itoa(i)+"]", "%q is not an assignment rule of this account", id)
			case !seen[id]:
				doomed = append(doomed, r)
			}
			seen[id] = true
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		for i, r := range doomed {
			if err := tx.DeleteRule(ctx, ac.AccountID, r.ID); err != nil {
				return nil, err
			}
			// One audit entry per rule; the last one is appended by write with the change.
			if i < len(doomed)-1 {
				if err := a.auditInTx(ctx, tx, ac, portico.ActionAssignmentRuleDelete, "assignment_rule", r.ID, r.Name); err != nil {
					return nil, err
				}
			}
		}
		last := doomed[len(doomed)-1]
		return &change{action: portico.ActionAssignmentRuleDelete, targetType: "assignment_rule", targetID: last.ID, detail: last.Name}, nil
	})
	return portico.WithOp("delete assignment rules", err)
}

// ReorderRules sets the order in which rules are tried; ids must list every rule of the account
// exactly once (assignment_rules.manage).
func (a *App) ReorderRules(ctx context.Context, ac *Actor, ids []string) error {
	if err := a.authorize(ctx, ac, portico.ActionAssignmentRuleReorder, portico.PermAssignmentRulesManage, authz.Account()); err != nil {
		return err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		rules, err := tx.ListRules(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		known := make(map[string]bool, len(rules))
		for _, r := range rules {
			known[r.ID] = true
		}
		var v portico.Validation
		seen := make(map[string]bool, len(ids))
		for i, id := range ids {
			switch {
			case !known[id]:
				v.AddMissing("rule_ids["+itoa(i)+"]", "%q is not an assignment rule of this account", id)
			case seen[id]:
				v.Add("rule_ids["+itoa(i)+"]", "%q is listed twice", id)
			}
			seen[id] = true
		}
		if len(v.Fields) == 0 && len(ids) != len(rules) {
			v.Add("rule_ids", "must list all %d rules (got %d)", len(rules), len(ids))
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if err := tx.ReorderRules(ctx, ac.AccountID, ids); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionAssignmentRuleReorder, targetType: "account", targetID: ac.AccountID,
			detail: strings.Join(ids, ", ")}, nil
	})
	return portico.WithOp("reorder assignment rules", err)
}

// ruleRun is one pass of the assignment rules: the rules that can fire (enabled, with a target group
// that exists), in order, and the licences still free.
type ruleRun struct {
	rules []portico.AssignmentRule
	tree  *groupTree
	// free is the number of managed-agent licences left, counted when a rule first matches: counting
	// is a scan of the account's devices, which every enrollment would otherwise pay.
	free     int
	counted  bool
	licences int
}

func (a *App) newRuleRun(ctx context.Context, tx *store.Tx, acc *portico.Account) (*ruleRun, error) {
	rules, err := tx.ListRules(ctx, acc.ID)
	if err != nil {
		return nil, fmt.Errorf("list assignment rules: %w", err)
	}
	run := &ruleRun{licences: acc.Settings.ManagedLicences}
	if !slices.ContainsFunc(rules, func(r portico.AssignmentRule) bool { return r.Enabled }) {
		return run, nil // nothing can fire: the groups are not needed
	}
	groups, err := tx.ListDeviceGroups(ctx, acc.ID)
	if err != nil {
		return nil, fmt.Errorf("list device groups: %w", err)
	}
	run.tree = newGroupTree(groups)
	for _, r := range rules {
		if r.Enabled && run.tree.byID[r.TargetGroupID] != nil {
			run.rules = append(run.rules, r)
		}
	}
	return run, nil
}

// licenceFree reports whether a managed-agent licence is left for one more device.
func (run *ruleRun) licenceFree(ctx context.Context, tx *store.Tx, accountID string) (bool, error) {
	if !run.counted {
		used, err := tx.CountLicensedDevices(ctx, accountID)
		if err != nil {
			return false, fmt.Errorf("count licences: %w", err)
		}
		run.free, run.counted = run.licences-used, true
	}
	return run.free > 0, nil
}

// firstMatch returns the first rule, in order, that matches d.
func firstMatch(rules []portico.AssignmentRule, d *portico.Device) *portico.AssignmentRule {
	for i := range rules {
		if rules[i].Matches(d) {
			return &rules[i]
		}
	}
	return nil
}

// ruleOutcome is what the rules did with one device.
type ruleOutcome struct {
	Rule  *portico.AssignmentRule // the rule that matched, if any
	Moved bool                    // false when a rule matched but no licence was free
	Tried bool                    // false when no rule could fire, or the device was not eligible
}

// rulesActor is who the device history names when a rule moves a device.
var rulesActor = &Actor{Kind: ActorSystem, Name: "assignment rules"}

// applyRules runs the rules over d, an Unassigned device not yet assigned: the first matching rule
// moves it, licence permitting (otherwise it stays, with a history entry saying why).
//
// A device is assigned at most once. Only leaving Unassigned marks it (moveDevice sets RuleApplied,
// whether a rule or a person moved it; a device installed straight into a group is marked at
// enrollment), so a device moved back to Unassigned by hand stays there. A device that is still
// waiting in Unassigned — no rule matched it yet, or one matched while no licence was free — is not
// marked: later rules, batch runs and dry runs still consider it.
func (a *App) applyRules(ctx context.Context, tx *store.Tx, run *ruleRun, d *portico.Device) (ruleOutcome, error) {
	if !ruleEligible(d) || len(run.rules) == 0 {
		return ruleOutcome{}, nil
	}
	out := ruleOutcome{Tried: true, Rule: firstMatch(run.rules, d)}
	if out.Rule == nil {
		return out, nil
	}
	target := run.tree.name(out.Rule.TargetGroupID)
	free, err := run.licenceFree(ctx, tx, d.AccountID)
	if err != nil {
		return out, err
	}
	if !free {
		detail := fmt.Sprintf("rule %q matched but no managed-agent licence is free: not moved to %q", out.Rule.Name, target)
		// Every batch run tries again while licences are short: the device's history says so once,
		// not once per run.
		last, _, err := tx.ListHistory(ctx, d.AccountID, d.ID, portico.HistoryFilter{Page: portico.Page{Limit: 1}})
		if err != nil {
			return out, err
		}
		if len(last) == 1 && last[0].Action == "assignment_rule" && last[0].Detail == detail {
			return out, nil
		}
		return out, tx.AddHistory(ctx, a.historyEntry(rulesActor, d, "assignment_rule", detail))
	}
	if err := a.moveDevice(ctx, tx, d, out.Rule.TargetGroupID, a.now()); err != nil {
		return out, err
	}
	run.free--
	out.Moved = true
	detail := fmt.Sprintf("by rule %q from %q to %q", out.Rule.Name, unassignedName, target)
	return out, tx.AddHistory(ctx, a.historyEntry(rulesActor, d, "moved", detail))
}

// ruleEligible reports whether the rules may move d: it is in Unassigned and has never been assigned
// (RuleApplied is set once a device leaves Unassigned, by a rule or by hand, and stays set).
// A device with a LeftUnassignedAt has left Unassigned before, so it counts as assigned too.
func ruleEligible(d *portico.Device) bool {
	return d.Unassigned() && !d.RuleApplied && d.LeftUnassignedAt == nil
}

// applyRulesToDevice runs the rules over one new device (used at enrollment).
func (a *App) applyRulesToDevice(ctx context.Context, tx *store.Tx, acc *portico.Account, d *portico.Device) (ruleOutcome, error) {
	if !ruleEligible(d) {
		return ruleOutcome{}, nil
	}
	run, err := a.newRuleRun(ctx, tx, acc)
	if err != nil {
		return ruleOutcome{}, err
	}
	return a.applyRules(ctx, tx, run, d)
}

// unprocessedUnassigned lists the Unassigned devices that the rules may still move: those never
// assigned (see applyRules), whether or not the rules have tried them before.
func unprocessedUnassigned(ctx context.Context, q interface {
	ListDevices(context.Context, string, portico.DeviceFilter) ([]portico.Device, int, error)
}, accountID string) ([]portico.Device, error) {
	const batch = 1000
	var out []portico.Device
	for offset := 0; ; offset += batch {
		page, total, err := q.ListDevices(ctx, accountID, portico.DeviceFilter{GroupIDs: []string{portico.UnassignedGroupID},
			Page: portico.Page{Limit: batch, Offset: offset}})
		if err != nil {
			return nil, fmt.Errorf("list unassigned devices: %w", err)
		}
		for _, d := range page {
			if ruleEligible(&d) {
				out = append(out, d)
			}
		}
		if len(page) == 0 || offset+len(page) >= total {
			return out, nil
		}
	}
}

// DryRun shows which Unassigned devices, never assigned yet, the rule would move if the rules ran now: for each, the first matching rule in order wins, as in a real run. The rule is tried
// as if enabled, so that a rule can be checked before it is switched on. Licences are not counted.
// Nothing changes (assignment_rules.manage).
func (a *App) DryRun(ctx context.Context, ac *Actor, ruleID string) (*DryRunResult, error) {
	if err := a.authorize(ctx, ac, portico.ActionAssignmentRuleDryRun, portico.PermAssignmentRulesManage, authz.Account()); err != nil {
		return nil, err
	}
	rules, err := a.store.ListRules(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	groups, err := a.store.ListDeviceGroups(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("dry run: %w", err)
	}
	tree := newGroupTree(groups)
	var active []portico.AssignmentRule
	var rule *portico.AssignmentRule
	for _, r := range rules {
		if r.ID == ruleID {
			r.Enabled = true
			rule = &r
		}
		if r.Enabled && tree.byID[r.TargetGroupID] != nil {
			active = append(active, r)
		}
	}
	if rule == nil {
		return nil, portico.NotFound("assignment rule")
	}
	devices, err := unprocessedUnassigned(ctx, a.store, ac.AccountID)
	if err != nil {
		return nil, err
	}
	out := &DryRunResult{Matches: []DryRunMatch{}}
	for i := range devices {
		d := &devices[i]
		if m := firstMatch(active, d); m != nil && m.ID == ruleID {
			out.Matches = append(out.Matches, DryRunMatch{DeviceID: d.ID, DeviceName: d.Name, RuleID: m.ID,
				RuleName: m.Name, TargetGroupID: m.TargetGroupID})
		}
	}
	return out, nil
}

// ApplyRules runs the assignment rules over every Unassigned device never assigned yet (those that
// earlier runs left where they were included), moving the matches licence permitting, and returns how
// many moved (assignment_rules.manage).
func (a *App) ApplyRules(ctx context.Context, ac *Actor) (int, error) {
	if err := a.authorize(ctx, ac, portico.ActionAssignmentRuleApply, portico.PermAssignmentRulesManage, authz.Account()); err != nil {
		return 0, err
	}
	moved := 0
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		moved = 0
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		run, err := a.newRuleRun(ctx, tx, acc)
		if err != nil {
			return nil, err
		}
		if len(run.rules) == 0 {
			return nil, nil
		}
		devices, err := unprocessedUnassigned(ctx, tx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		var edits []authz.Change
		tried, blocked := 0, 0
		for i := range devices {
			d := &devices[i]
			res, err := a.applyRules(ctx, tx, run, d)
			if err != nil {
				return nil, err
			}
			if res.Tried {
				tried++
			}
			if res.Rule != nil && !res.Moved {
				blocked++
			}
			if res.Moved {
				moved++
				n := deviceNode(d)
				edits = append(edits, authz.Change{UpsertDevice: &n})
				if err := a.auditInTx(ctx, tx, ac, portico.ActionDeviceMove, "device", d.ID,
					fmt.Sprintf("%s by rule %q to %q", d.Name, res.Rule.Name, run.tree.name(d.GroupID))); err != nil {
					return nil, err
				}
			}
		}
		if tried == 0 {
			return nil, nil
		}
		detail := fmt.Sprintf("%d device%s tried, %d moved", tried, plural(tried), moved)
		if blocked > 0 {
			detail += fmt.Sprintf(", %d not moved for want of a licence", blocked)
		}
		return &change{action: portico.ActionAssignmentRuleApply, targetType: "account", targetID: ac.AccountID,
			detail: detail, edits: edits}, nil
	})
	if err != nil {
		return 0, portico.WithOp("apply assignment rules", err)
	}
	return moved, nil
}
