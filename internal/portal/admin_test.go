package portal

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminUserWithRole creates an active user holding a new role of the given permissions at account
// level, and returns the user's id.
func adminUserWithRole(t *testing.T, e *testEnv, email string, purpose portico.Purpose, perms ...portico.Permission) string {
	t.Helper()
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: email, Name: strings.Split(email, "@")[0], Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	name := "Role for " + email
	r, err := e.app.CreateRole(ctx, e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.CreateAssignment(ctx, e.owner, app.AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: u.User.ID, RoleID: r.ID, ScopeType: portico.ScopeTypeAccount}); err != nil {
		t.Fatal(err)
	}
	return u.User.ID
}

func adminGroup(t *testing.T, e *testEnv, name string) string {
	t.Helper()
	g, err := e.app.CreateDeviceGroup(context.Background(), e.owner, app.GroupInput{Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return g.ID
}

func adminRule(t *testing.T, e *testEnv, name, groupID string) string {
	t.Helper()
	r, err := e.app.CreateRule(context.Background(), e.owner, app.RuleInput{Name: name, Match: portico.MatchAll,
		TargetGroupID: groupID, Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpContains, Value: name}}})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func wantStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, got, want, body)
	}
}

func TestAdminPagesRenderForOwner(t *testing.T) {
	e := newTestEnv(t)
	g := adminGroup(t, e, "Berlin")
	rule := adminRule(t, e, "berlin", g)
	roles, err := e.app.ListRoles(context.Background(), e.owner)
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("owner@example.test")
	for path, want := range map[string]string{
		"/installers":                "Enrollment tokens",
		"/users":                     "owner@example.test",
		"/users/" + e.owner.UserID:   "Olivia Owner",
		"/profile":                   "Your profile",
		"/user-groups":               "New user group",
		"/roles":                     "Role manager",
		"/roles/new":                 "What is the new role for?",
		"/roles/new?purpose=devices": "Managed devices",
		"/roles/" + roles[0].ID:      roles[0].Name,
		"/roles/" + roles[0].ID + "?tab=assignments": "Who",
		"/device-assignment":                         "berlin",
		"/device-assignment/new":                     "Add a condition",
		"/device-assignment/" + rule:                 "Berlin",
		"/device-assignment/" + rule + "?dry_run=1":  "would move no device",
		"/audit":    "Intact",
		"/settings": "Example Ltd",
		"/billing":  "Technician seats",
	} {
		code, body, _ := b.get(path)
		if code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d, want 200 with %q\n%s", path, code, want, body)
		}
	}
}

// TestAdminRoleMissingPrerequisite: a role saved without a prerequisite is refused with the app's
// message, nothing is stored, and the missing permission comes back ticked; saving with "add the
// missing prerequisites" stores the role with it.
func TestAdminRoleMissingPrerequisite(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	before, _ := e.app.ListRoles(ctx, e.owner)
	b := e.browser()
	b.signIn("owner@example.test")
	form := url.Values{"name": {"Inviters"}, "purpose": {"administration"}, "perm": {"users.invite"}}
	code, body, _ := b.post("/roles", form)
	wantStatus(t, "role without prerequisite", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "missing prerequisites: users.view") {
		t.Errorf("the app's message is not shown:\n%s", body)
	}
	if !strings.Contains(body, `id="perm-users.view" name="perm" value="users.view" checked`) {
		t.Errorf("the missing prerequisite is not ticked on the re-render:\n%s", body)
	}
	if after, _ := e.app.ListRoles(ctx, e.owner); len(after) != len(before) {
		t.Fatalf("a refused role was stored: %d roles, had %d", len(after), len(before))
	}
	form.Set("add_prerequisites", "1")
	code, body, h := b.post("/roles", form)
	wantStatus(t, "role with prerequisites added", code, http.StatusSeeOther, body)
	id := strings.TrimPrefix(strings.Split(h.Get("Location"), "?")[0], "/roles/")
	r, err := e.app.GetRole(ctx, e.owner, id)
	if err != nil {
		t.Fatal(err)
	}
	if s := r.PermissionSet(); !s.Has(portico.PermUsersView) || !s.Has(portico.PermUsersInvite) || r.Purpose != portico.PurposeAdministration {
		t.Fatalf("stored role %+v", r)
	}
	// The purpose is fixed: an update cannot change it, and the page says so.
	_, body, _ = b.get("/roles/" + id)
	if !strings.Contains(body, "fixed when the role was created") {
		t.Errorf("the role page does not say the purpose is fixed:\n%s", body)
	}
}

