package app

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/directory"
	"github.com/portico-dev/portico/internal/directory/slapdtest"
	"github.com/portico-dev/portico/internal/eventually"
)

// newDirectoryEnv starts a real directory seeded with users (at least 300; the count is returned) and
// an env whose App may reach it on loopback.
func newDirectoryEnv(t *testing.T, users int) (*env, *slapdtest.Server, int) {
	t.Helper()
	srv := slapdtest.Start(t)
	n := slapdtest.Seed(t, srv, users)
	e := newEnv(t)
	e.a.AllowLocalDirectory = true // the test directory listens on loopback
	return e, srv, n
}

// waitJob polls a directory job until it ends.
func waitJob(t *testing.T, e *env, ac *Actor, id string) *portico.DirectoryJob {
	t.Helper()
	var j *portico.DirectoryJob
	eventually.NoError(t, 60*time.Second, "the directory job to end", func() error {
		var err error
		if j, err = e.a.GetDirectoryJob(e.ctx, ac, id); err != nil {
			t.Fatal(err)
		}
		if j.State == JobRunning {
			return fmt.Errorf("job still running: %+v", j)
		}
		return nil
	})
	return j
}

func importDirectory(t *testing.T, e *env) *DirectoryPlan {
	t.Helper()
	job, err := e.a.StartDirectoryImport(e.ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, e, e.owner, job.ID)
	if j.State != JobSucceeded || j.Phase != PhaseDone || j.Processed != j.Total {
		t.Fatalf("job ended %s/%s at %d/%d: %s", j.State, j.Phase, j.Processed, j.Total, j.Error)
	}
	var plan DirectoryPlan
	if err := json.Unmarshal(j.Result, &plan); err != nil {
		t.Fatal(err)
	}
	return &plan
}

