package portal

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/directory/slapdtest"
)

// TestAdminDirectoryInBrowser drives the directory import page in Chromium against slapd: the field
// message of a bad address, saving, the preview swapped in by htmx, and an import whose progress
// panel polls until it shows the result and the recent imports list it, without a reload. With
// PORTICO_BROWSER_DEBUG set, it saves a screenshot of each step.
func TestAdminDirectoryInBrowser(t *testing.T) {
	e := newLiveEnv(t)
	e.app.AllowLocalDirectory = true // the test directory listens on loopback
	srv := slapdtest.Start(t)
	// Enough users that the import usually still runs when the page first shows it.
	n := slapdtest.Seed(t, srv, 1500)
	b := e.chromium()
	b.signIn("owner@example.test", testPassword)

	b.open("/directory")
	b.debugShot("empty")
	b.fill("#url", "http://ldap.example.com")
	b.fill("#base_dn", slapdtest.Base)
	b.click("form.directory-config button[type=submit]")
	b.waitText("#url-error", "ldap://")
	b.debugShot("bad-url")

	b.fill("#url", srv.URL)
	b.fill("#bind_dn", slapdtest.Admin)
	b.fill("#bind_password", slapdtest.AdminPassword)
	b.click("form.directory-config button[type=submit]")
	b.waitText("main .notice", "Saved")
	if got := evalJS[string](b, `document.querySelector("#bind_password").value`); got != "" {
		t.Fatalf("the password field shows %q after saving", got)
	}

	// The preview is swapped into the page; the address stays /directory.
	b.click(`form[action="/directory/preview"] button`)
	b.waitVisible("#directory-preview table.directory-counts")
	if got := strings.TrimSpace(b.text(`#directory-preview [data-count="users_create"]`)); got != formatCount(n-1) {
		t.Errorf("preview: %q users to create, want %s", got, formatCount(n-1))
	}
	if p := b.path(); p != "/directory?saved=1" {
		t.Errorf("the preview navigated to %s", p)
	}
	b.debugShot("preview")

	b.click(`form[action="/directory/import"] button`)
	if err := b.until(`location.search.indexOf("job=") >= 0`); err != nil {
		t.Fatalf("import did not show the job: %v", err)
	}
	running := b.exists(`#directory-job[hx-trigger]`)
	b.debugShot("running")
	b.waitText("#directory-job .badge", "Done")
	b.waitText("#directory-jobs tbody", "Done")
	if err := b.until(`!document.querySelector('form[action="/directory/import"] button').disabled`); err != nil {
		t.Errorf("the import button stays disabled after the import: %v", err)
	}
	b.debugShot("done")
	t.Logf("the page showed the import running: %v", running)
	users, err := e.app.ListUsers(context.Background(), e.owner, portico.UserFilter{})
	if err != nil || len(users) != n {
		t.Fatalf("after import: %d users, %v", len(users), err)
	}
}

// formatCount writes n with en-GB digit grouping, as the page does.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	var out []byte
	for i := range len(s) {
		if i > 0 && (len(s)-i)%3 == 0 {
			out = append(out, ',')
		}
		out = append(out, s[i])
	}
	return string(out)
}
