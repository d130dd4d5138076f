package portal

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/store"
)

// BenchmarkSearchLarge answers the search bar on a large account: 100,000 devices spread over 5,000
// groups and 10,000 users (target: p95 ≤ 30 ms), for every kind at once and for each kind alone.
func BenchmarkSearchLarge(b *testing.B) {
	const devices, groups, users = 100000, 5000, 10000
	ctx := context.Background()
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a := app.New(st, log)
	acc, err := a.CreateAccount(ctx, app.NewAccount{Company: "Big Ltd", OwnerEmail: "owner@big.test", OwnerName: "Owner",
		OwnerPassword: testPassword})
	if err != nil {
		b.Fatal(err)
	}
	accID := acc.Account.ID
	now := time.Now().UTC()
	err = st.Tx(ctx, func(tx *store.Tx) error {
		gids := make([]string, groups)
		for i := range groups {
			g := &portico.DeviceGroup{ID: fmt.Sprintf("grp_b%05d", i), AccountID: accID, ParentID: acc.DefaultGroup.ID,
				Name: fmt.Sprintf("site-%05d", i), Settings: portico.GroupSettings{}, CreatedAt: now}
			if err := tx.CreateDeviceGroup(ctx, g); err != nil {
				return err
			}
			gids[i] = g.ID
		}
		for i := range devices {
			d := &portico.Device{ID: fmt.Sprintf("dev_b%06d", i), AccountID: accID, GroupID: gids[i%groups],
				Name: fmt.Sprintf("device-%06d", i), Hostname: fmt.Sprintf("host-%06d.big.test", i),
				IPAddresses: []string{fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)}, LoggedInUser: "user",
				OSName: "Windows", OSVersion: "11", Status: portico.DeviceAvailable, LastSeen: &now, CreatedAt: now}
			if err := tx.CreateDevice(ctx, d); err != nil {
				return err
			}
		}
		for i := range users {
			u := &portico.User{ID: fmt.Sprintf("usr_b%05d", i), AccountID: accID, Email: fmt.Sprintf("user-%05d@big.test", i),
				Name: fmt.Sprintf("User %05d", i), State: portico.StateActivated, Status: portico.StatusActive,
				Language: "en", Theme: "system", CreatedAt: now, ActivatedAt: &now}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Reload(ctx, accID); err != nil {
		b.Fatal(err)
	}
	p, err := New(a, Options{Logger: log})
	if err != nil {
		b.Fatal(err)
	}
	secret, _, err := a.SignIn(ctx, "owner@big.test", testPassword, "127.0.0.1")
	if err != nil {
		b.Fatal(err)
	}
	e := &devicesBenchEnv{p: p, cookie: &http.Cookie{Name: SessionCookie, Value: secret}}
	for _, tc := range []struct{ name, target string }{
		{"all", "/search?q=04217"},
		{"all-broad", "/search?q=e-0"},
		{"devices", "/search?q=device-04217&type=devices"},
		{"groups", "/search?q=site-0421&type=groups"},
		{"groups-broad", "/search?q=site&type=groups"},
		{"users", "/search?q=user-0421&type=users"},
		{"users-broad", "/search?q=user&type=users"},
	} {
		b.Run(tc.name, func(b *testing.B) { e.run(b, tc.target, true) })
	}
}
