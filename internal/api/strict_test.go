package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
)

// TestStrictInput sends bodies that encoding/json alone would read one way or another: a key given
// twice, a key in the wrong case, bytes that are not UTF-8, a null where a value is needed, something
// after the value, and names holding characters that hide or reorder text. Each is refused with 422
// naming the field at fault, and the account is left exactly as it was.
func TestStrictInput(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	rule := func(cond string) rawJSON {
		return rawJSON(`{"name":"R","match":"all","target_group_id":"` + f.group.ID + `","conditions":[` + cond + `]}`)
	}
	assignment := `"principal_type":"user","principal_id":"` + f.user.ID + `","role_id":"` + f.role.ID + `"`
	type tc struct {
		name         string
		method, path string
		body         any
		field        string
		detail       string // a part of the message of the named field
	}
	cases := []tc{
		{"duplicate key", "POST", "/api/v1/user-groups", rawJSON(`{"name":"a","name":"b"}`), "name", "appears twice"},
		{"duplicate key on PATCH", "PATCH", "/api/v1/user-groups/" + f.userGroup.ID, rawJSON(`{"name":"a","description":"d","name":"b"}`), "name", "appears twice"},
		{"duplicate key spelt with an escape", "POST", "/api/v1/user-groups", rawJSON(`{"name":"a","n\u0061me":"b"}`), "name", "appears twice"},
		{"duplicate key nested", "POST", "/api/v1/assignment-rules",
			rule(`{"property":"hostname","operator":"equals","value":"a"},{"property":"hostname","operator":"equals","value":"a","value":"b"}`),
			"conditions[1].value", "appears twice"},
		{"duplicate key in a map", "PUT", "/api/v1/device-groups/" + f.group.ID + "/settings", rawJSON(`{"own":{"chat":true,"chat":false}}`), "own.chat", "appears twice"},

		{"case variant", "POST", "/api/v1/role-assignments",
			rawJSON(`{` + assignment + `,"scope_type":"device_group","Scope_ID":"` + f.subGroup.ID + `"}`), "Scope_ID", `"scope_id"`},
		{"case variant of a whole name", "PATCH", "/api/v1/devices/" + f.device, rawJSON(`{"NAME":"x"}`), "NAME", `"name"`},
		{"case variant nested", "POST", "/api/v1/assignment-rules", rule(`{"property":"hostname","operator":"equals","Value":"a"}`), "conditions[0].Value", `"value"`},

		{"invalid UTF-8", "POST", "/api/v1/user-groups", rawJSON("{\"name\":\"Sup\xffport\"}"), "name", "UTF-8"},
		{"invalid UTF-8 on PATCH", "PATCH", "/api/v1/device-groups/" + f.group.ID, rawJSON("{\"description\":\"\xc3(\"}"), "description", "UTF-8"},
		{"invalid UTF-8 nested", "POST", "/api/v1/assignment-rules", rule("{\"property\":\"hostname\",\"operator\":\"equals\",\"value\":\"\xed\xa0\x80\"}"), "conditions[0].value", "UTF-8"},
		{"invalid UTF-8 in a key", "POST", "/api/v1/user-groups", rawJSON("{\"na\xe9me\":\"a\"}"), "body", "key that is not valid UTF-8"},
		{"lone surrogate escape", "POST", "/api/v1/user-groups", rawJSON(`{"name":"a\udc00"}`), "name", `\udc00`},

		{"null body on PATCH", "PATCH", "/api/v1/user-groups/" + f.userGroup.ID, rawJSON(`null`), "body", "object, not null"},
		{"null body on POST", "POST", "/api/v1/device-groups", rawJSON(`null`), "body", "object, not null"},
		{"null body on PUT", "PUT", "/api/v1/device-groups/" + f.group.ID + "/settings", rawJSON(` null `), "body", "object, not null"},
		{"array body", "PATCH", "/api/v1/devices/" + f.device, rawJSON(`[{"name":"x"}]`), "body", "object, not an array"},
		{"string body", "POST", "/api/v1/user-groups", rawJSON(`"Support"`), "body", "object, not a string"},
		{"null name on POST", "POST", "/api/v1/user-groups", rawJSON(`{"name":null}`), "name", "must be a string, not null"},
		{"null name on PATCH", "PATCH", "/api/v1/device-groups/" + f.group.ID, rawJSON(`{"name":null}`), "name", "must be a string, not null"},
		{"null device name", "PATCH", "/api/v1/devices/" + f.device, rawJSON(`{"name":null}`), "name", "must be a string, not null"},
		{"null parent on PATCH", "PATCH", "/api/v1/device-groups/" + f.subGroup.ID, rawJSON(`{"parent_id":null}`), "parent_id", "not null"},
		{"null list", "PUT", "/api/v1/user-groups/" + f.userGroup.ID + "/members", rawJSON(`{"user_ids":null}`), "user_ids", "must be an array, not null"},
		{"null list on PATCH", "PATCH", "/api/v1/roles/" + f.role.ID, rawJSON(`{"permissions":null}`), "permissions", "must be an array, not null"},
		{"null in a list", "POST", "/api/v1/devices/move", rawJSON(`{"device_ids":["` + f.device + `",null],"group_id":"` + f.group.ID + `"}`), "device_ids[1]", "must be a string, not null"},
		{"null condition", "POST", "/api/v1/assignment-rules", rule(`null`), "conditions[0]", "must be an object, not null"},
		{"null settings", "PUT", "/api/v1/device-groups/" + f.group.ID + "/settings", rawJSON(`{"own":null}`), "own", "must be an object, not null"},
		{"null account settings", "PATCH", "/api/v1/account", rawJSON(`{"settings":null}`), "settings", "must be an object, not null"},
		{"null boolean", "POST", "/api/v1/assignment-rules", rawJSON(`{"name":"R","enabled":null}`), "enabled", "true or false, not null"},
		{"null time", "POST", "/api/v1/role-assignments", rawJSON(`{` + assignment + `,"scope_type":"account","expires_at":null}`), "expires_at", "RFC 3339"},

		{"a second value", "POST", "/api/v1/user-groups", rawJSON(`{"name":"a"}{"name":"b"}`), "body", "single JSON value"},
		{"trailing garbage", "PATCH", "/api/v1/user-groups/" + f.userGroup.ID, rawJSON(`{"name":"a"} x`), "body", "single JSON value"},
		{"trailing bracket", "POST", "/api/v1/user-groups", rawJSON(`{"name":"a"}]`), "body", "single JSON value"},
	}
	// Every character that hides or reorders text, in a user group's name.
	for _, h := range []rune{0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069, 0x200e, 0x200f,
		0x061c, 0x200b, 0x200c, 0x200d, 0x2060, 0xfeff, 0x00ad, 0xe0041, 0x0000, 0x001b, 0x007f, 0x0085} {
		cases = append(cases, tc{fmt.Sprintf("%U in a name", h), "POST", "/api/v1/user-groups",
			map[string]any{"name": "Sales" + string(h) + "exe.pdf"}, "name", fmt.Sprintf("%U at position 6", h)})
	}
	// And one in every other field where a person names or describes something.
	rlo := "invoice\u202efdp.exe"
	settings := f.acc.Account.Settings
	settings.SeatLimit, settings.ManagedLicences = 1000, 1000
	settings.TechnicianDisplayName = rlo
	for _, c := range []tc{
		{"", "PATCH", "/api/v1/user-groups/" + f.userGroup.ID, map[string]any{"name": rlo}, "name", ""},
		{"", "PATCH", "/api/v1/user-groups/" + f.userGroup.ID, map[string]any{"description": rlo}, "description", ""},
		{"", "POST", "/api/v1/device-groups", map[string]any{"name": rlo, "colour": "#000000"}, "name", ""},
		{"", "PATCH", "/api/v1/device-groups/" + f.group.ID, map[string]any{"description": "line one\n" + rlo}, "description", "position 17"},
		{"", "PATCH", "/api/v1/devices/" + f.device, map[string]any{"name": rlo}, "name", ""},
		{"", "POST", "/api/v1/roles", map[string]any{"name": rlo, "purpose": "general", "permissions": []string{}}, "name", ""},
		{"", "PATCH", "/api/v1/roles/" + f.role.ID, map[string]any{"description": rlo}, "description", ""},
		{"", "POST", "/api/v1/roles/" + f.role.ID + "/clone", map[string]any{"name": rlo}, "name", ""},
		{"", "PUT", "/api/v1/assignment-rules/" + f.rule.ID, map[string]any{"name": rlo, "match": "all", "target_group_id": f.group.ID,
			"conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": "x"}}}, "name", ""},
		{"", "POST", "/api/v1/assignment-rules", map[string]any{"name": "R", "description": rlo, "match": "all", "target_group_id": f.group.ID,
			"conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": "x"}}}, "description", ""},
		{"", "POST", "/api/v1/api-keys", map[string]any{"name": rlo}, "name", ""},
		{"", "POST", "/api/v1/users", map[string]any{"email": "new@example.test", "name": rlo}, "name", ""},
		{"", "POST", "/api/v1/users", map[string]any{"email": "new\u202e@example.test", "name": "New"}, "email", "U+202E at position 4"},
		{"", "PATCH", "/api/v1/users/" + f.user.ID, map[string]any{"name": rlo}, "name", ""},
		{"", "PATCH", "/api/v1/account", map[string]any{"name": rlo}, "name", ""},
		{"", "PATCH", "/api/v1/account", map[string]any{"settings": settings}, "technician_display_name", ""},
	} {
		c.name = fmt.Sprintf("U+202E in %s %s %s", c.method, strings.SplitN(c.path, "/", 4)[3], c.field)
		if c.detail == "" {
			c.detail = "bidirectional text controls (U+202E at position 8)"
		}
		cases = append(cases, c)
	}

	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.dump(f)
			res := owner.Do(tc.method, tc.path, tc.body)
			if res.Status != 422 {
				t.Fatalf("%d, want 422: %s", res.Status, res.Body)
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
}

