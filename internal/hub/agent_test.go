package hub_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/hub"
	"github.com/portico-dev/portico/internal/protocol"
)

func TestAgentConnectRefused(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	other, _ := e.device()
	for _, tc := range []struct {
		name, device, cred string
	}{
		{"no credentials", "", ""},
		{"no device header", "", cred},
		{"wrong credential", id, "agc_wrong"},
		{"another device's credential", other, cred},
		{"unknown device", "dev_nope", cred},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, status, err := e.dialAgent(tc.device, tc.cred)
			if err == nil || status != http.StatusUnauthorized {
				t.Fatalf("dial: status %d, err %v; want 401", status, err)
			}
		})
	}
	if d := e.getDevice(id); d.Status != portico.DeviceUnavailable {
		t.Fatalf("status after refusals: %s", d.Status)
	}
}

func TestAgentVersionRefused(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	fa := e.connect(id, cred, protocol.Version+1)
	var perr protocol.Error
	must(t, protocol.DecodeBody(fa.next(protocol.MsgError), &perr))
	want := "unsupported protocol version 2; this server speaks 1..1"
	if perr.Message != want {
		t.Fatalf("error %q, want %q", perr.Message, want)
	}
	<-fa.conn.Done()
	if d := e.getDevice(id); d.Status != portico.DeviceUnavailable {
		t.Fatalf("status after a refused hello: %s", d.Status)
	}
}

func TestAgentLifecycle(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	fa := e.online(id, cred)
	if fa.welcome.HeartbeatSeconds != 1 || fa.welcome.ProtocolVersion != protocol.Version {
		t.Fatalf("welcome %+v", fa.welcome)
	}
	if !e.hub.Online(id) {
		t.Fatal("hub does not see the agent online")
	}
	// Heartbeats are acknowledged with their sequence number, and last seen is written in batches.
	eventually.True(t, 5*time.Second, "a heartbeat acknowledgement", func() bool { return fa.lastAck.Load() >= 2 })
	first := e.getDevice(id).LastSeen
	eventually.True(t, 5*time.Second, "last seen to move", func() bool {
		d := e.getDevice(id)
		return d.LastSeen != nil && first != nil && d.LastSeen.After(*first)
	})

	// Inventory: stored whole, device fields updated.
	inv := protocol.Inventory{Hostname: "lab-pc-7", IPAddresses: []string{"10.1.2.3"}, MACAddresses: []string{"aa:bb:cc:dd:ee:ff"},
		LoggedInUser: "ann", OSName: "Debian", OSVersion: "12", DeviceType: "workstation", Manufacturer: "Lenovo",
		AssetID: "A-7", AgentVersion: "1.0.1", Software: []protocol.Software{{Name: "vim", Version: "9"}}}
	fa.send(protocol.MsgInventory, inv)
	eventually.True(t, 5*time.Second, "the inventory", func() bool { return e.getDevice(id).Hostname == "lab-pc-7" })
	d := e.getDevice(id)
	if d.OSName != "Debian" || d.OSVersion != "12" || d.LoggedInUser != "ann" || d.Manufacturer != "Lenovo" ||
		d.AssetID != "A-7" || d.AgentVersion != "1.0.1" || d.DeviceType != "workstation" || len(d.IPAddresses) != 1 || d.IPAddresses[0] != "10.1.2.3" {
		t.Fatalf("device after inventory: %+v", d)
	}
	view, err := e.app.DeviceInventory(context.Background(), e.sys, id)
	must(t, err)
	if !strings.Contains(string(view.Inventory), `"vim"`) || view.ReportedAt == nil {
		t.Fatalf("stored inventory: %s", view.Inventory)
	}
	// Bad inventory is ignored; the connection stays.
	bad := inv
	bad.Hostname, bad.OSName = "has space", "Evil\x07"
	fa.send(protocol.MsgInventory, bad)
	fa.send(protocol.MsgInventory, protocol.Inventory{Hostname: "lab-pc-8"})
	eventually.True(t, 5*time.Second, "the next good inventory", func() bool { return e.getDevice(id).Hostname == "lab-pc-8" })
	if e.getDevice(id).OSName == "Evil\x07" {
		t.Fatal("bad inventory stored")
	}

	// Disconnect: Unavailable, and the history records both ends.
	fa.conn.Close("bye")
	e.waitStatus(id, portico.DeviceUnavailable)
	hist, _, err := e.app.DeviceHistory(context.Background(), e.sys, id, portico.HistoryFilter{})
	must(t, err)
	seen := map[string]bool{}
	for _, h := range hist {
		seen[h.Action] = true
	}
	for _, want := range []string{"connected", "disconnected", "inventory"} {
		if !seen[want] {
			t.Errorf("history lacks %q: %+v", want, hist)
		}
	}
}

