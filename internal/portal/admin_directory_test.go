package portal

import (
	"context"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/directory/slapdtest"
	"github.com/portico-dev/portico/internal/eventually"
)

// htmx sends a request as htmx does (HX-Request), for the fragments the page swaps in.
func (b *browser) htmx(method, path string, form url.Values) (int, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("HX-Request", "true")
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out)
}

// directoryCount reads a count the plan shows (data-count="NAME").
func directoryCount(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`data-count="` + name + `"[^>]*>([^<]*)<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no count %s in\n%s", name, body)
	}
	return m[1]
}

// directoryAttr escapes s as html/template writes it in a quoted attribute value.
func directoryAttr(s string) string {
	return html.EscapeString(s)
}

func directoryForm(srv *slapdtest.Server) url.Values {
	return url.Values{"kind": {"openldap"}, "url": {srv.URL}, "bind_dn": {slapdtest.Admin},
		"bind_password": {slapdtest.AdminPassword}, "base_dn": {slapdtest.Base}, "page_size": {"64"}}
}

func TestAdminDirectoryImport(t *testing.T) {
	srv := slapdtest.Start(t)
	n := slapdtest.Seed(t, srv, 300)
	e := newTestEnv(t)
	e.app.AllowLocalDirectory = true // the test directory listens on loopback
	ctx := context.Background()
	b := e.browser()
	b.signIn("owner@example.test")

	code, body, _ := b.get("/directory")
	wantStatus(t, "directory page", code, http.StatusOK, body)
	for _, want := range []string{`href="/directory" aria-current="page"`, "Directory import", "Save a connection first.",
		`placeholder="` + directoryAttr("(objectClass=inetOrgPerson)") + `"`, `placeholder="500"`, "No imports yet."} {
		if !strings.Contains(body, want) {
			t.Errorf("fresh directory page lacks %q", want)
		}
	}
	if strings.Contains(body, `action="/directory/import"`) {
		t.Error("the import button shows before a connection is saved")
	}

	// Bad input: the field's message next to it, the typed values kept, nothing stored.
	for _, c := range []struct {
		name, field, value, errID, message string
	}{
		{"bad URL", "url", "http://ldap.example.com", "url-error", "must be ldap://host[:port] or ldaps://host[:port]"},
		{"bad base DN", "base_dn", "not a dn", "base_dn-error", "is not a valid DN"},
		{"bad filter", "user_filter", "(objectClass=person", "user_filter-error", "is not a valid LDAP filter"},
		{"page size not a number", "page_size", "lots", "page_size-error", "Enter a whole number."},
	} {
		form := directoryForm(srv)
		form.Set(c.field, c.value)
		code, body, _ := b.post("/directory", form)
		wantStatus(t, c.name, code, http.StatusUnprocessableEntity, body)
		if !strings.Contains(body, `id="`+c.errID+`">`+html.EscapeString(c.message)) || !strings.Contains(body, `aria-invalid="true"`) {
			t.Errorf("%s: no field message %q\n%s", c.name, c.message, body)
		}
		if !strings.Contains(body, `value="`+directoryAttr(c.value)+`"`) {
			t.Errorf("%s: the typed value %q is not kept", c.name, c.value)
		}
		if strings.Contains(body, slapdtest.AdminPassword) {
			t.Errorf("%s: the refused form shows the password", c.name)
		}
		s, err := e.app.GetDirectoryConfig(ctx, e.owner)
		if err != nil {
			t.Fatal(err)
		}
		if s.Configured {
			t.Fatalf("%s: a refused configuration was stored", c.name)
		}
	}

	code, body, h := b.post("/directory", directoryForm(srv))
	if code != http.StatusSeeOther || h.Get("Location") != "/directory?saved=1" {
		t.Fatalf("save: %d %s\n%s", code, h.Get("Location"), body)
	}
	s, err := e.app.GetDirectoryConfig(ctx, e.owner)
	if err != nil || !s.Configured || !s.BindPasswordSet || s.URL != srv.URL || s.PageSize != 64 {
		t.Fatalf("stored config %+v, %v", s, err)
	}
	_, body, _ = b.get("/directory?saved=1")
	if !strings.Contains(body, "Saved.") || !strings.Contains(body, `value="`+srv.URL+`"`) || !strings.Contains(body, "A password is stored") {
		t.Errorf("saved page lacks the notice, the URL or the password hint")
	}
	if strings.Contains(body, slapdtest.AdminPassword) {
		t.Error("the page shows the bind password")
	}
	// Saving again with the password left empty keeps it.
	form := directoryForm(srv)
	form.Del("bind_password")
	if code, body, _ := b.post("/directory", form); code != http.StatusSeeOther {
		t.Fatalf("resave: %d\n%s", code, body)
	}
	if s, _ := e.app.GetDirectoryConfig(ctx, e.owner); !s.BindPasswordSet {
		t.Fatal("saving without a password removed it")
	}

	// Preview through htmx: the panel alone, with the counts. One user has no email (skipped).
	code, body = b.htmx("POST", "/directory/preview", url.Values{})
	wantStatus(t, "preview", code, http.StatusOK, body)
	if strings.Contains(body, "<html") || !strings.Contains(body, `id="directory-preview"`) {
		t.Fatalf("preview is not the panel alone\n%s", body)
	}
	if got := directoryCount(t, body, "users_create"); got != strconv.Itoa(n-1) {
		t.Errorf("preview: %s users to create, want %d", got, n-1)
	}
	if got := directoryCount(t, body, "groups_create"); got != "8" {
		t.Errorf("preview: %s groups to create, want 8", got)
	}
	if got := directoryCount(t, body, "skipped"); got != "1" {
		t.Errorf("preview: %s skipped, want 1", got)
	}
	if !strings.Contains(body, slapdtest.Email(0)) || !strings.Contains(body, "Skipped entries (1)") {
		t.Errorf("preview lacks the sample or the skipped list\n%s", body)
	}
	// Without htmx the whole page shows the same plan.
	code, body, _ = b.post("/directory/preview", url.Values{})
	wantStatus(t, "preview page", code, http.StatusOK, body)
	if got := directoryCount(t, body, "users_create"); got != strconv.Itoa(n-1) || !strings.Contains(body, `action="/directory"`) {
		t.Errorf("preview page: %s users to create", got)
	}
	if users, _ := e.app.ListUsers(ctx, e.owner, portico.UserFilter{}); len(users) != 1 {
		t.Fatalf("the preview created users: %d", len(users))
	}

	// Import: the job starts and the page follows it.
	code, body, h = b.post("/directory/import", url.Values{})
	loc := h.Get("Location")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/directory?job=") {
		t.Fatalf("import: %d %s\n%s", code, loc, body)
	}
	jobID := strings.TrimSuffix(strings.TrimPrefix(loc, "/directory?job="), "#directory-job")
	code, body, _ = b.get(loc)
	wantStatus(t, "job page", code, http.StatusOK, body)
	if !strings.Contains(body, `id="directory-job"`) {
		t.Fatalf("the page does not show the job\n%s", body)
	}
	// Poll the progress panel as htmx does, until it stops asking to be polled.
	sawRunning := strings.Contains(body, `hx-trigger="every 1s"`)
	eventually.NoError(t, 60*time.Second, "the import to finish", func() error {
		code, body = b.htmx("GET", "/directory/jobs/"+jobID, nil)
		wantStatus(t, "job fragment", code, http.StatusOK, body)
		if strings.Contains(body, "<html") {
			t.Fatalf("the job fragment is a whole page")
		}
		if !strings.Contains(body, `hx-trigger="every 1s"`) {
			return nil
		}
		sawRunning = true
		if !strings.Contains(body, "<progress") {
			t.Fatalf("a running job shows no progress bar\n%s", body)
		}
		return fmt.Errorf("still running\n%s", body)
	})
	t.Logf("saw the job running: %v", sawRunning)
	if !strings.Contains(body, `badge ok">Done`) || !strings.Contains(body, `hx-swap-oob="true"`) || !strings.Contains(body, `href="/users"`) {
		t.Fatalf("finished job panel\n%s", body)
	}
	if got := directoryCount(t, body, "users_create"); got != strconv.Itoa(n-1) {
		t.Errorf("result: %s users created, want %d", got, n-1)
	}

	// The users and groups are there, in the portal too.
	users, err := e.app.ListUsers(ctx, e.owner, portico.UserFilter{})
	if err != nil || len(users) != n {
		t.Fatalf("after import: %d users, %v", len(users), err)
	}
	_, body, _ = b.get("/users?q=" + url.QueryEscape(slapdtest.Email(42)))
	if !strings.Contains(body, slapdtest.Email(42)) {
		t.Error("the users page does not show an imported user")
	}
	_, body, _ = b.get("/user-groups")
	if !strings.Contains(body, "Engineering") {
		t.Error("the user groups page does not show an imported group")
	}
	_, body, _ = b.get("/directory")
	if !strings.Contains(body, "/directory?job="+jobID) || strings.Contains(body, `hx-trigger="every 1s"`) {
		t.Error("the recent imports do not list the finished job, or the page still polls")
	}

	// Importing again changes nothing: the preview shows no new user.
	_, body = b.htmx("POST", "/directory/preview", url.Values{})
	if got := directoryCount(t, body, "users_create"); got != "0" {
		t.Errorf("preview after import: %s users to create", got)
	}

	// A wrong bind password is told on the preview, not as an error page.
	form = directoryForm(srv)
	form.Set("bind_password", "wrong")
	if code, body, _ := b.post("/directory", form); code != http.StatusSeeOther {
		t.Fatalf("save wrong password: %d\n%s", code, body)
	}
	code, body = b.htmx("POST", "/directory/preview", url.Values{})
	if code != http.StatusOK || !strings.Contains(body, "The directory refused the bind DN or password.") {
		t.Errorf("preview with a wrong password: %d\n%s", code, body)
	}
}

