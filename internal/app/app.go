// Package app holds Portico's use cases: every query and change that a technician, an API key, an
// agent or the command line can make. Each one is authorized by the engine (package authz), validated,
// stored in one transaction with its audit entry, and reflected in the account's access snapshot before
// it returns — so the next decision, on any request, already sees it.
package app

import (
	"context"
	"crypto/cipher"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// App is the application. The zero value is not usable; call New.
type App struct {
	store *store.Store
	snaps *authz.Holder
	log   *slog.Logger
	now   func() time.Time

	// writeLocks serialises the writes of one account so that snapshot changes are applied in commit
	// order; reads never take it.
	writeLocks sync.Map // account id → *sync.Mutex
	loadLock   sync.Mutex

	signins *signinLimiter
	// twoFactor seals TOTP secrets (SetTwoFactorKey); nil until a key is given.
	twoFactor atomic.Pointer[cipher.AEAD]
	// mail delivers invitations and notices (SetMailSender); nil when no SMTP server is configured.
	mail atomic.Pointer[mailer]

	// hooksMu guards the subscribers told of access changes and device deletions (see OnAccessChange).
	hooksMu     sync.RWMutex
	accessHooks []func(accountID string)
	deleteHooks []func(accountID string, deviceIDs []string)

	// BaseURL is the public address of the portal, used in invitation links.
	BaseURL string
	// AllowLocalIdPMetadata lets an IdP metadata URL reach loopback and link-local addresses (an IdP
	// on the server's own host). Off, an account administrator cannot make the server fetch from
	// itself or from its cloud platform's metadata service (see sso.MetadataClient).
	AllowLocalIdPMetadata bool
	// AllowLocalDirectory lets a directory (LDAP) URL reach loopback and link-local addresses, for a
	// directory on the server's own host; off, an account cannot make the server probe itself.
	AllowLocalDirectory bool
}

// New returns an App over a migrated store.
func New(st *store.Store, log *slog.Logger) *App {
	if log == nil {
		log = slog.Default()
	}
	return &App{
		store:   st,
		snaps:   authz.NewHolder(),
		log:     log,
		now:     func() time.Time { return time.Now().UTC() },
		signins: newSigninLimiter(),
		BaseURL: "http://localhost:8080",
	}
}

// SetClock replaces the clock, for tests of expiry and the 90-day rule.
func (a *App) SetClock(now func() time.Time) { a.now = now }

// Store returns the underlying store (for the command line's maintenance commands).
func (a *App) Store() *store.Store { return a.store }

// ActorKind says what is acting.
type ActorKind string

// Actor kinds.
const (
	ActorUser   ActorKind = "user"
	ActorAPIKey ActorKind = "api_key"
	ActorAgent  ActorKind = "agent"
	ActorSystem ActorKind = "system"
)

// Actor is who performs an operation: a signed-in user, an API key acting for its owner, an agent, or
// the system itself. It also records whether an authorization decision was made, so the HTTP layer can
// fail any request that finished without one.
type Actor struct {
	Kind      ActorKind
	AccountID string
	UserID    string
	Name      string
	APIKeyID  string
	// KeyPermissions narrows an API key to a subset of its owner's permissions; nil means no narrowing.
	KeyPermissions *portico.PermissionSet
	DeviceID       string
	SourceIP       string
	// ViaSSO marks a portal session opened through single sign-on.
	ViaSSO bool
	// SessionHash identifies the portal session the request came with ("" otherwise), so that a
	// password change can end the user's other sessions and keep this one.
	SessionHash string

	decided atomic.Bool
}

// MarkDecided records that the request needs no permission (signing in, health checks, agent
// enrollment by token) — an explicit decision, not a forgotten one.
func (ac *Actor) MarkDecided() { ac.decided.Store(true) }

// Decided reports whether an authorization decision was made for this actor's request.
func (ac *Actor) Decided() bool { return ac.decided.Load() }

// SystemActor acts for the command line and background work of an account.
func SystemActor(accountID string) *Actor {
	return &Actor{Kind: ActorSystem, AccountID: accountID, Name: "system"}
}

// snapshot returns the account's current snapshot, loading it on first use.
func (a *App) snapshot(ctx context.Context, accountID string) (*authz.Snapshot, error) {
	if s, ok := a.snaps.Get(accountID); ok {
		return s, nil
	}
	a.loadLock.Lock()
	defer a.loadLock.Unlock()
	if s, ok := a.snaps.Get(accountID); ok {
		return s, nil
	}
	s, err := a.loadSnapshot(ctx, accountID)
	if err != nil {
		return nil, err
	}
	a.snaps.Set(accountID, s)
	return s, nil
}

func (a *App) loadSnapshot(ctx context.Context, accountID string) (*authz.Snapshot, error) {
	acc, err := a.store.LoadAccess(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("load access graph: %w", err)
	}
	g := authz.Graph{AccountID: accountID}
	for _, u := range acc.Users {
		g.Users = append(g.Users, userNode(&u))
	}
	for _, ug := range acc.UserGroups {
		g.UserGroups = append(g.UserGroups, authz.UserGroupNode{ID: ug.ID, Name: ug.Name, MemberIDs: ug.MemberIDs})
	}
	for _, r := range acc.Roles {
		g.Roles = append(g.Roles, roleNode(&r))
	}
	g.Assignments = acc.Assignments
	for _, dg := range acc.DeviceGroups {
		g.Groups = append(g.Groups, groupNode(&dg))
	}
	for _, d := range acc.Devices {
		g.Devices = append(g.Devices, authz.DeviceNode{ID: d.ID, GroupID: d.GroupID, Name: d.Name})
	}
	return authz.New(g), nil
}

// Reload rebuilds an account's snapshot from storage (after maintenance done outside the App, or when
// another node reports a change).
func (a *App) Reload(ctx context.Context, accountID string) error {
	unlock := a.lockAccount(accountID)
	defer unlock()
	s, err := a.loadSnapshot(ctx, accountID)
	if err != nil {
		return err
	}
	a.snaps.Set(accountID, s)
	a.accessChanged(accountID)
	return nil
}

// OnAccessChange subscribes fn to access changes: it is called, synchronously, after every change to
// an account's access snapshot is published, so that live sessions can be checked again at once. fn
// must return quickly and must not call back into the App (signal a goroutine instead).
func (a *App) OnAccessChange(fn func(accountID string)) {
	a.hooksMu.Lock()
	defer a.hooksMu.Unlock()
	a.accessHooks = append(a.accessHooks, fn)
}

func (a *App) accessChanged(accountID string) {
	a.hooksMu.RLock()
	defer a.hooksMu.RUnlock()
	for _, fn := range a.accessHooks {
		fn(accountID)
	}
}

func userNode(u *portico.User) authz.UserNode {
	return authz.UserNode{ID: u.ID, Name: u.Name, Email: u.Email, Owner: u.Owner, State: u.State, Status: u.Status}
}

func roleNode(r *portico.Role) authz.RoleNode {
	return authz.RoleNode{ID: r.ID, Name: r.Name, Permissions: r.PermissionSet()}
}

func groupNode(g *portico.DeviceGroup) authz.GroupNode {
	return authz.GroupNode{ID: g.ID, ParentID: g.ParentID, Name: g.Name, Settings: g.Settings}
}

func deviceNode(d *portico.Device) authz.DeviceNode {
	return authz.DeviceNode{ID: d.ID, GroupID: d.GroupID, Name: d.Name}
}

func (a *App) lockAccount(accountID string) func() {
	m, _ := a.writeLocks.LoadOrStore(accountID, &sync.Mutex{})
	mu := m.(*sync.Mutex)
	mu.Lock()
	return mu.Unlock
}

// decide asks the engine, applying an API key's narrowing. It marks the actor as decided.
func (a *App) decide(ctx context.Context, ac *Actor, perm portico.Permission, t authz.Target) (authz.Decision, *authz.Snapshot, error) {
	ac.MarkDecided()
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return authz.Decision{}, nil, err
	}
	if ac.Kind == ActorSystem {
		return authz.Decision{Allowed: true, Reason: authz.ReasonOwner}, snap, nil
	}
	if ac.Kind != ActorUser && ac.Kind != ActorAPIKey {
		return authz.Decision{Reason: authz.ReasonNoGrant}, snap, nil
	}
	d := snap.Decide(authz.Query{UserID: ac.UserID, Permission: perm, Target: t, At: a.now()})
	if d.Allowed && ac.KeyPermissions != nil && !ac.KeyPermissions.Has(perm) {
		d = authz.Decision{Reason: authz.ReasonNoGrant}
	}
	return d, snap, nil
}