func TestAdminSystemRoleIsReadOnlyAndDeleteListsDependents(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	adminUserWithRole(t, e, "aud@example.test", portico.PurposeAdministration, portico.PermAuditView)
	roles, _ := e.app.ListRoles(ctx, e.owner)
	var system, custom *portico.Role
	for i := range roles {
		if roles[i].System && system == nil {
			system = &roles[i]
		}
		if !roles[i].System {
			custom = &roles[i]
		}
	}
	b := e.browser()
	b.signIn("owner@example.test")
	_, body, _ := b.get("/roles/" + system.ID)
	if strings.Contains(body, `data-dialog="role-delete"`) || !strings.Contains(body, "<fieldset class=\"card perm-category\" disabled>") {
		t.Errorf("a system role is editable or deletable:\n%s", body)
	}
	_, body, _ = b.get("/roles/" + custom.ID)
	if !strings.Contains(body, "These 1 assignments use the role") || !strings.Contains(body, ">aud</a>") && !strings.Contains(body, "aud (") {
		t.Errorf("the delete dialog does not list the dependents:\n%s", body)
	}
	code, body, _ := b.post("/roles/"+custom.ID+"/clone", url.Values{"name": {"Auditors 2"}})
	wantStatus(t, "clone", code, http.StatusSeeOther, body)
	code, body, _ = b.post("/roles/"+custom.ID+"/delete", nil)
	wantStatus(t, "delete", code, http.StatusSeeOther, body)
	if _, err := e.app.GetRole(ctx, e.owner, custom.ID); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("deleted role still there: %v", err)
	}
}

func TestAdminRoleAssignAtAccount(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "tech@example.test", Name: "Terry", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	roles, _ := e.app.ListRoles(ctx, e.owner)
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/roles/"+roles[0].ID+"/assign", url.Values{"principal": {"user:" + u.User.ID}})
	wantStatus(t, "assign", code, http.StatusSeeOther, body)
	list, _ := e.app.ListAssignments(ctx, e.owner, portico.AssignmentFilter{RoleID: roles[0].ID, PrincipalID: u.User.ID})
	if len(list) != 1 || list[0].ScopeType != portico.ScopeTypeAccount {
		t.Fatalf("assignments %+v", list)
	}
	_, body, _ = b.get("/roles/" + roles[0].ID + "?tab=assignments")
	if !strings.Contains(body, "Terry") || !strings.Contains(body, "/assignments/"+list[0].ID+"/delete") {
		t.Errorf("the assignments tab does not show Terry with a remove button:\n%s", body)
	}
	code, body, _ = b.post("/roles/"+roles[0].ID+"/assignments/"+list[0].ID+"/delete", nil)
	wantStatus(t, "unassign", code, http.StatusSeeOther, body)
	if list, _ := e.app.ListAssignments(ctx, e.owner, portico.AssignmentFilter{RoleID: roles[0].ID, PrincipalID: u.User.ID}); len(list) != 0 {
		t.Fatalf("assignment not removed: %+v", list)
	}
}

