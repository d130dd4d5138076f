package portico_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// fieldErrors validates with f and returns the messages by field.
func fieldErrors(f func(v *portico.Validation)) map[string][]string {
	var v portico.Validation
	f(&v)
	out := map[string][]string{}
	for _, fe := range v.Fields {
		out[fe.Field] = append(out[fe.Field], fe.Message)
	}
	return out
}

// checkFields asserts that exactly the fields in want are at fault, each with a message containing every
// fragment listed for it.
func checkFields(t *testing.T, got map[string][]string, want map[string][]string) {
	t.Helper()
	for field, frags := range want {
		msgs, ok := got[field]
		if !ok {
			t.Errorf("no error for field %q; got %v", field, got)
			continue
		}
		joined := strings.Join(msgs, " | ")
		for _, frag := range frags {
			if !strings.Contains(joined, frag) {
				t.Errorf("field %q: message %q lacks %q", field, joined, frag)
			}
		}
	}
	for field, msgs := range got {
		if _, ok := want[field]; !ok {
			t.Errorf("unexpected error for field %q: %v", field, msgs)
		}
	}
}

func TestSystemRoles(t *testing.T) {
	roles := portico.SystemRoles()
	wantNames := []string{"Full device access", "Only device connection", "All invitations", "Own invitations",
		"Team administrator", "Branding administrator", "Billing administrator", "Auditor", "Devices list",
		"Administrator"}
	var names []string
	keys := map[string]bool{}
	for _, r := range roles {
		names = append(names, r.Name)
		if r.Key == "" || keys[r.Key] {
			t.Errorf("role %q: key %q empty or repeated", r.Name, r.Key)
		}
		keys[r.Key] = true
	}
	if !slices.Equal(names, wantNames) {
		t.Fatalf("system roles = %q, want %q", names, wantNames)
	}
	for _, sr := range roles {
		t.Run(sr.Key, func(t *testing.T) {
			r := portico.Role{Name: sr.Name, Purpose: sr.Purpose, Permissions: sr.Permissions, System: true, SystemKey: sr.Key}
			if errs := fieldErrors(r.Validate); len(errs) != 0 {
				t.Errorf("system role does not validate: %v", errs)
			}
			if len(sr.Permissions) == 0 {
				t.Errorf("system role has no permission")
			}
		})
	}
	// SystemRoles returns fresh slices: changing one does not change the next call.
	roles[0].Permissions[0] = "tampered"
	if portico.SystemRoles()[0].Permissions[0] == "tampered" {
		t.Errorf("SystemRoles shares its permission slices between calls")
	}
}

