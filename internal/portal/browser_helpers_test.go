package portal

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// showcase is an account filled like the demo's: a group tree, technicians with roles at several
// scopes, a user group, assignment rules and enrolled devices (without agents).
type showcase struct {
	Groups  map[string]string // group name → id
	Devices map[string]string // device name → id
	Users   map[string]string // email → user id
	Roles   map[string]string // system key → role id
}

// seedShowcase fills the live environment's account as cmd/portico's demo seeding does.
func (e *liveEnv) seedShowcase() *showcase {
	t := e.t
	t.Helper()
	ctx := context.Background()
	sys := app.SystemActor(e.acc.Account.ID)
	s := &showcase{Groups: map[string]string{}, Devices: map[string]string{}, Users: map[string]string{}, Roles: map[string]string{}}
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("seed %s: %v", what, err)
		}
	}
	for _, g := range []struct{ name, parent, colour string }{
		{"Germany", "", "#d64541"}, {"Munich", "Germany", "#e67e22"}, {"Berlin", "Germany", "#f1c40f"},
		{"UK", "", "#2e86de"}, {"Cambridge office", "UK", "#48dbfb"}, {"Oxford office", "UK", "#10ac84"},
		{"USA", "", "#8e44ad"}, {"East coast", "USA", "#9b59b6"}, {"This computer", "", "#27ae60"},
	} {
		grp, err := e.app.CreateDeviceGroup(ctx, sys, app.GroupInput{Name: g.name, Colour: g.colour, ParentID: s.Groups[g.parent],
			Description: g.name + " devices"})
		must("group "+g.name, err)
		s.Groups[g.name] = grp.ID
	}
	_, err := e.app.PutGroupSettings(ctx, sys, s.Groups["Munich"], portico.GroupSettings{portico.FeatureChat: false})
	must("Munich settings", err)
	roles, err := e.app.ListRoles(ctx, sys)
	must("roles", err)
	for _, r := range roles {
		s.Roles[r.SystemKey] = r.ID
	}
	for _, u := range []struct{ email, name, password string }{
		{"alice@example.test", "Alice Technician", testPassword},
		{"bob@example.test", "Bob Administrator", testPassword},
		{"carol@example.test", "Carol Invited", ""},
	} {
		cu, err := e.app.CreateUser(ctx, sys, app.NewUser{Email: u.email, Name: u.name, Password: u.password})
		must("user "+u.email, err)
		s.Users[u.email] = cu.User.ID
	}
	name, members := "UK Support team", []string{s.Users["alice@example.test"]}
	team, err := e.app.CreateUserGroup(ctx, sys, app.UserGroupInput{Name: &name, MemberIDs: &members})
	must("user group", err)
	for _, as := range []app.AssignmentInput{
		{PrincipalType: portico.PrincipalUser, PrincipalID: s.Users["alice@example.test"], RoleID: s.Roles["device_connection"],
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: s.Groups["Germany"]},
		{PrincipalType: portico.PrincipalUserGroup, PrincipalID: team.ID, RoleID: s.Roles["full_device_access"],
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: s.Groups["UK"]},
		{PrincipalType: portico.PrincipalUser, PrincipalID: s.Users["alice@example.test"], RoleID: s.Roles["devices_list"],
			ScopeType: portico.ScopeTypeAccount},
		{PrincipalType: portico.PrincipalUser, PrincipalID: s.Users["bob@example.test"], RoleID: s.Roles["team_administrator"],
			ScopeType: portico.ScopeTypeAccount},
		{PrincipalType: portico.PrincipalUser, PrincipalID: s.Users["bob@example.test"], RoleID: s.Roles["auditor"],
			ScopeType: portico.ScopeTypeAccount},
	} {
		_, err := e.app.CreateAssignment(ctx, sys, as)
		must("assignment", err)
	}
	enabled := true
	_, err = e.app.CreateRule(ctx, sys, app.RuleInput{Name: "Cambridge office devices", Enabled: &enabled,
		Match: portico.MatchAll, TargetGroupID: s.Groups["Cambridge office"],
		Conditions: []portico.RuleCondition{{Property: portico.PropDeviceName, Operator: portico.OpStartsWith, Value: "CAM-"}}})
	must("rule", err)
	_, err = e.app.CreateRule(ctx, sys, app.RuleInput{Name: "Munich workstations", Enabled: &enabled,
		Match: portico.MatchAll, TargetGroupID: s.Groups["Munich"],
		Conditions: []portico.RuleCondition{{Property: portico.PropDeviceName, Operator: portico.OpStartsWith, Value: "MUC-"}}})
	must("rule", err)
	_, token, err := e.app.CreateEnrollmentToken(ctx, sys, "")
	must("enrollment token", err)
	placement := map[string]string{"BER": "Berlin", "OXF": "Oxford office", "NYC": "East coast", "LON": "UK"}
	for i, host := range []string{"CAM-LT-001", "CAM-LT-002", "CAM-DT-003", "MUC-WS-101", "MUC-WS-102", "BER-SRV-01",
		"OXF-LT-201", "OXF-LT-202", "NYC-DT-301", "LON-LT-401", "LON-DT-402", "NEW-LAPTOP-7"} {
		osName, ver := "Windows 11 Pro", "23H2"
		if strings.Contains(host, "SRV") {
			osName, ver = "Ubuntu", "24.04"
		}
		id, _, err := e.app.Enroll(ctx, app.EnrollInput{Token: token, Hostname: strings.ToLower(host), Name: host,
			OSName: osName, OSVersion: ver, DeviceType: "Desktop", Manufacturer: "Contoso", AgentVersion: "1.0.0",
			LoggedInUser: fmt.Sprintf("user%d", i), IPAddresses: []string{fmt.Sprintf("10.20.%d.%d", i/5, 10+i)}, SourceIP: "127.0.0.1"})
		must("enroll "+host, err)
		s.Devices[host] = id
		if g, ok := placement[host[:3]]; ok {
			must("move "+host, e.app.MoveDevices(ctx, sys, []string{id}, s.Groups[g]))
		}
	}
	return s
}

// createTestUser makes an active user with the test password and one role assignment.
func (e *liveEnv) createTestUser(t *testing.T, email, name string, as ...app.AssignmentInput) string {
	t.Helper()
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: email, Name: name, Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		a.PrincipalType, a.PrincipalID = portico.PrincipalUser, u.User.ID
		if _, err := e.app.CreateAssignment(ctx, e.owner, a); err != nil {
			t.Fatal(err)
		}
	}
	return u.User.ID
}

// createTestRole makes a role with the given purpose and permissions.
func (e *liveEnv) createTestRole(t *testing.T, name string, purpose portico.Purpose, perms ...portico.Permission) string {
	t.Helper()
	r, err := e.app.CreateRole(context.Background(), e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		t.Fatal(err)
	}
	return r.ID
}
