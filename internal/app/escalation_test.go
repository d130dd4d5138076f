package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// escEnv is the scene of the privilege-escalation tests: Bob, a delegated administrator (Team
// administrator and Auditor at account level, "Only device connection" on the device group Berlin and
// nothing on Munich), and Carol, a technician with no rights.
type escEnv struct {
	*env
	bob, carol     *Actor
	berlin, munich string
	// connect is the system role "Only device connection": device.view, screen view, remote control.
	connect string
	admin   string // the system role "Administrator": every permission
}

func newEscEnv(t *testing.T) *escEnv {
	t.Helper()
	e := &escEnv{env: newEnv(t)}
	e.berlin, e.munich = e.group("Berlin", ""), e.group("Munich", "")
	e.connect, e.admin = e.systemRole("device_connection"), e.systemRole("administrator")
	e.bob = e.user("bob@example.test",
		grant{e.systemRole("team_administrator"), portico.ScopeTypeAccount, ""},
		grant{e.systemRole("auditor"), portico.ScopeTypeAccount, ""},
		grant{e.connect, portico.ScopeTypeDeviceGroup, e.berlin})
	e.carol = e.user("carol@example.test")
	return e
}

// assign gives a user or user group a role at a scope as the owner and returns the assignment's id.
func (e *escEnv) assign(pt portico.PrincipalType, principal, role string, st portico.ScopeType, scope string) string {
	e.t.Helper()
	as, err := e.a.CreateAssignment(e.ctx, e.owner, AssignmentInput{PrincipalType: pt, PrincipalID: principal,
		RoleID: role, ScopeType: st, ScopeID: scope})
	if err != nil {
		e.t.Fatalf("assign %s to %s: %v", role, principal, err)
	}
	return as.ID
}

// audit returns the account's audit entries with the action, outcome and target id ("" for any).
func (e *escEnv) audit(action portico.AuditAction, outcome portico.Outcome, targetID string) []portico.AuditEvent {
	e.t.Helper()
	evs, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{Action: action, Outcome: outcome, TargetID: targetID})
	if err != nil {
		e.t.Fatal(err)
	}
	return evs
}

// wantDenied fails unless err is KindForbidden naming every permission in missing, and a denied
// audit entry for the action, by the actor and carrying err's reason, is the one written since the
// action's denied entries for targetID numbered deniedBefore.
func (e *escEnv) wantDenied(t *testing.T, err error, ac *Actor, action portico.AuditAction, targetID string, deniedBefore int, missing ...portico.Permission) {
	t.Helper()
	wantKind(t, err, portico.KindForbidden)
	for _, p := range missing {
		if !slices.Contains(escRefusedPermissions(err), string(p)) {
			t.Errorf("refusal %q does not name %s", err, p)
		}
	}
	denied := e.audit(action, portico.OutcomeDenied, targetID)
	if len(denied) != deniedBefore+1 {
		t.Fatalf("%d denied %s entries for %q, want %d", len(denied), action, targetID, deniedBefore+1)
	}
	var pe *portico.Error
	errors.As(err, &pe)
	if got := denied[0]; got.ActorID != ac.UserID || !strings.Contains(got.Detail, pe.Message) { // newest first
		t.Fatalf("denied entry %+v does not carry the actor and the reason %q", got, pe.Message)
	}
}

// escRefusedPermissions returns the permission list that ends a refusal's message.
func escRefusedPermissions(err error) []string {
	msg := err.Error()
	return strings.Split(msg[strings.LastIndex(msg, ": ")+2:], ", ")
}

// roleState is what a refused role update must leave alone.
func (e *escEnv) roleState(id string) string {
	e.t.Helper()
	r, err := e.a.GetRole(e.ctx, e.owner, id)
	if err != nil {
		e.t.Fatal(err)
	}
	ps := make([]string, 0, len(r.Permissions))
	for _, p := range r.Permissions {
		ps = append(ps, string(p))
	}
	slices.Sort(ps)
	return r.Name + "|" + r.Description + "|" + strings.Join(ps, ",")
}

func escPerms(ps ...portico.Permission) *[]portico.Permission { return &ps }