func TestSystemRoleContents(t *testing.T) {
	byKey := map[string]portico.SystemRole{}
	for _, r := range portico.SystemRoles() {
		byKey[r.Key] = r
	}
	set := func(key string) portico.PermissionSet {
		r, ok := byKey[key]
		if !ok {
			t.Fatalf("no system role %q", key)
		}
		return (&portico.Role{Permissions: r.Permissions}).PermissionSet()
	}
	P := portico.NewPermissionSet
	tests := []struct {
		key     string
		purpose portico.Purpose
		exactly *portico.PermissionSet
		has     []portico.Permission
		hasNot  []portico.Permission
	}{
		{key: "administrator", purpose: portico.PurposeGeneral, exactly: ptr(portico.AllPermissions())},
		{key: "device_connection", purpose: portico.PurposeDevices,
			exactly: ptr(P("device.view", "device.screen_view", "device.remote_control"))},
		{key: "full_device_access", purpose: portico.PurposeDevices,
			has:    []portico.Permission{"device.view", "device.remote_control", "device.move", "device.delete", "device.terminal", "device.recordings.delete"},
			hasNot: []portico.Permission{"users.view", "on_demand.own", "account.manage"}},
		{key: "all_invitations", purpose: portico.PurposeOnDemand,
			has:    []portico.Permission{"on_demand.all", "on_demand.own", "on_demand.remote_control", "on_demand.chat"},
			hasNot: []portico.Permission{"device.view", "on_demand.settings"}},
		{key: "own_invitations", purpose: portico.PurposeOnDemand,
			has:    []portico.Permission{"on_demand.own", "on_demand.remote_control"},
			hasNot: []portico.Permission{"on_demand.all", "device.view"}},
		{key: "team_administrator", purpose: portico.PurposeAdministration,
			has: []portico.Permission{"users.view", "users.invite", "users.edit", "users.delete", "users.manage_2fa",
				"user_groups.manage", "roles.manage", "role_assignments.manage", "account.manage"},
			hasNot: []portico.Permission{"billing.manage", "device.view"}},
		{key: "branding_administrator", purpose: portico.PurposeAdministration, exactly: ptr(P("branding.manage"))},
		{key: "billing_administrator", purpose: portico.PurposeAdministration, has: []portico.Permission{"billing.manage", "billing.view"},
			hasNot: []portico.Permission{"branding.manage", "users.view"}},
		{key: "auditor", purpose: portico.PurposeAdministration, exactly: ptr(P("audit.view"))},
		{key: "devices_list", purpose: portico.PurposeAdministration, exactly: ptr(P("devices.list"))},
	}
	for _, tt := range tests {
		t.Run(tt.key, func(t *testing.T) {
			s := set(tt.key)
			if byKey[tt.key].Purpose != tt.purpose {
				t.Errorf("purpose = %q, want %q", byKey[tt.key].Purpose, tt.purpose)
			}
			if tt.exactly != nil && s != *tt.exactly {
				t.Errorf("permissions = %v, want %v", s.List(), tt.exactly.List())
			}
			for _, p := range tt.has {
				if !s.Has(p) {
					t.Errorf("lacks %s", p)
				}
			}
			for _, p := range tt.hasNot {
				if s.Expand().Has(p) {
					t.Errorf("has %s", p)
				}
			}
		})
	}
	// Full device access holds every device.* permission.
	full := set("full_device_access")
	for _, p := range portico.Catalogue() {
		if strings.HasPrefix(string(p.ID), "device.") && !full.Has(p.ID) {
			t.Errorf("full_device_access lacks %s", p.ID)
		}
	}
	// All invitations holds every on-demand permission of its purpose; Own invitations all but all.
	od, _ := portico.PurposePermissions(portico.PurposeOnDemand)
	if got := set("all_invitations"); got != od {
		t.Errorf("all_invitations = %v, want every on-demand permission %v", got.List(), od.List())
	}
	if got, want := set("own_invitations"), od.Minus(portico.NewPermissionSet("on_demand.all")); got != want {
		t.Errorf("own_invitations = %v, want %v", got.List(), want.List())
	}
}

func ptr[T any](v T) *T { return &v }

