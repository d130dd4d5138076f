package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
)

var ruleColumns = []column[portico.AssignmentRule]{
	{"POSITION", func(r portico.AssignmentRule) string { return strconv.Itoa(r.Position) }},
	{"ID", func(r portico.AssignmentRule) string { return r.ID }},
	{"NAME", func(r portico.AssignmentRule) string { return r.Name }},
	{"ENABLED", func(r portico.AssignmentRule) string { return yesNo(r.Enabled) }},
	{"MATCH", func(r portico.AssignmentRule) string { return string(r.Match) }},
	{"TARGET", func(r portico.AssignmentRule) string { return r.TargetGroupID }},
	{"CONDITIONS", func(r portico.AssignmentRule) string {
		conds := make([]string, len(r.Conditions))
		for i, c := range r.Conditions {
			conds[i] = string(c.Property) + ":" + string(c.Operator) + ":" + c.Value
		}
		return strings.Join(conds, " ")
	}},
}

// parseCondition reads PROPERTY:OPERATOR:VALUE; the value may hold more colons (an IPv6 network).
func parseCondition(s string) (portico.RuleCondition, error) {
	parts := strings.SplitN(s, ":", 3)
	if len(parts) != 3 {
		return portico.RuleCondition{}, fmt.Errorf("--condition %q: want PROPERTY:OPERATOR:VALUE, such as hostname:starts_with:branch-", s)
	}
	return portico.RuleCondition{Property: portico.RuleProperty(parts[0]), Operator: portico.RuleOperator(parts[1]), Value: parts[2]}, nil
}

// ruleFlags are the fields of a rule on the command line.
type ruleFlags struct {
	fs         *flag.FlagSet
	conditions conditionList
}

// conditionList is the repeatable --condition flag; it does not split on commas, which values may hold.
type conditionList []string

func (c *conditionList) String() string     { return strings.Join(*c, " ") }
func (c *conditionList) Set(v string) error { *c = append(*c, v); return nil }

func (rf *ruleFlags) register(fs *flag.FlagSet) {
	rf.fs = fs
	fs.String("name", "", "the rule's name")
	fs.String("description", "", "a description")
	fs.String("target", "", "the device group matching devices move to")
	fs.String("match", "all", "all or any: whether every condition must hold, or one")
	fs.Bool("disabled", false, "save the rule switched off (--disabled=false switches it on)")
	fs.Var(&rf.conditions, "condition", "PROPERTY:OPERATOR:VALUE, repeated for each condition (properties: "+
		join(portico.RuleProperties)+"; operators: "+join(portico.RuleOperators)+")")
}

// apply writes the flags given over in (a whole rule: the one to create, or the current one).
func (rf *ruleFlags) apply(in *apiclient.RuleRequest) error {
	if v := optional(rf.fs, "name"); v != nil {
		in.Name = *v
	}
	if v := optional(rf.fs, "description"); v != nil {
		in.Description = *v
	}
	if v := optional(rf.fs, "target"); v != nil {
		in.TargetGroupID = *v
	}
	if flagGiven(rf.fs, "match") || in.Match == "" {
		in.Match = portico.RuleMatch(rf.fs.Lookup("match").Value.String())
	}
	if flagGiven(rf.fs, "disabled") || in.Enabled == nil {
		enabled := rf.fs.Lookup("disabled").Value.String() != "true"
		in.Enabled = &enabled
	}
	if len(rf.conditions) > 0 {
		in.Conditions = nil
		for _, s := range rf.conditions {
			c, err := parseCondition(s)
			if err != nil {
				return err
			}
			in.Conditions = append(in.Conditions, c)
		}
	}
	return nil
}

func rulesResource() resource {
	return resource{name: "rules", summary: "Device assignment rules: they move new devices out of Unassigned into a group.", verbs: []verb{
		{name: "list", summary: "List the rules in order", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllAssignmentRules(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, ruleColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show a rule", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				r, err := c.api.GetAssignmentRule(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *r, ruleColumns)
			}
		}},
		{name: "create", summary: "Create a rule (added last)", setup: func(fs *flag.FlagSet) action {
			var rf ruleFlags
			rf.register(fs)
			return func(ctx context.Context, c *cli, _ []string) error {
				var in apiclient.RuleRequest
				if err := rf.apply(&in); err != nil {
					return err
				}
				r, err := c.api.CreateAssignmentRule(ctx, in)
				if err != nil {
					return err
				}
				return writeOne(c, *r, ruleColumns)
			}
		}},
		{name: "update", args: "ID", summary: "Change a rule: the flags given replace those fields, --condition all conditions", setup: func(fs *flag.FlagSet) action {
			var rf ruleFlags
			rf.register(fs)
			return func(ctx context.Context, c *cli, args []string) error {
				// The API replaces a rule whole: start from the current one.
				cur, err := c.api.GetAssignmentRule(ctx, args[0])
				if err != nil {
					return err
				}
				in := apiclient.RuleRequest{Name: cur.Name, Description: cur.Description, Enabled: &cur.Enabled,
					Match: cur.Match, TargetGroupID: cur.TargetGroupID, Conditions: cur.Conditions}
				if err := rf.apply(&in); err != nil {
					return err
				}
				r, err := c.api.UpdateAssignmentRule(ctx, args[0], in)
				if err != nil {
					return err
				}
				return writeOne(c, *r, ruleColumns)
			}
		}},
		{name: "delete", args: "ID...", summary: "Delete rules, all or none", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				var err error
				if len(args) == 1 {
					err = c.api.DeleteAssignmentRule(ctx, args[0])
				} else {
					err = c.api.DeleteAssignmentRules(ctx, args...)
				}
				if err != nil {
					return err
				}
				return c.done("deleted %d rule(s)", len(args))
			}
		}},
		{name: "dry-run", args: "ID", summary: "Show which devices in Unassigned the rule would move, moving none", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, args []string) error {
				items, err := collect(&l, c.api.AllDryRunAssignmentRule(ctx, args[0], l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, []column[apiclient.DryRunMatch]{
					{"DEVICE", func(m apiclient.DryRunMatch) string { return m.DeviceID }},
					{"NAME", func(m apiclient.DryRunMatch) string { return m.DeviceName }},
					{"RULE", func(m apiclient.DryRunMatch) string { return m.RuleName }},
					{"TARGET", func(m apiclient.DryRunMatch) string { return m.TargetGroupID }},
				})
			}
		}},
		{name: "apply", summary: "Run the rules over the devices in Unassigned now", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				res, err := c.api.ApplyAssignmentRules(ctx)
				if err != nil {
					return err
				}
				if c.output == "json" {
					return c.writeJSON(res)
				}
				return c.done("moved %d device(s)", res.Moved)
			}
		}},
		{name: "reorder", args: "ID...", summary: "Set the order of every rule", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.ReorderAssignmentRules(ctx, args...); err != nil {
					return err
				}
				return c.done("reordered %d rule(s)", len(args))
			}
		}},
	}}
}