func TestAdminRulesReorder(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	g := adminGroup(t, e, "Paris")
	a, bb, c := adminRule(t, e, "alpha", g), adminRule(t, e, "bravo", g), adminRule(t, e, "charlie", g)
	order := func() string {
		rules, err := e.app.ListRules(ctx, e.owner)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, r := range rules {
			names = append(names, r.Name)
		}
		return strings.Join(names, ",")
	}
	b := e.browser()
	b.signIn("owner@example.test")
	// Drag and drop posts the whole order.
	code, body, _ := b.post("/device-assignment/order", url.Values{"id": {c, a, bb}})
	wantStatus(t, "drag order", code, http.StatusSeeOther, body)
	if got := order(); got != "charlie,alpha,bravo" {
		t.Fatalf("after drag: %s", got)
	}
	// The keyboard buttons move one rule.
	code, body, _ = b.post("/device-assignment/order", url.Values{"move": {bb + ":up"}})
	wantStatus(t, "move up", code, http.StatusSeeOther, body)
	if got := order(); got != "charlie,bravo,alpha" {
		t.Fatalf("after moving bravo up: %s", got)
	}
	// The enable toggle and bulk delete.
	b.post("/device-assignment/"+a+"/enabled", url.Values{})
	if r, _ := e.app.GetRule(ctx, e.owner, a); r.Enabled {
		t.Fatal("the rule is still enabled")
	}
	_, body, _ = b.get("/device-assignment")
	if !strings.Contains(body, `data-reorder-url="/device-assignment/order"`) || !strings.Contains(body, "Disabled") {
		t.Errorf("rules page:\n%s", body)
	}
	code, body, _ = b.post("/device-assignment/delete", url.Values{"id": {a, c}})
	wantStatus(t, "bulk delete", code, http.StatusSeeOther, body)
	if got := order(); got != "bravo" {
		t.Fatalf("after bulk delete: %s", got)
	}
}

// TestAdminRuleForm: the conditions builder adds and removes rows, a value with spaces is refused
// with the positions and the value shown with '*', and nothing is stored.
func TestAdminRuleForm(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	g := adminGroup(t, e, "Rome")
	b := e.browser()
	b.signIn("owner@example.test")
	form := url.Values{"name": {"Office"}, "match": {"all"}, "target_group_id": {g}, "enabled": {"on"},
		"property": {"hostname"}, "operator": {"contains"}, "value": {"office pc 1"}}
	code, body, _ := b.post("/device-assignment", form)
	wantStatus(t, "value with spaces", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "positions 7, 10") || !strings.Contains(body, "office*pc*1") {
		t.Errorf("the spaces' positions are not shown:\n%s", body)
	}
	if !strings.Contains(body, `data-show-spaces="preview-0"`) {
		t.Error("the value input lacks its space preview")
	}
	if rules, _ := e.app.ListRules(ctx, e.owner); len(rules) != 0 {
		t.Fatalf("a refused rule was stored: %+v", rules)
	}
	add := url.Values{}
	for k, v := range form {
		add[k] = v
	}
	add.Set("row", "add")
	code, body, _ = b.post("/device-assignment", add)
	wantStatus(t, "add a row", code, http.StatusOK, body)
	if !strings.Contains(body, `id="value-1"`) {
		t.Errorf("no second row:\n%s", body)
	}
	form.Set("value", "office")
	code, body, _ = b.post("/device-assignment", form)
	wantStatus(t, "good rule", code, http.StatusSeeOther, body)
	rules, _ := e.app.ListRules(ctx, e.owner)
	if len(rules) != 1 || rules[0].Conditions[0].Value != "office" || rules[0].TargetGroupID != g {
		t.Fatalf("stored %+v", rules)
	}
	code, body, _ = b.post("/device-assignment/apply", nil)
	wantStatus(t, "apply", code, http.StatusSeeOther, body)
}

// adminEnvWithDir is newTestEnv and its data directory, so that a test can tamper with the database
// behind the app's back.
func adminEnvWithDir(t *testing.T) (*testEnv, string) {
	e := newTestEnv(t)
	return e, e.dir
}

