package hub_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

func TestSessionRefused(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	offline, _ := e.device()
	e.online(id, cred)
	other := newEnv(t)
	foreign, _ := other.device()
	chatOnly, _ := e.technicianUser(portico.PermDeviceChat)
	owner := e.signIn(e.acc.Owner.Email)
	tech := e.signIn(chatOnly.Email)
	unassigned, _, err := e.app.Enroll(context.Background(), app.EnrollInput{Token: e.token, Hostname: uniq("new-")})
	must(t, err)
	for _, tc := range []struct {
		name    string
		hdr     http.Header
		device  string
		actions string
		status  int
		detail  string
	}{
		{"another account's device", owner, foreign, "chat", 404, ""},
		{"unknown action", owner, id, "chat,teleport", 422, ""},
		{"no action", owner, id, "", 422, ""},
		{"action not granted", tech, id, "chat,terminal", 403, `"terminal"`},
		{"device in Unassigned", owner, unassigned, "chat", 403, "Unassigned"},
		{"offline", owner, offline, "chat", 409, "device is offline"},
		{"cross-site", withOrigin(owner, "https://evil.example"), id, "chat", 403, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, status, detail := e.openSession(tc.hdr, tc.device, tc.actions)
			if status != tc.status || !strings.Contains(detail, tc.detail) {
				t.Fatalf("%d %q, want %d containing %q", status, detail, tc.status, tc.detail)
			}
		})
	}
	if !e.audited("session.start", "device.terminal") {
		t.Error("the refused action was not audited")
	}
}

func withOrigin(h http.Header, origin string) http.Header {
	out := h.Clone()
	out.Set("Origin", origin)
	return out
}

func TestSessionAcknowledgement(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	fa := e.online(id, cred)
	owner := e.signIn(e.acc.Owner.Email)
	ctx := context.Background()
	_, err := e.app.PutGroupSettings(ctx, e.sys, e.group.ID, portico.GroupSettings{portico.FeatureRequireAck: true})
	must(t, err)

	t.Run("accepted", func(t *testing.T) {
		tc, _, _ := e.openSession(owner, id, "chat")
		tc.expect("state", "connecting")
		var req protocol.SessionRequest
		must(t, protocol.DecodeBody(fa.next(protocol.MsgSessionRequest), &req))
		if !req.AckRequired || req.Technician != "Olive Owner" || len(req.Actions) != 1 || req.Actions[0] != "chat" {
			t.Fatalf("session request %+v", req)
		}
		tc.expect("state", "active")
		e.waitStatus(id, portico.DeviceInSession)
		sessions, err := e.app.ListSessions(ctx, e.sys)
		must(t, err)
		if len(sessions) != 1 || sessions[0].ID != req.SessionID || sessions[0].GroupName != "Lab" || sessions[0].State != "active" {
			t.Fatalf("In session list: %+v", sessions)
		}
		tc.send(map[string]string{"type": "end"})
		end := tc.expect("state", "ended")
		if end.By != "technician" {
			t.Fatalf("ended by %q", end.By)
		}
		var se protocol.SessionEnd
		must(t, protocol.DecodeBody(fa.next(protocol.MsgSessionEnd), &se))
		if se.SessionID != req.SessionID || se.By != "technician" {
			t.Fatalf("agent got %+v", se)
		}
		e.waitStatus(id, portico.DeviceAvailable)
		eventually.True(t, 5*time.Second, "the session.end audit entry", func() bool { return e.audited("session.end", "by technician") })
	})

	t.Run("denied", func(t *testing.T) {
		fa.accept.Store("no")
		tc, _, _ := e.openSession(owner, id, "chat")
		fa.next(protocol.MsgSessionRequest)
		end := tc.expect("state", "ended")
		if end.By != "end_user" || end.Reason != "not now" {
			t.Fatalf("denied session ended %+v", end)
		}
		eventually.True(t, 5*time.Second, "the denial audited", func() bool { return e.audited("session.end", "not now") })
	})

	t.Run("cancelled", func(t *testing.T) {
		fa.accept.Store("")
		tc, _, _ := e.openSession(owner, id, "chat")
		tc.expect("state", "connecting")
		var req protocol.SessionRequest
		must(t, protocol.DecodeBody(fa.next(protocol.MsgSessionRequest), &req))
		tc.send(map[string]string{"type": "cancel"})
		tc.expect("state", "ended")
		var se protocol.SessionEnd
		must(t, protocol.DecodeBody(fa.next(protocol.MsgSessionEnd), &se))
		if se.SessionID != req.SessionID || se.By != "technician" {
			t.Fatalf("agent got %+v", se)
		}
		r, err := e.app.GetSession(ctx, e.sys, req.SessionID)
		must(t, err)
		if r.State != portico.RemoteSessionEnded || r.EndReason != "cancelled by the technician" || r.EndedAt == nil {
			t.Fatalf("stored %+v", r)
		}
		if d := e.getDevice(id); d.Status != portico.DeviceAvailable {
			t.Fatalf("status after a cancelled session: %s", d.Status)
		}
	})
}

