package portal

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestBrowserNarrowRole signs in, in Chromium, a user whose one role lets her view the devices of one
// group: the side menu, the group tree, the device table and the toolbars show only that, and every
// action the pages hide is refused by the server when asked for directly with her session.
func TestBrowserNarrowRole(t *testing.T) {
	e := newLiveEnv(t)
	ctx := context.Background()
	sys := app.SystemActor(e.acc.Account.ID)
	sales, err := e.app.CreateDeviceGroup(ctx, sys, app.GroupInput{Name: "Sales", Colour: "#2e86de"})
	if err != nil {
		t.Fatal(err)
	}
	support, err := e.app.CreateDeviceGroup(ctx, sys, app.GroupInput{Name: "Support", Colour: "#d64541"})
	if err != nil {
		t.Fatal(err)
	}
	salesPC := e.enrollFake("SALES-PC-1", sales.ID)
	supportPC := e.enrollFake("SUPPORT-PC-1", support.ID)
	role := e.createTestRole(t, "Sales viewers", portico.PurposeDevices, portico.PermDeviceView)
	e.createTestUser(t, "nina@example.test", "Nina Narrow", app.AssignmentInput{RoleID: role,
		ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: sales.ID})

	b := e.chromium()
	b.signIn("nina@example.test", testPassword)

	// The side menu: the dashboard and her one group, nothing of the account or the audit log.
	for _, hidden := range []string{"/installers", "/users", "/user-groups", "/roles", "/device-assignment", "/billing",
		"/settings", "/audit", "/groups/" + support.ID} {
		if b.exists(".sidemenu a[href='" + hidden + "']") {
			t.Errorf("the side menu shows %s to a Sales viewer", hidden)
		}
	}
	if !b.exists(".sidemenu a[href='/groups/" + sales.ID + "']") {
		t.Error("the side menu lacks the Sales group")
	}
	// No hover actions on the group: she may not add sub-groups or change settings.
	if b.exists(".sidemenu .hover-actions a") {
		t.Error("the group tree offers hover actions to a Sales viewer")
	}

	// The group's device table lists the Sales device alone, with no bulk or group actions.
	b.open("/groups/" + sales.ID)
	b.waitText("main", "SALES-PC-1")
	if strings.Contains(b.text("main"), "SUPPORT-PC-1") {
		t.Error("the Sales group page lists the Support device")
	}
	for _, hidden := range []string{
		"a[href='/groups/" + sales.ID + "/new']", "a[href='/groups/" + sales.ID + "/edit']",
		"a[href='/groups/" + sales.ID + "/move']", "a[href='/groups/" + sales.ID + "/delete']",
		"button[name=action][value=move]", "button[name=action][value=delete]",
	} {
		if b.exists("main " + hidden) {
			t.Errorf("the Sales group page shows %s to a Sales viewer", hidden)
		}
	}

	// The device page: details, but no edit, move, delete or remote session.
	b.open("/devices/" + salesPC)
	b.waitText("main h1", "SALES-PC-1")
	for _, hidden := range []string{"a[href='/devices/" + salesPC + "/edit']", "a[href*='action=move']",
		"a[href*='action=delete']", "a[href*='/session']", ".devices-remote"} {
		if b.exists("main " + hidden) {
			t.Errorf("the device page shows %s to a Sales viewer", hidden)
		}
	}

	// Every hidden action, asked for directly with her session, is refused and changes nothing.
	c := e.directClient(b.cookie(SessionCookie))
	for _, path := range []string{"/groups/" + support.ID, "/devices/" + supportPC, "/users", "/roles", "/audit", "/settings",
		"/installers", "/device-assignment", "/user-groups", "/billing", "/devices/" + salesPC + "/session",
		"/devices/" + salesPC + "/session?actions=terminal"} {
		if code, _, loc := e.get(c, path); code == http.StatusOK || code == http.StatusSeeOther {
			t.Errorf("GET %s as a Sales viewer: %d %s", path, code, loc)
		}
	}
	deniedBefore := e.auditCount()
	posts := []struct {
		path string
		form url.Values
	}{
		{"/devices/delete", url.Values{"device_ids": {salesPC}}},
		{"/devices/move", url.Values{"device_ids": {salesPC}, "group_id": {support.ID}}},
		{"/devices/" + salesPC + "/edit", url.Values{"name": {"Renamed"}}},
		{"/groups/" + sales.ID + "/new", url.Values{"name": {"Sub"}, "colour": {"#123456"}}},
		{"/groups/" + sales.ID + "/edit", url.Values{"name": {"Renamed"}, "colour": {"#123456"}}},
		{"/groups/" + sales.ID + "/delete", nil},
		{"/groups/" + sales.ID + "/settings", url.Values{"all": {"on"}}},
		{"/groups/" + sales.ID + "/assignments", url.Values{"principal": {"user:" + e.owner.UserID}, "role_id": {role}}},
		{"/users", url.Values{"email": {"mallory@example.test"}, "name": {"Mallory"}, "mode": {"invite"}}},
		{"/roles", url.Values{"name": {"Everything"}, "purpose": {"devices"}, "perm": {"device.delete"}}},
		{"/settings", url.Values{"idle_timeout_minutes": {"600"}}},
		{"/installers", nil},
	}
	for _, p := range posts {
		code, _, loc := e.post(c, p.path, p.form)
		if code < 400 {
			t.Errorf("POST %s as a Sales viewer: %d %s", p.path, code, loc)
		}
	}
	// Nothing changed: the devices are where they were, named as they were; no group, user or role
	// was added; and each refusal was audited.
	for id, want := range map[string]string{salesPC: sales.ID, supportPC: support.ID} {
		d, err := e.app.GetDevice(ctx, sys, id)
		if err != nil {
			t.Fatalf("device %s after the refused posts: %v", id, err)
		}
		if d.GroupID != want || strings.Contains(d.Name, "Renamed") {
			t.Errorf("device %s changed: group %s name %s", id, d.GroupID, d.Name)
		}
	}
	groups, _ := e.app.ListDeviceGroups(ctx, sys)
	for _, g := range groups {
		if g.Name == "Sub" || g.Name == "Renamed" {
			t.Errorf("a refused post made group %q", g.Name)
		}
	}
	users, _ := e.app.ListUsers(ctx, sys, portico.UserFilter{})
	for _, u := range users {
		if u.Email == "mallory@example.test" {
			t.Error("a refused post invited a user")
		}
	}
	roles, _ := e.app.ListRoles(ctx, sys)
	for _, r := range roles {
		if r.Name == "Everything" {
			t.Error("a refused post made a role")
		}
	}
	acc, _ := e.app.GetAccount(ctx, sys)
	if acc.Settings.IdleTimeoutMinutes != 15 {
		t.Errorf("a refused post changed the idle timeout to %d", acc.Settings.IdleTimeoutMinutes)
	}
	if after := e.auditCount(); after < deniedBefore+len(posts)/2 {
		t.Errorf("the refusals were not audited (%d refusals before, %d after %d refused posts)", deniedBefore, after, len(posts))
	}
}

