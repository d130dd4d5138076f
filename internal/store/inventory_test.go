package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func testDeviceStatus(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	d1 := f.device(t, s, "", "pc1")
	d2 := f.device(t, s, "", "pc2")
	seen := at(time.Minute)
	must(t, s.SetDeviceStatus(ctx, f.acc.ID, d1.ID, portico.DeviceInSession, &seen))
	got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID))
	if got.Status != portico.DeviceInSession || got.LastSeen == nil || !got.LastSeen.Equal(normTime(seen)) {
		t.Fatalf("after SetDeviceStatus: %s %v", got.Status, got.LastSeen)
	}
	// Without a time, last seen stays.
	must(t, s.SetDeviceStatus(ctx, f.acc.ID, d1.ID, portico.DeviceAvailable, nil))
	got = must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID))
	if got.Status != portico.DeviceAvailable || !got.LastSeen.Equal(normTime(seen)) {
		t.Fatalf("after status only: %s %v", got.Status, got.LastSeen)
	}

	// Batched last-seen times; a deleted device is skipped, not an error.
	gone := f.device(t, s, "", "gone")
	must(t, s.DeleteDevice(ctx, f.acc.ID, gone.ID))
	later := at(2 * time.Minute)
	must(t, s.TouchDevices(ctx, []DeviceSeen{{f.acc.ID, d1.ID, later}, {f.acc.ID, d2.ID, later}, {f.acc.ID, gone.ID, later}}))
	for _, id := range []string{d1.ID, d2.ID} {
		if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, id)); got.LastSeen == nil || !got.LastSeen.Equal(normTime(later)) {
			t.Fatalf("%s last seen %v, want %v", id, got.LastSeen, later)
		}
	}

	// Another account cannot set the status.
	g := newFixture(t, s, "Globex")
	wantKind(t, s.SetDeviceStatus(ctx, g.acc.ID, d1.ID, portico.DeviceUnavailable, nil), portico.KindNotFound)
	must(t, s.TouchDevices(ctx, []DeviceSeen{{g.acc.ID, d1.ID, at(time.Hour)}}))
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID)); !got.LastSeen.Equal(normTime(later)) {
		t.Fatalf("another account moved last seen to %v", got.LastSeen)
	}

	// Reset: every device unavailable.
	n := must1[int](t)(s.ResetDeviceStatuses(ctx))
	if n != 2 { // d1 available, d2 available (fixture default); gone is gone
		t.Fatalf("reset changed %d devices, want 2", n)
	}
	for _, id := range []string{d1.ID, d2.ID} {
		if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, id)); got.Status != portico.DeviceUnavailable {
			t.Fatalf("%s after reset: %s", id, got.Status)
		}
	}
}

func testInventory(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	d := f.device(t, s, "", "pc1")
	_, _, err := s.GetInventory(ctx, f.acc.ID, d.ID)
	wantKind(t, err, portico.KindNotFound)

	inv := json.RawMessage(`{"hostname":"pc1","software":[{"name":"vim"}]}`)
	must(t, s.PutInventory(ctx, f.acc.ID, d.ID, inv, now))
	got, when := must2[json.RawMessage, time.Time](t)(s.GetInventory(ctx, f.acc.ID, d.ID))
	if !jsonEqual(t, got, inv) || !when.Equal(normTime(now)) {
		t.Fatalf("inventory %s at %v", got, when)
	}
	// Replaced whole.
	inv2 := json.RawMessage(`{"hostname":"pc1-renamed"}`)
	must(t, s.PutInventory(ctx, f.acc.ID, d.ID, inv2, at(time.Hour)))
	got, when = must2[json.RawMessage, time.Time](t)(s.GetInventory(ctx, f.acc.ID, d.ID))
	if !jsonEqual(t, got, inv2) || !when.Equal(normTime(at(time.Hour))) {
		t.Fatalf("replaced inventory %s at %v", got, when)
	}
	wantKind(t, s.PutInventory(ctx, f.acc.ID, d.ID, json.RawMessage(`{"broken`), now), portico.KindInvalid)

	// Isolation: another account neither reads nor writes it.
	g := newFixture(t, s, "Globex")
	_, _, err = s.GetInventory(ctx, g.acc.ID, d.ID)
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, s.PutInventory(ctx, g.acc.ID, d.ID, inv, now), portico.KindNotFound)
	got, _ = must2[json.RawMessage, time.Time](t)(s.GetInventory(ctx, f.acc.ID, d.ID))
	if !jsonEqual(t, got, inv2) {
		t.Fatalf("another account replaced the inventory: %s", got)
	}
	// Deleted with the device.
	must(t, s.DeleteDevice(ctx, f.acc.ID, d.ID))
	if n := rawCount(t, s, `SELECT COUNT(*) FROM device_inventory WHERE device_id = $1`, d.ID); n != 0 {
		t.Fatalf("inventory outlived its device")
	}
}