// can reports whether the actor holds perm on t, without auditing a refusal: for filtering lists and
// deciding what to show.
func (a *App) can(ctx context.Context, ac *Actor, perm portico.Permission, t authz.Target) bool {
	d, _, err := a.decide(ctx, ac, perm, t)
	return err == nil && d.Allowed
}

// authorize refuses, with an audited denial, unless the actor holds perm on t. An object the actor
// cannot know of (another account's, or none) is reported as not found.
func (a *App) authorize(ctx context.Context, ac *Actor, action string, perm portico.Permission, t authz.Target) error {
	d, _, err := a.decide(ctx, ac, perm, t)
	if err != nil {
		return err
	}
	if d.Allowed {
		return nil
	}
	targetType, targetID := targetParts(t)
	if d.Reason == authz.ReasonNotFound {
		a.auditDenied(ctx, ac, action, targetType, targetID, "not found")
		return portico.NotFound(targetNoun(t))
	}
	a.auditDenied(ctx, ac, action, targetType, targetID, fmt.Sprintf("%s: %s", perm, d.Reason))
	switch d.Reason {
	case authz.ReasonSettingOff:
		return portico.Errorf(portico.KindForbidden, "%s is switched off by a device group setting", perm)
	case authz.ReasonUnlicensed:
		return portico.Errorf(portico.KindForbidden, "the device is in Unassigned and holds no licence: move it to a device group first")
	case authz.ReasonUserInactive:
		return portico.Errorf(portico.KindForbidden, "your user is not active")
	}
	return portico.Errorf(portico.KindForbidden, "you need the %s permission here", perm)
}

