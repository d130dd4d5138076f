package store

import (
	"fmt"
	"testing"

	"github.com/portico-dev/portico"
)

// testDeviceSearch checks that a text query finds the same devices whichever way it is answered (the
// trigram index, the scan for short texts, the scan for broad texts) and that the index follows
// every create, rename, inventory change, move and delete.
func testDeviceSearch(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	mk := func(name, host, ip, user string) *portico.Device {
		d := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: f.group.ID, Name: name, Hostname: host,
			IPAddresses: []string{ip}, LoggedInUser: user, Status: portico.DeviceAvailable, CreatedAt: now}
		must(t, s.CreateDevice(ctx, d))
		return d
	}
	a := mk("Reception-PC", "rcp01.acme.corp", "10.1.2.3", `ACME\Anna`)
	b := mk("Warehouse scanner", "wh-scan.acme.corp", "192.168.40.7", "bob")
	c := mk(`Quote "q" 50%_off`, "quote.local", "fe80::1", "")
	g := newFixture(t, s, "Globex")
	g.device(t, s, g.group.ID, "Reception-PC") // another account's: never found

	search := func(q string, noTotal bool) ([]string, int) {
		t.Helper()
		ds, total, err := s.ListDevices(ctx, f.acc.ID, portico.DeviceFilter{Q: q, NoTotal: noTotal})
		must(t, err)
		ids := []string{}
		for _, d := range ds {
			ids = append(ids, d.ID)
		}
		return ids, total
	}
	ids := func(ds ...*portico.Device) []string {
		out := []string{}
		for _, d := range ds {
			out = append(out, d.ID)
		}
		return out
	}
	cases := []struct {
		q    string
		want []*portico.Device
	}{
		{"reception", []*portico.Device{a}},    // name, other case
		{"EPTION-p", []*portico.Device{a}},     // inner substring
		{"WH-SCAN", []*portico.Device{b}},      // hostname
		{"acme.corp", []*portico.Device{a, b}}, // hostname, several (by name)
		{"168.40", []*portico.Device{b}},       // IP address
		{`acme\anna`, []*portico.Device{a}},    // logged-in user, with a backslash
		{"Bob", []*portico.Device{b}},          // logged-in user
		{`"q"`, []*portico.Device{c}},          // double quotes in the text
		{"50%_", []*portico.Device{c}},         // LIKE wildcards are literal
		{"house sc", []*portico.Device{b}},     // a space inside the text
		{"nothing-like-this", nil},             // no match
		{"pc-reception", nil},                  // trigrams all present, not in this order
		{"cp", []*portico.Device{a}},           // two characters: the scan ("rcp01")
		{"W", []*portico.Device{b}},            // one character: the scan
		{"%", []*portico.Device{c}},            // one wildcard character, literal
		{"::", []*portico.Device{c}},           // IPv6, short
		{"corp", []*portico.Device{a, b}},      // hostnames of both
		{"Reception-PC.", nil},                 // longer than any field holding it
	}
	for _, tc := range cases {
		got, total := search(tc.q, false)
		equal(t, got, ids(tc.want...))
		if total != len(tc.want) {
			t.Errorf("%q: total = %d, want %d", tc.q, total, len(tc.want))
		}
		got, total = search(tc.q, true)
		equal(t, got, ids(tc.want...))
		if total != -1 {
			t.Errorf("%q without total: total = %d, want -1", tc.q, total)
		}
	}

	// The same answers when every text counts as broad (the name-ordered scan).
	old := broadMatches
	broadMatches = 0
	for _, tc := range cases {
		got, _ := search(tc.q, false)
		equal(t, got, ids(tc.want...))
	}
	broadMatches = old

	// Renamed and re-inventoried: found by the new values only.
	a.Name, a.Hostname, a.IPAddresses, a.LoggedInUser = "Front-desk", "fd01.acme.corp", []string{"10.9.9.9"}, "carol"
	must(t, s.UpdateDevice(ctx, a))
	must(t, s.UpdateDeviceInventory(ctx, a))
	for q, want := range map[string][]string{
		"reception": {}, "rcp01": {}, "10.1.2": {}, "anna": {},
		"front-DESK": ids(a), "fd01": ids(a), "10.9.9": ids(a), "carol": ids(a),
	} {
		got, _ := search(q, false)
		equal(t, got, want)
	}
	// A write that leaves the searched fields alone keeps the device findable.
	a.Status = portico.DeviceUnavailable
	must(t, s.UpdateDevice(ctx, a))
	must(t, s.MoveDevices(ctx, f.acc.ID, []string{a.ID}, portico.UnassignedGroupID, nil))
	got, _ := search("front", false)
	equal(t, got, ids(a))

	// Deleted: gone from every answer.
	must(t, s.DeleteDevice(ctx, f.acc.ID, b.ID))
	for _, q := range []string{"warehouse", "wh-scan", "bob", "W"} {
		got, total := search(q, false)
		equal(t, got, []string{})
		if total != 0 {
			t.Errorf("%q after delete: total = %d", q, total)
		}
	}
	got, _ = search("acme.corp", false)
	equal(t, got, ids(a))

	// The other filters still apply to a text query.
	ds, total, err := s.ListDevices(ctx, f.acc.ID, portico.DeviceFilter{Q: "quote", GroupIDs: []string{portico.UnassignedGroupID}})
	must(t, err)
	if len(ds) != 0 || total != 0 {
		t.Fatalf("quote in Unassigned: %d devices, total %d", len(ds), total)
	}
	ds, _, err = s.ListDevices(ctx, f.acc.ID, portico.DeviceFilter{Q: "acme", IDs: []string{c.ID}})
	must(t, err)
	if len(ds) != 0 {
		t.Fatalf("acme among {quote}: %v", ds)
	}
}

