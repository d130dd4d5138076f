package portal

// Tests that refusals reach the page in the page's words: the message on the field it concerns,
// named by the label the page shows, never an API field name or a bare error kind.

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestFormsShowDuplicateNamesOnTheirField: a name or email already in use is shown on its field,
// marked invalid, not as a banner reading "conflict".
func TestFormsShowDuplicateNamesOnTheirField(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	for _, c := range []struct {
		what, path string
		form       url.Values
		field      string
		message    string
	}{
		{"role", "/roles", url.Values{"name": {"Helpdesk"}, "purpose": {"devices"}, "perm": {"device.view"}},
			"name", "a role with this name already exists"},
		{"user", "/users", url.Values{"email": {"dup@example.test"}, "name": {"Dup"}, "mode": {"invite"}, "language": {"en-GB"}},
			"email", "is already in use"},
		{"user group", "/user-groups", url.Values{"name": {"Helpdesk team"}}, "name", "a user group with this name already exists"},
	} {
		code, body, _ := b.post(c.path, c.form)
		if code != http.StatusSeeOther && code != http.StatusOK {
			t.Fatalf("first %s: status %d\n%s", c.what, code, body)
		}
		code, body, _ = b.post(c.path, c.form)
		wantStatus(t, "second "+c.what, code, http.StatusUnprocessableEntity, body)
		if strings.Contains(body, `role="alert">conflict<`) {
			t.Errorf("%s: the banner shows the bare word conflict", c.what)
		}
		if !strings.Contains(body, `<p class="field-error" id="`+c.field+`-error">`+c.message+`</p>`) {
			t.Errorf("%s: no message %q on the %s field:\n%s", c.what, c.message, c.field, body)
		}
		if !strings.Contains(body, `aria-invalid="true" aria-describedby="`+c.field+`-error`) {
			t.Errorf("%s: the %s field is not marked invalid", c.what, c.field)
		}
	}
}

// TestGroupAssignmentFormNamesItsFields: an assignment posted with both selects left at "Choose…"
// marks both, with the form's labels in the banner; a role that no longer exists is named as the
// Role field's problem. No API field name or joined API messages reach the page.
func TestGroupAssignmentFormNamesItsFields(t *testing.T) {
	e := newTestEnv(t)
	gid := e.devicesGroup("Germany", "")
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/groups/"+gid+"/assignments", url.Values{"principal": {""}, "role_id": {""}})
	devicesWantStatus(t, "empty assignment", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "empty assignment", body,
		`<select id="as-principal" name="principal" required aria-invalid="true" aria-describedby="as-principal-error">`,
		`<p class="field-error" id="as-principal-error">Choose a user or user group.</p>`,
		`<select id="as-role" name="role_id" required aria-invalid="true" aria-describedby="as-role-error">`,
		`<p class="field-error" id="as-role-error">Choose a role.</p>`,
		`User or user group: Choose a user or user group.`, `Role: Choose a role.`)
	devicesWantNotIn(t, "empty assignment", body, "must be user or user_group", "is required is required", "principal_id", "role_id:")

	code, body, _ = b.post("/groups/"+gid+"/assignments", url.Values{"principal": {"user:" + e.acc.Owner.ID}, "role_id": {"role_gone"}})
	devicesWantStatus(t, "missing role", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "missing role", body, `<p class="field-error" id="as-role-error">no such role</p>`, "Role: no such role")
	devicesWantNotIn(t, "missing role", body, "role_id:", `id="as-principal-error"`)
}

// TestRoleAssignNamesWho: the role page's account-wide assignment names its field "Who", and error
// pages name fields by their label too, never by the API's field name.
func TestRoleAssignNamesWho(t *testing.T) {
	e := newTestEnv(t)
	roles, err := e.app.ListRoles(context.Background(), e.owner)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/roles/"+roles[0].ID+"/assign", url.Values{"principal": {""}})
	wantStatus(t, "assign nobody", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "assign nobody", body, "Who: ", `<select id="principal" name="principal" required aria-invalid="true">`)
	devicesWantNotIn(t, "assign nobody", body, "principal_id", "principal_type")

	// An error page (here a clone with too long a name) names the field as the portal does.
	code, body, _ = b.post("/roles/"+roles[0].ID+"/clone", url.Values{"name": {strings.Repeat("x", 101)}})
	wantStatus(t, "clone with a long name", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "clone with a long name", body, "<p>Name: ")
	devicesWantNotIn(t, "clone with a long name", body, "(name:")
}