func TestSessionRelay(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	fa := e.online(id, cred)
	neighbourID, neighbourCred := e.device()
	neighbour := e.online(neighbourID, neighbourCred)
	fa.send(protocol.MsgInventory, protocol.Inventory{Hostname: "pc", IPAddresses: []string{"192.168.7.10"}, MACAddresses: []string{"aa:bb:cc:dd:ee:01"}})
	neighbour.send(protocol.MsgInventory, protocol.Inventory{Hostname: "nb", IPAddresses: []string{"192.168.7.20"}})
	owner := e.signIn(e.acc.Owner.Email)
	tc, _, _ := e.openSession(owner, id, "terminal,chat,reboot,wake")
	tc.expect("state", "active")

	// A stream: opened, relayed both ways.
	tc.send(map[string]any{"type": "open", "channel": 3, "action": "terminal", "args": map[string]int{"cols": 80, "rows": 24}})
	if m := tc.expect("opened", ""); m.Channel != 3 {
		t.Fatalf("opened %+v", m)
	}
	must(t, tc.c.WriteMessage(websocket.BinaryMessage, append([]byte{3}, "ls\n"...)))
	m := tc.expect("binary", "")
	if m.binary[0] != 3 || string(m.binary[1:]) != "echo:terminal:ls\n" {
		t.Fatalf("relayed %q", m.binary)
	}
	// Refusals that keep the session.
	tc.send(map[string]any{"type": "open", "channel": 4, "action": "file_transfer"})
	if m := tc.expect("error", ""); !strings.Contains(m.Message, "file_transfer") {
		t.Fatalf("open of an action not asked: %+v", m)
	}
	tc.send(map[string]any{"type": "open", "channel": 3, "action": "terminal"})
	tc.expect("error", "")
	// Read one way only: args with a key twice never reach the agent, which would drop its connection.
	must(t, tc.c.WriteMessage(websocket.TextMessage, []byte(`{"type":"open","channel":5,"action":"terminal","args":{"cols":80,"cols":1}}`)))
	if m := tc.expect("error", ""); !strings.Contains(m.Message, "args.cols appears twice") {
		t.Fatalf("open with a key twice: %+v", m)
	}
	tc.send(map[string]any{"type": "close", "channel": 3})
	if m := tc.expect("closed", ""); m.Channel != 3 {
		t.Fatalf("closed %+v", m)
	}

	// Chat both ways.
	tc.send(map[string]string{"type": "chat", "text": "hello from support"})
	var c protocol.Chat
	must(t, protocol.DecodeBody(fa.next(protocol.MsgChat), &c))
	if c.Text != "hello from support" || c.From != "technician" || c.Name != "Olive Owner" {
		t.Fatalf("agent got chat %+v", c)
	}
	fa.send(protocol.MsgChat, protocol.Chat{SessionID: c.SessionID, From: "end_user", Name: "Ann", Text: "hi!"})
	if m := tc.expect("chat", ""); m.Text != "hi!" || m.From != "end_user" {
		t.Fatalf("technician got chat %+v", m)
	}

	// A command and its result.
	tc.send(map[string]any{"type": "command", "id": "c1", "action": "reboot"})
	res := tc.expect("command_result", "")
	if res.ID != "c1" || !res.OK || !strings.Contains(string(res.Result), "reboot") {
		t.Fatalf("command result %+v", res)
	}
	// Wake goes through the neighbour on the same subnet, with the device's MAC.
	tc.send(map[string]any{"type": "command", "id": "w1", "action": "wake"})
	var cmd protocol.Command
	must(t, protocol.DecodeBody(neighbour.next(protocol.MsgCommand), &cmd))
	var wa protocol.WakeArgs
	must(t, json.Unmarshal(cmd.Args, &wa))
	if cmd.Action != "wake" || wa.MAC != "aa:bb:cc:dd:ee:01" {
		t.Fatalf("neighbour got %+v", cmd)
	}
	if res := tc.expect("command_result", ""); res.ID != "w1" || !res.OK {
		t.Fatalf("wake result %+v", res)
	}
	neighbour.send(protocol.MsgInventory, protocol.Inventory{Hostname: "nb", IPAddresses: []string{"10.9.9.9"}})
	eventually.True(t, 5*time.Second, "the neighbour's new inventory", func() bool { return e.getDevice(neighbourID).IPAddresses[0] == "10.9.9.9" })
	tc.send(map[string]any{"type": "command", "id": "w2", "action": "wake"})
	if m := tc.expect("error", ""); m.Status != http.StatusConflict || m.ID != "w2" {
		t.Fatalf("wake without a neighbour: %+v", m)
	}

	// The end user ends it.
	fa.send(protocol.MsgSessionEnd, protocol.SessionEnd{SessionID: c.SessionID, By: "end_user", Reason: "done, thanks"})
	end := tc.expect("state", "ended")
	if end.By != "end_user" || end.Reason != "done, thanks" {
		t.Fatalf("ended %+v", end)
	}
	e.waitStatus(id, portico.DeviceAvailable)
	eventually.True(t, 5*time.Second, "the end audited", func() bool { return e.audited("session.end", "done, thanks") })
}