func TestUpdateRoleCannotAddPermissionsTheEditorLacks(t *testing.T) {
	type where struct {
		st    portico.ScopeType
		scope string // "berlin", "munich" or "" for the account / no scope
	}
	account := where{portico.ScopeTypeAccount, ""}
	berlin := where{portico.ScopeTypeDeviceGroup, "berlin"}
	munich := where{portico.ScopeTypeDeviceGroup, "munich"}
	tests := []struct {
		name     string
		start    []portico.Permission
		assigned []where // the role's assignments (to Bob for account scope, to Carol for the rest)
		owner    bool    // the owner edits instead of Bob
		to       []portico.Permission
		missing  []portico.Permission // nil: allowed
	}{
		{"the reported attack: grow a harmless role assigned to himself", []portico.Permission{portico.PermAuditView}, []where{account}, false,
			[]portico.Permission{portico.PermAuditView, portico.PermDevicesList, portico.PermDeviceView, portico.PermDeviceTerminal, portico.PermAPIKeysManage},
			[]portico.Permission{portico.PermDevicesList, portico.PermDeviceView, portico.PermDeviceTerminal, portico.PermAPIKeysManage, portico.PermAPIKeysView}},
		{"account scope: device.view held only in Berlin", []portico.Permission{portico.PermAuditView}, []where{account}, false,
			[]portico.Permission{portico.PermAuditView, portico.PermDeviceView}, []portico.Permission{portico.PermDeviceView}},
		{"device-group scope: a remote action he lacks there", []portico.Permission{portico.PermDeviceView}, []where{berlin}, false,
			[]portico.Permission{portico.PermDeviceView, portico.PermDeviceTerminal}, []portico.Permission{portico.PermDeviceTerminal}},
		{"device-group scope where he holds nothing", []portico.Permission{portico.PermDeviceView}, []where{munich}, false,
			[]portico.Permission{portico.PermDeviceScreenView}, []portico.Permission{portico.PermDeviceScreenView}},
		{"every assignment counts, not just one", []portico.Permission{portico.PermDeviceView}, []where{berlin, munich}, false,
			[]portico.Permission{portico.PermDeviceScreenView}, []portico.Permission{portico.PermDeviceScreenView}},
		{"adds one he holds at the account", []portico.Permission{portico.PermAuditView}, []where{account}, false,
			[]portico.Permission{portico.PermAuditView, portico.PermUsersView}, nil},
		{"adds one he holds in Berlin", []portico.Permission{portico.PermDeviceView}, []where{berlin}, false,
			[]portico.Permission{portico.PermDeviceView, portico.PermDeviceRemoteControl}, nil},
		{"an account-only permission has no effect in a device group", []portico.Permission{portico.PermDeviceView}, []where{munich}, false,
			[]portico.Permission{portico.PermDeviceView, portico.PermAuditView}, nil},
		{"removes permissions he lacks", []portico.Permission{portico.PermDeviceView, portico.PermDeviceTerminal, portico.PermAPIKeysView}, []where{account, munich}, false,
			[]portico.Permission{portico.PermDeviceView}, nil},
		{"role with no assignment: anything goes", []portico.Permission{portico.PermAuditView}, nil, false,
			[]portico.Permission{portico.PermAPIKeysManage, portico.PermDeviceTerminal, portico.PermDevicesList}, nil},
		{"the owner adds anything anywhere", []portico.Permission{portico.PermAuditView, portico.PermDeviceView}, []where{account, berlin, munich}, true,
			[]portico.Permission{portico.PermAPIKeysManage, portico.PermDeviceTerminal, portico.PermDevicesList}, nil},
	}
	e := newEscEnv(t)
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := e.role("Role "+itoa(i), tt.start...)
			for _, w := range tt.assigned {
				pt, principal, scope := portico.PrincipalUser, e.carol.UserID, map[string]string{"berlin": e.berlin, "munich": e.munich}[w.scope]
				if w.st == portico.ScopeTypeAccount {
					principal = e.bob.UserID
				}
				e.assign(pt, principal, id, w.st, scope)
			}
			ac := e.bob
			if tt.owner {
				ac = e.owner
			}
			before, denied := e.roleState(id), len(e.audit("role.update", portico.OutcomeDenied, id))
			name := "Renamed " + itoa(i)
			r, err := e.a.UpdateRole(e.ctx, ac, id, RoleInput{Name: &name, Permissions: escPerms(tt.to...)})
			if tt.missing == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if r.Name != name || r.PermissionSet() != portico.NewPermissionSet(tt.to...) {
					t.Fatalf("updated to %+v", r)
				}
				if len(e.audit("role.update", portico.OutcomeSuccess, id)) != 1 {
					t.Fatal("no audit entry for the update")
				}
				return
			}
			e.wantDenied(t, err, ac, "role.update", id, denied, tt.missing...)
			if !strings.Contains(err.Error(), "where this role is assigned") {
				t.Errorf("refusal %q does not say the permissions come from the role's assignments", err)
			}
			got := escRefusedPermissions(err)
			slices.Sort(got)
			want := make([]string, 0, len(tt.missing))
			for _, p := range tt.missing {
				want = append(want, string(p))
			}
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("refusal names %v, want exactly %v", got, want)
			}
			if after := e.roleState(id); after != before {
				t.Fatalf("refused update changed the role: %s → %s", before, after)
			}
			if n := len(e.audit("role.update", portico.OutcomeSuccess, id)); n != 0 {
				t.Fatalf("%d success entries for a refused update", n)
			}
			// The snapshot did not move either: Bob, who holds the role at account level when it is
			// assigned there, still does not hold what he tried to add.
			if slices.Contains(tt.assigned, account) {
				for _, p := range tt.missing {
					if e.a.can(e.ctx, e.bob, p, authz.Account()) {
						t.Fatalf("bob holds %s after the refusal", p)
					}
				}
			}
		})
	}
}