// TestMoveDialogOffersOnlyAllowedGroups: the move dialog lists only the groups where the user holds
// device.move; a refused move (a destination posted by hand) stays in the dialog and names the group.
func TestMoveDialogOffersOnlyAllowedGroups(t *testing.T) {
	e := newTestEnv(t)
	uk := e.devicesGroup("UK", "")
	oxford := e.devicesGroup("Oxford office", uk)
	germany := e.devicesGroup("Germany", "")
	ids := e.devicesSeed(uk, "LON", 1, portico.DeviceAvailable)
	b := e.devicesTech("mover@example.test", uk, portico.PermDeviceView, portico.PermDeviceMove)
	// Seeing Germany (without moving into it) is what tempts the dialog to offer it.
	ctx := context.Background()
	name, purpose, perms := "Germany viewers", portico.PurposeDevices, []portico.Permission{portico.PermDeviceView}
	r, err := e.app.CreateRole(ctx, e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		t.Fatal(err)
	}
	users, _ := e.app.ListUsers(ctx, e.owner, portico.UserFilter{Query: "mover@"})
	if _, err := e.app.CreateAssignment(ctx, e.owner, app.AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: users[0].ID, RoleID: r.ID, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: germany}); err != nil {
		t.Fatal(err)
	}

	code, body, _ := b.get("/devices/confirm?action=move&device_ids=" + ids[0] + "&back=/groups/" + uk)
	devicesWantStatus(t, "move dialog", code, http.StatusOK, body)
	devicesWantIn(t, "move dialog", body, `<option value="`+uk+`"`, `<option value="`+oxford+`"`)
	devicesWantNotIn(t, "move dialog", body, `<option value="`+germany+`"`, `<option value="unassigned"`)

	code, body, _ = b.post("/devices/move", url.Values{"device_ids": ids, "group_id": {germany}, "back": {"/groups/" + uk}})
	devicesWantStatus(t, "move to Germany", code, http.StatusForbidden, body)
	devicesWantIn(t, "move to Germany", body, `<select id="move-group" name="group_id"`,
		`role="alert">You cannot move devices to “Germany”: you do not hold the permission “Move devices” there.`)
	if g := e.devicesGroupOf(ids[0]); g != uk {
		t.Fatalf("a refused move moved the device to %s", g)
	}
	code, _, _ = b.post("/devices/move", url.Values{"device_ids": ids, "group_id": {oxford}, "back": {"/groups/" + uk}})
	devicesWantStatus(t, "move to Oxford", code, http.StatusSeeOther, "")
}

// TestGroupAssignmentsTabSaysWhenHidden: a user who may neither view roles nor manage assignments on
// a group is told so on its assignments tab, not shown "No role assignments." as if it had none.
func TestGroupAssignmentsTabSaysWhenHidden(t *testing.T) {
	e := newTestEnv(t)
	gid := e.devicesGroup("UK", "")
	b := e.devicesTech("viewer@example.test", gid, portico.PermDeviceView)
	code, body, _ := b.get("/groups/" + gid + "?tab=assignments")
	devicesWantStatus(t, "assignments tab", code, http.StatusForbidden, body)
	devicesWantIn(t, "assignments tab", body, "You cannot view this group&#39;s role assignments")
	devicesWantNotIn(t, "assignments tab", body, "No role assignments.")

	// The owner sees the viewer's assignment there.
	owner := e.browser()
	owner.signIn("owner@example.test")
	code, body, _ = owner.get("/groups/" + gid + "?tab=assignments")
	devicesWantStatus(t, "owner's assignments tab", code, http.StatusOK, body)
	devicesWantIn(t, "owner's assignments tab", body, "Role of viewer@example.test")
	devicesWantNotIn(t, "owner's assignments tab", body, "You cannot view this group")
}

// TestLayoutFaviconAndHtmxConfig: the layout keeps htmx from inserting its inline indicator style
// (which the Content Security Policy refuses), the portal's stylesheet has the indicator rules
// instead, and a favicon is linked and answered at /favicon.ico.
func TestLayoutFaviconAndHtmxConfig(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	_, body, _ := b.get("/sign-in")
	devicesWantIn(t, "sign-in page", body, `<meta name="htmx-config" content='{"includeIndicatorStyles":false}'>`,
		`<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">`)
	for _, path := range []string{"/favicon.ico", "/static/favicon.svg"} {
		code, svg, h := b.get(path)
		if code != http.StatusOK || h.Get("Content-Type") != "image/svg+xml" || !strings.Contains(svg, "<svg") {
			t.Errorf("%s: %d %s", path, code, h.Get("Content-Type"))
		}
	}
	_, css, _ := b.get("/static/portico.css")
	devicesWantIn(t, "portico.css", css, ".htmx-indicator { opacity: 0; }", ".htmx-request .htmx-indicator")
}

