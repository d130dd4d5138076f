package app

import (
	"context"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// This file holds on-demand (quick support) sessions: a technician's single-use code for a person
// whose computer Portico does not manage, its redemption by the support agent, and who may see and
// end them (docs/on-demand.md). on_demand.own lets a technician create sessions and see and join
// their own; on_demand.all every session of the account.

// Limits of code guessing: an address that sent this many wrong codes within the window is refused,
// even with a right code, until the lockout ends. The counts are in the database, so every node of a
// cluster refuses it.
const (
	maxWrongCodes   = 20
	wrongCodeWindow = 15 * time.Minute
)

// onDemandSection is where on-demand permissions are decided.
var onDemandSection = authz.Section(portico.SectionOnDemand)

// OnDemandView is an on-demand session as technicians see it, with the link the person opens.
type OnDemandView struct {
	portico.OnDemandSession
	// Link is the public page the person opens: the company, the technician, the downloads, the code.
	Link string `json:"link"`
}

func (a *App) onDemandView(o portico.OnDemandSession) OnDemandView {
	o.State = o.StateAt(a.now())
	return OnDemandView{OnDemandSession: o, Link: a.OnDemandLink(o.Code)}
}

// OnDemandLink is the public page of a code.
func (a *App) OnDemandLink(code string) string {
	return strings.TrimRight(a.BaseURL, "/") + "/support/" + code
}

// CreateOnDemandSession creates an on-demand session for the actor (on_demand.own): a fresh code
// valid for the account's code lifetime, and a link.
func (a *App) CreateOnDemandSession(ctx context.Context, ac *Actor, in portico.OnDemandInput) (*OnDemandView, error) {
	if err := a.authorize(ctx, ac, portico.ActionOnDemandCreate, portico.PermOnDemandOwn, onDemandSection); err != nil {
		return nil, err
	}
	if ac.UserID == "" {
		return nil, portico.Errorf(portico.KindForbidden, "an on-demand session belongs to a technician: create it as a user or with a user's API key")
	}
	var v portico.Validation
	in = in.Validate(&v)
	if err := v.Err(); err != nil {
		return nil, portico.WithOp("create on-demand session", err)
	}
	settings, err := a.store.OnDemandSettings(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("create on-demand session: %w", err)
	}
	if in.Language == "" {
		in.Language = "en-GB"
	}
	now := a.now()
	o := &portico.OnDemandSession{ID: portico.NewID("ods"), AccountID: ac.AccountID, UserID: ac.UserID, UserName: ac.Name,
		CustomerName: in.CustomerName, Note: in.Note, Language: in.Language,
		State: portico.OnDemandWaiting, CreatedAt: now, ExpiresAt: now.Add(time.Duration(settings.CodeMinutes) * time.Minute)}
	// A code a redeemable session already holds is drawn again; with a billion codes and codes that
	// live minutes, a second draw is already rare.
	for attempt := 0; ; attempt++ {
		o.Code = portico.NewOnDemandCode()
		err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
			if err := tx.CreateOnDemandSession(ctx, o, portico.HashSecret(o.Code)); err != nil {
				return nil, err
			}
			h := a.historyEntry(ac, &portico.Device{ID: o.ID, AccountID: o.AccountID}, "on_demand.create", o.CustomerName)
			if err := tx.AddOnDemandHistory(ctx, h); err != nil {
				return nil, err
			}
			return &change{action: portico.ActionOnDemandCreate, targetType: string(portico.AuditTargetOnDemand),
				targetID: o.ID, detail: onDemandDetail(o), quiet: true}, nil
		})
		if portico.IsKind(err, portico.KindConflict) && attempt < 5 {
			continue
		}
		if err != nil {
			return nil, portico.WithOp("create on-demand session", err)
		}
		view := a.onDemandView(*o)
		return &view, nil
	}
}

func onDemandDetail(o *portico.OnDemandSession) string {
	if o.CustomerName != "" {
		return o.CustomerName
	}
	return o.ID
}

// onDemandScope returns whose sessions the actor may see: every one (on_demand.all), only their own
// (on_demand.own), or none (refused, audited as action).
func (a *App) onDemandScope(ctx context.Context, ac *Actor, action portico.AuditAction) (all bool, err error) {
	if a.can(ctx, ac, portico.PermOnDemandAll, onDemandSection) {
		return true, nil
	}
	if err := ac.Failure(); err != nil {
		return false, err
	}
	return false, a.authorize(ctx, ac, action, portico.PermOnDemandOwn, onDemandSection)
}