func TestAdminAuditLogAndChain(t *testing.T) {
	e, dir := adminEnvWithDir(t)
	adminGroup(t, e, "Madrid")
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.get("/audit")
	wantStatus(t, "audit", code, http.StatusOK, body)
	if !strings.Contains(body, "Intact") || !strings.Contains(body, "device_group.create") {
		t.Fatalf("audit page:\n%s", body)
	}
	// An action filter that names no action is a prefix.
	_, body, _ = b.get("/audit?action=device_group.")
	if !strings.Contains(body, "device_group.create") || strings.Contains(body, "<code>account.create</code>") {
		t.Errorf("prefix filter:\n%s", body)
	}
	_, body, _ = b.get("/audit?actor=" + e.owner.UserID + "&outcome=denied")
	if !strings.Contains(body, "No entries match") {
		t.Errorf("filters by actor and outcome:\n%s", body)
	}
	code, body, h := b.get("/audit?format=csv")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(body, "device_group.create") {
		t.Fatalf("csv export: %d %s\n%s", code, h.Get("Content-Type"), body)
	}
	code, body, h = b.get("/audit?format=pdf")
	if code != http.StatusOK || !strings.HasPrefix(body, "%PDF") {
		t.Fatalf("pdf export: %d %s", code, h.Get("Content-Type"))
	}
	// Tamper with the second entry straight in the database.
	db, err := sql.Open("sqlite", filepath.Join(dir, "portico.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE audit_events SET detail = 'nothing to see' WHERE account_id = ? AND seq = 2`, e.acc.Account.ID); err != nil {
		t.Fatal(err)
	}
	_, body, _ = b.get("/audit")
	if !strings.Contains(body, "Broken at entry 2") {
		t.Fatalf("tampering not shown:\n%s", body)
	}
}

// TestAdminUsersViewOnly: a user with only users.view sees the list but no create, disable or
// delete, and the server refuses a direct post.
func TestAdminUsersViewOnly(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	adminUserWithRole(t, e, "viewer@example.test", portico.PurposeAdministration, portico.PermUsersView)
	other, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "other@example.test", Name: "Otto", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("viewer@example.test")
	code, body, _ := b.get("/users")
	wantStatus(t, "users list", code, http.StatusOK, body)
	if !strings.Contains(body, "other@example.test") {
		t.Error("the list lacks a user")
	}
	if strings.Contains(body, `action="/users" class="admin-form`) || strings.Contains(body, "New user") {
		t.Error("a viewer sees the create form")
	}
	_, body, _ = b.get("/users/" + other.User.ID)
	for _, hidden := range []string{"/disable", "/delete", `action="/users/` + other.User.ID + `" class="card admin-form"`} {
		if strings.Contains(body, hidden) {
			t.Errorf("a viewer sees %s", hidden)
		}
	}
	code, _, _ = b.post("/users/"+other.User.ID+"/disable", nil)
	if code != http.StatusForbidden {
		t.Fatalf("direct disable: %d, want 403", code)
	}
	if u, _ := e.app.GetUser(ctx, e.owner, other.User.ID); u.Status != portico.StatusActive {
		t.Fatal("the refused post disabled the user")
	}
	if code, _, _ := b.post("/users", url.Values{"email": {"x@example.test"}}); code != http.StatusForbidden {
		t.Fatalf("direct create: %d, want 403", code)
	}
	for _, path := range []string{"/roles", "/settings", "/audit", "/device-assignment", "/billing", "/user-groups"} {
		if code, _, _ := b.get(path); code != http.StatusForbidden {
			t.Errorf("%s: %d, want 403 for a users viewer", path, code)
		}
	}
	// The refusal names the permission as people read it, never by its key.
	if _, body, _ := b.get("/roles"); !strings.Contains(body, "You need the permission “View roles” here.") ||
		strings.Contains(body, "roles.view") {
		t.Errorf("the refusal page does not name the permission by its title: %s", body)
	}
}

func TestAdminUsersCreateAndManage(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	b := e.browser()
	b.signIn("owner@example.test")
	// An invitation shows the link once.
	code, body, _ := b.post("/users", url.Values{"email": {"new@example.test"}, "mode": {"invite"}})
	wantStatus(t, "invite", code, http.StatusOK, body)
	if !strings.Contains(body, "/invitations/inv") {
		t.Fatalf("no invitation link:\n%s", body)
	}
	// A short password is refused with the field's message, and nobody is created.
	code, body, _ = b.post("/users", url.Values{"email": {"pw@example.test"}, "mode": {"password"}, "password": {"short"}})
	wantStatus(t, "short password", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="password-error"`) || !strings.Contains(body, "at least") {
		t.Errorf("no field message:\n%s", body)
	}
	if us, _ := e.app.ListUsers(ctx, e.owner, portico.UserFilter{Query: "pw@"}); len(us) != 0 {
		t.Fatal("a refused user was created")
	}
	code, body, _ = b.post("/users", url.Values{"email": {"pw@example.test"}, "name": {"Pat"}, "mode": {"password"}, "password": {testPassword}})
	wantStatus(t, "with password", code, http.StatusOK, body)
	us, _ := e.app.ListUsers(ctx, e.owner, portico.UserFilter{Query: "pw@"})
	if len(us) != 1 || us[0].State != portico.StateActivated {
		t.Fatalf("created %+v", us)
	}
	pat := us[0].ID
	// Filters.
	_, body, _ = b.get("/users?state=invited")
	if !strings.Contains(body, "new@example.test") || strings.Contains(body, "pw@example.test") {
		t.Errorf("state filter:\n%s", body)
	}
	_, body, h := b.get("/users?status=active&format=csv")
	if !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(body, "pw@example.test") {
		t.Errorf("csv: %s\n%s", h.Get("Content-Type"), body)
	}
	// Edit with a bad name, then disable, then the seat limit refuses enabling.
	code, body, _ = b.post("/users/"+pat, url.Values{"name": {""}, "language": {"de"}})
	wantStatus(t, "empty name", code, http.StatusUnprocessableEntity, body)
	code, body, _ = b.post("/users/"+pat+"/disable", nil)
	wantStatus(t, "disable", code, http.StatusSeeOther, body)
	acc, _ := e.app.GetAccount(ctx, e.owner)
	s := acc.Settings
	s.SeatLimit = 0
	if _, err := e.app.UpdateAccount(ctx, e.owner, app.AccountUpdate{Settings: &s}); err != nil {
		t.Fatal(err)
	}
	code, body, _ = b.post("/users/"+pat+"/enable", nil)
	wantStatus(t, "enable over the seat limit", code, http.StatusConflict, body)
	if !strings.Contains(body, "seats of the plan are in use") {
		t.Errorf("the seat limit is not shown:\n%s", body)
	}
	code, body, _ = b.post("/users/"+pat+"/delete", nil)
	wantStatus(t, "delete", code, http.StatusSeeOther, body)
	if _, err := e.app.GetUser(ctx, e.owner, pat); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
}

func TestAdminSettingsProfileBilling(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/settings", url.Values{"name": {"Example Ltd"}, "idle_timeout_minutes": {"1"}, "password_min_length": {"12"}})
	wantStatus(t, "idle too short", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="idle_timeout_minutes-error"`) {
		t.Errorf("no field message:\n%s", body)
	}
	code, body, _ = b.post("/settings", url.Values{"name": {"Example Ltd"}, "idle_timeout_minutes": {"ten"}, "password_min_length": {"12"}})
	wantStatus(t, "not a number", code, http.StatusUnprocessableEntity, body)
	if acc, _ := e.app.GetAccount(ctx, e.owner); acc.Settings.PasswordMinLength == 12 {
		t.Fatal("a refused form changed the settings")
	}
	code, body, _ = b.post("/settings", url.Values{"name": {"Example GmbH"}, "idle_timeout_minutes": {"20"},
		"password_min_length": {"12"}, "installer_group_assignment": {"on"}})
	wantStatus(t, "settings", code, http.StatusSeeOther, body)
	acc, _ := e.app.GetAccount(ctx, e.owner)
	if acc.Name != "Example GmbH" || acc.Settings.IdleTimeoutMinutes != 20 || !acc.Settings.InstallerGroupAssignment {
		t.Fatalf("settings %+v", acc)
	}
	code, body, _ = b.post("/billing", url.Values{"managed_licences": {"-1"}, "seat_limit": {"5"}})
	wantStatus(t, "negative licences", code, http.StatusUnprocessableEntity, body)
	code, body, _ = b.post("/billing", url.Values{"managed_licences": {"50"}, "seat_limit": {"5"}})
	wantStatus(t, "billing", code, http.StatusSeeOther, body)
	if l, _ := e.app.GetLicences(ctx, e.owner); l.ManagedLimit != 50 || l.SeatsLimit != 5 {
		t.Fatalf("licences %+v", l)
	}
	code, body, _ = b.post("/profile", url.Values{"name": {"Olivia O."}, "language": {"it"}, "theme": {"dark"}})
	wantStatus(t, "profile", code, http.StatusSeeOther, body)
	_, body, _ = b.get("/profile")
	if !strings.Contains(body, `data-theme="dark"`) || !strings.Contains(body, "Olivia O.") {
		t.Errorf("profile not applied:\n%s", body)
	}
	code, body, _ = b.post("/profile/password", url.Values{"password": {"a new long password"}, "password_again": {"another"}})
	wantStatus(t, "mismatch", code, http.StatusUnprocessableEntity, body)
	code, body, _ = b.post("/profile/password", url.Values{"password": {"a new long password"}, "password_again": {"a new long password"}})
	wantStatus(t, "without the current password", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, "is required to set a new password") || !strings.Contains(body, "Password attuale") {
		t.Errorf("the refusal is not shown on the current password field (the page is in Italian now):\n%s", body)
	}
	code, body, _ = b.post("/profile/password", url.Values{"current_password": {testPassword}, "password": {"a new long password"}, "password_again": {"a new long password"}})
	wantStatus(t, "password", code, http.StatusSeeOther, body)
	if _, _, err := e.app.SignIn(ctx, "owner@example.test", "a new long password", "127.0.0.1"); err != nil {
		t.Fatalf("new password: %v", err)
	}
}

func TestAdminUserGroups(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "m@example.test", Name: "Mia", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/user-groups", url.Values{"name": {" "}})
	wantStatus(t, "blank name", code, http.StatusUnprocessableEntity, body)
	code, body, h := b.post("/user-groups", url.Values{"name": {"Support"}, "description": {"First line"}})
	wantStatus(t, "create", code, http.StatusSeeOther, body)
	id := strings.TrimPrefix(h.Get("Location"), "/user-groups/")
	code, body, _ = b.post("/user-groups/"+id+"/members/add", url.Values{"user_id": {u.User.ID}})
	wantStatus(t, "add member", code, http.StatusSeeOther, body)
	if g, _ := e.app.GetUserGroup(ctx, e.owner, id); len(g.MemberIDs) != 1 {
		t.Fatalf("members %v", g.MemberIDs)
	}
	_, body, _ = b.get("/user-groups/" + id)
	if !strings.Contains(body, "Mia") {
		t.Errorf("group page lacks its member:\n%s", body)
	}
	b.post("/user-groups/"+id+"/members/remove", url.Values{"user_id": {u.User.ID}})
	if g, _ := e.app.GetUserGroup(ctx, e.owner, id); len(g.MemberIDs) != 0 {
		t.Fatalf("members after removal %v", g.MemberIDs)
	}
	code, body, _ = b.post("/user-groups/"+id+"/delete", nil)
	wantStatus(t, "delete", code, http.StatusSeeOther, body)
}

func TestAdminInstallers(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	g := adminGroup(t, e, "Lyon")
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/installers", url.Values{"group_id": {g}})
	wantStatus(t, "create token", code, http.StatusOK, body)
	for _, want := range []string{"--token enr", "portico-agent run", "install-service", "systemctl enable --now portico-agent", "for Lyon"} {
		if !strings.Contains(body, want) {
			t.Errorf("the new token's page lacks %q", want)
		}
	}
	tokens, _ := e.app.ListEnrollmentTokens(ctx, e.owner)
	if len(tokens) != 1 || tokens[0].GroupID != g {
		t.Fatalf("tokens %+v", tokens)
	}
	_, body, _ = b.get("/installers")
	if strings.Contains(body, "--token enr") {
		t.Error("the secret is shown again")
	}
	code, body, _ = b.post("/installers/"+tokens[0].ID+"/revoke", nil)
	wantStatus(t, "revoke", code, http.StatusSeeOther, body)
	if tokens, _ := e.app.ListEnrollmentTokens(ctx, e.owner); tokens[0].RevokedAt == nil {
		t.Fatal("not revoked")
	}
}
