package app

import (
	"testing"

	"github.com/portico-dev/portico"
)

// TestAccountUpdatePermissions: the plan limits are billing.manage's, everything else
// account.manage's; a change of both needs both, and a refusal changes nothing.
func TestAccountUpdatePermissions(t *testing.T) {
	e := newEnv(t)
	billing := e.user("billing@example.test", grant{roleID: e.systemRole("billing_administrator"), scopeType: portico.ScopeTypeAccount})
	admin := e.user("admin@example.test", grant{roleID: e.role("Settings", portico.PermAccountView, portico.PermAccountManage), scopeType: portico.ScopeTypeAccount})
	current := func() portico.AccountSettings {
		acc, err := e.a.GetAccount(e.ctx, e.owner)
		if err != nil {
			t.Fatal(err)
		}
		return acc.Settings
	}

	s := current()
	s.ManagedLicences = 250
	if _, err := e.a.UpdateAccount(e.ctx, billing, AccountUpdate{Settings: &s}); err != nil {
		t.Fatalf("billing administrator changing the licences: %v", err)
	}
	if got := current().ManagedLicences; got != 250 {
		t.Fatalf("licences %d, want 250", got)
	}

	s = current()
	s.IdleTimeoutMinutes = 30
	_, err := e.a.UpdateAccount(e.ctx, billing, AccountUpdate{Settings: &s})
	wantKind(t, err, portico.KindForbidden)
	s.ManagedLicences = 300 // both at once: still refused, and nothing changes
	_, err = e.a.UpdateAccount(e.ctx, billing, AccountUpdate{Settings: &s})
	wantKind(t, err, portico.KindForbidden)
	if got := current(); got.IdleTimeoutMinutes != 15 || got.ManagedLicences != 250 {
		t.Fatalf("refused updates changed the settings: %+v", got)
	}

	s = current()
	s.SeatLimit = 3
	_, err = e.a.UpdateAccount(e.ctx, admin, AccountUpdate{Settings: &s})
	wantKind(t, err, portico.KindForbidden)
	s = current()
	s.IdleTimeoutMinutes = 30
	if _, err := e.a.UpdateAccount(e.ctx, admin, AccountUpdate{Settings: &s}); err != nil {
		t.Fatalf("account administrator changing the idle timeout: %v", err)
	}
	name := "Renamed Ltd"
	_, err = e.a.UpdateAccount(e.ctx, billing, AccountUpdate{Name: &name})
	wantKind(t, err, portico.KindForbidden)
}
