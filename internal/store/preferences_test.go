package store

import (
	"encoding/json"
	"testing"

	"github.com/portico-dev/portico"
)

func testPreferences(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	got := must1[json.RawMessage](t)(s.GetPreference(ctx, f.acc.ID, bob.ID, "columns.devices"))
	if got != nil {
		t.Fatalf("unset preference: %s", got)
	}
	must(t, s.SetPreference(ctx, f.acc.ID, bob.ID, "columns.devices", json.RawMessage(`["status","name"]`), now))
	must(t, s.SetPreference(ctx, f.acc.ID, bob.ID, "columns.devices", json.RawMessage(`["name","status"]`), now))
	must(t, s.SetPreference(ctx, f.acc.ID, f.owner.ID, "columns.devices", json.RawMessage(`["name"]`), now))
	equal(t, string(must1[json.RawMessage](t)(s.GetPreference(ctx, f.acc.ID, bob.ID, "columns.devices"))), `["name","status"]`)
	equal(t, string(must1[json.RawMessage](t)(s.GetPreference(ctx, f.acc.ID, f.owner.ID, "columns.devices"))), `["name"]`)

	// Another account cannot read or write them, even knowing the user's id.
	g := newFixture(t, s, "Globex")
	if v := must1[json.RawMessage](t)(s.GetPreference(ctx, g.acc.ID, bob.ID, "columns.devices")); v != nil {
		t.Fatalf("read across accounts: %s", v)
	}
	wantKind(t, s.SetPreference(ctx, g.acc.ID, bob.ID, "x", json.RawMessage(`1`), now), portico.KindNotFound)

	must(t, s.SetPreference(ctx, f.acc.ID, bob.ID, "columns.devices", nil, now))
	if v := must1[json.RawMessage](t)(s.GetPreference(ctx, f.acc.ID, bob.ID, "columns.devices")); v != nil {
		t.Fatalf("deleted preference: %s", v)
	}
	// They go with their user.
	must(t, s.DeleteUser(ctx, f.acc.ID, bob.ID))
	if n := rawCount(t, s, `SELECT COUNT(*) FROM user_preferences WHERE user_id = '`+bob.ID+`'`); n != 0 {
		t.Fatalf("%d preferences outlive their user", n)
	}
}