func TestSystemRoleEditAndDeleteRefusalsAreAudited(t *testing.T) {
	e := newEscEnv(t)
	id := e.systemRole("auditor")
	for _, ac := range []*Actor{e.bob, e.owner} {
		before, denied := e.roleState(id), len(e.audit("role.update", portico.OutcomeDenied, id))
		_, err := e.a.UpdateRole(e.ctx, ac, id, RoleInput{Permissions: escPerms(portico.PermAuditView, portico.PermAPIKeysManage)})
		e.wantDenied(t, err, ac, "role.update", id, denied)
		if e.roleState(id) != before {
			t.Fatal("system role changed")
		}
		denied = len(e.audit("role.delete", portico.OutcomeDenied, id))
		e.wantDenied(t, e.a.DeleteRole(e.ctx, ac, id), ac, "role.delete", id, denied)
		if e.roleState(id) != before {
			t.Fatal("system role changed")
		}
	}
}

func TestCreateAssignmentEscalationIsAuditedAndStoresNothing(t *testing.T) {
	e := newEscEnv(t)
	terminal := e.role("Terminal", portico.PermDeviceTerminal)
	tests := []struct {
		name    string
		role    string
		st      portico.ScopeType
		scope   string
		missing []portico.Permission
	}{
		{"Administrator to himself at account level", e.admin, portico.ScopeTypeAccount, "", []portico.Permission{portico.PermAPIKeysManage, portico.PermDeviceTerminal}},
		{"a remote action in Berlin he lacks", terminal, portico.ScopeTypeDeviceGroup, e.berlin, []portico.Permission{portico.PermDeviceTerminal}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := e.a.store.ListAssignments(e.ctx, e.acc.Account.ID, portico.AssignmentFilter{})
			if err != nil {
				t.Fatal(err)
			}
			targetID := ""
			if tt.st == portico.ScopeTypeDeviceGroup {
				targetID = tt.scope
			}
			denied := len(e.audit("role_assignment.create", portico.OutcomeDenied, targetID))
			_, err = e.a.CreateAssignment(e.ctx, e.bob, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.bob.UserID,
				RoleID: tt.role, ScopeType: tt.st, ScopeID: tt.scope})
			e.wantDenied(t, err, e.bob, "role_assignment.create", targetID, denied, tt.missing...)
			after, err := e.a.store.ListAssignments(e.ctx, e.acc.Account.ID, portico.AssignmentFilter{})
			if err != nil {
				t.Fatal(err)
			}
			if len(after) != len(before) {
				t.Fatalf("%d assignments after a refusal, %d before", len(after), len(before))
			}
			if n := len(e.audit("role_assignment.create", portico.OutcomeSuccess, "")); n != len(before) {
				t.Fatalf("%d success entries for %d assignments", n, len(before))
			}
		})
	}
}

