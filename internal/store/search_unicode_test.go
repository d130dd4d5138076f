package store

import (
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// Device search over text beyond ASCII and over IP addresses, on both databases and along every way a
// query is answered: the SQLite trigram index (3+ characters), the scan for shorter texts, the scan
// for broad texts, each with and without a total.

func TestDeviceSearchUnicode(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testDeviceSearchUnicode(t, openSQLiteTest(t)) })
	t.Run("PostgreSQL", func(t *testing.T) { testDeviceSearchUnicode(t, openPostgresTest(t)) })
}

func TestDeviceSearchIPEncoding(t *testing.T) {
	t.Run("SQLite", func(t *testing.T) { testDeviceSearchIPEncoding(t, openSQLiteTest(t)) })
	t.Run("PostgreSQL", func(t *testing.T) { testDeviceSearchIPEncoding(t, openPostgresTest(t)) })
}

// searchCase is a query and the names of the devices it must find, in list order.
type searchCase struct {
	q    string
	want []string
}

// checkSearch runs every case along every path and fails unless each finds exactly its devices.
func checkSearch(t *testing.T, s *Store, accountID string, cases []searchCase) {
	t.Helper()
	old := broadMatches
	defer func() { broadMatches = old }()
	for _, broad := range []int{old, 0} {
		broadMatches = broad
		for _, tc := range cases {
			for _, noTotal := range []bool{false, true} {
				ds, total, err := s.ListDevices(ctx, accountID, portico.DeviceFilter{Q: tc.q, NoTotal: noTotal})
				must(t, err)
				got := []string{}
				for _, d := range ds {
					got = append(got, d.Name)
				}
				want := tc.want
				if want == nil {
					want = []string{}
				}
				wantTotal := len(want)
				if noTotal {
					wantTotal = -1
				}
				if !slices.Equal(got, want) || total != wantTotal {
					t.Errorf("q=%q (broad at %d, no total %v): found %q, total %d; want %q, total %d",
						tc.q, broad, noTotal, got, total, want, wantTotal)
				}
			}
		}
	}
}

