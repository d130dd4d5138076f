package store

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// The contract suite: every test below runs against both backends, so that they behave alike.

func TestSQLite(t *testing.T) { runContract(t, openSQLiteTest) }

func TestPostgres(t *testing.T) { runContract(t, openPostgresTest) }

func runContract(t *testing.T, open func(t testing.TB) *Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s *Store)
	}{
		{"Migrate", testMigrate},
		{"Accounts", testAccounts},
		{"Users", testUsers},
		{"UserIsolation", testUserIsolation},
		{"DeleteUserCascades", testDeleteUserCascades},
		{"Invitations", testInvitations},
		{"WebSessions", testWebSessions},
		{"UserGroups", testUserGroups},
		{"Roles", testRoles},
		{"Assignments", testAssignments},
		{"DeviceGroups", testDeviceGroups},
		{"Devices", testDevices},
		{"DeviceList", testDeviceList},
		{"DeviceSearch", testDeviceSearch},
		{"DeviceSearchPages", testDeviceSearchPages},
		{"DeviceSearchMigration", testDeviceSearchMigration},
		{"MoveDevices", testMoveDevices},
		{"DeleteDeviceCascades", testDeleteDeviceCascades},
		{"Favourites", testFavourites},
		{"History", testHistory},
		{"Rules", testRules},
		{"EnrollmentTokens", testEnrollmentTokens},
		{"APIKeys", testAPIKeys},
		{"TxRollback", testTxRollback},
		{"Audit", testAudit},
		{"AuditConcurrent", testAuditConcurrent},
		{"AuditTamperEdit", testAuditTamperEdit},
		{"AuditTamperDeleteMiddle", testAuditTamperDeleteMiddle},
		{"AuditTamperDeleteLast", testAuditTamperDeleteLast},
		{"AuditTamperReorder", testAuditTamperReorder},
		{"LoadAccess", testLoadAccess},
		{"DeviceStatus", testDeviceStatus},
		{"Inventory", testInventory},
		{"RemoteSessions", testRemoteSessions},
		{"Preferences", testPreferences},
		{"Revisions", testRevisions},
		{"Nodes", testNodes},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open(t)) })
	}
}

func openSQLiteTest(t testing.TB) *Store {
	t.Helper()
	s, err := OpenAndMigrate(context.Background(), Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgresTest opens and migrates a fresh database on the test server (see newPostgresDB).
func openPostgresTest(t testing.TB) *Store {
	t.Helper()
	s, err := OpenAndMigrate(context.Background(), Config{DatabaseURL: pgtest.NewDatabase(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() }) // runs before the drop registered by newPostgresDB
	return s
}

// TestMigrateConcurrentPostgres starts several nodes on one new database at once: the advisory lock
// lets exactly one apply each migration and the others see it applied.
func TestMigrateConcurrentPostgres(t *testing.T) {
	dsn := pgtest.NewDatabase(t)
	const nodes = 4
	errs := make(chan error, nodes)
	for i := 0; i < nodes; i++ {
		go func() {
			s, err := OpenAndMigrate(ctx, Config{DatabaseURL: dsn})
			if err == nil {
				s.Close()
			}
			errs <- err
		}()
	}
	for i := 0; i < nodes; i++ {
		must(t, <-errs)
	}
	s, err := Open(ctx, Config{DatabaseURL: dsn})
	must(t, err)
	defer s.Close()
	files, err := migrations.ReadDir("migrations/postgres")
	must(t, err)
	if n := rawCount(t, s, `SELECT COUNT(*) FROM schema_migrations`); n != len(files) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(files))
	}
}

func TestOpenErrors(t *testing.T) {
	if _, err := Open(ctx, Config{}); err == nil {
		t.Error("SQLite without a data directory opened")
	}
	if _, err := Open(ctx, Config{DatabaseURL: "mysql://x"}); err == nil {
		t.Error("unsupported URL opened")
	}
	// The data directory is created, private to the server's user.
	dir := t.TempDir() + "/data"
	s, err := OpenAndMigrate(ctx, Config{DataDir: dir})
	must(t, err)
	defer s.Close()
	fi, err := os.Stat(dir)
	must(t, err)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %v, want 0700", fi.Mode().Perm())
	}
	if _, err := os.Stat(dir + "/portico.db"); err != nil {
		t.Error(err)
	}
	var mode string
	must(t, s.queryRowW(ctx, `PRAGMA journal_mode`).Scan(&mode))
	if mode != "wal" {
		t.Errorf("journal_mode = %q, want wal", mode)
	}
}