func targetParts(t authz.Target) (string, string) {
	switch t.Kind {
	case authz.TargetDeviceGroup:
		return "device_group", t.ID
	case authz.TargetDevice:
		return "device", t.ID
	case authz.TargetSection:
		return "section", t.ID
	}
	return "account", ""
}

func targetNoun(t authz.Target) string {
	switch t.Kind {
	case authz.TargetDeviceGroup:
		return "device group"
	case authz.TargetDevice:
		return "device"
	case authz.TargetSection:
		return "section"
	}
	return "account"
}

// change is what a write produces: the audit entry to append and the snapshot edits to apply.
type change struct {
	action     string
	targetType string
	targetID   string
	detail     string
	edits      []authz.Change
	// reload rebuilds the snapshot from storage instead of applying edits (rare, bulk changes).
	reload bool
}

// write runs fn in one transaction under the account's write lock. fn returns what it changed; its
// audit entry is appended in the same transaction, and its edits are applied to the snapshot after the
// commit and before write returns.
func (a *App) write(ctx context.Context, ac *Actor, fn func(tx *store.Tx) (*change, error)) error {
	unlock := a.lockAccount(ac.AccountID)
	defer unlock()
	// Load before writing, so that a first-use load cannot race the edits below.
	if _, err := a.snapshot(ctx, ac.AccountID); err != nil {
		return err
	}
	var ch *change
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		ch, err = fn(tx)
		if err != nil || ch == nil {
			return err
		}
		return tx.AppendAudit(ctx, a.auditEvent(ac, ch.action, ch.targetType, ch.targetID, portico.OutcomeSuccess, ch.detail))
	})
	if err != nil {
		return err
	}
	if ch == nil {
		return nil
	}
	if ch.reload {
		s, err := a.loadSnapshot(ctx, ac.AccountID)
		if err != nil {
			return err
		}
		a.snaps.Set(ac.AccountID, s)
		a.accessChanged(ac.AccountID)
		return nil
	}
	if len(ch.edits) > 0 {
		a.snaps.Update(ac.AccountID, func(s *authz.Snapshot) *authz.Snapshot { return s.Apply(ch.edits...) })
		a.accessChanged(ac.AccountID)
	}
	return nil
}