// What the strict decoder must still let through: nulls where they mean something, every field
// spelt right, names in any script.
func TestStrictInputAccepts(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	for _, c := range []struct {
		method, path string
		body         any
	}{
		{"PUT", "/api/v1/device-groups/" + f.group.ID + "/settings", rawJSON(`{"own":{"chat":null,"terminal":false}}`)},
		{"PATCH", "/api/v1/user-groups/" + f.userGroup.ID, rawJSON(`{"name":"Веркауф","description":"שיווק\r\nمبيعات\tVertrieb 👍🏽"}`)},
		{"PATCH", "/api/v1/devices/" + f.device, rawJSON(` {"name":"Zoë\u2019s PC"} `)},
		{"POST", "/api/v1/api-keys", rawJSON(`{"name":"CI","permissions":["users.view"]}`)},
	} {
		if res := owner.Do(c.method, c.path, c.body); res.Status >= 300 {
			t.Errorf("%s %s: %d %s", c.method, c.path, res.Status, res.Body)
		}
	}
	g, err := e.app.GetUserGroup(context.Background(), f.sys, f.userGroup.ID)
	must(t, err)
	if g.Name != "Веркауф" || !strings.Contains(g.Description, "مبيعات\tVertrieb 👍🏽") {
		t.Errorf("user group saved as %q, %q", g.Name, g.Description)
	}
}
