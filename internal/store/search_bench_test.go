package store

import (
	"fmt"
	"testing"

	"github.com/portico-dev/portico"
)

// BenchmarkDeviceSearch answers device text queries on SQLite over an account of 100,000 devices,
// along each path: the trigram index (selective texts), the name-ordered scan (broad texts, one page
// without a total, as the search bar asks) and the full scan (short texts counted for a total).
func BenchmarkDeviceSearch(b *testing.B) {
	s := openSQLiteTest(b)
	f := newFixture(b, s, "Big")
	must(b, s.Tx(ctx, func(tx *Tx) error {
		for i := range 100000 {
			d := &portico.Device{ID: fmt.Sprintf("dev_b%06d", i), AccountID: f.acc.ID, GroupID: f.group.ID,
				Name: fmt.Sprintf("device-%06d", i), Hostname: fmt.Sprintf("host-%06d.big.test", i),
				IPAddresses: []string{fmt.Sprintf("10.%d.%d.%d", i/65536, i/256%256, i%256)}, LoggedInUser: "user",
				Status: portico.DeviceAvailable, CreatedAt: now}
			if i%100 == 0 {
				d.Name = fmt.Sprintf("Über-%06d", i)
			}
			if err := tx.CreateDevice(ctx, d); err != nil {
				return err
			}
		}
		return nil
	}))
	for _, tc := range []struct {
		name string
		f    portico.DeviceFilter
	}{
		{"selective", portico.DeviceFilter{Q: "device-04217", Page: portico.Page{Limit: 50}}},
		{"selective-ip", portico.DeviceFilter{Q: "10.1.66.", Page: portico.Page{Limit: 50}}},
		{"broad-page", portico.DeviceFilter{Q: "dev", Page: portico.Page{Limit: 50}, NoTotal: true}},
		{"broad-total", portico.DeviceFilter{Q: "dev", Page: portico.Page{Limit: 50}}},
		{"short-page", portico.DeviceFilter{Q: "42", Page: portico.Page{Limit: 50}, NoTotal: true}},
		{"short-total", portico.DeviceFilter{Q: "42", Page: portico.Page{Limit: 50}}},
		{"short-none", portico.DeviceFilter{Q: "zz", Page: portico.Page{Limit: 50}}},
		{"short-unicode", portico.DeviceFilter{Q: "üb", Page: portico.Page{Limit: 50}}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			for b.Loop() {
				if _, _, err := s.ListDevices(ctx, f.acc.ID, tc.f); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