// TestBrowserToolbarFollowsStatus checks that a technician's remote actions follow both the role and
// the device's status: on an offline device the terminal button is shown disabled with the reason;
// on the live agent's device it opens a session; actions the role lacks are not offered at all.
func TestBrowserToolbarFollowsStatus(t *testing.T) {
	e := newLiveEnv(t)
	ctx := context.Background()
	sys := app.SystemActor(e.acc.Account.ID)
	grp, err := e.app.CreateDeviceGroup(ctx, sys, app.GroupInput{Name: "Helpdesk", Colour: "#10ac84"})
	if err != nil {
		t.Fatal(err)
	}
	offline := e.enrollFake("OFFLINE-PC", grp.ID)
	ag := e.startAgent("ONLINE-PC")
	if err := e.app.MoveDevices(ctx, sys, []string{ag.DeviceID}, grp.ID); err != nil {
		t.Fatal(err)
	}
	role := e.createTestRole(t, "Terminal only", portico.PurposeDevices, portico.PermDeviceView, portico.PermDeviceTerminal)
	e.createTestUser(t, "omar@example.test", "Omar Operator", app.AssignmentInput{RoleID: role,
		ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: grp.ID})
	b := e.chromium()
	b.signIn("omar@example.test", testPassword)

	b.open("/devices/" + offline)
	b.waitVisible(".devices-remote")
	if !evalJS[bool](b, `Array.prototype.every.call(document.querySelectorAll(".devices-remote button"), function(x){return x.disabled;}) && document.querySelectorAll(".devices-remote button").length === 1`) {
		t.Error("the offline device does not show exactly one disabled remote action")
	}
	if !b.exists("#offline-note") || b.exists(".devices-remote a[href*='/session']") {
		t.Error("the offline device offers a session or lacks the offline note")
	}

	b.open("/devices/" + ag.DeviceID)
	b.waitVisible(".devices-remote a[href*='/session']")
	links := evalJS[[]string](b, `Array.prototype.map.call(document.querySelectorAll(".devices-remote a"), function(a){return a.getAttribute("href");})`)
	if len(links) != 1 || !strings.HasSuffix(links[0], "/session?actions=terminal") {
		t.Errorf("remote actions on the live device: %v, want the terminal alone", links)
	}
	// The session page offers the terminal panel alone, and the server refuses a file-transfer page.
	b.open(links[0])
	b.waitAttr("#session", "data-state", "active")
	if tabs := evalJS[int](b, `document.querySelectorAll(".session-tabs [role=tab]").length`); tabs != 1 || !b.exists("#tab-terminal") {
		t.Errorf("the session page shows %d tabs, want the terminal alone", tabs)
	}
	c := e.directClient(b.cookie(SessionCookie))
	if code, _, _ := e.get(c, "/devices/"+ag.DeviceID+"/session?actions=file_transfer"); code != http.StatusForbidden {
		t.Errorf("file transfer session page for a terminal-only role: %d, want 403", code)
	}
}

// enrollFake enrolls a device with no agent behind it and places it in a group ("" leaves it in
// Unassigned).
func (e *liveEnv) enrollFake(name, groupID string) string {
	e.t.Helper()
	ctx := context.Background()
	sys := app.SystemActor(e.acc.Account.ID)
	_, token, err := e.app.CreateEnrollmentToken(ctx, sys, "")
	if err != nil {
		e.t.Fatal(err)
	}
	id, _, err := e.app.Enroll(ctx, app.EnrollInput{Token: token, Hostname: strings.ToLower(name), Name: name,
		OSName: "Windows 11 Pro", OSVersion: "23H2", DeviceType: "Laptop", SourceIP: "127.0.0.1"})
	if err != nil {
		e.t.Fatal(err)
	}
	if groupID != "" {
		if err := e.app.MoveDevices(ctx, sys, []string{id}, groupID); err != nil {
			e.t.Fatal(err)
		}
	}
	return id
}

// auditCount is the number of refusals in the account's audit log.
func (e *liveEnv) auditCount() int {
	e.t.Helper()
	events, err := e.app.ListAudit(context.Background(), app.SystemActor(e.acc.Account.ID), portico.AuditFilter{Outcome: portico.OutcomeDenied, Page: portico.Page{Limit: 10000}})
	if err != nil {
		e.t.Fatal(err)
	}
	return len(events)
}
