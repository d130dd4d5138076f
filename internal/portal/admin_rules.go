package portal

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminRulesPage is the ordered list of assignment rules.
type adminRulesPage struct {
	adminForm
	Rules      []adminRuleRow
	GroupNames map[string]string
	CanManage  bool
	// Applied is how many devices "apply to Unassigned now" moved, shown once (-1: not applied).
	Applied int
}

// adminRuleRow is one rule of the list.
type adminRuleRow struct {
	portico.AssignmentRule
	First, Last bool
}

func (q *request) rulesPage() error {
	applied := -1
	if s := q.r.URL.Query().Get("applied"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			applied = n
		}
	}
	return q.renderRules(http.StatusOK, &adminRulesPage{Applied: applied})
}

func (q *request) renderRules(status int, pg *adminRulesPage) error {
	q.active = "device-assignment"
	q.crumb(q.p.locales.text(q.lang, "menu.device_assignment"), "")
	rules, err := q.p.app.ListRules(q.ctx, q.actor)
	if err != nil {
		return err
	}
	tree, err := q.adminGroupTree()
	if err != nil {
		return err
	}
	pg.GroupNames = adminGroupNames(tree)
	for i, r := range rules {
		pg.Rules = append(pg.Rules, adminRuleRow{AssignmentRule: r, First: i == 0, Last: i == len(rules)-1})
	}
	pg.CanManage = q.can(portico.PermAssignmentRulesManage)
	if pg.Errors == nil {
		pg.Errors = map[string]string{}
	}
	return q.render(status, "admin/rules", pg)
}

// adminRuleForm is the create and edit form of a rule, with its conditions builder.
type adminRuleForm struct {
	adminForm
	ID          string
	Name        string
	Description string
	Enabled     bool
	Match       string
	TargetGroup string
	Conditions  []adminConditionRow
	Groups      []adminGroupOption
	Properties  []portico.RuleProperty
	Operators   []portico.RuleOperator
	// DryRun is the result of the dry run, when asked for on the edit page.
	DryRun *app.DryRunResult
}

// adminConditionRow is one row of the conditions builder; Error is its value's message.
type adminConditionRow struct {
	// N is the row's number, from 1, for labels.
	N        int
	Property string
	Operator string
	Value    string
	Errors   map[string]string
}

func (q *request) ruleFormBase(f *adminRuleForm, crumb string) error {
	q.active = "device-assignment"
	q.crumb(q.p.locales.text(q.lang, "menu.device_assignment"), "/device-assignment")
	q.crumb(crumb, "")
	groups, err := q.adminGroupTree()
	if err != nil {
		return err
	}
	f.Groups, f.Properties, f.Operators = groups, portico.RuleProperties, portico.RuleOperators
	if f.Errors == nil {
		f.Errors = map[string]string{}
	}
	// Messages for the rows' fields ("conditions[2].value") go to their row.
	for i := range f.Conditions {
		f.Conditions[i].N = i + 1
		f.Conditions[i].Errors = map[string]string{}
		prefix := "conditions[" + strconv.Itoa(i) + "]."
		for k, m := range f.Errors {
			if field, ok := strings.CutPrefix(k, prefix); ok {
				f.Conditions[i].Errors[field] = m
			}
		}
	}
	return nil
}

func (q *request) newRulePage() error {
	if !q.can(portico.PermAssignmentRulesManage) {
		return portico.Errorf(portico.KindForbidden, "assignment rules need the assignment_rules.manage permission")
	}
	f := &adminRuleForm{Enabled: true, Match: string(portico.MatchAll),
		Conditions: []adminConditionRow{{Property: string(portico.PropDeviceName), Operator: string(portico.OpContains)}}}
	if err := q.ruleFormBase(f, q.p.locales.text(q.lang, "admin.rules.new")); err != nil {
		return err
	}
	return q.render(http.StatusOK, "admin/rule", f)
}