func TestGroupMembersCannotBeAddedBeyondTheActorsRights(t *testing.T) {
	e := newEscEnv(t)
	dave := e.user("dave@example.test")
	group := func(name string, members ...string) string {
		t.Helper()
		g, err := e.a.CreateUserGroup(e.ctx, e.owner, UserGroupInput{Name: &name, MemberIDs: &members})
		if err != nil {
			t.Fatal(err)
		}
		return g.ID
	}
	admins := group("Admins", dave.UserID)
	e.assign(portico.PrincipalUserGroup, admins, e.admin, portico.ScopeTypeAccount, "")
	berlinTechs := group("Berlin techs")
	e.assign(portico.PrincipalUserGroup, berlinTechs, e.connect, portico.ScopeTypeDeviceGroup, e.berlin)
	munichTechs := group("Munich techs")
	e.assign(portico.PrincipalUserGroup, munichTechs, e.connect, portico.ScopeTypeDeviceGroup, e.munich)
	both := group("Both cities")
	e.assign(portico.PrincipalUserGroup, both, e.connect, portico.ScopeTypeDeviceGroup, e.berlin)
	e.assign(portico.PrincipalUserGroup, both, e.connect, portico.ScopeTypeDeviceGroup, e.munich)
	harmless := group("Harmless")

	tests := []struct {
		name    string
		ac      *Actor
		group   string
		members []string
		missing []portico.Permission // nil: allowed
	}{
		{"bob adds himself to Admins", e.bob, admins, []string{dave.UserID, e.bob.UserID}, []portico.Permission{portico.PermAPIKeysManage, portico.PermDeviceTerminal}},
		{"bob adds Carol to Admins", e.bob, admins, []string{dave.UserID, e.carol.UserID}, []portico.Permission{portico.PermBillingManage}},
		{"bob adds Carol and removes Dave", e.bob, admins, []string{e.carol.UserID}, []portico.Permission{portico.PermAPIKeysManage}},
		{"bob adds himself to a group with rights in Munich", e.bob, munichTechs, []string{e.bob.UserID}, []portico.Permission{portico.PermDeviceView, portico.PermDeviceScreenView, portico.PermDeviceRemoteControl}},
		{"bob adds Carol where one of two assignments exceeds him", e.bob, both, []string{e.carol.UserID}, []portico.Permission{portico.PermDeviceView, portico.PermDeviceScreenView, portico.PermDeviceRemoteControl}},
		{"bob adds Carol to a group with rights he holds in Berlin", e.bob, berlinTechs, []string{e.carol.UserID}, nil},
		{"bob adds himself to a harmless group", e.bob, harmless, []string{e.bob.UserID, e.carol.UserID}, nil},
		{"bob sends Admins' members again: no one added", e.bob, admins, []string{dave.UserID, dave.UserID}, nil},
		{"bob removes Dave from Admins", e.bob, admins, []string{}, nil},
		{"the owner adds Bob and Carol to Admins", e.owner, admins, []string{e.bob.UserID, e.carol.UserID}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before, err := e.a.GetUserGroup(e.ctx, e.owner, tt.group)
			if err != nil {
				t.Fatal(err)
			}
			denied := len(e.audit("user_group.update", portico.OutcomeDenied, tt.group))
			g, err := e.a.UpdateUserGroup(e.ctx, tt.ac, tt.group, UserGroupInput{MemberIDs: &tt.members})
			if tt.missing == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				want := dedupe(tt.members)
				slices.Sort(want)
				got := slices.Clone(g.MemberIDs)
				slices.Sort(got)
				if !slices.Equal(got, want) {
					t.Fatalf("members %v, want %v", got, want)
				}
				return
			}
			e.wantDenied(t, err, tt.ac, "user_group.update", tt.group, denied, tt.missing...)
			if !strings.Contains(err.Error(), "add members") {
				t.Errorf("refusal %q does not say what was refused", err)
			}
			after, err := e.a.GetUserGroup(e.ctx, e.owner, tt.group)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(after.MemberIDs, before.MemberIDs) || after.Name != before.Name {
				t.Fatalf("refused update changed the group: %+v → %+v", before, after)
			}
			if e.a.can(e.ctx, e.bob, portico.PermAPIKeysManage, authz.Account()) {
				t.Fatal("bob holds api_keys.manage after the refusal")
			}
		})
	}

	// Renaming a group with rights beyond Bob's adds no one: allowed.
	name := "Administrators"
	if _, err := e.a.UpdateUserGroup(e.ctx, e.bob, admins, UserGroupInput{Name: &name}); err != nil {
		t.Fatalf("rename refused: %v", err)
	}
	// A new group has no rights yet: Bob may create it with members, himself included.
	members := []string{e.bob.UserID, e.carol.UserID}
	newName := "New team"
	if _, err := e.a.CreateUserGroup(e.ctx, e.bob, UserGroupInput{Name: &newName, MemberIDs: &members}); err != nil {
		t.Fatalf("create with members refused: %v", err)
	}
}