// groupMembers returns each user group's member emails by group name.
func groupMembers(t *testing.T, e *env) map[string]map[string]bool {
	t.Helper()
	users, err := e.a.ListUsers(e.ctx, e.owner, portico.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	email := map[string]string{}
	for _, u := range users {
		email[u.ID] = u.Email
	}
	groups, err := e.a.ListUserGroups(e.ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]bool{}
	for _, g := range groups {
		out[g.Name] = map[string]bool{}
		for _, id := range g.MemberIDs {
			out[g.Name][email[id]] = true
		}
	}
	return out
}

func TestDirectoryImport(t *testing.T) {
	e, srv, n := newDirectoryEnv(t, 320)

	// Before: a technician already here with a directory user's email, and a user group of the same
	// name as a directory group. Both are linked, not duplicated.
	existing := e.user(slapdtest.Email(5))
	salesName := "Sales"
	sales, err := e.a.CreateUserGroup(e.ctx, e.owner, UserGroupInput{Name: &salesName})
	if err != nil {
		t.Fatal(err)
	}

	// Nothing to preview before the directory is configured.
	_, err = e.a.PreviewDirectory(e.ctx, e.owner)
	wantKind(t, err, portico.KindConflict)
	// Bad input names the field.
	_, err = e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: directory.Config{URL: "http://x", BaseDN: slapdtest.Base}})
	wantField(t, err, "url")
	pw := slapdtest.AdminPassword
	set, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: directory.Config{URL: srv.URL,
		BindDN: slapdtest.Admin, BaseDN: slapdtest.Base, PageSize: 64}, BindPassword: &pw})
	if err != nil {
		t.Fatal(err)
	}
	// The password is never given back.
	raw, _ := json.Marshal(set)
	if !set.BindPasswordSet || strings.Contains(string(raw), pw) || set.UserFilter != "(objectClass=inetOrgPerson)" {
		t.Fatalf("settings %s", raw)
	}
	// Saving again without a password keeps it.
	if set, err = e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: set.Config}); err != nil || !set.BindPasswordSet {
		t.Fatalf("resave: %v %+v", err, set)
	}

	// A technician who may invite users but not manage user groups can neither configure nor import.
	inviter := e.user("inviter@example.test", grant{roleID: e.role("Inviter", portico.PermUsersView, portico.PermUsersInvite), scopeType: portico.ScopeTypeAccount})
	_, err = e.a.PreviewDirectory(e.ctx, inviter)
	wantKind(t, err, portico.KindForbidden)
	_, err = e.a.StartDirectoryImport(e.ctx, inviter)
	wantKind(t, err, portico.KindForbidden)

	plan, err := e.a.PreviewDirectory(e.ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	// n users, one without email (skipped), one matching the existing technician (linked).
	if plan.UsersCreate != n-2 || plan.UsersUpdate != 1 || plan.GroupsCreate != 7 || plan.GroupsUpdate != 1 || len(plan.Skipped) != 1 {
		t.Fatalf("preview: create %d update %d, groups create %d update %d, skipped %v", plan.UsersCreate, plan.UsersUpdate,
			plan.GroupsCreate, plan.GroupsUpdate, plan.Skipped)
	}
	if len(plan.Sample) != DirectorySampleSize || plan.MembersAdd == 0 {
		t.Fatalf("preview sample %d, memberships +%d", len(plan.Sample), plan.MembersAdd)
	}
	// The preview changed nothing.
	if us, _ := e.a.ListUsers(e.ctx, e.owner, portico.UserFilter{}); len(us) != 3 {
		t.Fatalf("%d users after preview", len(us))
	}

	importDirectory(t, e)
	users, err := e.a.ListUsers(e.ctx, e.owner, portico.UserFilter{})
	if err != nil {
		t.Fatal(err)
	}
	// owner + inviter + n-1 directory users with email (one of them the existing technician).
	if len(users) != 2+n-1 {
		t.Fatalf("%d users after import, want %d", len(users), 2+n-1)
	}
	invited := 0
	for _, u := range users {
		if u.State == portico.StateInvited {
			invited++
		}
	}
	if invited != n-2 {
		t.Errorf("%d invited users, want %d", invited, n-2)
	}
	members := groupMembers(t, e)
	want := map[string]int{"Backend": 100, "Frontend": 50, "Sales": 100, "Support": n - 250 - 1,
		"Engineering": 150, "Staff": 250, "Loop A": 2, "Loop B": 2}
	for name, size := range want {
		if len(members[name]) != size {
			t.Errorf("group %s has %d members, want %d", name, len(members[name]), size)
		}
	}
	if len(members) != len(want) {
		t.Errorf("%d user groups, want %d", len(members), len(want))
	}
	if !members["Staff"][slapdtest.Email(0)] || !members["Staff"][slapdtest.Email(5)] || !members["Sales"][slapdtest.Email(160)] {
		t.Error("nested memberships missing")
	}
	if g, _ := e.a.GetUserGroup(e.ctx, e.owner, sales.ID); len(g.MemberIDs) != 100 {
		t.Errorf("the existing Sales group has %d members", len(g.MemberIDs))
	}
	// The access snapshot knows the new memberships at once.
	snap, _ := e.a.snapshot(e.ctx, e.acc.Account.ID)
	if snap == nil {
		t.Fatal("no snapshot")
	}

	// Re-import after changes in the directory: user010 leaves Backend, user020 is deleted, and a
	// technician added by hand to Backend in Portico stays there.
	groups, _ := e.a.ListUserGroups(e.ctx, e.owner)
	for _, g := range groups {
		if g.Name == "Backend" {
			ids := append(g.MemberIDs, inviter.UserID)
			if _, err := e.a.UpdateUserGroup(e.ctx, e.owner, g.ID, UserGroupInput{MemberIDs: &ids}); err != nil {
				t.Fatal(err)
			}
		}
	}
	var backendMembers []string
	for i := 0; i < 100; i++ {
		if i != 10 {
			backendMembers = append(backendMembers, slapdtest.UserDN(i))
		}
	}
	srv.SetMembers(t, slapdtest.GroupDN("Backend"), backendMembers...)
	srv.Delete(t, slapdtest.UserDN(20))

	plan, err = e.a.PreviewDirectory(e.ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	if plan.UsersCreate != 0 || plan.UsersUpdate != 0 || plan.GroupsCreate != 0 || plan.GroupsUpdate != 0 {
		t.Errorf("second preview creates or updates: %+v", plan)
	}
	// user010 leaves Backend, Engineering, Staff; user020 leaves those three too.
	if plan.MembersRemove != 6 || plan.MembersAdd != 0 {
		t.Errorf("second preview memberships +%d −%d, want +0 −6", plan.MembersAdd, plan.MembersRemove)
	}
	if len(plan.Removed) != 1 || plan.Removed[0].Email != slapdtest.Email(20) {
		t.Errorf("removed %+v, want user020", plan.Removed)
	}

	result := importDirectory(t, e)
	if len(result.Removed) != 1 {
		t.Errorf("import result removed %+v", result.Removed)
	}
	users2, _ := e.a.ListUsers(e.ctx, e.owner, portico.UserFilter{})
	if len(users2) != len(users) {
		t.Errorf("%d users after re-import, want %d (nothing duplicated, nobody deleted)", len(users2), len(users))
	}
	members = groupMembers(t, e)
	for _, g := range []string{"Backend", "Engineering", "Staff"} {
		if members[g][slapdtest.Email(10)] || members[g][slapdtest.Email(20)] {
			t.Errorf("group %s still has user010 or user020", g)
		}
	}
	if !members["Backend"]["inviter@example.test"] || len(members["Backend"]) != 99 {
		t.Errorf("Backend has %d members; the hand-added technician kept: %v", len(members["Backend"]), members["Backend"]["inviter@example.test"])
	}
	if len(members) != len(want) {
		t.Errorf("%d user groups after re-import", len(members))
	}

	// A third import changes nothing at all.
	if p := importDirectory(t, e); p.UsersCreate+p.UsersUpdate+p.GroupsCreate+p.GroupsUpdate+p.MembersAdd+p.MembersRemove != 0 {
		t.Errorf("third import changed something: %+v", p)
	}
	// The technician who was here before is linked, still activated, and in the directory's groups.
	if u, err := e.a.GetUser(e.ctx, e.owner, existing.UserID); err != nil || u.State != portico.StateActivated || !members["Backend"][u.Email] {
		t.Errorf("existing technician after import: %+v, %v", u, err)
	}
}

func TestDirectoryImportUnreachable(t *testing.T) {
	e := newEnv(t)
	e.a.AllowLocalDirectory = true // so that the refusal comes from the closed port, not the address
	pw := "x"
	if _, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: directory.Config{URL: "ldap://127.0.0.1:1",
		BaseDN: "dc=example,dc=org", BindDN: "cn=admin,dc=example,dc=org"}, BindPassword: &pw}); err != nil {
		t.Fatal(err)
	}
	_, err := e.a.PreviewDirectory(e.ctx, e.owner)
	wantKind(t, err, portico.KindUnavailable)
	job, err := e.a.StartDirectoryImport(e.ctx, e.owner)
	if err != nil {
		t.Fatal(err)
	}
	if j := waitJob(t, e, e.owner, job.ID); j.State != JobFailed || j.Error == "" {
		t.Fatalf("job %+v, want failed with an error", j)
	}
}

