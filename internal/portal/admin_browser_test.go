package portal

import (
	"context"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestAdminInBrowser drives the administration pages in Chromium: the space preview of rule values
// while typing, the arrow buttons that reorder rules, the confirmation dialog of a delete, and the
// role manager's prerequisites offer. With PORTICO_BROWSER_DEBUG set, it also saves a screenshot of
// every page it visits, for looking at them.
func TestAdminInBrowser(t *testing.T) {
	e := newLiveEnv(t)
	ctx := context.Background()
	g, err := e.app.CreateDeviceGroup(ctx, e.owner, app.GroupInput{Name: "Berlin"})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, name := range []string{"laptops", "servers"} {
		r, err := e.app.CreateRule(ctx, e.owner, app.RuleInput{Name: name, Match: portico.MatchAll, TargetGroupID: g.ID,
			Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpStartsWith, Value: name[:3]}}})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, r.ID)
	}
	b := e.chromium()
	b.signIn("owner@example.test", testPassword)

	// Spaces show as '*' under the value while typing.
	b.open("/device-assignment/new")
	b.typeInto("#value-0", "office pc", false)
	b.waitText("#preview-0", "office*pc")
	b.debugShot("rule-form")

	// The keyboard-reachable arrow moves the first rule down.
	b.open("/device-assignment")
	b.debugShot("rules")
	b.click(`button[value="` + ids[0] + `:down"]`)
	b.waitText("ol.rules li:first-child .rule-name", "servers")
	rules, err := e.app.ListRules(ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	if rules[0].Name != "servers" {
		t.Fatalf("order after the down arrow: %s first", rules[0].Name)
	}

	// A missing prerequisite is offered, ticked, and added by the button.
	b.open("/roles/new?purpose=administration")
	b.fill("#name", "Inviters")
	// Ticked from script: the checkbox may sit under the sticky save bar after scrolling.
	evalJS[bool](b, `(function(){var c=document.querySelector('input[value="users.invite"]');c.click();return c.checked;})()`)
	b.click(`.sticky-actions button[type=submit]`)
	b.waitVisible("#missing")
	b.debugShot("role-missing")
	if !evalJS[bool](b, `document.querySelector('input[value="users.view"]').checked`) {
		t.Fatal("the missing prerequisite is not ticked")
	}
	b.click(`#missing button[name=add_prerequisites]`)
	b.waitText(".notice", "Saved")
	b.debugShot("role")

	// Deleting asks first, in a dialog.
	b.click(`button[data-dialog="role-delete"]`)
	b.waitVisible("#role-delete")
	b.click(`#role-delete button[type=submit]`)
	b.waitText(".role-detail h2", "Role manager")
	for _, r := range mustRoles(t, e.app, e.owner) {
		if r.Name == "Inviters" {
			t.Fatal("the role was not deleted")
		}
	}

	for _, path := range []string{"/installers", "/users", "/user-groups", "/roles", "/audit", "/settings", "/billing", "/profile"} {
		b.open(path)
		b.debugShot(strings.Trim(strings.ReplaceAll(path, "/", "-"), "-"))
	}
}

func mustRoles(t *testing.T, a *app.App, ac *app.Actor) []portico.Role {
	t.Helper()
	roles, err := a.ListRoles(context.Background(), ac)
	if err != nil {
		t.Fatal(err)
	}
	return roles
}
