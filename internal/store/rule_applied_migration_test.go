package store

import (
	"testing"

	"github.com/portico-dev/portico"
)

// The fix-up migration 0013_rule_applied_waiting clears the "assigned" mark only of the devices that
// history shows were enrolled into Unassigned and never moved: those the rules once tried without
// moving. Every device that was assigned once keeps it.
func TestRuleAppliedWaitingMigrationSQLite(t *testing.T) {
	testRuleAppliedWaitingMigration(t, openSQLiteTest(t))
}

func TestRuleAppliedWaitingMigrationPostgres(t *testing.T) {
	testRuleAppliedWaitingMigration(t, openPostgresTest(t))
}

func testRuleAppliedWaitingMigration(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	history := func(d *portico.Device, action, detail string) {
		t.Helper()
		must(t, s.AddHistory(ctx, &portico.HistoryEntry{ID: portico.NewID("hst"), AccountID: f.acc.ID, DeviceID: d.ID,
			At: now, ActorName: "test", Action: action, Detail: detail}))
	}
	device := func(name, groupID string, left bool) *portico.Device {
		t.Helper()
		d := f.device(t, s, groupID, name)
		d.RuleApplied = true
		if left {
			l := now
			d.LeftUnassignedAt = &l
		}
		must(t, s.UpdateDevice(ctx, d))
		return d
	}
	// Tried by the rules, matched nothing: wrongly marked.
	nothing := device("nothing-matched", portico.UnassignedGroupID, false)
	history(nothing, "enrolled", "into Unassigned with enrollment token tok_1")
	// A rule matched while no licence was free: wrongly marked.
	noLicence := device("no-licence", portico.UnassignedGroupID, false)
	history(noLicence, "enrolled", "into Unassigned with enrollment token tok_1")
	history(noLicence, "assignment_rule", `rule "R" matched but no managed-agent licence is free: not moved to "Acme"`)
	// Moved out by hand, then back by hand: assigned once, it stays.
	back := device("moved-back", portico.UnassignedGroupID, true)
	history(back, "enrolled", "into Unassigned with enrollment token tok_1")
	history(back, "moved", `from "Unassigned" to "Acme"`)
	history(back, "moved", `from "Acme" to "Unassigned"`)
	// Installed straight into a group, then moved to Unassigned by hand: it stays.
	installed := device("installed", portico.UnassignedGroupID, false)
	history(installed, "enrolled", `into "Acme" with enrollment token tok_2`)
	history(installed, "moved", `from "Acme" to "Unassigned"`)
	// No history left to prove anything: it keeps its mark.
	unknown := device("no-history", portico.UnassignedGroupID, false)
	// In a group: assigned.
	grouped := device("grouped", f.group.ID, true)
	history(grouped, "enrolled", "into Unassigned with enrollment token tok_1")

	for _, stmt := range []string{`DELETE FROM schema_migrations WHERE version = '0013_rule_applied_waiting'`} {
		if _, err := s.wdb.ExecContext(ctx, stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}
	must(t, s.Migrate(ctx))
	for _, tc := range []struct {
		d    *portico.Device
		want bool
	}{{nothing, false}, {noLicence, false}, {back, true}, {installed, true}, {unknown, true}, {grouped, true}} {
		got, err := s.GetDevice(ctx, f.acc.ID, tc.d.ID)
		must(t, err)
		if got.RuleApplied != tc.want {
			t.Errorf("%s: rule applied %v after the migration, want %v", tc.d.Name, got.RuleApplied, tc.want)
		}
	}
}