func (a *App) auditEvent(ac *Actor, action, targetType, targetID string, outcome portico.Outcome, detail string) *portico.AuditEvent {
	actorID := ac.UserID
	switch ac.Kind {
	case ActorAPIKey:
		actorID = ac.UserID
		if detail == "" {
			detail = "api key " + ac.APIKeyID
		} else {
			detail += " (api key " + ac.APIKeyID + ")"
		}
	case ActorAgent:
		actorID = ac.DeviceID
	}
	return &portico.AuditEvent{
		ID:         portico.NewID("evt"),
		AccountID:  ac.AccountID,
		At:         a.now(),
		ActorType:  string(ac.Kind),
		ActorID:    actorID,
		ActorName:  ac.Name,
		Action:     action,
		TargetType: targetType,
		TargetID:   targetID,
		SourceIP:   ac.SourceIP,
		Outcome:    outcome,
		Detail:     detail,
	}
}

// auditDenied records a refused attempt. A failure to record is logged, not returned: the caller is
// already being refused.
func (a *App) auditDenied(ctx context.Context, ac *Actor, action, targetType, targetID, detail string) {
	if ac.AccountID == "" {
		return
	}
	e := a.auditEvent(ac, action, targetType, targetID, portico.OutcomeDenied, detail)
	if err := a.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		a.log.Error("audit denied attempt", "action", action, "err", err)
	}
}

// auditRefused writes the denied audit entry of a refusal decided inside a write, after authorize
// allowed the action: an escalation, or a system role's edit. It runs once the write has been rolled
// back (auditDenied writes outside the transaction, which on SQLite would wait for the writer the
// transaction holds), so nothing else of the refused request is stored. Every KindForbidden error a
// write returns is such a refusal; other errors are not audited here.
func (a *App) auditRefused(ctx context.Context, ac *Actor, err error, action, targetType, targetID, detail string) {
	if !portico.IsKind(err, portico.KindForbidden) {
		return
	}
	msg := err.Error()
	var pe *portico.Error
	if errors.As(err, &pe) && pe.Message != "" {
		msg = pe.Message
	}
	if detail != "" {
		msg = detail + ": " + msg
	}
	a.auditDenied(ctx, ac, action, targetType, targetID, msg)
}

// auditFailed records a failed attempt such as a wrong password.
func (a *App) auditFailed(ctx context.Context, ac *Actor, action, targetType, targetID, detail string) {
	if ac.AccountID == "" {
		return
	}
	e := a.auditEvent(ac, action, targetType, targetID, portico.OutcomeFailed, detail)
	if err := a.store.AppendAudit(context.WithoutCancel(ctx), e); err != nil {
		a.log.Error("audit failed attempt", "action", action, "err", err)
	}
}

func validate(fn func(v *portico.Validation)) error {
	var v portico.Validation
	fn(&v)
	return v.Err()
}

func clampPage(limit, offset int) store.Page {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if offset < 0 {
		offset = 0
	}
	return store.Page{Limit: limit, Offset: offset}
}