func (q *request) rulePage() error {
	r, err := q.p.app.GetRule(q.ctx, q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	f := &adminRuleForm{ID: r.ID, Name: r.Name, Description: r.Description, Enabled: r.Enabled,
		Match: string(r.Match), TargetGroup: r.TargetGroupID}
	for _, c := range r.Conditions {
		f.Conditions = append(f.Conditions, adminConditionRow{Property: string(c.Property), Operator: string(c.Operator), Value: c.Value})
	}
	if q.r.URL.Query().Get("dry_run") == "1" {
		res, err := q.p.app.DryRun(q.ctx, q.actor, r.ID)
		if err != nil {
			return err
		}
		f.DryRun = res
	}
	if err := q.ruleFormBase(f, r.Name); err != nil {
		return err
	}
	return q.render(http.StatusOK, "admin/rule", f)
}

// postedRule reads the rule form: parallel lists of property, operator and value, one per row.
func (q *request) postedRule() *adminRuleForm {
	_ = q.r.ParseForm()
	pf := q.r.PostForm
	f := &adminRuleForm{ID: q.r.PathValue("id"), Name: pf.Get("name"), Description: pf.Get("description"),
		Enabled: q.adminChecked("enabled"), Match: pf.Get("match"), TargetGroup: pf.Get("target_group_id")}
	props, ops, vals := pf["property"], pf["operator"], pf["value"]
	for i := range props {
		row := adminConditionRow{Property: props[i]}
		if i < len(ops) {
			row.Operator = ops[i]
		}
		if i < len(vals) {
			row.Value = vals[i]
		}
		f.Conditions = append(f.Conditions, row)
	}
	return f
}

// saveRule creates or updates a rule; the builder's "add a condition" and "remove" buttons post the
// form too and re-render it with one row more or less, so the builder works without scripts.
func (q *request) saveRule() error {
	f := q.postedRule()
	crumb := f.Name
	if f.ID == "" {
		crumb = q.p.locales.text(q.lang, "admin.rules.new")
	}
	if action := q.r.PostFormValue("row"); action != "" {
		if action == "add" {
			f.Conditions = append(f.Conditions, adminConditionRow{Property: string(portico.PropDeviceName), Operator: string(portico.OpContains)})
		} else if i, err := strconv.Atoi(action); err == nil && i >= 0 && i < len(f.Conditions) {
			f.Conditions = slices.Delete(f.Conditions, i, i+1)
		}
		if err := q.ruleFormBase(f, crumb); err != nil {
			return err
		}
		return q.render(http.StatusOK, "admin/rule", f)
	}
	in := app.RuleInput{Name: f.Name, Description: f.Description, Enabled: &f.Enabled,
		Match: portico.RuleMatch(f.Match), TargetGroupID: f.TargetGroup}
	for _, c := range f.Conditions {
		in.Conditions = append(in.Conditions, portico.RuleCondition{Property: portico.RuleProperty(c.Property),
			Operator: portico.RuleOperator(c.Operator), Value: c.Value})
	}
	var err error
	if f.ID == "" {
		_, err = q.p.app.CreateRule(q.ctx, q.actor, in)
	} else {
		_, err = q.p.app.UpdateRule(q.ctx, q.actor, f.ID, in)
	}
	if err != nil {
		fe, ferr := adminFormError(err)
		if ferr != nil && portico.IsKind(err, portico.KindNotFound) && strings.Contains(err.Error(), "target_group_id") {
			fe, ferr = adminForm{Errors: map[string]string{"target_group_id": q.p.locales.text(q.lang, "admin.rules.no_group")}}, nil
		}
		if ferr != nil {
			return ferr
		}
		f.adminForm = fe
		if err := q.ruleFormBase(f, crumb); err != nil {
			return err
		}
		return q.render(http.StatusUnprocessableEntity, "admin/rule", f)
	}
	return q.redirect("/device-assignment")
}

// toggleRule switches one rule on or off from the list.
func (q *request) toggleRule() error {
	id := q.r.PathValue("id")
	r, err := q.p.app.GetRule(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	on := q.adminChecked("enabled")
	in := app.RuleInput{Name: r.Name, Description: r.Description, Enabled: &on, Match: r.Match,
		TargetGroupID: r.TargetGroupID, Conditions: r.Conditions}
	if _, err := q.p.app.UpdateRule(q.ctx, q.actor, id, in); err != nil {
		fe, ferr := adminFormError(err)
		if ferr != nil {
			return ferr
		}
		if fe.Failed == "" {
			for k, m := range fe.Errors {
				fe.Failed = r.Name + ": " + k + " " + m
			}
		}
		return q.renderRules(http.StatusUnprocessableEntity, &adminRulesPage{adminForm: fe, Applied: -1})
	}
	return q.redirect("/device-assignment")
}

// reorderRules stores a new order: the whole list of ids (drag and drop), or one rule moved up or
// down by its buttons.
func (q *request) reorderRules() error {
	_ = q.r.ParseForm()
	ids := q.r.PostForm["id"]
	if move := q.r.PostFormValue("move"); move != "" {
		rules, err := q.p.app.ListRules(q.ctx, q.actor)
		if err != nil {
			return err
		}
		ids = ids[:0]
		for _, r := range rules {
			ids = append(ids, r.ID)
		}
		id, dir, _ := strings.Cut(move, ":")
		if i := slices.Index(ids, id); i >= 0 {
			j := i - 1
			if dir == "down" {
				j = i + 1
			}
			if j >= 0 && j < len(ids) {
				ids[i], ids[j] = ids[j], ids[i]
			}
		}
	}
	if err := q.p.app.ReorderRules(q.ctx, q.actor, ids); err != nil {
		return err
	}
	return q.redirect("/device-assignment")
}

func (q *request) applyRules() error {
	n, err := q.p.app.ApplyRules(q.ctx, q.actor)
	if err != nil {
		return err
	}
	return q.redirect("/device-assignment?applied=" + strconv.Itoa(n))
}

// deleteRules deletes the ticked rules (or the one of the path), all or none: when one of them is
// gone or unknown, nothing is deleted and the list says which.
func (q *request) deleteRules() error {
	_ = q.r.ParseForm()
	ids := q.r.PostForm["id"]
	if id := q.r.PathValue("id"); id != "" {
		ids = []string{id}
	}
	if err := q.p.app.DeleteRules(q.ctx, q.actor, ids); err != nil {
		fe, ferr := adminFormError(err)
		if ferr != nil {
			return ferr
		}
		if fe.Failed == "" {
			msgs := make([]string, 0, len(fe.Errors))
			for _, m := range fe.Errors {
				msgs = append(msgs, m)
			}
			slices.Sort(msgs)
			fe.Failed = q.p.locales.text(q.lang, "admin.rules.delete_failed") + " " + strings.Join(msgs, "; ")
		}
		status := http.StatusUnprocessableEntity
		if portico.IsKind(err, portico.KindNotFound) {
			status = http.StatusNotFound
		}
		return q.renderRules(status, &adminRulesPage{adminForm: fe, Applied: -1})
	}
	return q.redirect("/device-assignment")
}