// TestAdminDirectoryRefused: a technician who may invite users but not manage user groups sees no
// menu entry, and the server refuses every directory page and action.
func TestAdminDirectoryRefused(t *testing.T) {
	e := newTestEnv(t)
	adminUserWithRole(t, e, "inviter@example.test", portico.PurposeAdministration, portico.PermUsersView, portico.PermUsersInvite)
	b := e.browser()
	b.signIn("inviter@example.test")
	_, body, _ := b.get("/")
	if strings.Contains(body, `href="/directory"`) || !strings.Contains(body, `href="/users"`) {
		t.Error("the menu shows the directory entry to a user who may not configure it, or hides users")
	}
	for _, c := range []struct{ method, path string }{
		{"GET", "/directory"}, {"POST", "/directory"}, {"POST", "/directory/preview"}, {"POST", "/directory/import"},
	} {
		var code int
		if c.method == "GET" {
			code, body, _ = b.get(c.path)
		} else {
			code, body, _ = b.post(c.path, url.Values{"url": {"ldap://127.0.0.1:1"}, "base_dn": {"dc=example,dc=org"}})
		}
		wantStatus(t, c.method+" "+c.path, code, http.StatusForbidden, body)
	}
	if code, body := b.htmx("GET", "/directory/jobs/djb_nope", nil); code != http.StatusForbidden {
		t.Errorf("job fragment: %d\n%s", code, body)
	}
	s, err := e.app.GetDirectoryConfig(context.Background(), e.owner)
	if err != nil || s.Configured {
		t.Fatalf("a refused post stored a configuration: %+v %v", s, err)
	}
	jobs, err := e.app.ListDirectoryJobs(context.Background(), e.owner)
	if err != nil || len(jobs) != 0 {
		t.Fatalf("a refused post started an import: %d %v", len(jobs), err)
	}
}
