package store

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// The upgrade tests migrate real databases of the first release (0ce175f), made by that release's own
// binary (testdata/upgrade/make-fixtures), and check that what it stored survives and still works.
// A fixture is never edited by hand: a new release that changes the schema gets fixtures of its own.

const firstRelease = "0ce175f"

func TestUpgradeFromFirstRelease(t *testing.T) {
	t.Parallel() // each test has databases of its own
	for _, tc := range []struct {
		dialect string
		open    func(t *testing.T) *Store
		// want describes the account as the fixture's maker created it (see describeAccount).
		want []string
		// search finds these devices by a part of their name.
		search     string
		searchWant []string
	}{
		{
			dialect: DialectSQLite,
			open:    openSQLiteRelease,
			// `portico demo` seeds this account: cmd/portico/demo.go at 0ce175f.
			want: []string{
				"account Demo Company",
				"assignment user alice@demo.portico.test: Devices list at the account",
				"assignment user alice@demo.portico.test: Only device connection at group Germany",
				"assignment user bob@demo.portico.test: Auditor at the account",
				"assignment user bob@demo.portico.test: Team administrator at the account",
				"assignment user group UK Support team: Full device access at group UK",
				"device BER-SRV-01 in Germany/Berlin",
				"device CAM-DT-003 in UK/Cambridge office",
				"device CAM-LT-001 in UK/Cambridge office",
				"device CAM-LT-002 in UK/Cambridge office",
				"device MUC-WS-101 in Germany/Munich",
				"device MUC-WS-102 in Germany/Munich",
				"device NEW-LAPTOP-7 in Unassigned",
				"device NYC-DT-301 in USA/East coast",
				"device OXF-LT-201 in UK/Oxford office",
				"device OXF-LT-202 in UK/Oxford office",
				"enrollment token for Unassigned",
				"group Demo Company",
				"group Germany",
				"group Germany/Berlin",
				"group Germany/Munich (chat off)",
				"group This computer",
				"group UK",
				"group UK/Cambridge office",
				"group UK/Oxford office",
				"group USA",
				"group USA/East coast",
				"owner owner@demo.portico.test",
				"rule Cambridge office devices: device_name starts_with CAM- → UK/Cambridge office",
				"rule This computer: hostname equals * → This computer",
				"system roles 10",
				"user alice@demo.portico.test activated active",
				"user bob@demo.portico.test activated active",
				"user carol@demo.portico.test invited active",
				"user group UK Support team: alice@demo.portico.test",
				"user owner@demo.portico.test activated active",
			},
			search:     "cam-",
			searchWant: []string{"CAM-DT-003", "CAM-LT-001", "CAM-LT-002"},
		},
		{
			dialect: DialectPostgres,
			open:    openPostgresRelease,
			// Made through the release's REST API: testdata/upgrade/make-fixtures.
			want: []string{
				"account Fixture Company",
				"assignment user alice@fixture.portico.test: Devices list at the account",
				"assignment user alice@fixture.portico.test: Full device access at group Americas/Canada",
				"assignment user bob@fixture.portico.test: Auditor at the account",
				"assignment user bob@fixture.portico.test: Only device connection at device TOR-DT-101",
				"assignment user group Support: Helpdesk at group Europe",
				"device LYO-DT-003 in Europe/France",
				"device NEW-LAPTOP-9 in Unassigned",
				"device PAR-LT-001 in Europe/France/Paris",
				"device PAR-LT-002 in Europe/France/Paris",
				"device TOR-DT-101 in Americas/Canada",
				"enrollment token for Americas/Canada",
				"enrollment token for Unassigned",
				"group Americas",
				"group Americas/Canada",
				"group Europe",
				"group Europe/France",
				"group Europe/France/Paris (chat off)",
				"group Fixture Company",
				"owner owner@fixture.portico.test",
				"role Helpdesk (devices): device.chat device.message device.view",
				"rule Paris laptops: device_name starts_with PAR- → Europe/France/Paris",
				"system roles 10",
				"user alice@fixture.portico.test activated active",
				"user bob@fixture.portico.test activated active",
				"user carol@fixture.portico.test invited active",
				"user group Support: alice@fixture.portico.test bob@fixture.portico.test",
				"user owner@fixture.portico.test activated active",
			},
			search:     "par-lt",
			searchWant: []string{"PAR-LT-001", "PAR-LT-002"},
		},
	} {
		t.Run(tc.dialect, func(t *testing.T) {
			t.Parallel()
			s := tc.open(t)
			ids := must1[[]string](t)(s.ListAccountIDs(ctx))
			if len(ids) != 1 {
				t.Fatalf("%d accounts after the upgrade, want the fixture's one", len(ids))
			}
			acc := ids[0]

			if d := cmp.Diff(tc.want, describeAccount(t, s, acc)); d != "" {
				t.Errorf("the account after the upgrade (-made by %s +read now):\n%s", firstRelease, d)
			}

			// Migration 0014 gave every existing account a revision.
			if rev := must1[int64](t)(s.Revision(ctx, acc)); rev != 0 {
				t.Errorf("revision %d after the upgrade, want 0", rev)
			}

			// The audit chain of the old release verifies with today's rules, and grows from where it was.
			events := must1[[]portico.AuditEvent](t)(s.ListAudit(ctx, acc, portico.AuditFilter{}))
			checkChain(t, s, acc, len(events))
			if len(events) < 10 {
				t.Errorf("%d audit events in the fixture, want the many its making wrote", len(events))
			}
			must(t, s.AppendAudit(ctx, &portico.AuditEvent{AccountID: acc, At: now, ActorType: "system",
				Action: "upgrade.checked", Outcome: portico.OutcomeSuccess}))
			checkChain(t, s, acc, len(events)+1)

			// Search reads the columns and index that earlier migrations filled for old devices.
			found, _ := must2[[]portico.Device, int](t)(s.ListDevices(ctx, acc, portico.DeviceFilter{Q: tc.search}))
			var names []string
			for _, d := range found {
				names = append(names, d.Name)
			}
			sort.Strings(names)
			if d := cmp.Diff(tc.searchWant, names); d != "" {
				t.Errorf("search %q after the upgrade (-want +got):\n%s", tc.search, d)
			}

			// Writes still work: keys, defaults and (PostgreSQL) identity sequences were carried over.
			all, _ := must2[[]portico.Device, int](t)(s.ListDevices(ctx, acc, portico.DeviceFilter{}))
			must(t, s.AddHistory(ctx, &portico.HistoryEntry{ID: portico.NewID("hst"), AccountID: acc,
				DeviceID: all[0].ID, At: now, ActorName: "test", Action: "upgrade.checked"}))
			groups := must1[[]portico.DeviceGroup](t)(s.ListDeviceGroups(ctx, acc))
			must(t, s.CreateDeviceGroup(ctx, &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: acc,
				ParentID: groups[0].ID, Name: "Added after the upgrade", Colour: "#123456", Settings: portico.GroupSettings{},
				CreatedAt: now}))
			if rev := must1[int64](t)(s.BumpRevision(ctx, acc)); rev != 1 {
				t.Errorf("revision %d after the first bump, want 1", rev)
			}

			got, err := renderSchema(ctx, s)
			must(t, err)
			checkGoldenSchema(t, got, "the database of release "+firstRelease+" after migrating")
		})
	}
}