func TestPurposePermissions(t *testing.T) {
	tests := []struct {
		purpose portico.Purpose
		allowed []portico.Permission
		refused []portico.Permission
	}{
		{portico.PurposeGeneral, []portico.Permission{"device.view", "users.view", "on_demand.all", "account.manage"}, nil},
		{portico.PurposeDevices,
			[]portico.Permission{"device.view", "device.remote_control", "device_groups.manage", "installers.access"},
			[]portico.Permission{"users.view", "on_demand.own", "account.manage", "audit.view", "roles.view"}},
		{portico.PurposeOnDemand,
			[]portico.Permission{"on_demand.own", "on_demand.all", "on_demand.elevate", "on_demand.install_request", "on_demand.chat"},
			[]portico.Permission{"device.view", "users.view", "devices.list", "on_demand.settings"}},
		{portico.PurposeAdministration,
			[]portico.Permission{"account.manage", "audit.view", "users.invite", "user_groups.manage", "roles.manage",
				"role_assignments.manage", "billing.manage", "branding.manage", "devices.list", "on_demand.settings"},
			[]portico.Permission{"device.view", "device.remote_control", "on_demand.own"}},
	}
	for _, tt := range tests {
		t.Run(string(tt.purpose), func(t *testing.T) {
			s, ok := portico.PurposePermissions(tt.purpose)
			if !ok {
				t.Fatalf("PurposePermissions(%q) not ok", tt.purpose)
			}
			for _, p := range tt.allowed {
				if !s.Has(p) {
					t.Errorf("%s refused", p)
				}
			}
			for _, p := range tt.refused {
				if s.Has(p) {
					t.Errorf("%s allowed", p)
				}
			}
		})
	}
	if s, _ := portico.PurposePermissions(portico.PurposeGeneral); s != portico.AllPermissions() {
		t.Errorf("general purpose does not allow every permission")
	}
	for _, bad := range []portico.Purpose{"", "Devices", "admin", "other"} {
		if s, ok := portico.PurposePermissions(bad); ok || !s.IsEmpty() {
			t.Errorf("PurposePermissions(%q) = %v, %v; want empty, false", bad, s.List(), ok)
		}
	}
}

// No purpose offers a permission that a role of that purpose can never save: a permission's
// prerequisites must be allowed in every purpose that allows the permission, and its implications too.
func TestPurposesAreClosedUnderPrerequisites(t *testing.T) {
	for _, purpose := range []portico.Purpose{portico.PurposeDevices, portico.PurposeOnDemand,
		portico.PurposeAdministration, portico.PurposeGeneral} {
		allowed, _ := portico.PurposePermissions(purpose)
		for _, p := range allowed.List() {
			info, _ := portico.LookupPermission(p)
			for _, q := range info.Prerequisites {
				if !allowed.Has(q) {
					t.Errorf("purpose %s offers %s, but not its prerequisite %s: no such role can be saved", purpose, p, q)
				}
			}
			for _, q := range info.Implies {
				if !allowed.Has(q) {
					t.Errorf("purpose %s offers %s, which implies %s outside the purpose", purpose, p, q)
				}
			}
			// And the one-permission role plus its prerequisites validates.
			perms := append([]portico.Permission{p}, info.Prerequisites...)
			r := portico.Role{Name: "r", Purpose: purpose, Permissions: perms}
			if errs := fieldErrors(r.Validate); len(errs) != 0 && !t.Failed() {
				t.Errorf("purpose %s, %v: %v", purpose, perms, errs)
			}
		}
	}
}