// Helpers.

var ctx = context.Background()

// cmpOpts compares stored values: nil and empty lists alike (a nil list reads back empty).
var cmpOpts = []cmp.Option{cmpopts.EquateEmpty()}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func must1[T any](t testing.TB) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func wantKind(t testing.TB, err error, kind portico.ErrorKind) {
	t.Helper()
	if got := portico.KindOf(err); err == nil || got != kind {
		t.Fatalf("error = %v (kind %s), want kind %s", err, got, kind)
	}
}

// wantConflictField checks for a conflict that names field.
func wantConflictField(t testing.TB, err error, field string) {
	t.Helper()
	wantKind(t, err, portico.KindConflict)
	var pe *portico.Error
	if !asPortico(err, &pe) || len(pe.Fields) == 0 || pe.Fields[0].Field != field {
		t.Fatalf("conflict %v does not name field %q", err, field)
	}
}

func equal(t testing.TB, got, want any) {
	t.Helper()
	if d := cmp.Diff(want, got, cmpOpts...); d != "" {
		t.Fatalf("mismatch (-want +got):\n%s", d)
	}
}

// rawExec runs SQL behind the store's back (to tamper with the audit log, or inspect tables).
func rawExec(t testing.TB, s *Store, query string, args ...any) {
	t.Helper()
	if _, err := s.exec(ctx, query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

func rawCount(t testing.TB, s *Store, query string, args ...any) int {
	t.Helper()
	var n int
	if err := s.queryRowW(ctx, query, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}

// now is a fixed, non-UTC time with nanoseconds: stored values must come back as UTC microseconds.
var now = time.Date(2025, 3, 14, 15, 9, 26, 535897932, time.FixedZone("CET", 3600))

func at(d time.Duration) time.Time { return now.Add(d) }

// fixture is one account with its owner and a top-level device group.
type fixture struct {
	acc   *portico.Account
	owner *portico.User
	group *portico.DeviceGroup
}

func newFixture(t testing.TB, s *Store, name string) *fixture {
	t.Helper()
	f := &fixture{}
	f.acc = &portico.Account{ID: portico.NewID("acc"), Name: name, CreatedAt: now, Settings: portico.DefaultAccountSettings()}
	f.owner = &portico.User{ID: portico.NewID("usr"), AccountID: f.acc.ID, Email: "owner@" + f.acc.ID + ".example",
		Name: name + " owner", Owner: true, State: portico.StateActivated, Status: portico.StatusActive,
		Language: "en-GB", Theme: "system", CreatedAt: now, ActivatedAt: &now, PasswordHash: "hash"}
	f.group = &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: f.acc.ID, Name: name, Colour: "#112233",
		Settings: portico.GroupSettings{}, CreatedAt: now}
	must(t, s.Tx(ctx, func(tx *Tx) error {
		if err := tx.CreateAccount(ctx, f.acc); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, f.owner); err != nil {
			return err
		}
		return tx.CreateDeviceGroup(ctx, f.group)
	}))
	return f
}

func (f *fixture) user(t testing.TB, s *Store, name string) *portico.User {
	t.Helper()
	u := &portico.User{ID: portico.NewID("usr"), AccountID: f.acc.ID, Email: name + "@" + f.acc.ID + ".example",
		Name: name, State: portico.StateActivated, Status: portico.StatusActive, Language: "de", Theme: "dark",
		CreatedAt: now, ActivatedAt: &now}
	must(t, s.CreateUser(ctx, u))
	return u
}

func (f *fixture) role(t testing.TB, s *Store, name string, perms ...portico.Permission) *portico.Role {
	t.Helper()
	r := &portico.Role{ID: portico.NewID("rol"), AccountID: f.acc.ID, Name: name, Purpose: portico.PurposeDevices,
		Permissions: perms, CreatedAt: now}
	must(t, s.CreateRole(ctx, r))
	return r
}

func (f *fixture) deviceGroup(t testing.TB, s *Store, parentID, name string) *portico.DeviceGroup {
	t.Helper()
	g := &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: f.acc.ID, ParentID: parentID, Name: name,
		Colour: "#445566", CreatedAt: now}
	must(t, s.CreateDeviceGroup(ctx, g))
	return g
}

