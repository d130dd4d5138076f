package portal

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// sessionFixture is an account with one device in a group and a technician whose role, assigned at
// the group, holds device.view and the given permissions.
type sessionFixture struct {
	e        *testEnv
	groupID  string
	deviceID string
}

func newSessionFixture(t *testing.T, perms ...portico.Permission) *sessionFixture {
	t.Helper()
	e := newTestEnv(t)
	ctx := context.Background()
	g, err := e.app.CreateDeviceGroup(ctx, e.owner, app.GroupInput{Name: "Cambridge office", Colour: "#098dce"})
	if err != nil {
		t.Fatal(err)
	}
	_, token, err := e.app.CreateEnrollmentToken(ctx, e.owner, g.ID)
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := e.app.Enroll(ctx, app.EnrollInput{Token: token, Hostname: "reception-pc", Name: "Reception PC",
		OSName: "Debian GNU/Linux", OSVersion: "13", AgentVersion: "1.0.0", SourceIP: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.MoveDevices(ctx, e.owner, []string{id}, g.ID); err != nil {
		t.Fatal(err)
	}
	u, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "tech@example.test", Name: "Terry", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	name, purpose := "Terminal only", portico.PurposeDevices
	all := append([]portico.Permission{portico.PermDeviceView}, perms...)
	r, err := e.app.CreateRole(ctx, e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &all})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.CreateAssignment(ctx, e.owner, app.AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: u.User.ID, RoleID: r.ID, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: g.ID}); err != nil {
		t.Fatal(err)
	}
	return &sessionFixture{e: e, groupID: g.ID, deviceID: id}
}

var sessionTabRe = regexp.MustCompile(`role="tab" id="tab-([a-z]+)"`)

func sessionTabs(body string) []string {
	var out []string
	for _, m := range sessionTabRe.FindAllStringSubmatch(body, -1) {
		out = append(out, m[1])
	}
	return out
}

func TestSessionPageForATerminalTechnician(t *testing.T) {
	f := newSessionFixture(t, portico.PermDeviceTerminal)
	b := f.e.browser()
	b.signIn("tech@example.test")

	tests := []struct {
		name    string
		query   string
		status  int
		tabs    []string
		socket  string
		refused bool
	}{
		{name: "terminal asked", query: "?actions=terminal", status: http.StatusOK, tabs: []string{"terminal"},
			socket: "/api/v1/devices/" + f.deviceID + "/session?actions=terminal"},
		{name: "nothing asked: every action held", query: "", status: http.StatusOK, tabs: []string{"terminal"},
			socket: "/api/v1/devices/" + f.deviceID + "/session?actions=terminal"},
		{name: "one held, one not", query: "?actions=terminal,file_transfer", status: http.StatusOK,
			tabs: []string{"terminal"}, socket: "/api/v1/devices/" + f.deviceID + "/session?actions=terminal", refused: true},
		{name: "only actions not held", query: "?actions=file_transfer,reboot", status: http.StatusForbidden},
		{name: "unknown action", query: "?actions=terminal,teleport", status: http.StatusUnprocessableEntity},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body, _ := b.get("/devices/" + f.deviceID + "/session" + tc.query)
			if code != tc.status {
				t.Fatalf("status %d, want %d\n%s", code, tc.status, body)
			}
			if tc.status != http.StatusOK {
				if strings.Contains(body, `id="session"`) {
					t.Fatal("a refused page still shows the session")
				}
				return
			}
			if got := sessionTabs(body); strings.Join(got, ",") != strings.Join(tc.tabs, ",") {
				t.Errorf("tabs %v, want %v", got, tc.tabs)
			}
			if !strings.Contains(body, `data-socket="`+strings.ReplaceAll(tc.socket, ",", "%2c")+`"`) &&
				!strings.Contains(body, `data-socket="`+tc.socket+`"`) {
				t.Errorf("socket URL %q missing", tc.socket)
			}
			if got := strings.Contains(body, `id="session-refused"`); got != tc.refused {
				t.Errorf("refused notice shown: %v, want %v", got, tc.refused)
			}
			for _, id := range []string{`id="session-state"`, `id="end-session"`, `id="cancel"`, `id="terminal"`,
				`src="/static/session.js"`, `id="session-strings"`} {
				if !strings.Contains(body, id) {
					t.Errorf("page lacks %s", id)
				}
			}
			for _, hidden := range []string{`id="files-list"`, `id="chat-input"`, `id="screen-canvas"`, `data-command="reboot"`} {
				if strings.Contains(body, hidden) {
					t.Errorf("page shows %s, which the session does not carry", hidden)
				}
			}
		})
	}
}