func checkChain(t *testing.T, s *Store, accountID string, want int) {
	t.Helper()
	problem, n, err := s.VerifyAudit(ctx, accountID)
	must(t, err)
	if problem != nil {
		t.Fatalf("audit chain broken at entry %d (%s): %s", problem.Seq, problem.EventID, problem.Reason)
	}
	if n != want {
		t.Errorf("%d audit entries verified, want %d", n, want)
	}
}

// openSQLiteRelease migrates a copy of the release's SQLite database.
func openSQLiteRelease(t *testing.T) *Store {
	dir := t.TempDir()
	db, err := os.ReadFile(filepath.Join("testdata", "upgrade", "sqlite-"+firstRelease+".db"))
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, "portico.db"), db, 0o600))
	s, err := OpenAndMigrate(ctx, Config{DataDir: dir})
	if err != nil {
		t.Fatalf("migrate the database of %s: %v", firstRelease, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// openPostgresRelease loads the release's dump into a new database and migrates it. The dump is plain
// SQL (pg_dump --inserts), which the driver runs as one script: no psql needed.
func openPostgresRelease(t *testing.T) *Store {
	path := filepath.Join("testdata", "upgrade", "postgres-"+firstRelease+".sql")
	dump, err := os.ReadFile(path)
	must(t, err)
	for i, line := range strings.Split(string(dump), "\n") {
		if strings.HasPrefix(line, `\`) {
			t.Fatalf("%s:%d is a psql meta-command, which the driver cannot run: remake the fixture with make-fixtures", path, i+1)
		}
	}
	url := pgtest.NewDatabase(t)
	// A connection of its own: the dump empties search_path for the rest of its session.
	db, err := sql.Open("pgx", url)
	must(t, err)
	_, err = db.ExecContext(ctx, string(dump))
	db.Close()
	if err != nil {
		t.Fatalf("load %s: %v", path, err)
	}
	s, err := OpenAndMigrate(ctx, Config{DatabaseURL: url})
	if err != nil {
		t.Fatalf("migrate the database of %s: %v", firstRelease, err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// describeAccount renders what an account holds as sorted lines, naming objects by name and path
// rather than by id, so that the expectation reads like the script that made the fixture.
func describeAccount(t *testing.T, s *Store, accountID string) []string {
	t.Helper()
	var out []string
	add := func(format string, args ...any) { out = append(out, fmt.Sprintf(format, args...)) }

	a := must1[*portico.Account](t)(s.GetAccount(ctx, accountID))
	add("account %s", a.Name)
	access := must1[*Access](t)(s.LoadAccess(ctx, accountID))

	users := map[string]string{} // id → email
	for _, u := range access.Users {
		users[u.ID] = u.Email
		add("user %s %s %s", u.Email, u.State, u.Status)
		if u.Owner {
			// Sign-in finds the owner by email alone.
			owner := must1[*portico.User](t)(s.GetUserByEmail(ctx, u.Email))
			if owner.ID != u.ID || !owner.Owner {
				t.Errorf("the owner %s is found by email as %s (owner %v)", u.ID, owner.ID, owner.Owner)
			}
			add("owner %s", owner.Email)
		}
	}
	userGroups := map[string]string{}
	for _, g := range access.UserGroups {
		userGroups[g.ID] = g.Name
		var members []string
		for _, id := range g.MemberIDs {
			members = append(members, users[id])
		}
		sort.Strings(members)
		add("user group %s: %s", g.Name, strings.Join(members, " "))
	}

	roles := map[string]string{}
	system := 0
	for _, r := range access.Roles {
		roles[r.ID] = r.Name
		if r.System {
			system++
			continue
		}
		perms := make([]string, len(r.Permissions))
		for i, p := range r.Permissions {
			perms[i] = string(p)
		}
		sort.Strings(perms)
		add("role %s (%s): %s", r.Name, r.Purpose, strings.Join(perms, " "))
	}
	add("system roles %d", system)

	paths := groupPaths(access.DeviceGroups)
	for _, g := range access.DeviceGroups {
		var off []string
		for f, on := range g.Settings {
			if !on {
				off = append(off, string(f)+" off")
			}
		}
		sort.Strings(off)
		if len(off) > 0 {
			add("group %s (%s)", paths[g.ID], strings.Join(off, ", "))
		} else {
			add("group %s", paths[g.ID])
		}
	}
	devices := map[string]string{}
	for _, d := range access.Devices {
		devices[d.ID] = d.Name
		add("device %s in %s", d.Name, paths[d.GroupID])
	}

	for _, as := range access.Assignments {
		principal := "user " + users[as.PrincipalID]
		if as.PrincipalType == portico.PrincipalUserGroup {
			principal = "user group " + userGroups[as.PrincipalID]
		}
		scope := "the account"
		switch as.ScopeType {
		case portico.ScopeTypeDeviceGroup:
			scope = "group " + paths[as.ScopeID]
		case portico.ScopeTypeDevice:
			scope = "device " + devices[as.ScopeID]
		case portico.ScopeTypeSection:
			scope = "section " + as.ScopeID
		}
		add("assignment %s: %s at %s", principal, roles[as.RoleID], scope)
	}

	for _, r := range must1[[]portico.AssignmentRule](t)(s.ListRules(ctx, accountID)) {
		var conds []string
		for _, c := range r.Conditions {
			value := c.Value
			if c.Property == portico.PropHostname {
				value = "*" // the demo's rule names the host that made the fixture
			}
			conds = append(conds, fmt.Sprintf("%s %s %s", c.Property, c.Operator, value))
		}
		add("rule %s: %s → %s", r.Name, strings.Join(conds, " and "), paths[r.TargetGroupID])
	}
	for _, tok := range must1[[]portico.EnrollmentToken](t)(s.ListEnrollmentTokens(ctx, accountID)) {
		add("enrollment token for %s", paths[tok.GroupID])
	}
	sort.Strings(out)
	return out
}

// groupPaths names each device group by its path from the root ("Europe/France/Paris"), and
// Unassigned by its name.
func groupPaths(groups []portico.DeviceGroup) map[string]string {
	byID := map[string]portico.DeviceGroup{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	paths := map[string]string{portico.UnassignedGroupID: "Unassigned", "": "Unassigned"}
	for _, g := range groups {
		path := g.Name
		for p := g.ParentID; p != ""; p = byID[p].ParentID {
			path = byID[p].Name + "/" + path
		}
		paths[g.ID] = path
	}
	return paths
}