func jsonEqual(t testing.TB, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	must(t, json.Unmarshal(a, &x))
	must(t, json.Unmarshal(b, &y))
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func testRemoteSessions(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	d := f.device(t, s, "", "pc1")
	mk := func(start time.Time) *RemoteSession {
		r := &RemoteSession{ID: portico.NewID("ses"), AccountID: f.acc.ID, DeviceID: d.ID, DeviceName: d.Name,
			UserID: f.owner.ID, UserName: f.owner.Name, Actions: []string{"terminal", "chat"}, State: SessionConnecting,
			StartedAt: start}
		must(t, s.CreateRemoteSession(ctx, r))
		return r
	}
	r1 := mk(now)
	r2 := mk(at(time.Minute))
	wantConflictField(t, s.CreateRemoteSession(ctx, r1), "id")
	equal(t, must1[*RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID)), r1)

	must(t, s.UpdateRemoteSession(ctx, f.acc.ID, r1.ID, SessionActive, []string{"chat"}))
	r1.State, r1.Actions = SessionActive, []string{"chat"}
	equal(t, must1[*RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID)), r1)

	must(t, s.EndRemoteSession(ctx, f.acc.ID, r2.ID, at(2*time.Minute), "end_user", "denied"))
	// Ending twice keeps the first record.
	wantKind(t, s.EndRemoteSession(ctx, f.acc.ID, r2.ID, at(3*time.Minute), "server", "again"), portico.KindNotFound)
	wantKind(t, s.UpdateRemoteSession(ctx, f.acc.ID, r2.ID, SessionActive, nil), portico.KindNotFound)
	ended := normTime(at(2 * time.Minute))
	r2.State, r2.EndedAt, r2.EndedBy, r2.EndReason = SessionEnded, &ended, "end_user", "denied"
	equal(t, must1[*RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r2.ID)), r2)

	// Newest first; Live keeps those not ended.
	equal(t, must1[[]RemoteSession](t)(s.ListRemoteSessions(ctx, f.acc.ID, RemoteSessionFilter{})), []RemoteSession{*r2, *r1})
	equal(t, must1[[]RemoteSession](t)(s.ListRemoteSessions(ctx, f.acc.ID, RemoteSessionFilter{Live: true})), []RemoteSession{*r1})
	equal(t, must1[[]RemoteSession](t)(s.ListRemoteSessions(ctx, f.acc.ID, RemoteSessionFilter{DeviceID: "dev_other"})), []RemoteSession{})

	// Isolation.
	g := newFixture(t, s, "Globex")
	_, err := s.GetRemoteSession(ctx, g.acc.ID, r1.ID)
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, s.EndRemoteSession(ctx, g.acc.ID, r1.ID, now, "server", "x"), portico.KindNotFound)
	equal(t, must1[[]RemoteSession](t)(s.ListRemoteSessions(ctx, g.acc.ID, RemoteSessionFilter{})), []RemoteSession{})

	// At start, sessions a stopped server left open end.
	n := must1[int](t)(s.EndLiveRemoteSessions(ctx, at(time.Hour), "server restarted"))
	if n != 1 {
		t.Fatalf("ended %d live sessions, want 1", n)
	}
	got := must1[*RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID))
	if got.State != SessionEnded || got.EndReason != "server restarted" || got.EndedBy != "server" {
		t.Fatalf("after restart: %+v", got)
	}
	// The record outlives the device.
	must(t, s.DeleteDevice(ctx, f.acc.ID, d.ID))
	must1[*RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID))
}