func TestSessionEndsWhenAgentDisconnects(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	fa := e.online(id, cred)
	tc, _, _ := e.openSession(e.signIn(e.acc.Owner.Email), id, "chat")
	tc.expect("state", "active")
	fa.conn.Close("crash")
	end := tc.expect("state", "ended")
	if end.Reason != "the device disconnected" {
		t.Fatalf("ended %+v", end)
	}
	e.waitStatus(id, portico.DeviceUnavailable)
}

func TestEndSessionByAPI(t *testing.T) {
	e := newEnv(t)
	id, cred := e.device()
	fa := e.online(id, cred)
	tc, _, _ := e.openSession(e.signIn(e.acc.Owner.Email), id, "chat")
	tc.expect("state", "active")
	var req protocol.SessionRequest
	must(t, protocol.DecodeBody(fa.next(protocol.MsgSessionRequest), &req))
	// Another technician without remote control may not end it; the session's own technician may.
	viewer, _ := e.technicianUser(portico.PermDeviceChat)
	hr, err := http.NewRequest("DELETE", e.srv.URL+"/api/v1/sessions/"+req.SessionID, nil)
	must(t, err)
	hr.Header = e.signIn(viewer.Email)
	resp, err := http.DefaultClient.Do(hr)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Fatalf("end by another technician: %d", resp.StatusCode)
	}
	hr.Header = e.signIn(e.acc.Owner.Email)
	resp, err = http.DefaultClient.Do(hr)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("end by its technician: %d", resp.StatusCode)
	}
	tc.expect("state", "ended")
	fa.next(protocol.MsgSessionEnd)
}
