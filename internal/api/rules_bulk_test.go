package api_test

import (
	"context"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// POST /api/v1/assignment-rules/delete deletes every listed rule or none: an unknown id (or another
// account's) in the middle is refused with 404 naming rule_ids[i], and nothing changes.
func TestDeleteAssignmentRulesBulk(t *testing.T) {
	e := newEnv(t)
	f := e.A
	ctx := context.Background()
	owner := e.signIn(f.acc.Owner.Email)
	rule := func(name string) string {
		return check(e.app.CreateRule(ctx, f.sys, app.RuleInput{Name: name, Match: portico.MatchAll, TargetGroupID: f.group.ID,
			Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpEquals, Value: "x"}}}))(t).ID
	}
	a, b := rule("Alpha"), rule("Bravo")
	for _, unknown := range []string{"rul_nosuch", e.B.rule.ID} {
		before := e.dump(f)
		res := owner.Do("POST", "/api/v1/assignment-rules/delete", map[string]any{"rule_ids": []string{a, unknown, b}})
		if res.Status != 404 {
			t.Fatalf("bulk delete with %s: %d, want 404: %s", unknown, res.Status, res.Body)
		}
		p := res.Problem(t)
		if len(p.Errors) != 1 || p.Errors[0].Field != "rule_ids[1]" || !strings.Contains(p.Errors[0].Message, unknown) {
			t.Fatalf("problem does not name rule_ids[1] (%s): %s", unknown, res.Body)
		}
		if after := e.dump(f); after != before {
			t.Fatalf("a refused bulk delete changed the account:\nbefore %s\nafter %s", before, after)
		}
	}
	if _, err := e.app.GetRule(ctx, e.B.ownerAct, e.B.rule.ID); err != nil {
		t.Fatalf("the other account's rule: %v", err)
	}
	for _, body := range []any{map[string]any{}, map[string]any{"rule_ids": []string{}}} {
		if res := owner.Do("POST", "/api/v1/assignment-rules/delete", body); res.Status != 422 {
			t.Fatalf("bulk delete of nothing: %d, want 422: %s", res.Status, res.Body)
		}
	}
	if res := owner.Do("POST", "/api/v1/assignment-rules/delete", map[string]any{"rule_ids": []string{a, b}}); res.Status != 204 {
		t.Fatalf("bulk delete: %d, want 204: %s", res.Status, res.Body)
	}
	for _, id := range []string{a, b} {
		if _, err := e.app.GetRule(ctx, f.ownerAct, id); !portico.IsKind(err, portico.KindNotFound) {
			t.Fatalf("rule %s still there: %v", id, err)
		}
	}
	if _, err := e.app.GetRule(ctx, f.ownerAct, f.rule.ID); err != nil {
		t.Fatalf("an unlisted rule was deleted: %v", err)
	}
}

// Device groups cannot take a special folder's name, and descriptions refuse control characters:
// each is a 422 naming the field, and nothing is stored.
func TestDeviceGroupNameAndDescriptionRefusals(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	cases := []struct {
		name         string
		method, path string
		body         any
		field        string
	}{
		{"Unassigned", "POST", "/api/v1/device-groups", map[string]any{"name": "Unassigned"}, "name"},
		{"favourites in any case", "POST", "/api/v1/device-groups", map[string]any{"name": "fAVOURITES"}, "name"},
		{"In session", "POST", "/api/v1/device-groups", map[string]any{"name": "In session"}, "name"},
		{"German Unassigned", "POST", "/api/v1/device-groups", map[string]any{"name": "Nicht zugewiesen"}, "name"},
		{"rename to Unassigned", "PATCH", "/api/v1/device-groups/" + f.group.ID, map[string]any{"name": "unassigned"}, "name"},
		{"NUL in a group description", "POST", "/api/v1/device-groups", map[string]any{"name": "G", "description": "line\u0000x"}, "description"},
		{"escape in a group description", "PATCH", "/api/v1/device-groups/" + f.group.ID, map[string]any{"description": "\u001b[31m"}, "description"},
		{"NUL in a rule description", "POST", "/api/v1/assignment-rules", map[string]any{"name": "R", "description": "a\u0000", "match": "all",
			"target_group_id": f.group.ID, "conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": "x"}}}, "description"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.dump(f)
			res := owner.Do(tc.method, tc.path, tc.body)
			if res.Status != 422 {
				t.Fatalf("%d, want 422: %s", res.Status, res.Body)
			}
			p := res.Problem(t)
			if len(p.Errors) == 0 || p.Errors[0].Field != tc.field {
				t.Fatalf("problem does not name %s: %s", tc.field, res.Body)
			}
			if after := e.dump(f); after != before {
				t.Fatalf("refused input changed the account:\nbefore %s\nafter %s", before, after)
			}
		})
	}
	if res := owner.Do("POST", "/api/v1/device-groups", map[string]any{"name": "Unassigned laptops", "description": "two\nlines"}); res.Status != 201 {
		t.Fatalf("an ordinary group: %d %s", res.Status, res.Body)
	}
}
