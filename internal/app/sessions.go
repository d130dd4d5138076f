package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// SessionActions are the remote actions a session on a managed device may carry, in display order.
// The permission for action X is device.X.
var SessionActions = []string{"screen_view", "remote_control", "screenshot", "file_transfer", "terminal",
	"registry", "task_manager", "chat", "message", "clipboard", "blank_screen", "ctrl_alt_del", "wake",
	"reboot", "lock"}

// maxSessionActions bounds the actions one request may name (each is checked).
const maxSessionActions = 32

// ActionPermission is the permission a session action needs.
func ActionPermission(action string) portico.Permission {
	return portico.Permission("device." + action)
}

// SessionGrant is an authorized request to open a session: the device, the actions, what the agent
// must show the end user, and who asked.
type SessionGrant struct {
	Device      portico.Device
	Actions     []string
	AckRequired bool
	// Technician is the name shown at the agent: the account's technician display name when set,
	// otherwise the user's own.
	Technician string
	Actor      *Actor
}

// checkActions refuses an empty list or an unknown action, and returns the actions without repeats.
func checkActions(actions []string) ([]string, error) {
	var v portico.Validation
	out := make([]string, 0, len(actions))
	switch {
	case len(actions) == 0:
		v.Add("actions", "must list at least one action (one of %s)", strings.Join(SessionActions, ", "))
	case len(actions) > maxSessionActions:
		v.Add("actions", "must list at most %d actions (got %d)", maxSessionActions, len(actions))
	}
	for _, act := range actions {
		switch {
		case !slices.Contains(SessionActions, act):
			v.Add("actions", "%q is not a session action (one of %s)", act, strings.Join(SessionActions, ", "))
		case !slices.Contains(out, act):
			out = append(out, act)
		}
	}
	return out, v.Err()
}

// AuthorizeSession decides whether the actor may open a session with these actions on the device:
// each action needs device.<action> there, which the engine refuses when a group setting switches it
// off, the device is in Unassigned, or the user is not active. A refusal names the action and is
// audited; a device of another account is not found. It does not check that the device is online:
// the caller, which holds the live connections, does.
func (a *App) AuthorizeSession(ctx context.Context, ac *Actor, deviceID string, actions []string) (*SessionGrant, error) {
	actions, err := checkActions(actions)
	if err != nil {
		ac.MarkDecided()
		return nil, portico.WithOp("start session", err)
	}
	if err := a.authorize(ctx, ac, portico.ActionSessionStart, portico.PermDeviceView, authz.Device(deviceID)); err != nil {
		return nil, err
	}
	for _, act := range actions {
		if err := a.authorize(ctx, ac, portico.ActionSessionStart, ActionPermission(act), authz.Device(deviceID)); err != nil {
			if portico.IsKind(err, portico.KindForbidden) {
				var pe *portico.Error
				msg := err.Error()
				if errors.As(err, &pe) {
					msg = pe.Message
				}
				return nil, portico.Errorf(portico.KindForbidden, "action %q refused: %s", act, msg)
			}
			return nil, err
		}
	}
	d, err := a.store.GetDevice(ctx, ac.AccountID, deviceID)
	if err != nil {
		return nil, portico.WithOp("start session", err)
	}
	acc, err := a.store.GetAccount(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	groups, err := a.store.ListDeviceGroups(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("start session: %w", err)
	}
	ack := newGroupTree(groups).effective(d.GroupID)[portico.FeatureRequireAck].Enabled
	tech := acc.Settings.TechnicianDisplayName
	if tech == "" {
		tech = ac.Name
	}
	return &SessionGrant{Device: *d, Actions: actions, AckRequired: ack, Technician: tech, Actor: ac}, nil
}

// SessionAllowed returns the actions of a live session that its technician may still use now, and,
// when some are no longer allowed, why ("user disabled", "setting switched off", "permission
// revoked", "device moved to Unassigned", "device deleted"). It is the re-check run after every
// access change; it does not audit. When this node cannot confirm that its copy of the account's
// access is current, no action is allowed: a session does not outlive a revocation this node has
// not heard of.
func (a *App) SessionAllowed(ctx context.Context, accountID, userID, deviceID string, actions []string) ([]string, string) {
	snap, err := a.snapshot(ctx, accountID)
	if err != nil {
		a.log.Error("session re-check", "account", accountID, "err", err)
		return nil, "this server could not confirm that access rights are current"
	}
	now := a.now()
	allowed := make([]string, 0, len(actions))
	reason := ""
	for _, act := range actions {
		d := snap.Decide(authz.Query{UserID: userID, Permission: ActionPermission(act), Target: authz.Device(deviceID), At: now})
		if d.Allowed {
			allowed = append(allowed, act)
			continue
		}
		if reason == "" {
			reason = refusalReason(snap, userID, d.Reason, now)
		}
	}
	return allowed, reason
}

// refusalReason says in a few words why a live session lost an action.
func refusalReason(snap *authz.Snapshot, userID string, r authz.Reason, now time.Time) string {
	switch r {
	case authz.ReasonUserInactive:
		return "user disabled"
	case authz.ReasonSettingOff:
		return "setting switched off"
	case authz.ReasonUnlicensed:
		return "device moved to Unassigned"
	case authz.ReasonNotFound:
		if snap.Decide(authz.Query{UserID: userID, Permission: portico.PermDeviceView, Target: authz.Account(), At: now}).Reason == authz.ReasonNotFound {
			return "user deleted"
		}
		return "device deleted"
	}
	return "permission revoked"
}

// sessionActor is who ends or narrows a session in the audit log: the technician, the device's agent
// (for its end user) or the system.
func sessionActor(r *portico.RemoteSession, by string) *Actor {
	switch by {
	case "technician":
		return &Actor{Kind: ActorUser, AccountID: r.AccountID, UserID: r.UserID, Name: r.UserName}
	case "end_user", "agent":
		return &Actor{Kind: ActorAgent, AccountID: r.AccountID, DeviceID: r.DeviceID, Name: r.DeviceName}
	}
	return SystemActor(r.AccountID)
}

// StartSession records a new session of an authorized grant, relayed by node nodeID: its row (state
// connecting), the audit entry "session.start" and the device's history. The grant's decisions are
// made again if the account changed since (see write).
func (a *App) StartSession(ctx context.Context, g *SessionGrant, nodeID string) (*portico.RemoteSession, error) {
	ac := g.Actor
	r := &portico.RemoteSession{ID: portico.NewID("ses"), AccountID: ac.AccountID, DeviceID: g.Device.ID,
		DeviceName: g.Device.Name, UserID: ac.UserID, UserName: ac.Name, Actions: slices.Clone(g.Actions),
		State: portico.RemoteSessionConnecting, StartedAt: a.now(), NodeID: nodeID}
	detail := fmt.Sprintf("%s: %s", g.Device.Name, strings.Join(g.Actions, ", "))
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.CreateRemoteSession(ctx, r); err != nil {
			return nil, err
		}
		if err := tx.AddHistory(ctx, a.historyEntry(ac, &g.Device, "session.start", strings.Join(g.Actions, ", "))); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionSessionStart, targetType: "session", targetID: r.ID, detail: detail, quiet: true}, nil
	})
	if err != nil {
		return nil, portico.WithOp("start session", err)
	}
	return r, nil
}