func TestDuplicateAssignmentIsAConflict(t *testing.T) {
	e := newEscEnv(t)
	role := e.role("Viewer", portico.PermDeviceView)
	first := e.assign(portico.PrincipalUser, e.carol.UserID, role, portico.ScopeTypeDeviceGroup, e.berlin)
	inAMonth := e.now.Add(30 * 24 * time.Hour)
	team := e.role("Team view", portico.PermUsersView)
	sectionFirst := e.assign(portico.PrincipalUser, e.carol.UserID, team, portico.ScopeTypeSection, portico.SectionTeam)
	accountFirst := e.assign(portico.PrincipalUser, e.carol.UserID, team, portico.ScopeTypeAccount, "")
	tests := []struct {
		name string
		ac   *Actor
		in   AssignmentInput
		dup  string // the id the conflict names; "" means created
	}{
		{"same again", e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID, RoleID: role,
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: e.berlin}, first},
		{"same again by Bob", e.bob, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID, RoleID: role,
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: e.berlin}, first},
		{"differs only by expiry", e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID, RoleID: role,
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: e.berlin, ExpiresAt: &inAMonth}, first},
		{"same at account level", e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID, RoleID: team,
			ScopeType: portico.ScopeTypeAccount}, accountFirst},
		{"same section", e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID, RoleID: team,
			ScopeType: portico.ScopeTypeSection, ScopeID: portico.SectionTeam}, sectionFirst},
		{"another scope", e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID, RoleID: role,
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: e.munich}, ""},
		{"another section", e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID, RoleID: team,
			ScopeType: portico.ScopeTypeSection, ScopeID: portico.SectionOnDemand}, ""},
		{"another principal", e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.bob.UserID, RoleID: role,
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: e.berlin}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := len(e.audit("role_assignment.create", portico.OutcomeSuccess, ""))
			as, err := e.a.CreateAssignment(e.ctx, tt.ac, tt.in)
			if tt.dup == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if as.ID == "" {
					t.Fatal("no id")
				}
				return
			}
			wantKind(t, err, portico.KindConflict)
			if !strings.Contains(err.Error(), "an identical assignment already exists: "+tt.dup) {
				t.Fatalf("conflict %q does not name %s", err, tt.dup)
			}
			if got := len(e.audit("role_assignment.create", portico.OutcomeSuccess, "")); got != n {
				t.Fatal("a refused duplicate was audited as created")
			}
			same, err := e.a.store.ListAssignments(e.ctx, e.acc.Account.ID, portico.AssignmentFilter{RoleID: tt.in.RoleID,
				PrincipalType: tt.in.PrincipalType, PrincipalID: tt.in.PrincipalID, ScopeType: tt.in.ScopeType, ScopeID: tt.in.ScopeID})
			if err != nil {
				t.Fatal(err)
			}
			if len(same) != 1 {
				t.Fatalf("%d identical assignments stored", len(same))
			}
		})
	}

	// Once removed, the same assignment can be made again (with another expiry, say).
	if err := e.a.DeleteAssignment(e.ctx, e.owner, first); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.CreateAssignment(e.ctx, e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: e.carol.UserID,
		RoleID: role, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: e.berlin, ExpiresAt: &inAMonth}); err != nil {
		t.Fatalf("re-create after removal: %v", err)
	}
}