// TestDirectoryImportGivesDevicesTheirGroups: computers in the directory pass their groups (nested
// ones included) to the devices of the same host name, and an assignment rule on directory_group
// then places them.
func TestDirectoryImportGivesDevicesTheirGroups(t *testing.T) {
	e, srv, _ := newDirectoryEnv(t, 300)
	tok := e.token("")
	backend := e.enroll(tok, strings.ToUpper(slapdtest.BackendComputer)) // same name, other case
	sales := e.enroll(tok, slapdtest.SalesComputer+".corp.example.org")  // qualified name
	other := e.enroll(tok, "reception-pc")
	pw := slapdtest.AdminPassword
	if _, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: directory.Config{URL: srv.URL,
		BindDN: slapdtest.Admin, BaseDN: slapdtest.Base}, BindPassword: &pw}); err != nil {
		t.Fatal(err)
	}
	importDirectory(t, e)
	if got := e.get(backend).DirectoryGroups; !slices.Equal(got, []string{"Backend", "Engineering", "Staff"}) {
		t.Fatalf("%s directory groups %v", slapdtest.BackendComputer, got)
	}
	if got := e.get(sales).DirectoryGroups; !slices.Equal(got, []string{"Sales", "Staff"}) {
		t.Fatalf("%s directory groups %v", slapdtest.SalesComputer, got)
	}
	if got := e.get(other).DirectoryGroups; len(got) != 0 {
		t.Fatalf("a device the directory does not know got groups %v", got)
	}
	if !contains(e.history(backend), "device.directory_groups") {
		t.Fatalf("history of %s: %v", backend, e.history(backend))
	}
	// A rule on the nested group Engineering would move the backend machine only.
	lab := e.group("Engineering devices", "")
	on := false
	r, err := e.a.CreateRule(e.ctx, e.owner, RuleInput{Name: "Engineering", Enabled: &on, Match: portico.MatchAll, TargetGroupID: lab,
		Conditions: []portico.RuleCondition{{Property: portico.PropDirectoryGroup, Operator: portico.OpEquals, Value: "Engineering"}}})
	if err != nil {
		t.Fatal(err)
	}
	dry, err := e.a.DryRun(e.ctx, e.owner, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(dry.Matches) != 1 || dry.Matches[0].DeviceID != backend {
		t.Fatalf("dry run %+v, want only %s", dry.Matches, backend)
	}
	// Importing again changes nothing.
	before := len(e.history(backend))
	importDirectory(t, e)
	if after := len(e.history(backend)); after != before {
		t.Fatalf("a second import wrote history again (%d → %d)", before, after)
	}
}

