package servertest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"github.com/portico-dev/portico/internal/eventually"
	"net/http"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/server"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// twoNodes starts two nodes in this process on one new PostgreSQL database, sharing a NATS server and
// a server key, and creates an account through the first; it returns the nodes and the owner's key.
func twoNodes(t testing.TB) (*Node, *Node, *app.CreatedAccount, string) {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	nats := StartNATS(t)
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	t.Setenv("PORTICO_SEAL_KEY", base64.StdEncoding.EncodeToString(key))
	a := StartNode(t, server.Config{DatabaseURL: dbURL, NATSURL: nats.URL(), NodeID: "node-a"})
	b := StartNode(t, server.Config{DatabaseURL: dbURL, NATSURL: nats.URL(), NodeID: "node-b"})
	acc, err := a.App().CreateAccount(context.Background(), app.NewAccount{Company: "Relay Ltd", OwnerEmail: "owner@relay.test",
		OwnerName: "Owner", OwnerPassword: "correct horse battery", WithAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	return a, b, acc, acc.APIKey
}

// TestSessionRelayedAcrossNodes: the technician reaches node A, the agent node B; the session runs on
// B, A relays it, and a change or an end made on A ends it on B.
func TestSessionRelayedAcrossNodes(t *testing.T) {
	a, b, acc, key := twoNodes(t)
	owner := NewClient(t, a.URL(), key)
	var tok struct {
		Secret string `json:"secret"`
	}
	owner.Must(http.StatusCreated, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	ag := StartAgent(t, "relay-pc", tok.Secret, b.URL())
	// Enrolled through B: A knows the device within a moment (the notice, or at worst its poll).
	eventually.True(t, time.Second, "node A to know the device", func() bool {
		return owner.Do("GET", "/api/v1/devices/"+ag.DeviceID, nil).Status == http.StatusOK
	})
	owner.Must(http.StatusNoContent, "POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{ag.DeviceID},
		"group_id": acc.DefaultGroup.ID}, nil)
	eventually.True(t, 10*time.Second, "the agent to connect to node B", func() bool { return b.Hub().Online(ag.DeviceID) })
	if a.Hub().Online(ag.DeviceID) {
		t.Fatal("the agent is connected to node A too")
	}

	s := owner.Session(ag.DeviceID, "terminal")
	st := s.State("active")
	id := st["session_id"].(string)
	s.Terminal(1, "echo relayed-$((6*7))", "relayed-42")
	var rec struct {
		NodeID string `json:"node_id"`
	}
	owner.Must(http.StatusOK, "GET", "/api/v1/sessions/"+id, nil, &rec)
	if rec.NodeID != "node-b" {
		t.Fatalf("the session is recorded on %q, want node-b (the agent's)", rec.NodeID)
	}

	// A group setting switched off through A ends the session on B within a second.
	owner.Must(http.StatusOK, "PUT", "/api/v1/device-groups/"+acc.DefaultGroup.ID+"/settings",
		map[string]any{"own": map[string]bool{"terminal": false}}, nil)
	acked := time.Now()
	end, at := s.WaitEnd(5 * time.Second)
	if d := at.Sub(acked); d > time.Second {
		t.Fatalf("the session ended %v after the change, want within 1 s", d)
	}
	if end == nil || end["reason"] != "setting switched off" {
		t.Fatalf("final state %v, want ended with the reason", end)
	}
	owner.Must(http.StatusOK, "PUT", "/api/v1/device-groups/"+acc.DefaultGroup.ID+"/settings",
		map[string]any{"own": map[string]bool{"terminal": true}}, nil)

	// DELETE on A ends a session that runs on B.
	s2 := owner.Session(ag.DeviceID, "terminal")
	id2 := s2.State("active")["session_id"].(string)
	owner.Must(http.StatusNoContent, "DELETE", "/api/v1/sessions/"+id2, nil, nil)
	acked = time.Now()
	_, at = s2.WaitEnd(5 * time.Second)
	if d := at.Sub(acked); d > time.Second {
		t.Fatalf("the session ended %v after DELETE on the other node, want within 1 s", d)
	}
	eventually.True(t, 5*time.Second, "no live session on node B", func() bool {
		var live struct {
			Items []any `json:"items"`
		}
		NewClient(t, b.URL(), key).Must(http.StatusOK, "GET", "/api/v1/sessions", nil, &live)
		return len(live.Items) == 0
	})
}

// TestDeviceConnectedToTwoNodes: the same device's agent connects to node A, then (a copy with the
// same credential) to node B: the newest connection wins, node A is told to close its own, and every
// node sees the device Available on B.
func TestDeviceConnectedToTwoNodes(t *testing.T) {
	a, b, _, key := twoNodes(t)
	owner := NewClient(t, a.URL(), key)
	var tok struct {
		Secret string `json:"secret"`
	}
	owner.Must(http.StatusCreated, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &tok)
	first := StartAgent(t, "twin", tok.Secret, a.URL())
	eventually.True(t, 10*time.Second, "the agent on node A", func() bool { return a.Hub().Online(first.DeviceID) })
	// The first connection's presence is recorded before the second arrives.
	eventually.True(t, 5*time.Second, "node A's connection recorded", func() bool {
		var d struct {
			Status string `json:"status"`
		}
		owner.Must(http.StatusOK, "GET", "/api/v1/devices/"+first.DeviceID, nil, &d)
		return d.Status == "available"
	})
	// The first copy would reconnect after losing its connection; stop it from trying again by
	// pointing a second copy at B and stopping the first once A has closed its connection.
	second := RunAgent(t, "twin-2", first.Config, b.URL())
	eventually.True(t, 10*time.Second, "node A to close its older connection", func() bool {
		return b.Hub().Online(first.DeviceID) && !a.Hub().Online(first.DeviceID)
	})
	first.Stop()
	_ = second
	for _, n := range []*Node{a, b} {
		var d struct {
			Status string `json:"status"`
		}
		eventually.True(t, 5*time.Second, "the device available on every node", func() bool {
			NewClient(t, n.URL(), key).Must(http.StatusOK, "GET", "/api/v1/devices/"+first.DeviceID, nil, &d)
			return d.Status == "available"
		})
	}
}