// ListOnDemandSessions lists the on-demand sessions the actor may see, newest first: every one with
// on_demand.all, their own with on_demand.own. live keeps those neither ended nor expired.
func (a *App) ListOnDemandSessions(ctx context.Context, ac *Actor, live bool) ([]OnDemandView, error) {
	all, err := a.onDemandScope(ctx, ac, portico.ActionOnDemandList)
	if err != nil {
		return nil, err
	}
	f := store.OnDemandFilter{Live: live}
	if !all {
		f.UserID = ac.UserID
	}
	rows, err := a.store.ListOnDemandSessions(ctx, ac.AccountID, f)
	if err != nil {
		return nil, fmt.Errorf("list on-demand sessions: %w", err)
	}
	out := make([]OnDemandView, 0, len(rows))
	for _, o := range rows {
		v := a.onDemandView(o)
		if live && !v.Live() {
			continue // expired since the sweep last ran
		}
		out = append(out, v)
	}
	return out, nil
}

// visibleOnDemand returns a session the actor may see: any with on_demand.all, their own with
// on_demand.own. Another technician's session, for one with only on_demand.own, is not found, as is
// every session for one with neither: whoever may not see it does not learn that it exists.
func (a *App) visibleOnDemand(ctx context.Context, ac *Actor, action portico.AuditAction, id string) (*portico.OnDemandSession, error) {
	all, err := a.onDemandScope(ctx, ac, action)
	if portico.IsKind(err, portico.KindForbidden) {
		return nil, portico.NotFound("on-demand session")
	}
	if err != nil {
		return nil, err
	}
	o, err := a.store.GetOnDemandSession(ctx, ac.AccountID, id)
	if err != nil {
		return nil, portico.WithOp("get on-demand session", err)
	}
	if !all && o.UserID != ac.UserID {
		a.auditDenied(ctx, ac, action, string(portico.AuditTargetOnDemand), id, "another technician's session: on_demand.all needed")
		return nil, portico.NotFound("on-demand session")
	}
	return o, nil
}

// GetOnDemandSession returns an on-demand session the actor may see.
func (a *App) GetOnDemandSession(ctx context.Context, ac *Actor, id string) (*OnDemandView, error) {
	o, err := a.visibleOnDemand(ctx, ac, portico.ActionOnDemandView, id)
	if err != nil {
		return nil, err
	}
	v := a.onDemandView(*o)
	return &v, nil
}

// OnDemandHistory returns an on-demand session's history, newest first.
func (a *App) OnDemandHistory(ctx context.Context, ac *Actor, id string, f portico.HistoryFilter) ([]portico.HistoryEntry, int, error) {
	if _, err := a.visibleOnDemand(ctx, ac, portico.ActionOnDemandView, id); err != nil {
		return nil, 0, err
	}
	return a.store.ListOnDemandHistory(ctx, ac.AccountID, id, f)
}

// EndOnDemandSession ends an on-demand session the actor may see: its code and its support agent's
// credential stop working, its live remote sessions end and its support agent is told to stop, on
// whichever node holds them. Ending one already over changes nothing.
func (a *App) EndOnDemandSession(ctx context.Context, ac *Actor, id string) error {
	o, err := a.visibleOnDemand(ctx, ac, portico.ActionOnDemandEnd, id)
	if err != nil {
		return err
	}
	by, reason := "technician", "ended by the technician"
	if o.UserID != ac.UserID {
		by, reason = "server", "ended by "+ac.Name
	}
	return a.endOnDemand(ctx, ac, o, by, reason)
}

// endOnDemand ends a live on-demand session with its remote sessions and support agent.
func (a *App) endOnDemand(ctx context.Context, ac *Actor, o *portico.OnDemandSession, by, reason string) error {
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		ended, err := tx.EndOnDemandSession(ctx, o.AccountID, o.ID, by, reason, a.now())
		if err != nil || !ended {
			return nil, err
		}
		live, err := tx.ListRemoteSessions(ctx, o.AccountID, portico.RemoteSessionFilter{Live: true, DeviceID: o.ID})
		if err != nil {
			return nil, err
		}
		ch := &change{action: portico.ActionOnDemandEnd, targetType: string(portico.AuditTargetOnDemand), targetID: o.ID,
			detail: onDemandDetail(o) + ": " + reason, quiet: true,
			stopAgents: []AgentStop{{ID: o.ID, Reason: "the support session has ended"}}}
		for _, r := range live {
			ch.endSessions = append(ch.endSessions, SessionEnd{ID: r.ID, By: by, Reason: reason})
		}
		h := a.historyEntry(ac, &portico.Device{ID: o.ID, AccountID: o.AccountID}, "on_demand.end", reason)
		if err := tx.AddOnDemandHistory(ctx, h); err != nil {
			return nil, err
		}
		return ch, nil
	})
	return portico.WithOp("end on-demand session", err)
}