// TestDirectoryBindPasswordSealed: with a server key the bind password is stored sealed and bound to
// its account; a row stored in clear (before sealing, or without a key) still works and is sealed on
// the next save; a sealed password that does not open is reported, not used.
func TestDirectoryBindPasswordSealed(t *testing.T) {
	e := newEnv(t)
	cfg := directory.Config{Kind: directory.KindOpenLDAP, URL: "ldap://127.0.0.1:1", BaseDN: "dc=example,dc=test",
		BindDN: "cn=reader,dc=example,dc=test"}
	const secret = "s3cret bind password"
	acc := e.owner.AccountID
	stored := func() string {
		t.Helper()
		sc, err := e.a.store.GetDirectoryConfig(e.ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		return sc.BindPassword
	}
	loaded := func() string {
		t.Helper()
		_, pw, err := e.a.loadDirectoryConfig(e.ctx, acc)
		if err != nil {
			t.Fatal(err)
		}
		return pw
	}
	pw := secret

	// No server key: stored as given.
	if _, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: cfg, BindPassword: &pw}); err != nil {
		t.Fatal(err)
	}
	if got := stored(); got != secret {
		t.Fatalf("without a key the row holds %q", got)
	}

	// With a key, saving without a new password seals the one stored in clear.
	key := make([]byte, 32)
	key[0] = 9
	if err := e.a.SetSealKey(key); err != nil {
		t.Fatal(err)
	}
	if got := loaded(); got != secret {
		t.Fatalf("a password stored in clear loads as %q", got)
	}
	settings, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: cfg})
	if err != nil {
		t.Fatal(err)
	}
	if !settings.BindPasswordSet {
		t.Error("settings say no bind password is set")
	}
	row := stored()
	if !strings.HasPrefix(row, sealedBindPassword) || strings.Contains(row, secret) {
		t.Fatalf("the row holds %q, want it sealed", row)
	}
	if got := loaded(); got != secret {
		t.Fatalf("the sealed password loads as %q", got)
	}

	// Bound to the account: the same sealed text does not open for another account.
	if _, err := e.a.openBindPassword("acc_other", row); err == nil {
		t.Error("a sealed password opened for another account")
	}

	// Another server key: reported with the field, and saving without a new password is refused.
	other := make([]byte, 32)
	other[0] = 10
	if err := e.a.SetSealKey(other); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.a.loadDirectoryConfig(e.ctx, acc); !portico.IsKind(err, portico.KindConflict) ||
		!strings.Contains(err.Error(), "enter it again") {
		t.Fatalf("loading under another key: %v", err)
	}
	if view, err := e.a.GetDirectoryConfig(e.ctx, e.owner); err != nil || !view.BindPasswordSet || view.URL != cfg.URL {
		t.Fatalf("the settings under another key: %+v, %v", view, err)
	}
	if _, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: cfg}); !portico.IsKind(err, portico.KindConflict) {
		t.Fatalf("saving without a password under another key: %v", err)
	}
	if stored() != row {
		t.Error("a refused save changed the row")
	}
	// Entering it again works.
	if _, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: cfg, BindPassword: &pw}); err != nil {
		t.Fatal(err)
	}
	if got := loaded(); got != secret {
		t.Fatalf("after entering it again it loads as %q", got)
	}
}