func (f *fixture) device(t testing.TB, s *Store, groupID, name string) *portico.Device {
	t.Helper()
	d := &portico.Device{ID: portico.NewID("dev"), AccountID: f.acc.ID, GroupID: groupID, Name: name,
		Hostname: name + "-host", IPAddresses: []string{"10.0.0.1"}, Status: portico.DeviceAvailable, CreatedAt: now}
	must(t, s.CreateDevice(ctx, d))
	return d
}

func (f *fixture) assign(t testing.TB, s *Store, pt portico.PrincipalType, pid, roleID string, st portico.ScopeType, sid string) *portico.Assignment {
	t.Helper()
	a := &portico.Assignment{ID: portico.NewID("asg"), AccountID: f.acc.ID, PrincipalType: pt, PrincipalID: pid,
		RoleID: roleID, ScopeType: st, ScopeID: sid, CreatedAt: now}
	must(t, s.CreateAssignment(ctx, a))
	return a
}

func testMigrate(t *testing.T, s *Store) {
	// Applying again is a no-op.
	must(t, s.Migrate(ctx))
	must(t, s.Ping(ctx))
	if d := s.Dialect(); d != DialectSQLite && d != DialectPostgres {
		t.Fatalf("Dialect() = %q", d)
	}
	files, err := migrations.ReadDir("migrations/" + s.Dialect())
	must(t, err)
	if n := rawCount(t, s, `SELECT COUNT(*) FROM schema_migrations`); n != len(files) {
		t.Fatalf("schema_migrations has %d rows, want %d", n, len(files))
	}
}

func testTxRollback(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	errBoom := portico.Errorf(portico.KindInvalid, "boom")
	var u *portico.User
	err := s.Tx(ctx, func(tx *Tx) error {
		u = &portico.User{ID: portico.NewID("usr"), AccountID: f.acc.ID, Email: "tx@example.com", Name: "Tx",
			State: portico.StateInvited, Status: portico.StatusActive, CreatedAt: now}
		must(t, tx.CreateUser(ctx, u))
		must(t, tx.CreateDeviceGroup(ctx, &portico.DeviceGroup{ID: "grp_tx", AccountID: f.acc.ID, Name: "Tx", CreatedAt: now}))
		must(t, tx.AppendAudit(ctx, &portico.AuditEvent{AccountID: f.acc.ID, At: now, ActorType: "system", Action: "x", Outcome: portico.OutcomeSuccess}))
		// Reads inside the transaction see its writes.
		if _, err := tx.GetUser(ctx, f.acc.ID, u.ID); err != nil {
			t.Errorf("read own write: %v", err)
		}
		return errBoom
	})
	if err != errBoom {
		t.Fatalf("Tx returned %v, want the function's error", err)
	}
	_, err = s.GetUser(ctx, f.acc.ID, u.ID)
	wantKind(t, err, portico.KindNotFound)
	_, err = s.GetDeviceGroup(ctx, f.acc.ID, "grp_tx")
	wantKind(t, err, portico.KindNotFound)
	if evs := must1[[]portico.AuditEvent](t)(s.ListAudit(ctx, f.acc.ID, portico.AuditFilter{})); len(evs) != 0 {
		t.Fatalf("audit after rollback: %v", evs)
	}

	// A panic rolls back too, and goes on.
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("panic swallowed")
			}
		}()
		_ = s.Tx(ctx, func(tx *Tx) error {
			must(t, tx.CreateDeviceGroup(ctx, &portico.DeviceGroup{ID: "grp_panic", AccountID: f.acc.ID, Name: "P", CreatedAt: now}))
			panic("boom")
		})
	}()
	_, err = s.GetDeviceGroup(ctx, f.acc.ID, "grp_panic")
	wantKind(t, err, portico.KindNotFound)

	// The store still works after both (the SQLite writer connection was released).
	must(t, s.Tx(ctx, func(tx *Tx) error {
		return tx.CreateDeviceGroup(ctx, &portico.DeviceGroup{ID: "grp_ok", AccountID: f.acc.ID, Name: "OK", CreatedAt: now})
	}))
	must1[*portico.DeviceGroup](t)(s.GetDeviceGroup(ctx, f.acc.ID, "grp_ok"))
}
