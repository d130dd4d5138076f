package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
)

// req is one request of a matrix case: the {id} of the route's path, a query string and a body.
type req struct {
	id    string
	query string
	body  any
}

// matrixCase says what an operation needs and how to call it.
type matrixCase struct {
	// perm is the permission the operation needs; empty for a public operation or one any signed-in
	// user may call (authOnly).
	perm     portico.Permission
	authOnly bool
	// without overrides what the refused user lacks, for operations that more than one permission
	// opens (the group tree is visible with device_groups.view or device.view).
	without []portico.Permission
	// filtered operations list only what the caller may see: without perm the answer is empty, not
	// a refusal.
	filtered bool
	// upgrade marks a WebSocket endpoint. Plain requests cannot complete the upgrade, so the holder's
	// request only has to get past authorization (the hub's tests run the upgrades); a public one is
	// refused without its credential.
	upgrade bool
	// build prepares fresh objects when the call consumes them, and returns the request.
	build func(e *env, f *fixture) req
	// self, for an authOnly operation on the caller's own state (their 2FA), prepares a signed-in
	// user for the call and returns their client and request.
	self func(e *env, f *fixture) (*client, req)
}

func same(r req) func(*env, *fixture) req { return func(*env, *fixture) req { return r } }

// matrix lists every operation of the route table. TestPermissionMatrix fails if a route has no entry.
func matrix() map[string]matrixCase {
	ctx := context.Background()
	freshUser := func(e *env, f *fixture) req { return req{id: e.activeUser(f, nil).ID} }
	freshInvited := func(e *env, f *fixture) req {
		return req{id: check(e.app.CreateUser(ctx, f.sys, app.NewUser{Email: uniq("invitee") + "@example.test"}))(e.t).User.ID}
	}
	// onDemand is an on-demand session of the account's owner: the holder sees it through on_demand.all.
	onDemand := func(e *env, f *fixture) string {
		return check(e.app.CreateOnDemandSession(ctx, f.ownerAct, portico.OnDemandInput{CustomerName: "Ann"}))(e.t).ID
	}
	freshGroup := func(e *env, f *fixture) string {
		return check(e.app.CreateDeviceGroup(ctx, f.sys, app.GroupInput{Name: uniq("Group "), Colour: "#123456"}))(e.t).ID
	}
	ruleBody := func(f *fixture) map[string]any {
		return map[string]any{"name": uniq("Rule "), "match": "all", "target_group_id": f.group.ID,
			"conditions": []map[string]any{{"property": "hostname", "operator": "starts_with", "value": "lab-"}}}
	}
	freshRule := func(e *env, f *fixture) string {
		return check(e.app.CreateRule(ctx, f.sys, app.RuleInput{Name: uniq("Rule "), Match: portico.MatchAll, TargetGroupID: f.group.ID,
			Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpEquals, Value: "x"}}}))(e.t).ID
	}
	licensedDevice := func(e *env, f *fixture) string {
		id := e.enroll(f)
		must(e.t, e.app.MoveDevices(ctx, f.sys, []string{id}, f.group.ID))
		return id
	}
	liveSession := func(e *env, f *fixture) string {
		r := &portico.RemoteSession{ID: portico.NewID("ses"), AccountID: f.acc.Account.ID, DeviceID: licensedDevice(e, f),
			DeviceName: "pc", UserID: f.acc.Owner.ID, UserName: f.acc.Owner.Name, Actions: []string{"terminal"},
			State: portico.RemoteSessionActive, StartedAt: time.Now()}
		must(e.t, e.st.CreateRemoteSession(ctx, r))
		return r.ID
	}
	return map[string]matrixCase{
		"getDeviceInventory": {perm: portico.PermDeviceInventory, build: func(e *env, f *fixture) req { return req{id: f.device} }},
		"openSession": {perm: portico.PermDeviceTerminal, upgrade: true, build: func(e *env, f *fixture) req {
			return req{id: licensedDevice(e, f), query: "?actions=terminal"}
		}},
		"connectAgent": {upgrade: true, build: same(req{})},
		"listSessions": {perm: portico.PermDeviceView, filtered: true, build: func(e *env, f *fixture) req { liveSession(e, f); return req{} }},
		"getSession":   {perm: portico.PermDeviceView, build: func(e *env, f *fixture) req { return req{id: liveSession(e, f)} }},
		"endSession":   {perm: portico.PermDeviceRemoteControl, build: func(e *env, f *fixture) req { return req{id: liveSession(e, f)} }},
		"signIn": {build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"email": f.user.Email, "password": testPassword}}
		}},
		"signOut": {build: same(req{})},
		"acceptInvitation": {build: func(e *env, f *fixture) req {
			cu := check(e.app.CreateUser(ctx, f.sys, app.NewUser{Email: uniq("inv") + "@example.test"}))(e.t)
			token := cu.InvitationLink[strings.LastIndex(cu.InvitationLink, "/")+1:]
			return req{body: map[string]any{"token": token, "name": "New Person", "password": testPassword}}
		}},
		"getMe":           {authOnly: true, build: same(req{})},
		"getAccount":      {perm: portico.PermAccountView, build: same(req{})},
		"updateAccount":   {perm: portico.PermAccountManage, build: func(e *env, f *fixture) req { return req{body: map[string]any{"name": f.acc.Account.Name}} }},
		"getLicences":     {perm: portico.PermBillingView, without: []portico.Permission{portico.PermBillingView, portico.PermAccountView}, build: same(req{})},
		"listPermissions": {build: same(req{})},

		"getIPAllowlist":    {perm: portico.PermIPAllowlistView, build: same(req{})},
		"setIPAllowlist":    {perm: portico.PermIPAllowlistManage, build: same(req{body: map[string]any{"entries": []any{}}})},
		"getPasswordPolicy": {perm: portico.PermAccountView, build: same(req{})},
		"setPasswordPolicy": {perm: portico.PermAccountManage, build: same(req{body: map[string]any{"min_length": 10, "require_mix": false}})},
		// The fixture's account has no legal versions (setting some would hold back every other case),
		// so accepting records nothing and answers 200.
		"getLegal":    {authOnly: true, build: same(req{})},
		"setLegal":    {perm: portico.PermLegalManage, build: same(req{body: map[string]any{}})},
		"acceptLegal": {authOnly: true, build: same(req{})},
		"getBranding": {authOnly: true, build: same(req{})},
		"uploadLogo":  {perm: portico.PermBrandingManage, build: func(e *env, f *fixture) req { return req{body: rawJSON(testLogo(e.t, 8, 8))} }},
		"deleteLogo": {perm: portico.PermBrandingManage, build: func(e *env, f *fixture) req {
			check(e.app.SetLogo(ctx, f.sys, []byte(testLogo(e.t, 8, 8))))(e.t)
			return req{}
		}},

		"listUsers": {perm: portico.PermUsersView, build: same(req{query: "?status=active"})},
		"createUser": {perm: portico.PermUsersInvite, build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"email": uniq("new") + "@example.test", "name": "New"}}
		}},
		"getUser": {perm: portico.PermUsersView, build: func(e *env, f *fixture) req { return req{id: f.acc.Owner.ID} }},
		"updateUser": {perm: portico.PermUsersEdit, build: func(e *env, f *fixture) req {
			return req{id: e.activeUser(f, nil).ID, body: map[string]any{"name": "Renamed"}}
		}},
		"deleteUser":  {perm: portico.PermUsersDelete, build: freshUser},
		"disableUser": {perm: portico.PermUsersEdit, build: freshUser},

		"getInvitation":    {perm: portico.PermUsersView, build: freshInvited},
		"resendInvitation": {perm: portico.PermUsersInvite, build: freshInvited},
		"revokeInvitation": {perm: portico.PermUsersInvite, build: freshInvited},
		"resetTwoFactor": {perm: portico.PermUsersManage2FA, build: func(e *env, f *fixture) req {
			u, _, _ := e.enrolled(f)
			return req{id: u.ID}
		}},
		"getTwoFactorStatus": {authOnly: true, build: same(req{})},
		"startTwoFactor":     {authOnly: true, build: same(req{})},
		"confirmTwoFactor": {authOnly: true, build: same(req{body: map[string]any{"totp": "000000"}}), self: func(e *env, f *fixture) (*client, req) {
			u := e.activeUser(f, nil)
			en := check(e.app.StartTwoFactor(ctx, e.actorOf(u)))(e.t)
			return e.signIn(u.Email), req{body: map[string]any{"totp": totpNow(e.t, en.Secret)}}
		}},
		"disableTwoFactor": {authOnly: true, build: same(req{body: map[string]any{"totp": "000000"}}), self: func(e *env, f *fixture) (*client, req) {
			u, _, codes := e.enrolled(f)
			return e.signInWithCode(u.Email, codes[0]), req{body: map[string]any{"totp": codes[1]}}
		}},
		"regenerateRecoveryCodes": {authOnly: true, build: same(req{body: map[string]any{"totp": "000000"}}), self: func(e *env, f *fixture) (*client, req) {
			u, _, codes := e.enrolled(f)
			return e.signInWithCode(u.Email, codes[0]), req{body: map[string]any{"totp": codes[1]}}
		}},
		"enableUser": {perm: portico.PermUsersEdit, build: func(e *env, f *fixture) req {
			u := e.activeUser(f, nil)
			check(e.app.SetUserEnabled(ctx, f.sys, u.ID, false))(e.t)
			return req{id: u.ID}
		}},

		"listUserGroups":  {perm: portico.PermUserGroupsView, build: same(req{})},
		"createUserGroup": {perm: portico.PermUserGroupsManage, build: func(*env, *fixture) req { return req{body: map[string]any{"name": uniq("Team ")}} }},
		"getUserGroup":    {perm: portico.PermUserGroupsView, build: func(e *env, f *fixture) req { return req{id: f.userGroup.ID} }},
		"updateUserGroup": {perm: portico.PermUserGroupsManage, build: func(e *env, f *fixture) req {
			return req{id: f.userGroup.ID, body: map[string]any{"description": uniq("desc ")}}
		}},
		"deleteUserGroup": {perm: portico.PermUserGroupsDelete, build: func(e *env, f *fixture) req {
			name := uniq("Doomed ")
			return req{id: check(e.app.CreateUserGroup(ctx, f.sys, app.UserGroupInput{Name: &name}))(e.t).ID}
		}},
		"setUserGroupMembers": {perm: portico.PermUserGroupsManage, build: func(e *env, f *fixture) req {
			return req{id: f.userGroup.ID, body: map[string]any{"user_ids": []string{f.user.ID}}}
		}},

		"getSSO": {perm: portico.PermAccountManage, build: same(req{})},
		"putSSO": {perm: portico.PermAccountManage, build: same(req{body: map[string]any{"enabled": false}})},

		"getDirectory": {perm: portico.PermUsersInvite, build: same(req{})},
		"putDirectory": {perm: portico.PermUserGroupsManage, build: same(req{body: map[string]any{"url": "ldap://127.0.0.1:1", "base_dn": "dc=example,dc=org"}})},
		"previewDirectory": {perm: portico.PermUsersInvite, build: func(e *env, f *fixture) req {
			configureDirectory(e, f)
			return req{}
		}},
		"importDirectory": {perm: portico.PermUserGroupsManage, build: func(e *env, f *fixture) req {
			configureDirectory(e, f)
			return req{}
		}},
		"getDirectoryJob": {perm: portico.PermUsersInvite, build: func(e *env, f *fixture) req { return req{id: finishedDirectoryJob(e, f)} }},

		"listRoles": {perm: portico.PermRolesView, build: same(req{})},
		"createRole": {perm: portico.PermRolesManage, build: func(*env, *fixture) req {
			return req{body: map[string]any{"name": uniq("Role "), "purpose": "devices", "permissions": []string{"device.view"}}}
		}},
		"getRole": {perm: portico.PermRolesView, build: func(e *env, f *fixture) req { return req{id: f.role.ID} }},
		"updateRole": {perm: portico.PermRolesManage, build: func(e *env, f *fixture) req {
			return req{id: f.role.ID, body: map[string]any{"description": uniq("desc ")}}
		}},
		"deleteRole": {perm: portico.PermRolesDelete, build: func(e *env, f *fixture) req {
			return req{id: e.role(f, portico.PurposeDevices, portico.PermDeviceView).ID}
		}},
		"cloneRole":          {perm: portico.PermRolesManage, build: func(e *env, f *fixture) req { return req{id: f.role.ID, body: map[string]any{"name": uniq("Clone ")}} }},
		"listRoleDependents": {perm: portico.PermRolesView, build: func(e *env, f *fixture) req { return req{id: f.role.ID} }},

		// Without roles.view (and so without role_assignments.manage, which needs it) a caller sees no
		// assignment at all.
		"listRoleAssignments": {perm: portico.PermRolesView, filtered: true, build: same(req{})},
		"createRoleAssignment": {perm: portico.PermRoleAssignmentsManage, build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"principal_type": "user", "principal_id": e.activeUser(f, nil).ID, "role_id": f.role.ID,
				"scope_type": "device_group", "scope_id": f.subGroup.ID}}
		}},
		"deleteRoleAssignment": {perm: portico.PermRoleAssignmentsManage, build: func(e *env, f *fixture) req {
			return req{id: e.assign(f, e.activeUser(f, nil).ID, f.role.ID, portico.ScopeTypeDeviceGroup, f.group.ID).ID}
		}},
		"explainAccess": {perm: portico.PermUsersView, build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"user_id": f.user.ID, "permission": "device.view", "device_id": f.device}}
		}},
		"whoCan": {perm: portico.PermUsersView, build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"permission": "device.view", "device_id": f.device}}
		}},

		"listDeviceGroups": {perm: portico.PermDeviceGroupsView, filtered: true,
			without: []portico.Permission{portico.PermDeviceGroupsView, portico.PermDeviceView}, build: same(req{})},
		"createDeviceGroup": {perm: portico.PermDeviceGroupsManage, build: func(*env, *fixture) req {
			return req{body: map[string]any{"name": uniq("Group "), "colour": "#00ff00"}}
		}},
		"getDeviceGroup": {perm: portico.PermDeviceGroupsView, without: []portico.Permission{portico.PermDeviceGroupsView, portico.PermDeviceView},
			build: func(e *env, f *fixture) req { return req{id: f.group.ID} }},
		"updateDeviceGroup": {perm: portico.PermDeviceGroupsManage, build: func(e *env, f *fixture) req {
			return req{id: f.subGroup.ID, body: map[string]any{"description": uniq("desc ")}}
		}},
		"deleteDeviceGroup":      {perm: portico.PermDeviceGroupsDelete, build: func(e *env, f *fixture) req { return req{id: freshGroup(e, f)} }},
		"getDeviceGroupSettings": {perm: portico.PermDeviceGroupsView, build: func(e *env, f *fixture) req { return req{id: f.group.ID} }},
		"putDeviceGroupSettings": {perm: portico.PermDeviceGroupsSettings, build: func(e *env, f *fixture) req {
			return req{id: f.subGroup.ID, body: map[string]any{"own": map[string]bool{"chat": false}}}
		}},
		"enableAllDeviceGroupSettings":  {perm: portico.PermDeviceGroupsSettings, build: func(e *env, f *fixture) req { return req{id: freshGroup(e, f)} }},
		"disableAllDeviceGroupSettings": {perm: portico.PermDeviceGroupsSettings, build: func(e *env, f *fixture) req { return req{id: freshGroup(e, f)} }},

		// The device section opens with devices.list, or with access to any device or group.
		"listDevices": {perm: portico.PermDevicesList, without: []portico.Permission{portico.PermDevicesList, portico.PermDeviceView, portico.PermDeviceGroupsView},
			build: same(req{})},
		"moveDevices": {perm: portico.PermDeviceMove, build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"device_ids": []string{e.enroll(f)}, "group_id": f.group.ID}}
		}},
		"deleteDevices": {perm: portico.PermDeviceDelete, build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"device_ids": []string{e.enroll(f), e.enroll(f)}}}
		}},
		"getDevice":        {perm: portico.PermDeviceView, build: func(e *env, f *fixture) req { return req{id: f.device} }},
		"updateDevice":     {perm: portico.PermDeviceEdit, build: func(e *env, f *fixture) req { return req{id: f.device, body: map[string]any{"name": uniq("PC ")}} }},
		"deleteDevice":     {perm: portico.PermDeviceDelete, build: func(e *env, f *fixture) req { return req{id: e.enroll(f)} }},
		"addFavourite":     {perm: portico.PermDeviceView, build: func(e *env, f *fixture) req { return req{id: f.device} }},
		"removeFavourite":  {perm: portico.PermDeviceView, build: func(e *env, f *fixture) req { return req{id: f.device} }},
		"getDeviceHistory": {perm: portico.PermDeviceHistory, build: func(e *env, f *fixture) req { return req{id: f.device} }},

		"listAssignmentRules":  {perm: portico.PermDeviceGroupsView, build: same(req{})},
		"createAssignmentRule": {perm: portico.PermAssignmentRulesManage, build: func(e *env, f *fixture) req { return req{body: ruleBody(f)} }},
		"getAssignmentRule":    {perm: portico.PermDeviceGroupsView, build: func(e *env, f *fixture) req { return req{id: f.rule.ID} }},
		"updateAssignmentRule": {perm: portico.PermAssignmentRulesManage, build: func(e *env, f *fixture) req { return req{id: freshRule(e, f), body: ruleBody(f)} }},
		"deleteAssignmentRule": {perm: portico.PermAssignmentRulesManage, build: func(e *env, f *fixture) req { return req{id: freshRule(e, f)} }},
		"deleteAssignmentRules": {perm: portico.PermAssignmentRulesManage, build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"rule_ids": []string{freshRule(e, f), freshRule(e, f)}}}
		}},
		"dryRunAssignmentRule": {perm: portico.PermAssignmentRulesManage, build: func(e *env, f *fixture) req { return req{id: f.rule.ID} }},
		"applyAssignmentRules": {perm: portico.PermAssignmentRulesManage, build: same(req{})},
		"reorderAssignmentRules": {perm: portico.PermAssignmentRulesManage, build: func(e *env, f *fixture) req {
			rules := check(e.app.ListRules(ctx, f.sys))(e.t)
			var ids []string
			for _, r := range rules {
				ids = append([]string{r.ID}, ids...)
			}
			return req{body: map[string]any{"rule_ids": ids}}
		}},

		"listAuditEvents":   {perm: portico.PermAuditView, build: same(req{query: "?action=user.create"})},
		"exportAuditEvents": {perm: portico.PermAuditView, build: same(req{query: "?action=user.create"})},
		"verifyAuditLog":    {perm: portico.PermAuditView, build: same(req{})},

		"listAPIKeys":  {perm: portico.PermAPIKeysView, build: same(req{})},
		"createAPIKey": {perm: portico.PermAPIKeysManage, build: same(req{body: map[string]any{"name": "script", "permissions": []string{"device.view"}}})},
		"revokeAPIKey": {perm: portico.PermAPIKeysManage, build: func(e *env, f *fixture) req {
			k, _, err := e.app.CreateAPIKey(ctx, f.ownerAct, uniq("key "), nil)
			must(e.t, err)
			return req{id: k.ID}
		}},

		"listEnrollmentTokens":  {perm: portico.PermInstallersAccess, filtered: true, build: same(req{})},
		"createEnrollmentToken": {perm: portico.PermInstallersAccess, build: same(req{body: map[string]any{}})},
		"revokeEnrollmentToken": {perm: portico.PermInstallersAccess, build: func(e *env, f *fixture) req {
			t, _, err := e.app.CreateEnrollmentToken(ctx, f.sys, "")
			must(e.t, err)
			return req{id: t.ID}
		}},
		"enrollDevice": {build: func(e *env, f *fixture) req {
			return req{body: map[string]any{"token": f.tokenSec, "hostname": uniq("host-"), "os_name": "Windows"}}
		}},

		"listOnDemandSessions":  {perm: portico.PermOnDemandOwn, build: same(req{query: "?live=true"})},
		"createOnDemandSession": {perm: portico.PermOnDemandOwn, build: same(req{body: map[string]any{"customer_name": "Ann"}})},
		"getOnDemandSession":    {perm: portico.PermOnDemandOwn, build: func(e *env, f *fixture) req { return req{id: onDemand(e, f)} }},
		"endOnDemandSession":    {perm: portico.PermOnDemandOwn, build: func(e *env, f *fixture) req { return req{id: onDemand(e, f)} }},
		"getOnDemandHistory":    {perm: portico.PermOnDemandOwn, build: func(e *env, f *fixture) req { return req{id: onDemand(e, f)} }},
		"getOnDemandSettings": {perm: portico.PermOnDemandSettings,
			without: []portico.Permission{portico.PermOnDemandSettings, portico.PermOnDemandOwn}, build: same(req{})},
		"setOnDemandSettings": {perm: portico.PermOnDemandSettings, build: same(req{body: map[string]any{
			"code_minutes": 30, "actions": []string{"terminal", "chat"}, "require_approval": true}})},
		"redeemOnDemandCode": {build: func(e *env, f *fixture) req {
			o := check(e.app.CreateOnDemandSession(ctx, f.ownerAct, portico.OnDemandInput{}))(e.t)
			return req{body: map[string]any{"code": o.Code, "hostname": "anns-laptop", "os_name": "Windows 11"}}
		}},

		"getOpenAPI": {build: same(req{})},
		"health":     {build: same(req{})},
		"ready":      {build: same(req{})},
		"metrics":    {build: same(req{})},
	}
}