// TestConcurrentDuplicateAssignments sends the same assignment many times at once: exactly one is
// created. On PostgreSQL two App instances share the database, as two nodes of a cluster do, so the
// in-process write lock cannot be what keeps the second out.
func TestConcurrentDuplicateAssignments(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) {
		e := newEnv(t)
		carol := e.user("carol@example.test")
		role := e.role("Viewer", portico.PermDeviceView)
		escRaceAssignments(t, []*App{e.a, e.a}, e.owner, carol.UserID, role, e.defaultGroup)
	})
	t.Run("PostgreSQL", func(t *testing.T) {
		dsn := pgtest.NewDatabase(t)
		ctx := context.Background()
		open := func() *App {
			st, err := store.OpenAndMigrate(ctx, store.Config{DatabaseURL: dsn})
			if err != nil {
				t.Fatalf("open store: %v", err)
			}
			t.Cleanup(func() { st.Close() })
			return New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
		}
		node1 := open()
		acc, err := node1.CreateAccount(ctx, NewAccount{Company: "Example Ltd", OwnerEmail: "owner@example.test",
			OwnerName: "Owner", OwnerPassword: "correct horse battery"})
		if err != nil {
			t.Fatal(err)
		}
		owner := &Actor{Kind: ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID, Name: acc.Owner.Name}
		var users []string
		for i := range 5 {
			cu, err := node1.CreateUser(ctx, owner, NewUser{Email: "tech" + itoa(i) + "@example.test", Name: "Tech",
				Password: "a long enough password"})
			if err != nil {
				t.Fatal(err)
			}
			users = append(users, cu.User.ID)
		}
		purpose := portico.PurposeGeneral
		name := "Viewer"
		r, err := node1.CreateRole(ctx, owner, RoleInput{Name: &name, Purpose: &purpose, Permissions: escPerms(portico.PermDeviceView)})
		if err != nil {
			t.Fatal(err)
		}
		node2 := open() // loads the account's snapshot, users and role included, on first use
		for _, u := range users {
			escRaceAssignments(t, []*App{node1, node2}, owner, u, r.ID, acc.DefaultGroup.ID)
		}
	})
}

// escRaceAssignments creates the same assignment from 8 goroutines spread over the apps and fails unless
// exactly one succeeds and the others get KindConflict.
func escRaceAssignments(t *testing.T, apps []*App, owner *Actor, userID, roleID, groupID string) {
	t.Helper()
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			ac := &Actor{Kind: owner.Kind, AccountID: owner.AccountID, UserID: owner.UserID, Name: owner.Name}
			_, errs[i] = apps[i%len(apps)].CreateAssignment(context.Background(), ac, AssignmentInput{PrincipalType: portico.PrincipalUser,
				PrincipalID: userID, RoleID: roleID, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: groupID})
		}()
	}
	close(start)
	wg.Wait()
	created := 0
	for _, err := range errs {
		switch {
		case err == nil:
			created++
		case !portico.IsKind(err, portico.KindConflict):
			t.Fatalf("unexpected error: %v", err)
		}
	}
	stored, err := apps[0].store.ListAssignments(context.Background(), owner.AccountID, portico.AssignmentFilter{PrincipalID: userID, RoleID: roleID})
	if err != nil {
		t.Fatal(err)
	}
	if created != 1 || len(stored) != 1 {
		t.Fatalf("%d of %d concurrent identical assignments created, %d stored; want 1", created, n, len(stored))
	}
}
