package portal

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestBrowserMainFlow is the portal's main path in Chromium against a real agent: the owner builds a
// two-level group tree, invites a technician (who accepts in a browser of their own), builds a role
// with view, terminal and file transfer, assigns it at the sub-group and moves the agent's device
// there; the technician sees the device, opens a terminal and reads a command's output, uploads a
// file that arrives on disk intact, and the session ends on the technician's page within a couple of
// seconds of the owner removing the assignment.
func TestBrowserMainFlow(t *testing.T) {
	e := newLiveEnv(t)
	ag := e.startAgent("FLOW-AGENT")
	owner := e.chromium()
	owner.signIn("owner@example.test", testPassword)

	// A group tree of two levels, through the forms.
	owner.open("/groups/new")
	owner.fill("#g-name", "Europe")
	owner.click("main form button[type=submit]")
	owner.waitText("main h1", "Europe")
	europe := strings.TrimPrefix(owner.path(), "/groups/")
	owner.click("main a[href='/groups/" + europe + "/new']")
	owner.fill("#g-name", "Paris office")
	owner.click("main form button[type=submit]")
	owner.waitText("main h1", "Paris office")
	paris := strings.TrimPrefix(owner.path(), "/groups/")
	if paris == europe || strings.ContainsAny(paris, "/?") {
		t.Fatalf("sub-group page at %s", owner.path())
	}
	owner.waitVisible(".sidemenu a[href='/groups/" + paris + "']")

	// Invite a technician; the page shows the invitation link once.
	owner.open("/users")
	owner.click("main details > summary")
	owner.fill("#email", "tess@example.test")
	owner.fill("#name", "Tess Technician")
	owner.click("#mode-invite")
	owner.click("main details form button[type=submit]")
	owner.waitVisible("#invitation-link")
	link := run(owner, "read the invitation link", chromedp.Value(chromedp.ID("invitation-link")))
	if !strings.HasPrefix(link, e.srv.URL+"/invitations/") {
		t.Fatalf("invitation link %q", link)
	}

	// The technician accepts in a browser context of their own, then signs in again.
	tess := owner.newTab()
	tess.do("open the invitation", chromedp.Navigate(link), chromedp.WaitVisible(chromedp.ID("password_again")))
	tess.fill("#name", "Tess Technician")
	tess.fill("#password", testPassword)
	tess.fill("#password_again", testPassword+" typo")
	tess.click("main form button[type=submit]")
	tess.waitVisible("#again-error")
	if got := tess.attr("#password_again", "aria-invalid"); got != "true" {
		t.Errorf("mismatched password field aria-invalid %q", got)
	}
	tess.fill("#password", testPassword)
	tess.fill("#password_again", testPassword)
	tess.click("main form button[type=submit]")
	tess.waitText("main h1", "Tess Technician")
	tess.click(".topmenu form[action='/sign-out'] button")
	tess.waitVisible("#email")
	tess.signIn("tess@example.test", testPassword)
	if tess.exists(".sidemenu a[href='/groups/" + paris + "']") {
		t.Fatal("the technician sees the group before any assignment")
	}

	// A role with view, terminal and file transfer (the form offers any missing prerequisites).
	owner.open("/roles/new?purpose=devices")
	owner.fill("#name", "Remote support")
	for _, p := range []string{"device.view", "device.terminal", "device.file_transfer"} {
		owner.click("#perm-" + strings.ReplaceAll(p, ".", "\\."))
	}
	owner.click(".sticky-actions button[type=submit]")
	owner.poll("the role to be saved or prerequisites offered",
		`location.pathname.indexOf("/roles/") === 0 && location.pathname !== "/roles/new" || document.getElementById("missing") !== null`)
	if owner.exists("#missing") {
		owner.click("#missing button[name=add_prerequisites]")
		owner.poll("the role to be saved", `/^\/roles\/[^/]+$/.test(location.pathname) && location.pathname !== "/roles/new"`)
	}
	role := strings.TrimPrefix(strings.SplitN(owner.path(), "?", 2)[0], "/roles/")
	for _, p := range []string{"device.view", "device.terminal", "device.file_transfer"} {
		if !evalJS[bool](owner, fmt.Sprintf(`document.getElementById(%q).checked`, "perm-"+p)) {
			t.Errorf("the saved role lacks %s", p)
		}
	}

	// Assign it to the technician at the sub-group.
	owner.open("/groups/" + paris + "?tab=assignments")
	owner.do("choose the technician and the role",
		chromedpSelectByText("#as-principal", "Tess Technician"), chromedpSelect("#as-role", role))
	owner.click("form.devices-assign-form button[type=submit]")
	owner.waitText("main table", "Remote support")

	// Move the agent's device from Unassigned into the sub-group, with the bulk move.
	owner.open("/groups/unassigned")
	owner.waitText("main", "FLOW-AGENT")
	owner.click("input[name=device_ids][value='" + ag.DeviceID + "']")
	owner.click("button[name=action][value=move]")
	owner.waitVisible("#move-group")
	owner.do("choose the sub-group", chromedpSelect("#move-group", paris))
	owner.click("main form[action='/devices/move'] button[type=submit]")
	owner.poll("the move", `location.pathname.indexOf("/devices/confirm") !== 0`)

	// The technician now sees the group and the device in it, and opens a session.
	tess.open("/")
	tess.waitVisible(".sidemenu a[href='/groups/" + paris + "']")
	tess.click(".sidemenu a[href='/groups/" + paris + "']")
	tess.waitText("main table", "FLOW-AGENT")
	tess.click("main table a[href='/devices/" + ag.DeviceID + "']")
	tess.waitText("main h1", "FLOW-AGENT")
	tess.open("/devices/" + ag.DeviceID + "/session?actions=terminal&actions=file_transfer")
	tess.waitAttr("#session", "data-state", "active")

	// The terminal: a command's output read from the xterm DOM.
	// Showing the terminal tab opens a shell at once.
	tess.click("#tab-terminal")
	tess.waitAttr("#terminal", "data-state", "open")
	// Type once the shell has printed its prompt: a shell starting up may drop what came before.
	tess.poll("the shell prompt", `/[#$] $/.test(document.querySelector("#terminal .xterm-rows").textContent.trimEnd() + " ")`)
	tess.typeInto("#terminal .xterm-helper-textarea", "echo portico-$((6*7))", true)
	tess.waitText("#terminal .xterm-rows", "portico-42")

	// A file upload into a folder of this computer, checked on disk by SHA-256.
	dir := t.TempDir()
	src := filepath.Join(t.TempDir(), "report.bin")
	data := make([]byte, 300*1024+17) // more than one 64 KiB stream message
	if _, err := rand.Read(data); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src, data, 0o600); err != nil {
		t.Fatal(err)
	}
	// A file already in the folder shows when its listing has arrived.
	if err := os.WriteFile(filepath.Join(dir, "marker.txt"), []byte("here"), 0o600); err != nil {
		t.Fatal(err)
	}
	tess.click("#tab-files")
	// Showing the tab lists the root folder; wait for it, so its answer does not land after ours.
	tess.waitVisible("#files-list tr[data-name]")
	tess.fill("#files-path", dir)
	tess.click("#files-go button[type=submit]")
	tess.waitVisible("#files-list tr[data-name='marker.txt']")
	tess.do("choose the file", chromedp.SetUploadFiles(chromedp.ID("files-upload-input"), []string{src}))
	tess.waitVisible("#files-transfers li[data-state=done]")
	got, err := os.ReadFile(filepath.Join(dir, "report.bin"))
	if err != nil {
		t.Fatalf("uploaded file: %v", err)
	}
	if sha256.Sum256(got) != sha256.Sum256(data) || !bytes.Equal(got, data) {
		t.Fatalf("uploaded file differs: %d bytes, want %d", len(got), len(data))
	}
	tess.waitText("#files-list", "report.bin")

	// The owner removes the assignment: the technician's page shows the session ended at once.
	owner.open("/groups/" + paris + "?tab=assignments")
	owner.click("main form[action*='/assignments/'] button[type=submit]")
	removed := time.Now()
	tess.waitAttr("#session", "data-state", "ended")
	if took := time.Since(removed); took > 2*time.Second {
		t.Errorf("the session ended %s after the assignment was removed", took)
	}
	t.Logf("the session ended on the technician's page %s after the assignment was removed", time.Since(removed).Round(time.Millisecond))
	if got := tess.text("#session-state"); got != "Session ended" {
		t.Errorf("the state reads %q", got)
	}
	if owner.exists("main form[action*='/assignments/'] button[type=submit]") {
		t.Error("the assignment is still listed after removing it")
	}
}

// chromedpSelectByText chooses the first option of a select whose text contains text, and fires the
// change event.
func chromedpSelectByText(sel, text string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function(){
		var el=document.querySelector(%q);
		var o=Array.prototype.find.call(el.options,function(o){return o.text.indexOf(%q)>=0;});
		if(!o) throw new Error("no option "+%q);
		el.value=o.value;el.dispatchEvent(new Event("change",{bubbles:true}));})()`, sel, text, text))
}