func TestRoleValidate(t *testing.T) {
	long := strings.Repeat("é", 101) // 101 characters, 202 bytes
	ok100 := strings.Repeat("é", 100)
	tests := []struct {
		name string
		role portico.Role
		want map[string][]string
	}{
		{"valid", portico.Role{Name: "Helpdesk", Purpose: portico.PurposeDevices,
			Permissions: []portico.Permission{"device.view", "device.remote_control"}}, nil},
		{"no permissions is valid", portico.Role{Name: "Empty", Purpose: portico.PurposeGeneral}, nil},
		{"100 characters of 2 bytes", portico.Role{Name: ok100, Description: strings.Repeat("ü", 250),
			Purpose: portico.PurposeGeneral}, nil},
		{"empty name", portico.Role{Name: "", Purpose: portico.PurposeGeneral},
			map[string][]string{"name": {"required"}}},
		{"blank name", portico.Role{Name: " \t ", Purpose: portico.PurposeGeneral},
			map[string][]string{"name": {"required"}}},
		{"long name", portico.Role{Name: long, Purpose: portico.PurposeGeneral},
			map[string][]string{"name": {"100", "101"}}},
		{"control character", portico.Role{Name: "a\x00b", Purpose: portico.PurposeGeneral},
			map[string][]string{"name": {"control"}}},
		{"long description", portico.Role{Name: "r", Description: strings.Repeat("ü", 251), Purpose: portico.PurposeGeneral},
			map[string][]string{"description": {"250"}}},
		{"no purpose", portico.Role{Name: "r"}, map[string][]string{"purpose": {"devices", "on_demand", "administration", "general"}}},
		{"bad purpose", portico.Role{Name: "r", Purpose: "admin"}, map[string][]string{"purpose": {"must be one of"}}},
		{"unknown permission named with index", portico.Role{Name: "r", Purpose: portico.PurposeGeneral,
			Permissions: []portico.Permission{"device.view", "users.view", "device.teleport"}},
			map[string][]string{"permissions[2]": {`"device.teleport"`, "not a known permission"}}},
		{"two-digit index", portico.Role{Name: "r", Purpose: portico.PurposeGeneral,
			Permissions: []portico.Permission{"device.view", "device.edit", "device.delete",
				"device.move", "device.chat", "device.message", "device.terminal", "device.registry", "device.wake",
				"device.lock", "device.reboot", "device.calls", "bogus"}},
			map[string][]string{"permissions[12]": {`"bogus"`}}},
		{"listed twice", portico.Role{Name: "r", Purpose: portico.PurposeGeneral,
			Permissions: []portico.Permission{"device.view", "device.view"}},
			map[string][]string{"permissions[1]": {"twice"}}},
		{"permission outside purpose", portico.Role{Name: "r", Purpose: portico.PurposeDevices,
			Permissions: []portico.Permission{"device.view", "audit.view"}},
			map[string][]string{"permissions[1]": {`"audit.view"`, "devices"}}},
		{"on-demand role with device permission", portico.Role{Name: "r", Purpose: portico.PurposeOnDemand,
			Permissions: []portico.Permission{"device.chat"}},
			map[string][]string{"permissions[0]": {`"device.chat"`}}},
		{"missing prerequisite", portico.Role{Name: "r", Purpose: portico.PurposeAdministration,
			Permissions: []portico.Permission{"users.invite"}},
			map[string][]string{"permissions": {"missing prerequisites", "users.view"}}},
		{"every missing prerequisite named", portico.Role{Name: "r", Purpose: portico.PurposeAdministration,
			Permissions: []portico.Permission{"role_assignments.manage", "users.edit"}},
			map[string][]string{"permissions": {"users.view", "user_groups.view", "roles.view"}}},
		{"prerequisite implied by manage", portico.Role{Name: "r", Purpose: portico.PurposeAdministration,
			Permissions: []portico.Permission{"role_assignments.manage", "users.view", "user_groups.manage", "roles.manage"}}, nil},
		{"several faults at once", portico.Role{Name: "", Purpose: "x",
			Permissions: []portico.Permission{"nope"}},
			map[string][]string{"name": {"required"}, "purpose": {"must be"}, "permissions[0]": {"nope"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFields(t, fieldErrors(tt.role.Validate), tt.want)
		})
	}
}

func TestRoleMissingPrerequisiteMessageListsEachOnce(t *testing.T) {
	r := portico.Role{Name: "r", Purpose: portico.PurposeAdministration,
		Permissions: []portico.Permission{"users.invite", "users.edit", "users.delete", "users.manage_2fa", "user_groups.manage"}}
	errs := fieldErrors(r.Validate)
	msg := strings.Join(errs["permissions"], "|")
	if n := strings.Count(msg, "users.view"); n != 1 {
		t.Errorf("message %q names users.view %d times, want once", msg, n)
	}
}

func TestRolePermissionSetSkipsUnknown(t *testing.T) {
	r := portico.Role{Permissions: []portico.Permission{"device.view", "bogus", "device.chat"}}
	if got, want := r.PermissionSet(), portico.NewPermissionSet("device.view", "device.chat"); got != want {
		t.Errorf("PermissionSet() = %v, want %v", got.List(), want.List())
	}
}