// TestIPAllowlistLockoutWordsTheCheckbox: the lock-out refusal speaks of the page's checkbox, not of
// the API's i_understand field.
func TestIPAllowlistLockoutWordsTheCheckbox(t *testing.T) {
	e := newTestEnv(t)
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/settings/ip-allowlist", url.Values{"entries": {"10.0.0.0/8"}})
	wantStatus(t, "lock-out", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "lock-out", body, "Your address 127.0.0.1 is not in this list: saving it would lock you out.",
		"tick “I understand that this list locks me out from my current address” below", `<input type="checkbox" id="i_understand"`)
	devicesWantNotIn(t, "lock-out", body, "confirm with i_understand")
	// A line that is not a network is still named by its line, without the checkbox.
	code, body, _ = b.post("/settings/ip-allowlist", url.Values{"entries": {"127.0.0.1\nnot-a-network"}})
	wantStatus(t, "bad line", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "bad line", body, "line 2: ")
	devicesWantNotIn(t, "bad line", body, `id="i_understand"`)
}

// TestInvalidInputsAreShown: a language the app refuses, an unknown permission and filters that
// cannot be used are each reported, naming the field or filter; nothing is created.
func TestInvalidInputsAreShown(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	b := e.browser()
	b.signIn("owner@example.test")

	code, body, _ := b.post("/users", url.Values{"email": {"xx@example.test"}, "name": {"Xavier"}, "mode": {"invite"}, "language": {"xx"}})
	wantStatus(t, "language xx", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "language xx", body, `<p class="field-error" id="language-error">must be one of`,
		`<select id="language" name="language" aria-invalid="true" aria-describedby="language-error">`)
	if us, _ := e.app.ListUsers(ctx, e.owner, portico.UserFilter{Query: "xx@"}); len(us) != 0 {
		t.Fatal("a user with a refused language was created")
	}

	before, _ := e.app.ListRoles(ctx, e.owner)
	code, body, _ = b.post("/roles", url.Values{"name": {"Zed"}, "purpose": {"devices"}, "perm": {"device.view", "device.zzz"}})
	wantStatus(t, "unknown permission", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "unknown permission", body, "Permissions: &#34;device.zzz&#34; is not a known permission")
	if after, _ := e.app.ListRoles(ctx, e.owner); len(after) != len(before) {
		t.Fatalf("a role with an unknown permission was stored: %d roles, had %d", len(after), len(before))
	}

	code, body, _ = b.get("/audit?outcome=bogus")
	wantStatus(t, "audit outcome", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "audit outcome", body, `role="alert">The “Outcome” filter does not know the value “bogus”`)
	code, body, _ = b.get("/audit?from=2026-11-29&to=2026-11-27")
	wantStatus(t, "audit range", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "audit range", body, `role="alert">The “From” date (2026-11-29) is after the “To” date (2026-11-27)`)
	code, body, _ = b.get("/audit?from=29.11.2026")
	wantStatus(t, "audit date", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "audit date", body, `role="alert">The “From” date could not be read`)
	code, body, _ = b.get("/audit?from=2026-11-27&to=2026-11-29&outcome=success")
	wantStatus(t, "audit with good filters", code, http.StatusOK, body)
	devicesWantNotIn(t, "audit with good filters", body, `<p class="error" role="alert">`)
}

// TestSettingsRequireTwoFactor: the settings page turns required 2FA on and off through the account
// update the API uses, warns a user without 2FA that they will be asked to set it up, and the app's
// gate then sends them to enrolment.
func TestSettingsRequireTwoFactor(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	b := e.browser()
	b.signIn("owner@example.test")
	_, body, _ := b.get("/settings")
	devicesWantIn(t, "settings", body, `<input type="checkbox" id="require_2fa" name="require_2fa" `,
		"Require two-factor authentication for everyone", "You have not set up two-factor authentication yourself")
	devicesWantNotIn(t, "settings", body, `name="require_2fa" checked`)
	form := url.Values{"name": {"Example Ltd"}, "idle_timeout_minutes": {"15"}, "password_min_length": {"10"},
		"technician_display_name": {""}, "require_2fa": {"on"}}
	code, body, _ := b.post("/settings", form)
	wantStatus(t, "require 2FA", code, http.StatusSeeOther, body)
	acc, err := e.app.GetAccount(ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	if !acc.Settings.Require2FA {
		t.Fatal("Require2FA was not saved")
	}
	// The owner has no 2FA: every page now sends them to set it up.
	code, _, h := b.get("/settings")
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/profile/2fa") {
		t.Fatalf("settings with 2FA required and none set up: %d %s", code, h.Get("Location"))
	}
	// Turned off again (by the app, as the API would) the checkbox shows it off.
	s := acc.Settings
	s.Require2FA = false
	if _, err := e.app.UpdateAccount(ctx, e.owner, app.AccountUpdate{Settings: &s}); err != nil {
		t.Fatal(err)
	}
	form.Del("require_2fa")
	code, body, _ = b.post("/settings", form)
	wantStatus(t, "save without 2FA required", code, http.StatusSeeOther, body)
	if acc, _ := e.app.GetAccount(ctx, e.owner); acc.Settings.Require2FA {
		t.Fatal("an unticked box left Require2FA on")
	}
}
