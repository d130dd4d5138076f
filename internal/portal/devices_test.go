package portal

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/store"
)

// devicesSeed stores n devices named prefix-000… in a group (Unassigned for portico.UnassignedGroupID)
// in one transaction, as an agent's enrollment would, and reloads the access snapshot.
func (e *testEnv) devicesSeed(groupID, prefix string, n int, status portico.DeviceStatus) []string {
	e.t.Helper()
	return devicesSeedApp(e.t, e.st, e.app, e.acc.Account.ID, groupID, prefix, n, status)
}

// devicesSeedApp is devicesSeed for any test server.
func devicesSeedApp(t *testing.T, st *store.Store, a *app.App, accountID, groupID, prefix string, n int, status portico.DeviceStatus) []string {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var ids []string
	err := st.Tx(ctx, func(tx *store.Tx) error {
		for i := range n {
			d := &portico.Device{ID: portico.NewID("dev"), AccountID: accountID, GroupID: groupID,
				Name: fmt.Sprintf("%s-%03d", prefix, i), Hostname: fmt.Sprintf("%s-host-%03d", prefix, i),
				IPAddresses: []string{fmt.Sprintf("10.0.%d.%d", i/250, i%250+1)}, LoggedInUser: "José",
				OSName: "Debian", OSVersion: "13", Status: status, LastSeen: &now, CreatedAt: now}
			if err := tx.CreateDevice(ctx, d); err != nil {
				return err
			}
			ids = append(ids, d.ID)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(ctx, accountID); err != nil {
		t.Fatal(err)
	}
	return ids
}

// devicesGroup creates a device group as the owner.
func (e *testEnv) devicesGroup(name, parent string) string {
	e.t.Helper()
	g, err := e.app.CreateDeviceGroup(context.Background(), e.owner, app.GroupInput{Name: name, ParentID: parent})
	if err != nil {
		e.t.Fatal(err)
	}
	return g.ID
}

// devicesTech creates a signed-in technician holding a role with perms on one device group.
func (e *testEnv) devicesTech(email string, groupID string, perms ...portico.Permission) *browser {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: email, Name: "Terry Tech", Password: testPassword})
	if err != nil {
		e.t.Fatal(err)
	}
	name, purpose := "Role of "+email, portico.PurposeDevices
	r, err := e.app.CreateRole(ctx, e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.app.CreateAssignment(ctx, e.owner, app.AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: u.User.ID, RoleID: r.ID, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: groupID}); err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	b.signIn(email)
	return b
}

func (e *testEnv) devicesGroupOf(id string) string {
	e.t.Helper()
	d, err := e.app.GetDevice(context.Background(), e.owner, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return d.GroupID
}

func devicesWantStatus(t *testing.T, what string, got, want int, body string) {
	t.Helper()
	if got != want {
		t.Fatalf("%s: status %d, want %d\n%s", what, got, want, body)
	}
}

func devicesWantIn(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(body, p) {
			t.Errorf("%s lacks %q", what, p)
		}
	}
}

func devicesWantNotIn(t *testing.T, what, body string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if strings.Contains(body, p) {
			t.Errorf("%s shows %q", what, p)
		}
	}
}