func TestSessionPageListsOnlyTheRequestedActions(t *testing.T) {
	f := newSessionFixture(t)
	b := f.e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.get("/devices/" + f.deviceID + "/session?actions=chat,file_transfer,reboot,remote_control")
	if code != http.StatusOK {
		t.Fatalf("owner's session page: %d\n%s", code, body)
	}
	if got, want := sessionTabs(body), []string{"screen", "files", "chat", "power"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("tabs %v, want %v", got, want)
	}
	m := regexp.MustCompile(`data-actions="([a-z_,]*)" data-state`).FindStringSubmatch(body)
	if m == nil || m[1] != "remote_control,file_transfer,chat,reboot" {
		t.Errorf("session actions %v", m)
	}
	for _, want := range []string{`id="files-upload-input"`, `id="chat-send"`, `data-command="reboot"`, `id="screen-release"`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	for _, absent := range []string{`id="terminal"`, `data-command="lock"`, `id="tasks-list"`} {
		if strings.Contains(body, absent) {
			t.Errorf("page shows %s, which was not asked for", absent)
		}
	}
	// The device has no agent connected: the page says so instead of trying.
	if !strings.Contains(body, `data-online="false"`) || !strings.Contains(body, "The device is unavailable") {
		t.Error("an offline device is not shown as offline")
	}
}

func TestSessionPageOfAnotherAccountsDeviceIsNotFound(t *testing.T) {
	f := newSessionFixture(t, portico.PermDeviceTerminal)
	ctx := context.Background()
	other, err := f.e.app.CreateAccount(ctx, app.NewAccount{Company: "Other Ltd", OwnerEmail: "other@example.test",
		OwnerName: "Oscar Other", OwnerPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	_ = other
	b := f.e.browser()
	b.signIn("other@example.test")
	code, body, _ := b.get("/devices/" + f.deviceID + "/session?actions=terminal")
	if code != http.StatusNotFound || strings.Contains(body, "Reception PC") {
		t.Fatalf("another account's device: %d\n%s", code, body)
	}
	// A technician without device.view on the device is refused too (it is not theirs to see).
	b = f.e.browser()
	b.signIn("tech@example.test")
	if code, _, _ := b.get("/devices/dev_doesnotexist/session?actions=terminal"); code != http.StatusNotFound {
		t.Fatalf("unknown device: %d", code)
	}
}

func TestSessionPageNeedsSignIn(t *testing.T) {
	f := newSessionFixture(t, portico.PermDeviceTerminal)
	code, _, h := f.e.browser().get("/devices/" + f.deviceID + "/session?actions=terminal")
	if code != http.StatusSeeOther || !strings.HasPrefix(h.Get("Location"), "/sign-in?next=") {
		t.Fatalf("anonymous: %d %s", code, h.Get("Location"))
	}
}

// TestSessionStrings checks that every string key the session script asks for is in the catalogue
// (the template test in TestCatalogues cannot see keys built in JavaScript).
func TestSessionStrings(t *testing.T) {
	c, err := loadCatalog(files)
	if err != nil {
		t.Fatal(err)
	}
	src, err := files.ReadFile("static/session.js")
	if err != nil {
		t.Fatal(err)
	}
	keys := regexp.MustCompile(`\btr\("([a-z0-9_.]+)"\s*[,)]`).FindAllStringSubmatch(string(src), -1)
	if len(keys) < 20 {
		t.Fatalf("found only %d tr() calls in session.js", len(keys))
	}
	for _, k := range keys {
		if _, ok := c.strings["en-GB"]["session."+k[1]]; !ok {
			t.Errorf("session.js uses %q, which the catalogue lacks", "session."+k[1])
		}
	}
	for _, act := range app.SessionActions {
		if _, ok := c.strings["en-GB"]["session.action."+act]; !ok {
			t.Errorf("no title for the action %q", act)
		}
	}
	for _, p := range sessionPanels {
		if _, ok := c.strings["en-GB"]["session.panel."+p.Key]; !ok {
			t.Errorf("no title for the panel %q", p.Key)
		}
	}
}

// TestSessionScriptSyntax has Node check the session scripts' syntax, when Node is installed.
func TestSessionScriptSyntax(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not installed")
	}
	names, _ := filepath.Glob("static/session*.js")
	if len(names) == 0 {
		t.Fatal("no session script")
	}
	for _, name := range names {
		if _, err := os.Stat(name); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(node, "--check", name).CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", name, err, out)
		}
	}
}
