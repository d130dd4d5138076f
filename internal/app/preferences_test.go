package app

import (
	"encoding/json"
	"testing"

	"github.com/portico-dev/portico"
)

func TestPreferencesAreTheUsersOwn(t *testing.T) {
	e := newEnv(t)
	u, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "tech@example.test", Name: "Terry", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	tech := &Actor{Kind: ActorUser, AccountID: e.acc.Account.ID, UserID: u.User.ID, Name: "Terry"}
	if err := e.a.SetPreference(e.ctx, tech, "columns.devices", json.RawMessage(`["name","status"]`)); err != nil {
		t.Fatal(err)
	}
	got, err := e.a.GetPreference(e.ctx, tech, "columns.devices")
	if err != nil || string(got) != `["name","status"]` {
		t.Fatalf("own preference: %s %v", got, err)
	}
	// The owner asking for the same key reads their own (unset) value, not the technician's.
	got, err = e.a.GetPreference(e.ctx, e.owner, "columns.devices")
	if err != nil || got != nil {
		t.Fatalf("owner reads %s %v, want nothing", got, err)
	}
	if err := e.a.SetPreference(e.ctx, tech, "columns.devices", nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := e.a.GetPreference(e.ctx, tech, "columns.devices"); got != nil {
		t.Fatalf("forgotten preference: %s", got)
	}
}

func TestPreferenceRefusals(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		name  string
		ac    *Actor
		key   string
		value string
		kind  portico.ErrorKind
	}{
		{"system actor", e.sys, "columns.devices", `[]`, portico.KindForbidden},
		{"empty key", e.owner, "", `[]`, portico.KindInvalid},
		{"odd key", e.owner, "Columns/Devices", `[]`, portico.KindInvalid},
		{"not JSON", e.owner, "columns.devices", `[name`, portico.KindInvalid},
		{"too large", e.owner, "columns.devices", `"` + string(make([]byte, maxPreferenceValue)) + `"`, portico.KindInvalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.a.SetPreference(e.ctx, c.ac, c.key, json.RawMessage(c.value))
			if portico.KindOf(err) != c.kind {
				t.Fatalf("got %v, want kind %v", err, c.kind)
			}
		})
	}
}