func TestDevicesGroupPageForTheOwner(t *testing.T) {
	e := newTestEnv(t)
	gid := e.acc.DefaultGroup.ID
	sub := e.devicesGroup("Berlin office", gid)
	e.devicesSeed(gid, "pc", 150, portico.DeviceAvailable)
	e.devicesSeed(sub, "berlin", 3, portico.DeviceUnavailable)
	e.devicesSeed(portico.UnassignedGroupID, "new", 2, portico.DeviceAvailable)
	b := e.browser()
	b.signIn("owner@example.test")

	code, body, _ := b.get("/groups/" + gid)
	devicesWantStatus(t, "group page", code, http.StatusOK, body)
	devicesWantIn(t, "group page", body, "Berlin office", "3 devices", ">pc-000<", ">pc-099<", "1–100 of 150", "Page 1 of 2",
		"Move selected", "Delete selected", `href="/groups/`+gid+`/edit"`, `href="/groups/`+gid+`/delete"`,
		`href="/groups/`+gid+`/new"`, `name="device_ids"`, "Choose columns", "?format=csv", "Logged-in user", "José")
	devicesWantNotIn(t, "group page 1", body, ">pc-100<", ">berlin-000<")
	_, body, _ = b.get("/groups/" + gid + "?page=2")
	devicesWantIn(t, "page 2", body, ">pc-100<", ">pc-149<", "101–150 of 150")
	_, body, _ = b.get("/groups/" + gid + "?q=pc-14")
	devicesWantIn(t, "filtered", body, ">pc-140<", "1–10 of 10")
	_, body, _ = b.get("/groups/" + sub + "?status=available")
	devicesWantIn(t, "status filter", body, "No devices match.")

	code, body, _ = b.get("/groups/" + gid + "?tab=settings")
	devicesWantStatus(t, "settings tab", code, http.StatusOK, body)
	devicesWantIn(t, "settings tab", body, "Chat to devices", "Require user acknowledgement", "Enable all", `name="setting.chat"`)
	code, body, _ = b.get("/groups/" + gid + "?tab=assignments")
	devicesWantStatus(t, "assignments tab", code, http.StatusOK, body)
	devicesWantIn(t, "assignments tab", body, "Add an assignment", `name="principal"`)
	code, body, _ = b.get("/groups/" + gid + "?tab=nope")
	devicesWantStatus(t, "unknown tab", code, http.StatusUnprocessableEntity, body)

	code, body, _ = b.get("/groups/unassigned")
	devicesWantStatus(t, "unassigned", code, http.StatusOK, body)
	devicesWantIn(t, "unassigned", body, ">new-000<", "Move selected")
	devicesWantNotIn(t, "unassigned", body, "/groups/unassigned?tab=settings", "Add sub-group", ">pc-000<")
	if code, _, _ := b.get("/groups/grp_nope"); code != http.StatusNotFound {
		t.Errorf("unknown group: %d", code)
	}
}

func TestDevicesNarrowRoleSeesOnlyItsGroup(t *testing.T) {
	e := newTestEnv(t)
	a := e.devicesGroup("Alpha", "")
	bg := e.devicesGroup("Bravo", "")
	alpha := e.devicesSeed(a, "alpha", 3, portico.DeviceAvailable)
	bravo := e.devicesSeed(bg, "bravo", 2, portico.DeviceAvailable)
	tech := e.devicesTech("tech@example.test", a, portico.PermDeviceView)

	code, body, _ := tech.get("/groups/" + a)
	devicesWantStatus(t, "own group", code, http.StatusOK, body)
	devicesWantIn(t, "own group", body, ">alpha-000<", ">alpha-002<")
	devicesWantNotIn(t, "own group", body, "bravo", "Move selected", "Delete selected", `name="device_ids"`,
		"/edit\"", "/delete\"", "?tab=settings\"", "Add sub-group")
	if code, _, _ := tech.get("/groups/" + bg); code != http.StatusForbidden && code != http.StatusNotFound {
		t.Errorf("other group: %d", code)
	}
	code, body, _ = tech.get("/devices/" + alpha[0])
	devicesWantStatus(t, "device page", code, http.StatusOK, body)
	devicesWantNotIn(t, "device page", body, "Edit name", "action=move", "action=delete", "/session?actions=")
	if code, _, _ := tech.get("/devices/" + bravo[0]); code != http.StatusForbidden && code != http.StatusNotFound {
		t.Errorf("device of another group: %d", code)
	}
	// The hidden actions are refused by the server too, and change nothing.
	code, _, _ = tech.post("/devices/move", url.Values{"device_ids": {alpha[0]}, "group_id": {bg}})
	devicesWantStatus(t, "direct move", code, http.StatusNotFound, "") // a group not theirs to see
	if g := e.devicesGroupOf(alpha[0]); g != a {
		t.Fatalf("the refused move moved the device to %s", g)
	}
	code, _, _ = tech.post("/devices/delete", url.Values{"device_ids": {alpha[0]}})
	devicesWantStatus(t, "direct delete", code, http.StatusForbidden, "")
	code, _, _ = tech.post("/devices/"+alpha[0]+"/edit", url.Values{"name": {"renamed"}})
	devicesWantStatus(t, "direct edit", code, http.StatusForbidden, "")
	code, _, _ = tech.post("/groups/"+a+"/settings", url.Values{"all": {"off"}})
	devicesWantStatus(t, "direct settings", code, http.StatusForbidden, "")
	// Nor are the forms shown whose every submission would be refused.
	for _, path := range []string{"/groups/new", "/groups/" + a + "/new", "/groups/" + a + "/edit", "/groups/" + a + "/move",
		"/groups/" + a + "/delete", "/devices/" + alpha[0] + "/edit"} {
		code, _, _ = tech.get(path)
		devicesWantStatus(t, "form "+path, code, http.StatusForbidden, "")
	}
	// Search finds only what the role shows.
	_, body, _ = tech.get("/search?q=bravo")
	devicesWantNotIn(t, "search", body, "bravo-000")
}

