package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// An inventory report writes only the fields inventory owns. It runs without the account's write
// lock, and on PostgreSQL (read committed) a move or rename can commit between its read of the device
// and its write: that write must not put back the group, name or status it read.

// invRig is an account with an enrolled device in group "Old", a group "New", and the device's agent.
type invRig struct {
	a        *App
	owner    *Actor
	agent    *Actor
	deviceID string
	oldGroup string
	newGroup string
}

func newInvRig(t *testing.T, a *App) *invRig {
	t.Helper()
	ctx := context.Background()
	acc, err := a.CreateAccount(ctx, NewAccount{Company: "Example Ltd", OwnerEmail: "owner@example.test",
		OwnerName: "Owner", OwnerPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	r := &invRig{a: a, owner: &Actor{Kind: ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID, Name: acc.Owner.Name}}
	for _, name := range []string{"Old", "New"} {
		g, err := a.CreateDeviceGroup(ctx, r.owner, GroupInput{Name: name, ParentID: acc.DefaultGroup.ID})
		if err != nil {
			t.Fatal(err)
		}
		if name == "Old" {
			r.oldGroup = g.ID
		} else {
			r.newGroup = g.ID
		}
	}
	_, tok, err := a.CreateEnrollmentToken(ctx, r.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	r.deviceID, _, err = a.Enroll(ctx, EnrollInput{Token: tok, Hostname: "laptop-7", Name: "Laptop 7",
		OSName: "Windows 11 Pro", IPAddresses: []string{"10.1.2.3"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.MoveDevices(ctx, r.owner, []string{r.deviceID}, r.oldGroup); err != nil {
		t.Fatal(err)
	}
	r.agent = &Actor{Kind: ActorAgent, AccountID: acc.Account.ID, DeviceID: r.deviceID, Name: "Laptop 7"}
	return r
}

// report is an inventory that changes the hostname, IP addresses, user and agent version.
func (r *invRig) report() AgentInventory {
	return AgentInventory{Hostname: "laptop-7b", IPAddresses: []string{"10.1.2.4", "fe80::7"}, LoggedInUser: "anna",
		OSName: "Windows 11 Pro", AgentVersion: "2.0.0", Document: json.RawMessage(`{"cpu":"x86-64"}`)}
}

// moveAndRename moves the device to "New", renames it and marks it in session, each through the app.
func (r *invRig) moveAndRename(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	if err := r.a.MoveDevices(ctx, r.owner, []string{r.deviceID}, r.newGroup); err != nil {
		t.Fatalf("move: %v", err)
	}
	name := "Front desk"
	if _, err := r.a.UpdateDevice(ctx, r.owner, r.deviceID, DeviceUpdate{Name: &name}); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if err := r.a.store.SetDeviceStatus(ctx, r.owner.AccountID, r.deviceID, portico.DeviceInSession, nil); err != nil {
		t.Fatalf("status: %v", err)
	}
}

// check fails unless the device keeps the move, rename and status and carries the reported inventory,
// in storage and in the app's view.
func (r *invRig) check(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	d, err := r.a.store.GetDevice(ctx, r.owner.AccountID, r.deviceID)
	if err != nil {
		t.Fatal(err)
	}
	if d.GroupID != r.newGroup || d.Name != "Front desk" || d.Status != portico.DeviceInSession {
		t.Errorf("stored device: group %s, name %q, status %s; want the concurrent move to %s, rename to "+
			"\"Front desk\" and status %s kept", d.GroupID, d.Name, d.Status, r.newGroup, portico.DeviceInSession)
	}
	if d.Hostname != "laptop-7b" || !slices.Equal(d.IPAddresses, []string{"10.1.2.4", "fe80::7"}) ||
		d.LoggedInUser != "anna" || d.AgentVersion != "2.0.0" || d.OSName != "Windows 11 Pro" {
		t.Errorf("stored inventory fields: %+v", d)
	}
	v, err := r.a.GetDevice(ctx, r.owner, r.deviceID)
	if err != nil {
		t.Fatal(err)
	}
	if v.GroupID != r.newGroup || v.Name != "Front desk" {
		t.Errorf("app view: group %s, name %q", v.GroupID, v.Name)
	}
	hs, _, err := r.a.store.ListHistory(ctx, r.owner.AccountID, r.deviceID, portico.HistoryFilter{Action: "inventory"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 1 || !strings.Contains(hs[0].Detail, "hostname") || !strings.Contains(hs[0].Detail, "ip_addresses") {
		t.Errorf("inventory history: %+v", hs)
	}
	// The device is found by its new name and its reported hostname, not the old ones.
	for q, want := range map[string]int{"front desk": 1, "laptop-7b": 1, "laptop 7": 0, "10.1.2.4": 1} {
		_, total, err := r.a.store.ListDevices(ctx, r.owner.AccountID, portico.DeviceFilter{Q: q})
		if err != nil {
			t.Fatal(err)
		}
		if total != want {
			t.Errorf("search %q: %d devices, want %d", q, total, want)
		}
	}
}

// invApps returns, per database, a function that makes an App over a new database.
func invApps() []struct {
	name string
	open func(t *testing.T) *App
} {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	return []struct {
		name string
		open func(t *testing.T) *App
	}{
		{"SQLite", func(t *testing.T) *App {
			st, err := store.OpenAndMigrate(context.Background(), store.Config{DataDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return New(st, log)
		}},
		{"PostgreSQL", func(t *testing.T) *App {
			st, err := store.OpenAndMigrate(context.Background(), store.Config{DatabaseURL: pgtest.NewDatabase(t)})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return New(st, log)
		}},
	}
}

// TestInventoryFromStaleCopyKeepsMove records an inventory against a copy of the device read before a
// move, rename and status change committed: the interleaving PostgreSQL allows, played in order.
func TestInventoryFromStaleCopyKeepsMove(t *testing.T) {
	for _, db := range invApps() {
		t.Run(db.name, func(t *testing.T) {
			r := newInvRig(t, db.open(t))
			ctx := context.Background()
			stale, err := r.a.store.GetDevice(ctx, r.owner.AccountID, r.deviceID)
			if err != nil {
				t.Fatal(err)
			}
			r.moveAndRename(t)
			in := r.report()
			if err := in.validate(); err != nil {
				t.Fatal(err)
			}
			err = r.a.store.Tx(ctx, func(tx *store.Tx) error {
				return r.a.applyInventory(ctx, tx, r.agent, stale, in, r.a.now())
			})
			if err != nil {
				t.Fatal(err)
			}
			r.check(t)
		})
	}
}

// TestRecordInventoryConcurrentMovePostgres moves and renames the device from another connection while
// RecordInventory's transaction is between its read and its write. PostgreSQL only: SQLite's single
// writer cannot interleave them (the move would wait for the inventory's transaction).
func TestRecordInventoryConcurrentMovePostgres(t *testing.T) {
	r := newInvRig(t, invApps()[1].open(t))
	ran := false
	inventoryReadHook = func() {
		if !ran {
			ran = true
			r.moveAndRename(t)
		}
	}
	t.Cleanup(func() { inventoryReadHook = nil })
	if err := r.a.RecordInventory(context.Background(), r.agent, r.report()); err != nil {
		t.Fatal(err)
	}
	if !ran {
		t.Fatal("the hook did not run")
	}
	r.check(t)
}
