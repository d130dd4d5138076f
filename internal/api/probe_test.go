package api_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
)

// TestCrossAccountProbe uses another account's ids in every operation that takes one, in the path or
// in the body: each answer is 404 (for an id in the body, where it names a field, the right one),
// never a hint that the object exists, and the other account is left exactly as it was.
func TestCrossAccountProbe(t *testing.T) {
	e := newEnv(t)
	a, b := e.A, e.B
	owner := e.signIn(a.acc.Owner.Email) // the owner holds every permission in their own account
	bInvited := check(e.app.CreateUser(t.Context(), b.sys, app.NewUser{Email: uniq("invitee") + "@example.test"}))(t).User.ID
	before := e.dump(b)

	type probe struct {
		method, path string
		body         any
		bodyField    string // set when the foreign id is in the body: the 404 must name this field
	}
	rule := map[string]any{"name": "Probe", "match": "all", "target_group_id": b.group.ID,
		"conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": "x"}}}
	ownRule := map[string]any{"name": "Probe", "match": "all", "target_group_id": a.group.ID,
		"conditions": []map[string]any{{"property": "hostname", "operator": "equals", "value": "x"}}}
	bSession := &portico.RemoteSession{ID: portico.NewID("ses"), AccountID: b.acc.Account.ID, DeviceID: b.device, DeviceName: "pc",
		UserID: b.acc.Owner.ID, UserName: "Owner", Actions: []string{"chat"}, State: portico.RemoteSessionActive, StartedAt: time.Now()}
	must(t, e.st.CreateRemoteSession(t.Context(), bSession))
	bJob := &portico.DirectoryJob{ID: portico.NewID("djb"), AccountID: b.acc.Account.ID, StartedBy: b.acc.Owner.ID, State: "succeeded",
		Phase: "done", CreatedAt: time.Now(), UpdatedAt: time.Now()}
	must(t, e.st.CreateDirectoryJob(t.Context(), bJob))
	bOnDemand := check(e.app.CreateOnDemandSession(t.Context(), b.ownerAct, portico.OnDemandInput{CustomerName: "Probe"}))(t).ID
	probes := []probe{
		{"GET", "/api/v1/on-demand/sessions/" + bOnDemand, nil, ""},
		{"DELETE", "/api/v1/on-demand/sessions/" + bOnDemand, nil, ""},
		{"GET", "/api/v1/on-demand/sessions/" + bOnDemand + "/history", nil, ""},
		{"GET", "/api/v1/devices/" + b.device + "/inventory", nil, ""},
		{"GET", "/api/v1/devices/" + b.device + "/session?actions=chat", nil, ""},
		{"GET", "/api/v1/sessions/" + bSession.ID, nil, ""},
		{"DELETE", "/api/v1/sessions/" + bSession.ID, nil, ""},

		{"GET", "/api/v1/users/" + b.user.ID, nil, ""},
		{"GET", "/api/v1/users/" + b.acc.Owner.ID, nil, ""},
		{"PATCH", "/api/v1/users/" + b.user.ID, map[string]any{"name": "Hijacked"}, ""},
		{"DELETE", "/api/v1/users/" + b.user.ID, nil, ""},
		{"POST", "/api/v1/users/" + b.user.ID + "/disable", nil, ""},
		{"POST", "/api/v1/users/" + b.user.ID + "/enable", nil, ""},
		{"GET", "/api/v1/users/" + bInvited + "/invitation", nil, ""},
		{"POST", "/api/v1/users/" + bInvited + "/invitation/resend", nil, ""},
		{"DELETE", "/api/v1/users/" + bInvited + "/invitation", nil, ""},
		{"POST", "/api/v1/users/" + b.user.ID + "/reset-2fa", nil, ""},

		{"GET", "/api/v1/user-groups/" + b.userGroup.ID, nil, ""},
		{"PATCH", "/api/v1/user-groups/" + b.userGroup.ID, map[string]any{"name": "Hijacked"}, ""},
		{"DELETE", "/api/v1/user-groups/" + b.userGroup.ID, nil, ""},
		{"PUT", "/api/v1/user-groups/" + b.userGroup.ID + "/members", map[string]any{"user_ids": []string{}}, ""},
		{"PUT", "/api/v1/user-groups/" + a.userGroup.ID + "/members", map[string]any{"user_ids": []string{b.user.ID}}, "user_ids[0]"},
		{"POST", "/api/v1/user-groups", map[string]any{"name": "Probe", "member_ids": []string{b.user.ID}}, "member_ids[0]"},

		{"GET", "/api/v1/directory/jobs/" + bJob.ID, nil, ""},

		{"GET", "/api/v1/roles/" + b.role.ID, nil, ""},
		{"PATCH", "/api/v1/roles/" + b.role.ID, map[string]any{"name": "Hijacked"}, ""},
		{"DELETE", "/api/v1/roles/" + b.role.ID, nil, ""},
		{"POST", "/api/v1/roles/" + b.role.ID + "/clone", map[string]any{"name": "Stolen"}, ""},
		{"GET", "/api/v1/roles/" + b.role.ID + "/dependents", nil, ""},

		{"DELETE", "/api/v1/role-assignments/" + b.asg.ID, nil, ""},
		{"POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user", "principal_id": b.user.ID, "role_id": a.role.ID, "scope_type": "account"}, "principal_id"},
		{"POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user_group", "principal_id": b.userGroup.ID, "role_id": a.role.ID, "scope_type": "account"}, "principal_id"},
		{"POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user", "principal_id": a.user.ID, "role_id": b.role.ID, "scope_type": "account"}, "role_id"},
		{"POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user", "principal_id": a.user.ID, "role_id": a.role.ID, "scope_type": "device_group", "scope_id": b.group.ID}, "scope_id"},
		{"POST", "/api/v1/role-assignments", map[string]any{"principal_type": "user", "principal_id": a.user.ID, "role_id": a.role.ID, "scope_type": "device", "scope_id": b.device}, "scope_id"},
		{"POST", "/api/v1/access/explain", map[string]any{"user_id": b.user.ID, "permission": "device.view"}, "user_id"},
		{"POST", "/api/v1/access/explain", map[string]any{"permission": "device.view", "device_id": b.device}, "device_id"},
		{"POST", "/api/v1/access/explain", map[string]any{"permission": "device.view", "device_group_id": b.group.ID}, "device_group_id"},
		{"POST", "/api/v1/access/who-can", map[string]any{"permission": "device.view", "device_id": b.device}, "device_id"},
		{"POST", "/api/v1/access/who-can", map[string]any{"permission": "device.view", "device_group_id": b.group.ID}, "device_group_id"},

		{"GET", "/api/v1/device-groups/" + b.group.ID, nil, ""},
		{"PATCH", "/api/v1/device-groups/" + b.group.ID, map[string]any{"name": "Hijacked"}, ""},
		{"PATCH", "/api/v1/device-groups/" + a.subGroup.ID, map[string]any{"parent_id": b.group.ID}, "parent_id"},
		{"DELETE", "/api/v1/device-groups/" + b.subGroup.ID, nil, ""},
		{"POST", "/api/v1/device-groups", map[string]any{"name": "Probe", "colour": "#000000", "parent_id": b.group.ID}, "parent_id"},
		{"GET", "/api/v1/device-groups/" + b.group.ID + "/settings", nil, ""},
		{"PUT", "/api/v1/device-groups/" + b.group.ID + "/settings", map[string]any{"own": map[string]bool{"view": false}}, ""},
		{"POST", "/api/v1/device-groups/" + b.group.ID + "/settings/enable-all", nil, ""},
		{"POST", "/api/v1/device-groups/" + b.group.ID + "/settings/disable-all", nil, ""},

		{"GET", "/api/v1/devices?group_id=" + b.group.ID, nil, ""},
		{"GET", "/api/v1/devices/" + b.device, nil, ""},
		{"PATCH", "/api/v1/devices/" + b.device, map[string]any{"name": "Hijacked"}, ""},
		{"DELETE", "/api/v1/devices/" + b.device, nil, ""},
		{"POST", "/api/v1/devices/delete", map[string]any{"device_ids": []string{b.device}}, "device_ids"},
		{"POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{b.device}, "group_id": a.group.ID}, "device_ids"},
		{"POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{a.device}, "group_id": b.group.ID}, "group_id"},
		{"PUT", "/api/v1/devices/" + b.device + "/favourite", nil, ""},
		{"DELETE", "/api/v1/devices/" + b.device + "/favourite", nil, ""},
		{"GET", "/api/v1/devices/" + b.device + "/history", nil, ""},

		{"GET", "/api/v1/assignment-rules/" + b.rule.ID, nil, ""},
		{"PUT", "/api/v1/assignment-rules/" + b.rule.ID, ownRule, ""},
		{"DELETE", "/api/v1/assignment-rules/" + b.rule.ID, nil, ""},
		{"POST", "/api/v1/assignment-rules/" + b.rule.ID + "/dry-run", nil, ""},
		{"POST", "/api/v1/assignment-rules", rule, "target_group_id"},
		{"PUT", "/api/v1/assignment-rules/" + a.rule.ID, rule, "target_group_id"},
		{"PUT", "/api/v1/assignment-rules/order", map[string]any{"rule_ids": []string{b.rule.ID, a.rule.ID}}, "rule_ids"},

		{"DELETE", "/api/v1/api-keys/" + b.key.ID, nil, ""},
		{"POST", "/api/v1/enrollment-tokens/" + b.token.ID + "/revoke", nil, ""},
		{"POST", "/api/v1/enrollment-tokens", map[string]any{"device_group_id": b.group.ID}, "device_group_id"},
	}
	// Every operation that names an object in its path is probed.
	withID := http.NewServeMux()
	for _, rt := range api.Routes() {
		if strings.Contains(rt.Path, "{") {
			withID.HandleFunc(rt.Method+" "+rt.Path, func(http.ResponseWriter, *http.Request) {})
		}
	}
	probed := map[string]bool{}
	for _, p := range probes {
		req := httptest.NewRequest(p.method, p.path, nil)
		if _, pattern := withID.Handler(req); pattern != "" {
			probed[pattern] = true
		}
	}
	for _, rt := range api.Routes() {
		if strings.Contains(rt.Path, "{") && !probed[rt.Method+" "+rt.Path] && rt.Path != "/api/v1/agent/connect" {
			t.Errorf("%s %s is not probed with another account's id", rt.Method, rt.Path)
		}
	}
	for _, p := range probes {
		res := owner.Do(p.method, p.path, p.body)
		name := p.method + " " + p.path
		if res.Status != 404 {
			t.Errorf("%s %v: %d, want 404: %s", name, p.body, res.Status, res.Body)
			continue
		}
		pr := res.Problem(t)
		if p.bodyField != "" && len(pr.Errors) > 0 && !hasFieldPrefix(pr.Errors, p.bodyField) {
			t.Errorf("%s %v: 404 does not name %s: %s", name, p.body, p.bodyField, res.Body)
		}
	}
	if got, err := e.app.GetSession(t.Context(), b.sys, bSession.ID); err != nil || got.State != portico.RemoteSessionActive {
		t.Errorf("account B's session after the probes: %+v, %v", got, err)
	}
	if after := e.dump(b); after != before {
		t.Fatalf("probes from account A changed account B:\nbefore %s\nafter %s", before, after)
	}
	// A bearer key of account A sees nothing of B either.
	secret := check(func() (string, error) {
		_, s, err := e.app.CreateAPIKey(t.Context(), a.ownerAct, "probe2", nil)
		return s, err
	}())(t)
	if res := e.bearer(secret).Do("GET", "/api/v1/devices/"+b.device, nil); res.Status != 404 {
		t.Errorf("bearer probe: %d, want 404", res.Status)
	}
}

func hasFieldPrefix(errs []problemField, field string) bool {
	for _, f := range errs {
		if f.Field == field || len(f.Field) > len(field) && f.Field[:len(field)] == field && (f.Field[len(field)] == '[' || f.Field[len(field)] == '.') {
			return true
		}
	}
	return false
}
