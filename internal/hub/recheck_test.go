package hub_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
)

// TestRevocation changes access under a live session: each change ends the session, or narrows it,
// with the reason and the audit entry.
func TestRevocation(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		change func(e *env, user *portico.User, asg *portico.Assignment, deviceID string)
		reason string
	}{
		{"assignment removed", func(e *env, _ *portico.User, asg *portico.Assignment, _ string) {
			must(e.t, e.app.DeleteAssignment(ctx, e.sys, asg.ID))
		}, "permission revoked"},
		{"user disabled", func(e *env, u *portico.User, _ *portico.Assignment, _ string) {
			_, err := e.app.SetUserEnabled(ctx, e.sys, u.ID, false)
			must(e.t, err)
		}, "user disabled"},
		{"setting switched off", func(e *env, _ *portico.User, _ *portico.Assignment, _ string) {
			_, err := e.app.PutGroupSettings(ctx, e.sys, e.group.ID, portico.GroupSettings{portico.FeatureTerminal: false, portico.FeatureChat: false})
			must(e.t, err)
		}, "setting switched off"},
		{"device moved", func(e *env, _ *portico.User, _ *portico.Assignment, deviceID string) {
			g, err := e.app.CreateDeviceGroup(ctx, e.sys, app.GroupInput{Name: "Elsewhere", Colour: "#654321"})
			must(e.t, err)
			must(e.t, e.app.MoveDevices(ctx, e.sys, []string{deviceID}, g.ID))
		}, "device moved"},
		{"device deleted", func(e *env, _ *portico.User, _ *portico.Assignment, deviceID string) {
			must(e.t, e.app.DeleteDevices(ctx, e.sys, []string{deviceID}))
		}, ""}, // deleted: the revocation or the disconnection, whichever comes first
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			id, cred := e.device()
			fa := e.online(id, cred)
			user, asg := e.technicianUser(portico.PermDeviceTerminal, portico.PermDeviceChat)
			tech, status, detail := e.openSession(e.signIn(user.Email), id, "terminal,chat")
			if tech == nil {
				t.Fatalf("open session: %d %s", status, detail)
			}
			tech.expect("state", "active")
			tech.send(map[string]any{"type": "open", "channel": 1, "action": "terminal"})
			tech.expect("opened", "")

			tc.change(e, user, asg, id)
			end := tech.expect("state", "ended")
			if tc.reason != "" && (end.Reason != tc.reason || end.By != "server") {
				t.Fatalf("ended %+v, want by server: %s", end, tc.reason)
			}
			if tc.reason != "" {
				var se protocol.SessionEnd
				must(t, protocol.DecodeBody(fa.next(protocol.MsgSessionEnd), &se))
				if se.Reason != tc.reason {
					t.Fatalf("agent told %+v", se)
				}
				eventually.True(t, 5*time.Second, "the audit entry", func() bool { return e.audited("session.end", tc.reason) })
			}
		})
	}
}

func TestNarrowing(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id, cred := e.device()
	fa := e.online(id, cred)
	user, _ := e.technicianUser(portico.PermDeviceTerminal, portico.PermDeviceChat)
	tech, _, _ := e.openSession(e.signIn(user.Email), id, "terminal,chat")
	tech.expect("state", "active")
	tech.send(map[string]any{"type": "open", "channel": 1, "action": "terminal"})
	tech.expect("opened", "")

	// PowerShell/terminal off at the group: the terminal goes, chat stays.
	_, err := e.app.PutGroupSettings(ctx, e.sys, e.group.ID, portico.GroupSettings{portico.FeatureTerminal: false})
	must(t, err)
	var got []techMsg
	for len(got) < 2 {
		m := tech.read()
		if m.Type == "actions" || m.Type == "closed" {
			got = append(got, m)
		}
	}
	slices.SortFunc(got, func(a, b techMsg) int { return len(a.Type) - len(b.Type) })
	if got[0].Type != "closed" || got[0].Channel != 1 || got[1].Type != "actions" || !slices.Equal(got[1].Actions, []string{"chat"}) ||
		got[1].Reason != "setting switched off" {
		t.Fatalf("technician got %+v", got)
	}
	var up protocol.SessionUpdate
	must(t, protocol.DecodeBody(fa.next(protocol.MsgSessionUpdate), &up))
	if !slices.Equal(up.Actions, []string{"chat"}) {
		t.Fatalf("agent got %+v", up)
	}
	eventually.True(t, 5*time.Second, "the narrowing audited", func() bool { return e.audited("session.narrow", "removed terminal: setting switched off") })
	// The narrowed session goes on: chat works, the terminal cannot be reopened.
	tech.send(map[string]any{"type": "open", "channel": 2, "action": "terminal"})
	tech.expect("error", "")
	tech.send(map[string]string{"type": "chat", "text": "still here"})
	fa.next(protocol.MsgChat)
	if d := e.getDevice(id); d.Status != portico.DeviceInSession {
		t.Fatalf("status %s", d.Status)
	}
}

// TestRevokedAPIKeyEndsItsSession: a session opened with an API key ends as soon as the key is
// revoked, though the key's owner (here the account owner) keeps every right.
func TestRevokedAPIKeyEndsItsSession(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	id, cred := e.device()
	e.online(id, cred)
	owner := &app.Actor{Kind: app.ActorUser, AccountID: e.acc.Account.ID, UserID: e.acc.Owner.ID, Name: e.acc.Owner.Name}
	key, secret, err := e.app.CreateAPIKey(ctx, owner, "session key", nil)
	must(t, err)
	tech, status, detail := e.openSession(http.Header{"Authorization": {"Bearer " + secret}}, id, "terminal")
	if tech == nil {
		t.Fatalf("open session with an API key: %d %s", status, detail)
	}
	tech.expect("state", "active")
	must(t, e.app.RevokeAPIKey(ctx, e.sys, key.ID))
	end := tech.expect("state", "ended")
	if end.Reason != "API key revoked" || end.By != "server" {
		t.Fatalf("ended %+v, want by server: API key revoked", end)
	}
}