func testDeviceSearchUnicode(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	mk := func(name, host, user string) {
		d := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: f.group.ID, Name: name, Hostname: host,
			IPAddresses: []string{"192.0.2.1"}, LoggedInUser: user, Status: portico.DeviceAvailable, CreatedAt: now}
		must(t, s.CreateDevice(ctx, d))
	}
	mk("Über-PC", "pc1.acme.test", "")
	mk("Straße 5", "pc2.acme.test", "")
	mk("ΟΔΥΣΣΕΥΣ", "pc3.acme.test", "")
	mk("Бухгалтерия", "pc4.acme.test", "")
	mk("Kiosk", "ÉCOLE-01.acme.test", `ACME\Ådne`)
	mk("Uber-Laptop", "pc6.acme.test", "")

	checkSearch(t, s, f.acc.ID, []searchCase{
		// The report: every length and case of the typed text finds the device.
		{"ü", []string{"Über-PC"}},
		{"Ü", []string{"Über-PC"}},
		{"üb", []string{"Über-PC"}},
		{"Üb", []string{"Über-PC"}},
		{"ÜB", []string{"Über-PC"}},
		{"übe", []string{"Über-PC"}},
		{"über", []string{"Über-PC"}},
		{"ÜBER", []string{"Über-PC"}},
		{"über-pc", []string{"Über-PC"}},
		{"U\u0308b", []string{"Über-PC"}}, // decomposed Ü
		{"uber", []string{"Uber-Laptop"}}, // a diaeresis is not case
		// Full case folding: ß is ss.
		{"STRASSE", []string{"Straße 5"}},
		{"straße", []string{"Straße 5"}},
		{"ß", []string{"Straße 5"}},
		{"SS", []string{"Straße 5"}}, // not the Greek ΣΣ
		// Greek, final sigma included; Cyrillic.
		{"οδυσσευς", []string{"ΟΔΥΣΣΕΥΣ"}},
		{"σς", []string{"ΟΔΥΣΣΕΥΣ"}},
		{"Σ", []string{"ΟΔΥΣΣΕΥΣ"}},
		{"бух", []string{"Бухгалтерия"}},
		{"БУ", []string{"Бухгалтерия"}},
		{"ГАЛТЕРИЯ", []string{"Бухгалтерия"}},
		// Hostname and logged-in user.
		{"éc", []string{"Kiosk"}},
		{"école-01", []string{"Kiosk"}},
		{"åd", []string{"Kiosk"}},
		{`acme\ÅDNE`, []string{"Kiosk"}},
		{"PC", []string{"Straße 5", "Uber-Laptop", "Über-PC", "ΟΔΥΣΣΕΥΣ", "Бухгалтерия"}}, // hostnames; byte order
		{"zzz", nil},
	})

	// A rename and a write of the inventory's fields keep the folded copies in step.
	ds, _, err := s.ListDevices(ctx, f.acc.ID, portico.DeviceFilter{Q: "über"})
	must(t, err)
	if len(ds) != 1 {
		t.Fatalf("über: %d devices", len(ds))
	}
	d := &ds[0]
	d.Name = "Öffentlich"
	must(t, s.UpdateDevice(ctx, d))
	d.Hostname, d.LoggedInUser, d.IPAddresses = "ÄRZTE.acme.test", "Zoë", []string{"198.51.100.7"}
	must(t, s.UpdateDeviceInventory(ctx, d))
	checkSearch(t, s, f.acc.ID, []searchCase{
		{"üb", nil},
		{"öf", []string{"Öffentlich"}},
		{"ÖFFENT", []string{"Öffentlich"}},
		{"är", []string{"Öffentlich"}},
		{"ärzte", []string{"Öffentlich"}},
		{"ZOË", []string{"Öffentlich"}},
		{"100.7", []string{"Öffentlich"}},
		{"192.0.2.1", []string{"Kiosk", "Straße 5", "Uber-Laptop", "ΟΔΥΣΣΕΥΣ", "Бухгалтерия"}},
	})
}

func testDeviceSearchIPEncoding(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	mk := func(name string, ips ...string) {
		d := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: f.group.ID, Name: name,
			Hostname: strings.ToLower(strings.Fields(name)[0]) + ".acme.test", IPAddresses: ips,
			Status: portico.DeviceAvailable, CreatedAt: now}
		must(t, s.CreateDevice(ctx, d))
	}
	mk("Alpha", "10.0.0.1")
	mk("Bravo", "10.0.0.2", "FE80::2")
	mk("Charlie")
	mk(`Delta "quoted", [bracketed]`, "192.0.2.4", "192.0.2.5")

	checkSearch(t, s, f.acc.ID, []searchCase{
		// Nothing of the stored list's encoding matches: only the name that holds these characters.
		{"[", []string{`Delta "quoted", [bracketed]`}},
		{"]", []string{`Delta "quoted", [bracketed]`}},
		{`"`, []string{`Delta "quoted", [bracketed]`}},
		{",", []string{`Delta "quoted", [bracketed]`}},
		{`","`, nil},
		{`["`, nil},
		{`"]`, nil},
		{`[]`, nil},
		{`1","10`, nil},
		{`0.0.1","10.0`, nil},
		{"\n", nil},
		{"1\n10", nil}, // never across two addresses
		{"2\nfe", nil},
		// The addresses themselves.
		{"10.0", []string{"Alpha", "Bravo"}},
		{"10.0.0.1", []string{"Alpha"}},
		{"0.2", []string{"Bravo", `Delta "quoted", [bracketed]`}},
		{"fe80::2", []string{"Bravo"}},
		{"FE80", []string{"Bravo"}},
		{"::", []string{"Bravo"}},
		{"2.5", []string{`Delta "quoted", [bracketed]`}},
		{"192.0.2.", []string{`Delta "quoted", [bracketed]`}},
	})
}
