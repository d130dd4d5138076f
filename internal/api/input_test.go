package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestBadInput sends bad input to every kind of write: each is refused with a problem document that
// names the field at fault, and the account is left exactly as it was.
func TestBadInput(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	// The clock-moving cases use a key: a portal session would time out across 90 days.
	_, secret, err := e.app.CreateAPIKey(context.Background(), f.ownerAct, "bad input", nil)
	must(t, err)
	ownerKey := e.bearer(secret)
	long := strings.Repeat("x", 101)
	cond := func(v any) map[string]any {
		return map[string]any{"name": "R", "match": "all", "target_group_id": f.group.ID,
			"conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": v}}}
	}
	cases := []struct {
		name         string
		method, path string
		body         any
		status       int
		field        string
		detail       string // a part of the message of the named field
	}{
		{"long user group name", "POST", "/api/v1/user-groups", map[string]any{"name": long}, 422, "name", "at most 100"},
		{"long group name", "POST", "/api/v1/device-groups", map[string]any{"name": long, "colour": "#000000"}, 422, "name", "at most 100"},
		{"long group description", "POST", "/api/v1/device-groups", map[string]any{"name": "G", "colour": "#000000", "description": strings.Repeat("d", 251)}, 422, "description", "250"},
		{"bad colour", "POST", "/api/v1/device-groups", map[string]any{"name": "G", "colour": "red"}, 422, "colour", "#rrggbb"},
		{"bad colour on edit", "PATCH", "/api/v1/device-groups/" + f.group.ID, map[string]any{"colour": "#12345"}, 422, "colour", "#rrggbb"},
		{"long role name", "POST", "/api/v1/roles", map[string]any{"name": long, "purpose": "general", "permissions": []string{}}, 422, "name", "at most 100"},
		{"unknown permission in role", "POST", "/api/v1/roles", map[string]any{"name": "R", "purpose": "general", "permissions": []string{"device.fly"}}, 422, "permissions[0]", "not a known permission"},
		{"missing prerequisite", "POST", "/api/v1/roles", map[string]any{"name": "R", "purpose": "general", "permissions": []string{"users.invite"}}, 422, "permissions", "users.view"},
		{"unknown permission in key", "POST", "/api/v1/api-keys", map[string]any{"name": "k", "permissions": []string{"nope"}}, 422, "permissions[0]", "not a known permission"},
		{"permission twice in key", "POST", "/api/v1/api-keys", map[string]any{"name": "k", "permissions": []string{"users.view", "users.view"}}, 422, "permissions[1]", "already listed at permissions[0]"},
		{"rule value with spaces", "POST", "/api/v1/assignment-rules", cond("lab pc 1"), 422, "conditions[0].value", "position"},
		{"rule name too long", "POST", "/api/v1/assignment-rules", map[string]any{"name": long, "match": "all", "target_group_id": f.group.ID,
			"conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": "x"}}}, 422, "name", "at most 100"},
		{"group into its own sub-group", "PATCH", "/api/v1/device-groups/" + f.group.ID, map[string]any{"parent_id": f.subGroup.ID}, 422, "parent_id", "itself"},
		{"long device name", "PATCH", "/api/v1/devices/" + f.device, map[string]any{"name": long}, 422, "name", "at most 100"},
		{"bad email", "POST", "/api/v1/users", map[string]any{"email": "not-an-email", "name": "X"}, 422, "email", "email"},
		{"bad assignment scope", "POST", "/api/v1/role-assignments", map[string]any{"principal_type": "robot", "principal_id": f.user.ID, "role_id": f.role.ID, "scope_type": "planet"}, 422, "principal_type", ""},
		{"unknown setting", "PUT", "/api/v1/device-groups/" + f.group.ID + "/settings", map[string]any{"own": map[string]bool{"teleport": false}}, 422, "own.teleport", "not a known setting"},

		{"wrong type: name", "POST", "/api/v1/user-groups", rawJSON(`{"name": 5}`), 400, "name", "must be a string"},
		{"wrong type: enabled", "POST", "/api/v1/assignment-rules", rawJSON(`{"name":"R","enabled":"yes"}`), 400, "enabled", "true or false"},
		{"wrong type: nested", "POST", "/api/v1/assignment-rules", cond(7), 400, "conditions.value", "must be a string"},
		{"wrong type: list", "POST", "/api/v1/devices/move", rawJSON(`{"device_ids":"abc","group_id":"x"}`), 400, "device_ids", "an array"},
		{"unknown field", "POST", "/api/v1/device-groups", rawJSON(`{"name":"G","colour":"#000000","parnet_id":"x"}`), 400, "parnet_id", "not a known field"},
		{"malformed JSON", "POST", "/api/v1/user-groups", rawJSON(`{"name": "x",`), 400, "body", "JSON"},
		{"syntax error offset", "POST", "/api/v1/user-groups", rawJSON(`{"name" "x"}`), 400, "body", "at byte"},
		{"two values", "POST", "/api/v1/user-groups", rawJSON(`{"name":"a"}{"name":"b"}`), 422, "body", "single JSON value"},
		{"empty body", "POST", "/api/v1/user-groups", rawJSON(``), 400, "body", "empty"},
		{"bad time", "POST", "/api/v1/role-assignments", rawJSON(`{"principal_type":"user","principal_id":"x","role_id":"y","scope_type":"account","expires_at":"tomorrow"}`), 400, "expires_at", "RFC 3339"},
		{"unknown setting given null", "PUT", "/api/v1/device-groups/" + f.group.ID + "/settings", rawJSON(`{"own":{"teleport":null}}`), 422, "own.teleport", "not a known setting"},
		{"sign-in without credentials", "POST", "/api/v1/session", map[string]any{"email": " ", "password": ""}, 422, "password", "required"},
		{"empty language", "PATCH", "/api/v1/users/" + f.user.ID, map[string]any{"language": ""}, 422, "language", "en-GB"},
		{"members missing", "PUT", "/api/v1/user-groups/" + f.userGroup.ID + "/members", map[string]any{}, 422, "user_ids", "required"},
		{"bad limit", "GET", "/api/v1/users?limit=0", nil, 400, "limit", "1 to 500"},
		{"limit too high", "GET", "/api/v1/roles?limit=501", nil, 400, "limit", "1 to 500"},
		{"bad offset", "GET", "/api/v1/roles?offset=-1", nil, 400, "offset", ""},
		{"bad filter", "GET", "/api/v1/users?state=sleeping", nil, 400, "state", "invited, activated"},
		{"bad since", "GET", "/api/v1/audit-events?since=yesterday", nil, 400, "since", "RFC 3339"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.dump(f)
			res := owner.Do(tc.method, tc.path, tc.body)
			if res.Status != tc.status {
				t.Fatalf("%d, want %d: %s", res.Status, tc.status, res.Body)
			}
			p := res.Problem(t)
			found := false
			for _, fe := range p.Errors {
				if fe.Field == tc.field && strings.Contains(fe.Message, tc.detail) {
					found = true
				}
			}
			if !found {
				t.Fatalf("problem does not name %s with %q: %s", tc.field, tc.detail, res.Body)
			}
			if after := e.dump(f); after != before {
				t.Fatalf("refused input changed the account:\nbefore %s\nafter %s", before, after)
			}
		})
	}

	t.Run("content type", func(t *testing.T) {
		res := owner.DoWith("POST", "/api/v1/user-groups", rawJSON(`{"name":"x"}`), http.Header{"Content-Type": {"text/plain"}})
		if res.Status != 415 {
			t.Fatalf("%d, want 415: %s", res.Status, res.Body)
		}
		res.Problem(t)
	})
	t.Run("body too large", func(t *testing.T) {
		big := `{"name":"` + strings.Repeat("a", 1<<20) + `"}`
		res := owner.Do("POST", "/api/v1/user-groups", rawJSON(big))
		if res.Status != 413 {
			t.Fatalf("%d, want 413: %s", res.Status, res.Body[:min(len(res.Body), 200)])
		}
		res.Problem(t)
	})

	t.Run("back to Unassigned within 90 days", func(t *testing.T) {
		now := time.Now().UTC()
		e.app.SetClock(func() time.Time { return now })
		defer e.app.SetClock(func() time.Time { return time.Now().UTC() })
		dev := e.enroll(f)
		move := func(group string) *response {
			return ownerKey.Do("POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{dev}, "group_id": group})
		}
		if res := move(f.group.ID); res.Status != 204 {
			t.Fatalf("move out: %d %s", res.Status, res.Body)
		}
		now = now.Add(89 * 24 * time.Hour)
		before := e.dump(f)
		res := move(portico.UnassignedGroupID)
		if res.Status != 422 {
			t.Fatalf("move back after 89 days: %d, want 422: %s", res.Status, res.Body)
		}
		if p := res.Problem(t); len(p.Errors) == 0 || p.Errors[0].Field != "group_id" {
			t.Fatalf("problem does not name group_id: %s", res.Body)
		}
		if after := e.dump(f); after != before {
			t.Fatal("refused move changed the account")
		}
		now = now.Add(2 * 24 * time.Hour)
		if res := move(portico.UnassignedGroupID); res.Status != 204 {
			t.Fatalf("move back after 91 days: %d %s", res.Status, res.Body)
		}
	})

	t.Run("no licence free", func(t *testing.T) {
		ctx := context.Background()
		acc := check(e.app.GetAccount(ctx, f.sys))(t)
		lic := check(e.app.GetLicences(ctx, f.sys))(t)
		s := acc.Settings
		s.ManagedLicences = lic.ManagedUsed
		check(e.app.UpdateAccount(ctx, f.sys, app.AccountUpdate{Settings: &s}))(t)
		dev := e.enroll(f)
		res := ownerKey.Do("POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{dev}, "group_id": f.group.ID})
		if res.Status != 409 {
			t.Fatalf("move without a free licence: %d, want 409: %s", res.Status, res.Body)
		}
		if p := res.Problem(t); !strings.HasSuffix(p.Type, "/plan_limit") {
			t.Fatalf("problem type %q, want a limit problem", p.Type)
		}
	})
}

// TestGroupSettingNullIsInherited: a null in a group's settings means "inherit", as leaving the
// feature out does; it used to decode as false and switch the feature off.
func TestGroupSettingNullIsInherited(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	res := owner.Do("PUT", "/api/v1/device-groups/"+f.group.ID+"/settings", rawJSON(`{"own":{"chat":false,"terminal":null}}`))
	if res.Status != http.StatusOK {
		t.Fatalf("%d: %s", res.Status, res.Body)
	}
	var view app.GroupSettingsView
	res.Decode(t, &view)
	if on, set := view.Own["chat"]; !set || on {
		t.Errorf("chat: %v, %v; want set off", on, set)
	}
	if _, set := view.Own["terminal"]; set {
		t.Errorf("terminal was set by a null: %v", view.Own)
	}
	if !view.Effective["terminal"].Enabled {
		t.Errorf("terminal is not inherited as on: %+v", view.Effective["terminal"])
	}
}