// RedeemInput is what a support agent sends to redeem a code, and the address it came from.
type RedeemInput struct {
	Code         string
	Hostname     string
	OSName       string
	OSVersion    string
	LoggedInUser string
	SourceIP     string
}

// Redemption is what a redeemed code gives the support agent.
type Redemption struct {
	SessionID      string    `json:"session_id"`
	Credential     string    `json:"credential" openapi:"required"`
	CompanyName    string    `json:"company_name"`
	TechnicianName string    `json:"technician_name"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// RedeemOnDemandCode redeems a code for a support agent: the session becomes connected, the code
// stops working, and the agent gets the credential it connects with from then on. A wrong, expired
// or used code is not found. Every attempt is charged to the address first, in the database: one that
// sent 20 wrong codes within 15 minutes is refused for 15 minutes, even with a right code, on every
// node.
func (a *App) RedeemOnDemandCode(ctx context.Context, in RedeemInput) (*Redemption, error) {
	var v portico.Validation
	code, ok := portico.NormalizeOnDemandCode(in.Code)
	if !ok {
		v.Add("code", "must be the 9 digits the technician gave")
	}
	hostname := in.Hostname
	validateAgentFacts(&v, &hostname, []agentText{{"os_name", in.OSName}, {"os_version", in.OSVersion},
		{"logged_in_user", in.LoggedInUser}}, nil)
	if err := v.Err(); err != nil {
		return nil, portico.WithOp("redeem on-demand code", err)
	}
	now := a.now()
	charge, locked, err := a.codes.attemptAddr(ctx, in.SourceIP, now)
	if err != nil {
		return nil, fmt.Errorf("redeem on-demand code: %w", err)
	}
	if locked {
		return nil, lockedField("code", "too many wrong codes from this address: try again in 15 minutes")
	}
	wrong := portico.NotFound("on-demand session")
	o, err := a.store.OnDemandByCode(ctx, portico.HashSecret(code))
	switch {
	case portico.IsKind(err, portico.KindNotFound):
		charge.settle(ctx, true)
		return nil, wrong
	case err != nil:
		charge.settle(ctx, false)
		return nil, fmt.Errorf("redeem on-demand code: %w", err)
	case subtle.ConstantTimeCompare([]byte(o.Code), []byte(code)) != 1 || o.StateAt(now) != portico.OnDemandWaiting:
		charge.settle(ctx, true)
		return nil, wrong
	}
	charge.settle(ctx, false)
	credential := portico.NewSecret("pod")
	agent := &Actor{Kind: ActorAgent, OnDemand: true, AccountID: o.AccountID, DeviceID: o.ID, Name: hostname, SourceIP: in.SourceIP}
	err = a.write(ctx, agent, func(tx *store.Tx) (*change, error) {
		err := tx.RedeemOnDemandSession(ctx, o.AccountID, o.ID, portico.HashSecret(code), portico.HashSecret(credential),
			in.SourceIP, store.OnDemandFacts{ComputerName: hostname, OSName: in.OSName, OSVersion: in.OSVersion,
				LoggedInUser: in.LoggedInUser}, now)
		if err != nil {
			return nil, err
		}
		h := a.historyEntry(agent, &portico.Device{ID: o.ID, AccountID: o.AccountID}, "on_demand.redeem", hostname)
		if err := tx.AddOnDemandHistory(ctx, h); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionOnDemandRedeem, targetType: string(portico.AuditTargetOnDemand), targetID: o.ID,
			detail: fmt.Sprintf("%s on %s from %s", onDemandDetail(o), hostname, in.SourceIP), quiet: true}, nil
	})
	if portico.IsKind(err, portico.KindNotFound) {
		return nil, wrong // redeemed by another request a moment ago
	}
	if err != nil {
		return nil, fmt.Errorf("redeem on-demand code: %w", err)
	}
	acc, err := a.store.GetAccount(ctx, o.AccountID)
	if err != nil {
		return nil, fmt.Errorf("redeem on-demand code: %w", err)
	}
	tech := acc.Settings.TechnicianDisplayName
	if tech == "" {
		tech = o.UserName
	}
	authenticated(ctx)
	return &Redemption{SessionID: o.ID, Credential: credential, CompanyName: acc.Name, TechnicianName: tech,
		ExpiresAt: o.ExpiresAt}, nil
}

// AuthenticateSupportAgent checks a support agent's credential for its on-demand session and returns
// its actor. A session that ended no longer accepts it.
func (a *App) AuthenticateSupportAgent(ctx context.Context, sessionID, credential, sourceIP string) (*Actor, error) {
	unauth := portico.Errorf(portico.KindUnauthenticated, "invalid support agent credential, or the support session has ended")
	accountID, hash, state, err := a.store.OnDemandCredential(ctx, sessionID)
	if portico.IsKind(err, portico.KindNotFound) {
		portico.SecretMatches(credential, dummyCredentialHash)
		return nil, unauth
	}
	if err != nil {
		return nil, fmt.Errorf("authenticate support agent: %w", err)
	}
	if hash == "" || !portico.SecretMatches(credential, hash) || state == portico.OnDemandEnded {
		return nil, unauth
	}
	o, err := a.store.GetOnDemandSession(ctx, accountID, sessionID)
	if err != nil {
		return nil, fmt.Errorf("authenticate support agent: %w", err)
	}
	authenticated(ctx)
	return &Actor{Kind: ActorAgent, OnDemand: true, AccountID: accountID, DeviceID: sessionID, Name: o.ComputerName,
		SourceIP: sourceIP}, nil
}

// GetOnDemandSettings returns the account's on-demand settings: to on_demand.settings holders, and to
// technicians who may create on-demand sessions (the settings say what their sessions offer).
func (a *App) GetOnDemandSettings(ctx context.Context, ac *Actor) (*portico.OnDemandSettings, error) {
	if !a.can(ctx, ac, portico.PermOnDemandOwn, onDemandSection) {
		if err := ac.Failure(); err != nil {
			return nil, err
		}
		if err := a.authorize(ctx, ac, portico.ActionOnDemandSettingsView, portico.PermOnDemandSettings, authz.Account()); err != nil {
			return nil, err
		}
	}
	s, err := a.store.OnDemandSettings(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("get on-demand settings: %w", err)
	}
	return &s, nil
}

// UpdateOnDemandSettings replaces the account's on-demand settings (on_demand.settings). Live
// on-demand sessions are checked again: an action switched off ends there at once.
func (a *App) UpdateOnDemandSettings(ctx context.Context, ac *Actor, in portico.OnDemandSettings) (*portico.OnDemandSettings, error) {
	if err := a.authorize(ctx, ac, portico.ActionOnDemandSettingsUpdate, portico.PermOnDemandSettings, authz.Account()); err != nil {
		return nil, err
	}
	var v portico.Validation
	s := in.Validate(&v)
	if err := v.Err(); err != nil {
		return nil, portico.WithOp("update on-demand settings", err)
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.SetOnDemandSettings(ctx, ac.AccountID, s); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionOnDemandSettingsUpdate, targetType: string(portico.AuditTargetAccount),
			targetID: ac.AccountID, detail: fmt.Sprintf("codes %d min, actions %s, approval %t", s.CodeMinutes,
				strings.Join(s.Actions, ", "), s.RequireApproval)}, nil
	})
	if err != nil {
		return nil, portico.WithOp("update on-demand settings", err)
	}
	return &s, nil
}

// SweepOnDemand marks expired the codes that lapsed and ends the redeemed sessions whose support agent
// has been gone for longer than abandonAfter, with their audit entries. Any node may run it: each
// session is expired or ended once.
func (a *App) SweepOnDemand(ctx context.Context, abandonAfter time.Duration) error {
	now := a.now()
	expired, err := a.store.ExpireOnDemandSessions(ctx, now)
	if err != nil {
		return err
	}
	for _, o := range expired {
		sys := SystemActor(o.AccountID)
		if err := a.store.AppendAudit(ctx, a.auditEvent(sys, portico.ActionOnDemandExpire, string(portico.AuditTargetOnDemand),
			o.ID, portico.OutcomeSuccess, onDemandDetail(&o))); err != nil {
			return err
		}
	}
	gone, err := a.store.AbandonedOnDemandSessions(ctx, now.Add(-abandonAfter))
	if err != nil {
		return err
	}
	for i := range gone {
		o := &gone[i]
		if err := a.endOnDemand(ctx, SystemActor(o.AccountID), o, "server", "the support agent was gone for too long"); err != nil {
			return err
		}
	}
	return nil
}
