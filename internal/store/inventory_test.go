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
	must(t, s.TouchDevices(ctx, []portico.DeviceSeen{{AccountID: f.acc.ID, DeviceID: d1.ID, At: later},
		{AccountID: f.acc.ID, DeviceID: d2.ID, At: later}, {AccountID: f.acc.ID, DeviceID: gone.ID, At: later}}))
	for _, id := range []string{d1.ID, d2.ID} {
		if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, id)); got.LastSeen == nil || !got.LastSeen.Equal(normTime(later)) {
			t.Fatalf("%s last seen %v, want %v", id, got.LastSeen, later)
		}
	}

	// Another account cannot set the status.
	g := newFixture(t, s, "Globex")
	wantKind(t, s.SetDeviceStatus(ctx, g.acc.ID, d1.ID, portico.DeviceUnavailable, nil), portico.KindNotFound)
	must(t, s.TouchDevices(ctx, []portico.DeviceSeen{{AccountID: g.acc.ID, DeviceID: d1.ID, At: at(time.Hour)}}))
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID)); !got.LastSeen.Equal(normTime(later)) {
		t.Fatalf("another account moved last seen to %v", got.LastSeen)
	}

	// Presence: a connection records its node; the newest connection of a device wins; a
	// connection's status and end change the device only while it is the current one.
	c1 := portico.DeviceConn{AccountID: f.acc.ID, DeviceID: d1.ID, NodeID: "node-a", ConnID: "conn-1"}
	c2 := portico.DeviceConn{AccountID: f.acc.ID, DeviceID: d1.ID, NodeID: "node-b", ConnID: "conn-2"}
	rec, old := must2[bool, portico.DeviceConn](t)(s.ConnectDevice(ctx, c1, portico.DeviceAvailable, at(time.Hour)))
	if !rec || old != (portico.DeviceConn{}) {
		t.Fatalf("first connection: recorded %v, replaced %+v", rec, old)
	}
	rec, old = must2[bool, portico.DeviceConn](t)(s.ConnectDevice(ctx, c2, portico.DeviceAvailable, at(time.Hour+time.Second)))
	if !rec || old != c1 {
		t.Fatalf("newer connection: recorded %v, replaced %+v, want %+v", rec, old, c1)
	}
	// An older connection's late write changes nothing.
	if rec, _ = must2[bool, portico.DeviceConn](t)(s.ConnectDevice(ctx, c1, portico.DeviceAvailable, at(time.Hour))); rec {
		t.Fatal("an older connection overwrote the newer one")
	}
	if ok := must1[bool](t)(s.SetConnStatus(ctx, c1, portico.DeviceInSession)); ok {
		t.Fatal("a replaced connection set the status")
	}
	if ok := must1[bool](t)(s.DisconnectDevice(ctx, c1, at(2*time.Hour))); ok {
		t.Fatal("a replaced connection's end marked the device unavailable")
	}
	equal(t, must1[portico.DeviceConn](t)(s.DeviceConnOf(ctx, f.acc.ID, d1.ID)), c2)
	must1[bool](t)(s.SetConnStatus(ctx, c2, portico.DeviceInSession))
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID)); got.Status != portico.DeviceInSession {
		t.Fatalf("status %s, want in session", got.Status)
	}
	equal(t, must1[[]portico.DeviceConn](t)(s.NodeConns(ctx, "node-b")), []portico.DeviceConn{c2})
	equal(t, must1[[]portico.DeviceConn](t)(s.NodeConns(ctx, "node-a")), []portico.DeviceConn(nil))
	// Releasing a node touches only the devices it holds.
	c3 := portico.DeviceConn{AccountID: f.acc.ID, DeviceID: d2.ID, NodeID: "node-a", ConnID: "conn-3"}
	must2[bool, portico.DeviceConn](t)(s.ConnectDevice(ctx, c3, portico.DeviceAvailable, at(time.Hour)))
	equal(t, must1[[]portico.DeviceConn](t)(s.ReleaseNodeDevices(ctx, "node-a", at(3*time.Hour))), []portico.DeviceConn{c3})
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d2.ID)); got.Status != portico.DeviceUnavailable {
		t.Fatalf("released device: %s", got.Status)
	}
	if got := must1[*portico.Device](t)(s.GetDevice(ctx, f.acc.ID, d1.ID)); got.Status != portico.DeviceInSession {
		t.Fatalf("another node's device after the release: %s", got.Status)
	}
	if ok := must1[bool](t)(s.DisconnectDevice(ctx, c2, at(4*time.Hour))); !ok {
		t.Fatal("the current connection's end was not recorded")
	}
	equal(t, must1[portico.DeviceConn](t)(s.DeviceConnOf(ctx, f.acc.ID, d1.ID)), portico.DeviceConn{AccountID: f.acc.ID, DeviceID: d1.ID})
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
	mk := func(start time.Time, node string) *portico.RemoteSession {
		r := &portico.RemoteSession{ID: portico.NewID("ses"), AccountID: f.acc.ID, DeviceID: d.ID, DeviceName: d.Name,
			UserID: f.owner.ID, UserName: f.owner.Name, Actions: []string{"terminal", "chat"}, State: portico.RemoteSessionConnecting,
			StartedAt: start, NodeID: node}
		must(t, s.CreateRemoteSession(ctx, r))
		return r
	}
	r1 := mk(now, "node-a")
	r2 := mk(at(time.Minute), "node-a")
	wantConflictField(t, s.CreateRemoteSession(ctx, r1), "id")
	equal(t, must1[*portico.RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID)), r1)

	must(t, s.UpdateRemoteSession(ctx, f.acc.ID, r1.ID, portico.RemoteSessionActive, []string{"chat"}))
	r1.State, r1.Actions = portico.RemoteSessionActive, []string{"chat"}
	equal(t, must1[*portico.RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID)), r1)

	must(t, s.EndRemoteSession(ctx, f.acc.ID, r2.ID, at(2*time.Minute), "end_user", "denied"))
	// Ending twice keeps the first record.
	wantKind(t, s.EndRemoteSession(ctx, f.acc.ID, r2.ID, at(3*time.Minute), "server", "again"), portico.KindNotFound)
	wantKind(t, s.UpdateRemoteSession(ctx, f.acc.ID, r2.ID, portico.RemoteSessionActive, nil), portico.KindNotFound)
	ended := normTime(at(2 * time.Minute))
	r2.State, r2.EndedAt, r2.EndedBy, r2.EndReason = portico.RemoteSessionEnded, &ended, "end_user", "denied"
	equal(t, must1[*portico.RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r2.ID)), r2)

	// Newest first; Live keeps those not ended.
	equal(t, must1[[]portico.RemoteSession](t)(s.ListRemoteSessions(ctx, f.acc.ID, portico.RemoteSessionFilter{})), []portico.RemoteSession{*r2, *r1})
	equal(t, must1[[]portico.RemoteSession](t)(s.ListRemoteSessions(ctx, f.acc.ID, portico.RemoteSessionFilter{Live: true})), []portico.RemoteSession{*r1})
	equal(t, must1[[]portico.RemoteSession](t)(s.ListRemoteSessions(ctx, f.acc.ID, portico.RemoteSessionFilter{DeviceID: "dev_other"})), []portico.RemoteSession{})

	// Isolation.
	g := newFixture(t, s, "Globex")
	_, err := s.GetRemoteSession(ctx, g.acc.ID, r1.ID)
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, s.EndRemoteSession(ctx, g.acc.ID, r1.ID, now, "server", "x"), portico.KindNotFound)
	equal(t, must1[[]portico.RemoteSession](t)(s.ListRemoteSessions(ctx, g.acc.ID, portico.RemoteSessionFilter{})), []portico.RemoteSession{})

	// A stopped node's live sessions end; another node's stay.
	r3 := mk(at(4*time.Minute), "node-b")
	ended1 := must1[[]portico.RemoteSession](t)(s.EndNodeSessions(ctx, "node-a", at(time.Hour), "server restarted"))
	if len(ended1) != 1 || ended1[0].ID != r1.ID {
		t.Fatalf("ended %+v, want only %s", ended1, r1.ID)
	}
	got := must1[*portico.RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID))
	if got.State != portico.RemoteSessionEnded || got.EndReason != "server restarted" || got.EndedBy != "server" {
		t.Fatalf("after restart: %+v", got)
	}
	if got := must1[*portico.RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r3.ID)); got.State == portico.RemoteSessionEnded {
		t.Fatal("another node's session ended")
	}
	// The record outlives the device.
	must(t, s.DeleteDevice(ctx, f.acc.ID, d.ID))
	must1[*portico.RemoteSession](t)(s.GetRemoteSession(ctx, f.acc.ID, r1.ID))
}