// allBut returns every permission except those in remove and everything that would bring one back:
// permissions implying a removed one, and permissions needing one as a prerequisite (a role holding
// them could not be saved).
func allBut(remove ...portico.Permission) []portico.Permission {
	gone := map[portico.Permission]bool{}
	for _, p := range remove {
		gone[p] = true
	}
	cat := portico.Catalogue()
	for changed := true; changed; {
		changed = false
		for _, info := range cat {
			if gone[info.ID] {
				continue
			}
			for _, q := range slices.Concat(info.Implies, info.Prerequisites) {
				if gone[q] {
					gone[info.ID], changed = true, true
					break
				}
			}
		}
	}
	var out []portico.Permission
	for _, info := range cat {
		if !gone[info.ID] {
			out = append(out, info.ID)
		}
	}
	return out
}

func (r req) path(rt api.Route) string {
	return strings.ReplaceAll(rt.Path, "{id}", r.id) + r.query
}

// TestPermissionMatrix calls every operation of the route table twice: as a user whose role lacks
// exactly the permission it needs (refused, nothing changed) and as a user holding it (succeeds).
func TestPermissionMatrix(t *testing.T) {
	e := newEnv(t)
	f := e.A
	cases := matrix()
	routes := api.Routes()
	seen := map[string]bool{}
	for _, rt := range routes {
		seen[rt.OperationID] = true
		if _, ok := cases[rt.OperationID]; !ok {
			t.Errorf("route %s %s (%s) has no entry in the permission matrix", rt.Method, rt.Path, rt.OperationID)
		}
	}
	for op := range cases {
		if !seen[op] {
			t.Errorf("matrix entry %s names no route", op)
		}
	}
	if t.Failed() {
		t.FailNow()
	}

	holder := e.signIn(e.activeUser(f, allBut()).Email)
	lackers := map[string]*client{}
	lacker := func(without []portico.Permission) *client {
		key := strings.Join(permStrings(without), ",")
		if c, ok := lackers[key]; ok {
			return c
		}
		c := e.signIn(e.activeUser(f, allBut(without...)).Email)
		lackers[key] = c
		return c
	}

	for _, rt := range routes {
		tc := cases[rt.OperationID]
		t.Run(rt.OperationID, func(t *testing.T) {
			outer := e.t
			e.t = t
			defer func() { e.t = outer }()
			switch {
			case tc.perm == "" && !tc.authOnly:
				if !rt.Public {
					t.Fatalf("%s has no permission in the matrix but is not public", rt.OperationID)
				}
				r := tc.build(e, f)
				if tc.upgrade {
					if got := e.anon().Do(rt.Method, r.path(rt), r.body); got.Status != 401 {
						t.Fatalf("anonymous %s %s: %d, want 401: %s", rt.Method, r.path(rt), got.Status, got.Body)
					}
					return
				}
				if got := e.anon().Do(rt.Method, r.path(rt), r.body); got.Status != rt.Status {
					t.Fatalf("anonymous %s %s: %d, want %d: %s", rt.Method, r.path(rt), got.Status, rt.Status, got.Body)
				}
				return
			case rt.Public:
				t.Fatalf("%s is public but the matrix says it needs %q", rt.OperationID, tc.perm)
			}

			// Anonymous callers are refused before anything else.
			r := tc.build(e, f)
			if got := e.anon().Do(rt.Method, r.path(rt), r.body); got.Status != 401 {
				t.Fatalf("anonymous: %d, want 401: %s", got.Status, got.Body)
			} else if got.Problem(t); got.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("401 without WWW-Authenticate")
			}

			if tc.authOnly {
				none := e.signIn(e.activeUser(f, nil).Email)
				if tc.self != nil {
					none, r = tc.self(e, f)
				}
				if got := none.Do(rt.Method, r.path(rt), r.body); got.Status != rt.Status {
					t.Fatalf("signed-in user without permissions: %d, want %d: %s", got.Status, rt.Status, got.Body)
				}
				return
			}

			without := tc.without
			if without == nil {
				without = []portico.Permission{tc.perm}
			}
			refused := lacker(without)
			before := e.dump(f)
			res := refused.Do(rt.Method, r.path(rt), r.body)
			if tc.filtered {
				var page struct {
					Items []any `json:"items"`
					Total int   `json:"total"`
				}
				if res.Status != 200 {
					t.Fatalf("without %v: %d, want 200 with an empty list: %s", without, res.Status, res.Body)
				}
				res.Decode(t, &page)
				if len(page.Items) != 0 || page.Total != 0 {
					t.Fatalf("without %v the list shows %d items: %s", without, len(page.Items), res.Body)
				}
			} else {
				if res.Status != 403 && res.Status != 404 {
					t.Fatalf("without %v: %d, want 403 or 404: %s", without, res.Status, res.Body)
				}
				res.Problem(t)
			}
			if after := e.dump(f); after != before {
				t.Fatalf("a refused request changed the account:\nbefore %s\nafter %s", before, after)
			}

			r = tc.build(e, f)
			if tc.upgrade {
				if res := holder.Do(rt.Method, r.path(rt), r.body); res.Status == 401 || res.Status == 403 || res.Status == 404 {
					t.Fatalf("with %s: %d, want past authorization: %s", tc.perm, res.Status, res.Body)
				}
				return
			}
			if res := holder.Do(rt.Method, r.path(rt), r.body); res.Status != rt.Status {
				t.Fatalf("with %s: %d, want %d: %s\nserver log: %v", tc.perm, res.Status, rt.Status, res.Body, e.log.take())
			}
		})
	}
}

func permStrings(ps []portico.Permission) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = string(p)
	}
	slices.Sort(out)
	return out
}