// TestDirectoryImportCannotAddMembersBeyondTheImporter: importing fills user groups with the
// importing person's authority, so it may not put people into a group whose rights that person
// lacks.
func TestDirectoryImportCannotAddMembersBeyondTheImporter(t *testing.T) {
	e, srv, _ := newDirectoryEnv(t, 300)
	germany := e.group("Germany", "")
	salesName := "Sales"
	sales, err := e.a.CreateUserGroup(e.ctx, e.owner, UserGroupInput{Name: &salesName})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.CreateAssignment(e.ctx, e.owner, AssignmentInput{PrincipalType: portico.PrincipalUserGroup, PrincipalID: sales.ID,
		RoleID: e.systemRole("full_device_access"), ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: germany}); err != nil {
		t.Fatal(err)
	}
	pw := slapdtest.AdminPassword
	if _, err := e.a.SetDirectoryConfig(e.ctx, e.owner, DirectoryInput{Config: directory.Config{URL: srv.URL,
		BindDN: slapdtest.Admin, BaseDN: slapdtest.Base, PageSize: 64}, BindPassword: &pw}); err != nil {
		t.Fatal(err)
	}
	lead := e.user("lead@example.test", grant{roleID: e.systemRole("team_administrator"), scopeType: portico.ScopeTypeAccount})
	job, err := e.a.StartDirectoryImport(e.ctx, lead)
	if err != nil {
		t.Fatal(err)
	}
	j := waitJob(t, e, lead, job.ID)
	if j.State != JobFailed || !strings.Contains(j.Error, "Sales") || !strings.Contains(j.Error, "device.") {
		t.Fatalf("the team administrator's import: %s, %q; want it refused at the Sales group", j.State, j.Error)
	}
	if len(groupMembers(t, e)["Sales"]) != 0 {
		t.Errorf("Sales got members: %v", groupMembers(t, e)["Sales"])
	}
	if denied := e.deniedAudits("directory.import"); len(denied) != 1 {
		t.Errorf("denied import audits: %q", denied)
	}
	importDirectory(t, e) // the owner may
	if len(groupMembers(t, e)["Sales"]) == 0 {
		t.Error("the owner's import left Sales empty")
	}
}