// ActivateSession records that the agent (and, when asked, the end user) accepted the session.
func (a *App) ActivateSession(ctx context.Context, r *portico.RemoteSession) error {
	if err := a.store.UpdateRemoteSession(ctx, r.AccountID, r.ID, portico.RemoteSessionActive, r.Actions); err != nil {
		return err
	}
	r.State = portico.RemoteSessionActive
	return nil
}

// NarrowSession records that a live session lost some of its actions (audit "session.narrow").
func (a *App) NarrowSession(ctx context.Context, r *portico.RemoteSession, actions []string, reason string) error {
	removed := []string{}
	for _, act := range r.Actions {
		if !slices.Contains(actions, act) {
			removed = append(removed, act)
		}
	}
	ac := SystemActor(r.AccountID)
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.UpdateRemoteSession(ctx, r.AccountID, r.ID, r.State, actions); err != nil {
			return nil, err
		}
		d := &portico.Device{ID: r.DeviceID, AccountID: r.AccountID}
		detail := fmt.Sprintf("removed %s: %s", strings.Join(removed, ", "), reason)
		if err := tx.AddHistory(ctx, a.historyEntry(ac, d, "session.narrow", detail)); err != nil && !portico.IsKind(err, portico.KindNotFound) {
			return nil, err
		}
		return &change{action: portico.ActionSessionNarrow, targetType: "session", targetID: r.ID, detail: detail, quiet: true}, nil
	})
	if err != nil {
		return portico.WithOp("narrow session", err)
	}
	r.Actions = slices.Clone(actions)
	return nil
}

