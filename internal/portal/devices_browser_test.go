package portal

import (
	"testing"

	"github.com/portico-dev/portico"
)

// headings is a script reading a device table's column headings, joined by |.
const headings = `Array.from(document.querySelectorAll(".devices-table thead th")).map(function(th){return th.textContent.trim()}).filter(Boolean).join("|")`

// TestDevicesBrowserColumnChooser drives the column chooser in Chromium: the dialog opens, a column
// moves with the keyboard buttons and another is hidden, and the table (and the next visit) follows.
// It also selects devices for a bulk action. PORTICO_BROWSER_DEBUG=dir saves screenshots.
func TestDevicesBrowserColumnChooser(t *testing.T) {
	e := newLiveEnv(t)
	gid := e.acc.DefaultGroup.ID
	devicesSeedApp(t, e.st, e.app, e.acc.Account.ID, gid, "workstation", 40, portico.DeviceAvailable)
	devicesSeedApp(t, e.st, e.app, e.acc.Account.ID, gid, "laptop", 5, portico.DeviceUnavailable)
	b := e.chromium()
	b.signIn("owner@example.test", testPassword)
	b.open("/groups/" + gid)
	b.waitText(".devices-table thead", "Hostname")
	b.debugShot("group")

	// Bulk actions are enabled by a selection, and the count is announced.
	if !evalJS[bool](b, `document.querySelector("[data-needs-selection]").disabled`) {
		t.Fatal("bulk actions are enabled with nothing selected")
	}
	b.click("[data-select-all]")
	b.waitText("[data-selected-count]", "45 selected")
	if evalJS[bool](b, `document.querySelector("[data-needs-selection]").disabled`) {
		t.Fatal("bulk actions stay disabled with a selection")
	}

	b.click(`[data-open-dialog="columns-dialog"]`)
	b.waitVisible("#columns-dialog")
	b.debugShot("columns")
	// Hostname up twice (above Name and Status), OS hidden.
	b.click(`li[data-column="hostname"] [data-move="up"]`)
	b.click(`li[data-column="hostname"] [data-move="up"]`)
	b.click(`#col-os`)
	b.click(`#columns-dialog button.primary`)
	const want = "Hostname|Status|Name|IP addresses|Logged-in user|Last seen|Group"
	if err := b.until(headings + ` === "` + want + `"`); err != nil {
		t.Fatalf("columns after choosing: %s (%v)", evalQuiet(b, headings), err)
	}
	got := want
	b.open("/favourites")
	b.open("/groups/" + gid)
	if got2 := evalJS[string](b, headings); got2 != got {
		t.Fatalf("columns on the next visit: %s", got2)
	}
	b.debugShot("group-after")
	devices := devicesSeedApp(t, e.st, e.app, e.acc.Account.ID, gid, "zz", 1, portico.DeviceAvailable)
	b.open("/devices/" + devices[0])
	b.waitText("h1", "zz-000")
	b.debugShot("device")
	b.open("/groups/" + gid + "?tab=settings")
	b.debugShot("settings")
}