func TestHeartbeatTimeout(t *testing.T) {
	e := newEnvHeartbeat(t, 100*time.Millisecond)
	id, cred := e.device()
	fa := e.online(id, cred)
	fa.silent.Store(true)
	e.waitStatus(id, portico.DeviceUnavailable)
	<-fa.conn.Done()
	if e.hub.Online(id) {
		t.Fatal("a silent agent is still online")
	}
}

func TestSecondConnectionReplacesFirst(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	first := e.online(id, cred)
	second := e.online(id, cred)
	<-first.conn.Done()
	select {
	case <-second.conn.Done():
		t.Fatal("the new connection was closed too")
	default:
	}
	// The old connection's end does not mark the device offline.
	e.waitStatus(id, portico.DeviceAvailable)
	if !e.hub.Online(id) {
		t.Fatal("device offline after being replaced")
	}
}

func TestDeleteStopsAgent(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	fa := e.online(id, cred)
	must(t, e.app.DeleteDevices(context.Background(), e.sys, []string{id}))
	var stop protocol.Stop
	must(t, protocol.DecodeBody(fa.next(protocol.MsgStop), &stop))
	if stop.Reason == "" {
		t.Fatal("stop without a reason")
	}
	<-fa.conn.Done()
	if _, err := e.app.AuthenticateAgent(context.Background(), id, cred, "127.0.0.1"); !portico.IsKind(err, portico.KindUnauthenticated) {
		t.Fatalf("deleted device's credential: %v", err)
	}
	if _, status, err := e.dialAgent(id, cred); err == nil || status != http.StatusUnauthorized {
		t.Fatalf("reconnect after delete: %d %v", status, err)
	}
}

// TestShutdownRecordsEveryDisconnection closes the hub with agents connected: every device is left
// Unavailable with its disconnection in the history, though the changes take several transactions.
func TestShutdownRecordsEveryDisconnection(t *testing.T) {
	t.Cleanup(hub.SetStatusChunk(4))
	e := newEnv(t)
	var ids []string
	for range 11 {
		id, cred := e.device()
		e.online(id, cred)
		ids = append(ids, id)
	}
	for _, id := range ids {
		e.waitStatus(id, portico.DeviceAvailable)
	}
	// The read loops record their ends late, as under load: Close must wait for them.
	t.Cleanup(hub.SetEndDelay(300 * time.Millisecond))
	e.hub.Close()
	for _, id := range ids {
		if d := e.getDevice(id); d.Status != portico.DeviceUnavailable {
			t.Errorf("device %s is %s after shutdown, want Unavailable", id, d.Status)
		}
		hist, _, err := e.app.DeviceHistory(context.Background(), e.sys, id, portico.HistoryFilter{})
		must(t, err)
		disconnected := 0
		for _, h := range hist {
			if h.Action == "disconnected" {
				disconnected++
			}
		}
		if disconnected != 1 {
			t.Errorf("device %s: %d disconnections in its history, want 1: %+v", id, disconnected, hist)
		}
	}
}