// EndSession records the end of a session: by is technician, end_user, agent or server. It writes the
// row's end, the audit entry "session.end" with the reason, and the device's history (unless the
// device is gone), and the node relaying the session, whichever it is, ends it (LiveChange). Ending
// an ended session does nothing.
func (a *App) EndSession(ctx context.Context, r *portico.RemoteSession, by, reason string) error {
	ac := sessionActor(r, by)
	now := a.now()
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.EndRemoteSession(ctx, r.AccountID, r.ID, now, by, reason); err != nil {
			if portico.IsKind(err, portico.KindNotFound) {
				return nil, nil // already ended
			}
			return nil, err
		}
		d := &portico.Device{ID: r.DeviceID, AccountID: r.AccountID}
		detail := fmt.Sprintf("by %s: %s", by, reason)
		// A deleted device has no history to add to; the audit entry still records the end.
		if err := tx.AddHistory(ctx, a.historyEntry(ac, d, "session.end", detail)); err != nil && !portico.IsKind(err, portico.KindNotFound) {
			return nil, err
		}
		return &change{action: portico.ActionSessionEnd, targetType: "session", targetID: r.ID, detail: r.DeviceName + " " + detail,
			quiet: true, endSessions: []SessionEnd{{ID: r.ID, By: by, Reason: reason}}}, nil
	})
	if err != nil {
		return portico.WithOp("end session", err)
	}
	r.State, r.EndedAt, r.EndedBy, r.EndReason = portico.RemoteSessionEnded, &now, by, reason
	return nil
}

// SessionView is a session as the In session list shows it: with the device's group.
type SessionView struct {
	portico.RemoteSession
	GroupID   string `json:"group_id,omitempty"`
	GroupName string `json:"group_name,omitempty"`
}

// ListSessions lists the live sessions on devices the actor may view (device.view on each).
func (a *App) ListSessions(ctx context.Context, ac *Actor) ([]SessionView, error) {
	ac.MarkDecided() // filtered below, device by device
	rows, err := a.store.ListRemoteSessions(ctx, ac.AccountID, portico.RemoteSessionFilter{Live: true})
	if err != nil {
		return nil, fmt.Errorf("list sessions: %w", err)
	}
	out := []SessionView{}
	var ids []string
	for _, r := range rows {
		if a.can(ctx, ac, portico.PermDeviceView, authz.Device(r.DeviceID)) {
			out = append(out, SessionView{RemoteSession: r})
			ids = append(ids, r.DeviceID)
		}
	}
	if len(out) == 0 {
		return out, nil
	}
	if err := a.decorateSessions(ctx, ac.AccountID, out, ids); err != nil {
		return nil, err
	}
	return out, nil
}

func (a *App) decorateSessions(ctx context.Context, accountID string, views []SessionView, deviceIDs []string) error {
	groups, err := a.store.ListDeviceGroups(ctx, accountID)
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	tree := newGroupTree(groups)
	devices, _, err := a.store.ListDevices(ctx, accountID, portico.DeviceFilter{IDs: dedupe(deviceIDs), Page: portico.Page{Limit: len(deviceIDs)}})
	if err != nil {
		return fmt.Errorf("list sessions: %w", err)
	}
	groupOf := make(map[string]string, len(devices))
	for _, d := range devices {
		groupOf[d.ID] = d.GroupID
	}
	for i := range views {
		if g, ok := groupOf[views[i].DeviceID]; ok {
			views[i].GroupID, views[i].GroupName = g, tree.name(g)
		}
	}
	return nil
}

// GetSession returns one session, live or ended (device.view on its device).
func (a *App) GetSession(ctx context.Context, ac *Actor, id string) (*SessionView, error) {
	r, err := a.store.GetRemoteSession(ctx, ac.AccountID, id)
	if err != nil {
		ac.MarkDecided() // not in the actor's account: nothing to decide
		return nil, err
	}
	if err := a.authorize(ctx, ac, portico.ActionSessionView, portico.PermDeviceView, authz.Device(r.DeviceID)); err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return nil, portico.NotFound("session")
		}
		return nil, err
	}
	views := []SessionView{{RemoteSession: *r}}
	if err := a.decorateSessions(ctx, ac.AccountID, views, []string{r.DeviceID}); err != nil {
		return nil, err
	}
	return &views[0], nil
}

// AuthorizeEndSession decides whether the actor may end a session: the technician who runs it always
// may; anyone else needs device.remote_control on its device (the permission that would let them take
// the device over anyway). It returns the session's record.
func (a *App) AuthorizeEndSession(ctx context.Context, ac *Actor, id string) (*portico.RemoteSession, error) {
	r, err := a.store.GetRemoteSession(ctx, ac.AccountID, id)
	if err != nil {
		ac.MarkDecided()
		return nil, err
	}
	if (ac.Kind == ActorUser || ac.Kind == ActorAPIKey) && ac.UserID == r.UserID {
		ac.MarkDecided() // their own session
		return r, nil
	}
	if err := a.authorize(ctx, ac, portico.ActionSessionEnd, portico.PermDeviceRemoteControl, authz.Device(r.DeviceID)); err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return nil, portico.NotFound("session")
		}
		return nil, err
	}
	return r, nil
}