// testDeviceSearchPages checks paging and totals of a text query past the broad threshold.
func testDeviceSearchPages(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	const n = 30
	must(t, s.Tx(ctx, func(tx *Tx) error {
		for i := range n {
			d := &portico.Device{ID: fmt.Sprintf("dev_%03d", i), AccountID: f.acc.ID, GroupID: f.group.ID,
				Name: fmt.Sprintf("device-%03d", i), Hostname: "h", IPAddresses: []string{}, CreatedAt: now}
			if err := tx.CreateDevice(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}))
	old := broadMatches
	t.Cleanup(func() { broadMatches = old })
	for _, broad := range []int{old, 10} {
		broadMatches = broad
		for _, tc := range []struct {
			q            string
			page         portico.Page
			first, total int
			count        int
		}{
			{"device", portico.Page{Limit: 8}, 0, n, 8},
			{"device", portico.Page{Limit: 8, Offset: 24}, 24, n, 6},
			{"device-01", portico.Page{Limit: 8}, 10, 10, 8},
			{"device-01", portico.Page{Limit: 8, Offset: 8}, 18, 10, 2},
			{"ice-02", portico.Page{}, 20, 10, 10},
		} {
			ds, total, err := s.ListDevices(ctx, f.acc.ID, portico.DeviceFilter{Q: tc.q, Page: tc.page})
			must(t, err)
			if total != tc.total || len(ds) != tc.count || ds[0].Name != fmt.Sprintf("device-%03d", tc.first) {
				t.Fatalf("broad at %d, %q %+v: %d devices from %q, total %d; want %d from device-%03d, total %d",
					broad, tc.q, tc.page, len(ds), ds[0].Name, total, tc.count, tc.first, tc.total)
			}
		}
	}
}

// testDeviceSearchMigration checks that the search migrations (0011, 0012) fold and index the devices
// that exist before they run: both are undone and applied again over existing devices.
func testDeviceSearchMigration(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	d := f.device(t, s, f.group.ID, "Existing-laptop")
	u := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: f.group.ID, Name: "Über-PC",
		Hostname: "STRASSE-01", IPAddresses: []string{"10.7.7.1", "FE80::1"}, LoggedInUser: `ACME\Jürgen`,
		Status: portico.DeviceAvailable, CreatedAt: now}
	must(t, s.CreateDevice(ctx, u))
	undo := []string{
		`DROP INDEX devices_search_name`, `DROP INDEX devices_search_hostname`,
		`DROP INDEX devices_search_ips`, `DROP INDEX devices_search_user`,
	}
	if s.Dialect() == DialectSQLite {
		undo = []string{`DROP TRIGGER devices_search_insert`, `DROP TRIGGER devices_search_delete`,
			`DROP TRIGGER devices_search_update`, `DROP TABLE devices_search`,
			// 0004 as it was, so that 0012 finds what it replaces.
			`CREATE VIRTUAL TABLE devices_search USING fts5 (name, hostname, ip_addresses, logged_in_user,
				content = 'devices', content_rowid = 'rowid', tokenize = 'trigram')`,
			`CREATE TRIGGER devices_search_insert AFTER INSERT ON devices BEGIN SELECT 1; END`,
			`CREATE TRIGGER devices_search_delete AFTER DELETE ON devices BEGIN SELECT 1; END`,
			`CREATE TRIGGER devices_search_update AFTER UPDATE ON devices BEGIN SELECT 1; END`,
		}
	} else {
		undo = append(undo,
			`CREATE INDEX devices_search_name ON devices USING gin (LOWER(name) gin_trgm_ops)`,
			`CREATE INDEX devices_search_hostname ON devices USING gin (LOWER(hostname) gin_trgm_ops)`,
			`CREATE INDEX devices_search_ip_addresses ON devices USING gin (LOWER(ip_addresses) gin_trgm_ops)`,
			`CREATE INDEX devices_search_logged_in_user ON devices USING gin (LOWER(logged_in_user) gin_trgm_ops)`)
	}
	for _, c := range []string{"search_name", "search_hostname", "search_ips", "search_user"} {
		undo = append(undo, `ALTER TABLE devices DROP COLUMN `+c)
	}
	undo = append(undo, `DELETE FROM schema_migrations WHERE version IN ('0011_device_search_text', '0012_device_search_folded')`)
	for _, stmt := range undo {
		if _, err := s.wdb.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	must(t, s.Migrate(ctx))
	for q, want := range map[string]string{
		"existing": d.ID, "üb": u.ID, "ÜBER": u.ID, "über-pc": u.ID, "straße": u.ID, "fe80::": u.ID, "7.7.1": u.ID,
		"jürgen": u.ID, "JÜ": u.ID,
	} {
		for _, broad := range []int{broadMatches, 0} {
			old := broadMatches
			broadMatches = broad
			ds, total, err := s.ListDevices(ctx, f.acc.ID, portico.DeviceFilter{Q: q})
			broadMatches = old
			must(t, err)
			if total != 1 || len(ds) != 1 || ds[0].ID != want {
				t.Fatalf("after migration, %q (broad at %d): %v, total %d", q, broad, ds, total)
			}
		}
	}
	for _, q := range []string{`"`, `,`, `[`, `]`, `","`} {
		ds, total, err := s.ListDevices(ctx, f.acc.ID, portico.DeviceFilter{Q: q})
		must(t, err)
		if total != 0 || len(ds) != 0 {
			t.Fatalf("after migration, %q matched %d devices", q, total)
		}
	}
}
