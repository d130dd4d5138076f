package store

import (
	"fmt"
	"testing"

	"github.com/portico-dev/portico"
)

func testLoadAccess(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	bob := f.user(t, s, "bob")
	g.user(t, s, "stranger")
	ug := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID, Name: "Team", MemberIDs: []string{bob.ID}, CreatedAt: now}
	must(t, s.CreateUserGroup(ctx, ug))
	r := f.role(t, s, "Viewer", portico.PermDeviceView)
	g.role(t, s, "Other")
	sub := f.deviceGroup(t, s, f.group.ID, "Sub")
	d1 := f.device(t, s, sub.ID, "d1")
	d2 := f.device(t, s, "", "d2")
	g.device(t, s, g.group.ID, "x")
	a := f.assign(t, s, portico.PrincipalUserGroup, ug.ID, r.ID, portico.ScopeTypeDeviceGroup, sub.ID)

	acc := must1[*Access](t)(s.LoadAccess(ctx, f.acc.ID))
	equal(t, acc.Users, []portico.User{*f.owner, *bob})
	equal(t, acc.UserGroups, []portico.UserGroup{*ug})
	equal(t, acc.Roles, []portico.Role{*r})
	equal(t, acc.Assignments, []portico.Assignment{*a})
	equal(t, acc.DeviceGroups, []portico.DeviceGroup{*f.group, *sub})
	want := map[string]DeviceRef{d1.ID: {d1.ID, sub.ID, "d1"}, d2.ID: {d2.ID, portico.UnassignedGroupID, "d2"}}
	got := map[string]DeviceRef{}
	for _, d := range acc.Devices {
		got[d.ID] = d
	}
	equal(t, got, want)

	// Inside a transaction it sees the transaction's writes.
	must(t, s.Tx(ctx, func(tx *Tx) error {
		if err := tx.CreateDevice(ctx, &portico.Device{ID: "dev_d3", AccountID: f.acc.ID, GroupID: sub.ID, Name: "d3", CreatedAt: now}); err != nil {
			return err
		}
		acc, err := tx.LoadAccess(ctx, f.acc.ID)
		if err != nil {
			return err
		}
		if len(acc.Devices) != 3 {
			t.Errorf("LoadAccess in tx: %d devices, want 3", len(acc.Devices))
		}
		return nil
	}))

	_, err := s.LoadAccess(ctx, "acc_missing")
	wantKind(t, err, portico.KindNotFound)
}

// BenchmarkLoadAccess loads an account of 100,000 devices in 200 groups.
func BenchmarkLoadAccess(b *testing.B) {
	for _, backend := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"sqlite", openSQLiteTest}, {"postgres", openPostgresTest}} {
		b.Run(backend.name, func(b *testing.B) {
			s := backend.open(b)
			f := newFixture(b, s, "Big")
			const groups, devices = 200, 100_000
			var gids []string
			must(b, s.Tx(ctx, func(tx *Tx) error {
				for i := 0; i < groups; i++ {
					g := &portico.DeviceGroup{ID: fmt.Sprintf("grp_%04d", i), AccountID: f.acc.ID, ParentID: f.group.ID,
						Name: fmt.Sprintf("Group %d", i), Colour: "#000000", CreatedAt: now}
					if err := tx.CreateDeviceGroup(ctx, g); err != nil {
						return err
					}
					gids = append(gids, g.ID)
				}
				for i := 0; i < devices; i++ {
					d := &portico.Device{ID: fmt.Sprintf("dev_%06d", i), AccountID: f.acc.ID, GroupID: gids[i%groups],
						Name: fmt.Sprintf("device-%06d", i), Status: portico.DeviceUnavailable, CreatedAt: now}
					if err := tx.CreateDevice(ctx, d); err != nil {
						return err
					}
				}
				return nil
			}))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				acc, err := s.LoadAccess(ctx, f.acc.ID)
				if err != nil {
					b.Fatal(err)
				}
				if len(acc.Devices) != devices {
					b.Fatalf("%d devices", len(acc.Devices))
				}
			}
		})
	}
}