func TestDevicesExportFollowsColumns(t *testing.T) {
	e := newTestEnv(t)
	gid := e.acc.DefaultGroup.ID
	e.devicesSeed(gid, "=calc", 2, portico.DeviceAvailable)
	b := e.browser()
	b.signIn("owner@example.test")

	code, body, h := b.get("/groups/" + gid + "?format=csv")
	devicesWantStatus(t, "csv", code, http.StatusOK, body)
	if !strings.HasPrefix(h.Get("Content-Type"), "text/csv") || !strings.Contains(h.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(h.Get("Content-Disposition"), ".csv") {
		t.Fatalf("csv headers: %v", h)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 3 || strings.Join(rows[0], "|") != "Status|Name|Hostname|Operating system|IP addresses|Logged-in user|Last seen|Group" {
		t.Fatalf("csv rows: %q", rows)
	}
	if rows[1][0] != "Available" || rows[1][1] != "'=calc-000" {
		t.Errorf("csv row: %q", rows[1])
	}

	// A user's own column choice drives both the table and the export.
	code, _, _ = b.post("/devices/columns", url.Values{"columns": {"name", "hostname", "status"}, "back": {"/groups/" + gid}})
	devicesWantStatus(t, "save columns", code, http.StatusSeeOther, "")
	_, body, _ = b.get("/groups/" + gid + "?format=csv")
	rows, _ = csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if strings.Join(rows[0], "|") != "Name|Hostname|Status" {
		t.Fatalf("csv after choosing columns: %q", rows[0])
	}

	code, body, h = b.get("/groups/" + gid + "?format=pdf")
	devicesWantStatus(t, "pdf", code, http.StatusOK, "")
	if h.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(body, "%PDF-") {
		t.Fatalf("pdf: %v %q", h, body[:min(len(body), 10)])
	}
	code, _, _ = b.get("/groups/" + gid + "?format=xlsx")
	devicesWantStatus(t, "unknown format", code, http.StatusUnprocessableEntity, "")
	code, _, _ = b.get("/in-session?format=csv")
	devicesWantStatus(t, "in-session csv", code, http.StatusOK, "")
}

func TestDevicesColumnPreferencePerUser(t *testing.T) {
	e := newTestEnv(t)
	gid := e.acc.DefaultGroup.ID
	e.devicesSeed(gid, "pc", 1, portico.DeviceAvailable)
	tech := e.devicesTech("tech@example.test", gid, portico.PermDeviceView)
	owner := e.browser()
	owner.signIn("owner@example.test")

	// Locked columns come back even when left out; unknown ones are dropped.
	tech.post("/devices/columns", url.Values{"columns": {"hostname", "bogus", "ip"}})
	_, body, _ := tech.get("/groups/" + gid)
	head := devicesHeader(body)
	if head != "Status|Name|Hostname|IP addresses" {
		t.Fatalf("technician's columns: %s", head)
	}
	_, body, _ = owner.get("/groups/" + gid)
	if head := devicesHeader(body); head != "Status|Name|Hostname|Operating system|IP addresses|Logged-in user|Last seen|Group" {
		t.Fatalf("owner's columns changed with the technician's: %s", head)
	}
	// The preference is the technician's own: the owner cannot read it through the app either.
	raw, err := e.app.GetPreference(context.Background(), e.owner, devicesColumnsKey)
	if err != nil || raw != nil {
		t.Fatalf("owner reads %s %v", raw, err)
	}
	tech.post("/devices/columns", url.Values{"reset": {"1"}})
	_, body, _ = tech.get("/groups/" + gid)
	if head := devicesHeader(body); !strings.HasPrefix(head, "Status|Name|Hostname|Operating system") {
		t.Fatalf("after reset: %s", head)
	}
}

// devicesHeader returns a device table's column headings, joined by |.
func devicesHeader(body string) string {
	i := strings.Index(body, `<section class="card devices-table"`)
	if i < 0 {
		return ""
	}
	body = body[i:]
	start, end := strings.Index(body, "<thead>"), strings.Index(body, "</thead>")
	var out []string
	for _, part := range strings.Split(body[start:end], `<th scope="col">`)[1:] {
		text := part[:strings.Index(part, "</th>")]
		if strings.Contains(text, "<input") {
			continue
		}
		out = append(out, text)
	}
	return strings.Join(out, "|")
}

func TestDevicesBulkMoveRefusedByTheNinetyDayRule(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	gid := e.acc.DefaultGroup.ID
	other := e.devicesGroup("Other", "")
	fresh := e.devicesSeed(portico.UnassignedGroupID, "fresh", 1, portico.DeviceAvailable)
	placed := e.devicesSeed(other, "placed", 1, portico.DeviceAvailable)
	if err := e.app.MoveDevices(ctx, e.owner, fresh, gid); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("owner@example.test")
	ids := []string{fresh[0], placed[0]}
	code, body, _ := b.get("/devices/confirm?action=move&device_ids=" + ids[0] + "&device_ids=" + ids[1] + "&back=/groups/" + gid)
	devicesWantStatus(t, "confirm page", code, http.StatusOK, body)
	devicesWantIn(t, "confirm page", body, "fresh-000", "placed-000", `value="unassigned"`, "90 days")

	code, body, _ = b.post("/devices/move", url.Values{"device_ids": ids, "group_id": {portico.UnassignedGroupID}, "back": {"/groups/" + gid}})
	devicesWantStatus(t, "move back to Unassigned", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "refusal", body, `role="alert"`, "fresh-000", "90 days")
	if g := e.devicesGroupOf(placed[0]); g != other {
		t.Fatalf("a refused bulk move moved the other device to %s", g)
	}
	if g := e.devicesGroupOf(fresh[0]); g != gid {
		t.Fatalf("the locked device moved to %s", g)
	}
	// A move the rules allow goes through and returns to the page it came from.
	code, _, h := b.post("/devices/move", url.Values{"device_ids": {placed[0]}, "group_id": {gid}, "back": {"/groups/" + other}})
	if code != http.StatusSeeOther || h.Get("Location") != "/groups/"+other {
		t.Fatalf("allowed move: %d %s", code, h.Get("Location"))
	}
	if g := e.devicesGroupOf(placed[0]); g != gid {
		t.Fatalf("allowed move left the device in %s", g)
	}
	// Bulk delete after confirmation.
	code, _, _ = b.post("/devices/delete", url.Values{"device_ids": {placed[0]}, "back": {"/groups/" + gid}})
	devicesWantStatus(t, "delete", code, http.StatusSeeOther, "")
	if _, err := e.app.GetDevice(ctx, e.owner, placed[0]); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("deleted device: %v", err)
	}
	code, _, _ = b.post("/devices/delete", url.Values{})
	devicesWantStatus(t, "delete nothing", code, http.StatusUnprocessableEntity, "")
}

func TestDevicesGroupForms(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	gid := e.acc.DefaultGroup.ID
	b := e.browser()
	b.signIn("owner@example.test")

	code, body, _ := b.get("/groups/" + gid + "/new")
	devicesWantStatus(t, "new sub-group form", code, http.StatusOK, body)
	devicesWantIn(t, "new sub-group form", body, `type="color"`, `maxlength="250"`, `for="g-name"`)
	before, _ := e.app.ListDeviceGroups(ctx, e.owner)
	code, body, _ = b.post("/groups/"+gid+"/new", url.Values{"name": {strings.Repeat("x", 101)}, "colour": {"#123456"}})
	devicesWantStatus(t, "too long a name", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "too long a name", body, `aria-invalid="true"`, `id="name-error"`)
	code, body, _ = b.post("/groups/"+gid+"/new", url.Values{"name": {"Paris"}, "colour": {"red"}})
	devicesWantStatus(t, "bad colour", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "bad colour", body, `id="colour-error"`)
	if after, _ := e.app.ListDeviceGroups(ctx, e.owner); len(after) != len(before) {
		t.Fatalf("a refused form created a group")
	}
	code, _, h := b.post("/groups/"+gid+"/new", url.Values{"name": {"Paris"}, "colour": {"#aa3300"}, "description": {"Rive gauche"}})
	devicesWantStatus(t, "create", code, http.StatusSeeOther, "")
	newID := strings.TrimPrefix(h.Get("Location"), "/groups/")
	g, err := e.app.GetDeviceGroup(ctx, e.owner, newID)
	if err != nil || g.ParentID != gid || g.Name != "Paris" || !strings.EqualFold(g.Colour, "#aa3300") {
		t.Fatalf("created group: %+v %v", g, err)
	}
	// Top-level group, edit, move, delete.
	code, _, h = b.post("/groups/new", url.Values{"name": {"Top"}, "colour": {"#000000"}})
	devicesWantStatus(t, "create top-level", code, http.StatusSeeOther, "")
	top := strings.TrimPrefix(h.Get("Location"), "/groups/")
	code, _, _ = b.post("/groups/"+newID+"/edit", url.Values{"name": {"Paris 6e"}, "colour": {"#aa3300"}, "description": {""}})
	devicesWantStatus(t, "edit", code, http.StatusSeeOther, "")
	code, body, _ = b.get("/groups/" + newID + "/move")
	devicesWantStatus(t, "move form", code, http.StatusOK, body)
	devicesWantNotIn(t, "move form", body, `value="`+newID+`"`)
	code, _, _ = b.post("/groups/"+newID+"/move", url.Values{"parent_id": {top}})
	devicesWantStatus(t, "move", code, http.StatusSeeOther, "")
	if g, _ := e.app.GetDeviceGroup(ctx, e.owner, newID); g.ParentID != top || g.Name != "Paris 6e" {
		t.Fatalf("after edit and move: %+v", g)
	}
	e.devicesSeed(newID, "mac", 1, portico.DeviceAvailable)
	code, body, _ = b.get("/groups/" + newID + "/delete")
	devicesWantStatus(t, "delete page", code, http.StatusOK, body)
	devicesWantIn(t, "delete page", body, "1 devices", "Only an empty group")
	code, body, _ = b.post("/groups/"+newID+"/delete", nil)
	devicesWantStatus(t, "delete a non-empty group", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "delete refusal", body, `role="alert"`)
	code, _, _ = b.post("/groups/"+top+"/delete", nil)
	devicesWantStatus(t, "delete the top group", code, http.StatusUnprocessableEntity, "")
	empty := e.devicesGroup("Empty", "")
	code, _, _ = b.post("/groups/"+empty+"/delete", nil)
	devicesWantStatus(t, "delete an empty group", code, http.StatusSeeOther, "")
}

func TestDevicesSettingsAndAssignments(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	gid := e.acc.DefaultGroup.ID
	sub := e.devicesGroup("Sub", gid)
	b := e.browser()
	b.signIn("owner@example.test")

	code, _, _ := b.post("/groups/"+gid+"/settings", url.Values{"setting.chat": {"off"}, "setting.terminal": {"on"}})
	devicesWantStatus(t, "save settings", code, http.StatusSeeOther, "")
	sv, _ := e.app.GetGroupSettings(ctx, e.owner, sub)
	if sv.Effective[portico.FeatureChat].Enabled || sv.Effective[portico.FeatureChat].FromGroupID != gid {
		t.Fatalf("sub-group chat: %+v", sv.Effective[portico.FeatureChat])
	}
	_, body, _ := b.get("/groups/" + sub + "?tab=settings")
	devicesWantIn(t, "inherited setting", body, "Inherited from Example Ltd")
	b.post("/groups/"+sub+"/settings", url.Values{"all": {"off"}})
	sv, _ = e.app.GetGroupSettings(ctx, e.owner, sub)
	if len(sv.Own) != len(portico.Features) || sv.Effective[portico.FeatureView].Enabled {
		t.Fatalf("after Disable all: %+v", sv)
	}

	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "tina@example.test", Name: "Tina", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	name, purpose, perms := "Helpdesk", portico.PurposeDevices, []portico.Permission{portico.PermDeviceView}
	r, err := e.app.CreateRole(ctx, e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		t.Fatal(err)
	}
	code, body, _ = b.post("/groups/"+gid+"/assignments", url.Values{"principal": {"user:" + u.User.ID}, "role_id": {""}})
	devicesWantStatus(t, "assignment without a role", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "assignment refusal", body, `role="alert"`)
	code, _, _ = b.post("/groups/"+gid+"/assignments", url.Values{"principal": {"user:" + u.User.ID}, "role_id": {r.ID}})
	devicesWantStatus(t, "add assignment", code, http.StatusSeeOther, "")
	_, body, _ = b.get("/groups/" + sub + "?tab=assignments")
	devicesWantIn(t, "sub-group assignments", body, "Helpdesk", "Tina", "Inherited from Example Ltd")
	list, _ := e.app.ListAssignments(ctx, e.owner, portico.AssignmentFilter{ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: gid})
	if len(list) != 1 {
		t.Fatalf("assignments: %+v", list)
	}
	code, _, _ = b.post("/groups/"+gid+"/assignments/"+list[0].ID+"/delete", nil)
	devicesWantStatus(t, "remove assignment", code, http.StatusSeeOther, "")
	if list, _ := e.app.ListAssignments(ctx, e.owner, portico.AssignmentFilter{ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: gid}); len(list) != 0 {
		t.Fatalf("assignment not removed: %+v", list)
	}
}

func TestDevicesDevicePage(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	gid := e.acc.DefaultGroup.ID
	online := e.devicesSeed(gid, "online", 1, portico.DeviceAvailable)[0]
	offline := e.devicesSeed(gid, "offline", 1, portico.DeviceUnavailable)[0]
	b := e.browser()
	b.signIn("owner@example.test")

	code, body, _ := b.get("/devices/" + online)
	devicesWantStatus(t, "device page", code, http.StatusOK, body)
	devicesWantIn(t, "device page", body, "online-host-000", "Debian 13", "10.0.0.1", "/devices/"+online+"/session?actions=terminal",
		"/devices/"+online+"/session?actions=screen_view", "Edit name", "action=move", "action=delete",
		"Why can or can", "Who can do this here?", "The agent has not reported an inventory yet.", "Add to favourites")
	_, body, _ = b.get("/devices/" + offline)
	devicesWantIn(t, "offline device", body, "The device is unavailable", "disabled title=")
	devicesWantNotIn(t, "offline device", body, "/session?actions=")

	_, body, _ = b.get("/devices/" + online + "?explain=device.terminal")
	devicesWantIn(t, "explain", body, "Allowed", "the account owner may do everything")
	_, body, _ = b.get("/devices/" + online + "?who=device.terminal")
	devicesWantIn(t, "who can", body, "Olivia Owner", "Account owner")
	code, body, _ = b.get("/devices/" + online + "?explain=nope")
	devicesWantStatus(t, "explain unknown permission", code, http.StatusOK, body)
	devicesWantIn(t, "explain unknown permission", body, `role="alert"`)

	// Rename: bad input keeps the name, good input changes it.
	code, body, _ = b.post("/devices/"+online+"/edit", url.Values{"name": {""}})
	devicesWantStatus(t, "empty name", code, http.StatusUnprocessableEntity, body)
	devicesWantIn(t, "empty name", body, `id="name-error"`)
	code, _, _ = b.post("/devices/"+online+"/edit", url.Values{"name": {"Reception"}})
	devicesWantStatus(t, "rename", code, http.StatusSeeOther, "")
	if d, _ := e.app.GetDevice(ctx, e.owner, online); d.Name != "Reception" {
		t.Fatalf("renamed to %q", d.Name)
	}

	// Favourite toggle and the favourites page.
	code, _, _ = b.post("/devices/"+online+"/favourite", nil)
	devicesWantStatus(t, "favourite", code, http.StatusSeeOther, "")
	_, body, _ = b.get("/favourites")
	devicesWantIn(t, "favourites", body, ">Reception<", "★")
	devicesWantNotIn(t, "favourites", body, ">offline-000<")
	b.post("/devices/"+online+"/favourite", nil)
	_, body, _ = b.get("/favourites")
	devicesWantNotIn(t, "favourites after toggling off", body, ">Reception<")

	code, body, _ = b.get("/in-session")
	devicesWantStatus(t, "in session", code, http.StatusOK, body)
	devicesWantIn(t, "in session", body, `hx-trigger="every 10s"`, "No device is in a session.")
}

func TestDevicesTechnicianActionsFollowPermissions(t *testing.T) {
	e := newTestEnv(t)
	gid := e.acc.DefaultGroup.ID
	dev := e.devicesSeed(gid, "pc", 1, portico.DeviceAvailable)[0]
	tech := e.devicesTech("tech@example.test", gid, portico.PermDeviceView, portico.PermDeviceTerminal, portico.PermDeviceMove)
	_, body, _ := tech.get("/devices/" + dev)
	devicesWantIn(t, "technician's device page", body, "/session?actions=terminal", "action=move")
	devicesWantNotIn(t, "technician's device page", body, "/session?actions=chat", "Edit name", "action=delete", "Who can do this here?")
	// The engine's answer for a permission the role lacks, readable.
	_, body, _ = tech.get("/devices/" + dev + "?explain=device.chat")
	devicesWantIn(t, "explain refusal", body, "Refused", "no role assignment grants it")
	// Who-can needs users.view: the server refuses, the panel is not offered.
	_, body, _ = tech.get("/devices/" + dev + "?who=device.chat")
	devicesWantNotIn(t, "who can without users.view", body, "Account owner")
	_, body, _ = tech.get("/groups/" + gid)
	devicesWantIn(t, "technician with device.move", body, "Move selected")
	devicesWantNotIn(t, "technician with device.move", body, "Delete selected")
}

// TestDevicesHistoryExport checks the device history filters and export.
func TestDevicesHistoryExport(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	gid := e.acc.DefaultGroup.ID
	dev := e.devicesSeed(gid, "pc", 1, portico.DeviceAvailable)[0]
	if _, err := e.app.UpdateDevice(ctx, e.owner, dev, app.DeviceUpdate{Name: devicesPtr("Café")}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.signIn("owner@example.test")
	_, body, _ := b.get("/devices/" + dev + "?action=edited")
	devicesWantIn(t, "history", body, "Olivia Owner", "edited")
	_, body, _ = b.get("/devices/" + dev + "?action=moved")
	devicesWantIn(t, "filtered history", body, "No history matches.")
	code, body, h := b.get("/devices/" + dev + "?table=history&format=csv")
	devicesWantStatus(t, "history csv", code, http.StatusOK, body)
	if !strings.Contains(h.Get("Content-Disposition"), "Caf") || !strings.Contains(body, "edited") {
		t.Fatalf("history export: %v\n%s", h, body)
	}
	code, _, _ = b.get("/devices/" + dev + "?from=yesterday")
	devicesWantStatus(t, "bad date", code, http.StatusUnprocessableEntity, "")
	code, body, _ = b.get("/devices/" + dev + "?table=software&format=pdf")
	devicesWantStatus(t, "software pdf", code, http.StatusOK, "")
	if !bytes.HasPrefix([]byte(body), []byte("%PDF")) {
		t.Fatal("software export is not a PDF")
	}
}

func devicesPtr[T any](v T) *T { return &v }
