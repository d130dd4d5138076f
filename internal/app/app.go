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
	log   *slog.Logger
	now   func() time.Time

	// accounts holds this node's copy of each loaded account's access (replica.go).
	accounts  sync.Map // account id → *accountState
	freshFor  time.Duration
	pollEvery time.Duration
	publisher atomic.Pointer[func(accountID string, rev int64)]

	noticeMu     sync.Mutex
	noticed      map[string]int64 // account id → newest revision another node announced
	noticeSignal chan struct{}

	// writeLocks serialises the writes of one account within this process, so that they queue here
	// rather than on the database's revision row lock, which serialises them across nodes; reads
	// never take them.
	writeLocks sync.Map // account id → *sync.Mutex

	signins *signinLimiter
	codes   *signinLimiter // on-demand code guesses
	// twoFactor seals TOTP secrets (SetSealKey); nil until a key is given.
	twoFactor atomic.Pointer[cipher.AEAD]
	// nodeKey signs the tokens by which one node vouches to another for a relayed request.
	nodeKey atomic.Pointer[[]byte]
	// mail delivers invitations and notices (SetMailSender); nil when no SMTP server is configured.
	mail atomic.Pointer[mailer]

	// hooksMu guards the subscribers told of committed changes (see OnChange).
	hooksMu     sync.RWMutex
	changeHooks []func(LiveChange)

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
		store:        st,
		log:          log,
		now:          func() time.Time { return time.Now().UTC() },
		freshFor:     DefaultFreshFor,
		pollEvery:    DefaultPollEvery,
		noticeSignal: make(chan struct{}, 1),
		signins:      newSigninLimiter(st, log),
		codes:        newCodeLimiter(st, log),
		BaseURL:      "http://localhost:8080",
	}
}

// SetSyncTiming sets how long a confirmation that a copy of access is current lasts (freshFor) and
// how often RunSync polls (pollEvery); zero keeps a value. For tests and benchmarks.
func (a *App) SetSyncTiming(freshFor, pollEvery time.Duration) {
	if freshFor > 0 {
		a.freshFor = freshFor
	}
	if pollEvery > 0 {
		a.pollEvery = pollEvery
	}
}

// SetClock replaces the clock, for tests of expiry and the 90-day rule.
func (a *App) SetClock(now func() time.Time) { a.now = now }

// Ping reports whether the database answers, for the server's readiness check.
func (a *App) Ping(ctx context.Context) error { return a.store.Ping(ctx) }

// Unreachable reports whether err, from any method of the app, says that the database could not be
// reached (refused, reset or timed out) rather than that it refused the request: nothing was decided,
// and the same request may succeed in a moment. The API and the portal answer such errors 503.
func Unreachable(err error) bool { return store.Unreachable(err) }

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
	// OnDemand marks a support agent: DeviceID then names its on-demand session.
	OnDemand bool
	SourceIP string
	// ViaSSO marks a portal session opened through single sign-on.
	ViaSSO bool
	// Relayed marks a request another node relayed here, vouching for its actor (nodetoken.go).
	Relayed bool
	// SessionHash identifies the portal session the request came with ("" otherwise), so that a
	// password change can end the user's other sessions and keep this one.
	SessionHash string
	// MinRevision asks for decisions on this account revision or a later one (read your writes
	// across nodes: the client sends back a revision it was given). 0 asks for none.
	MinRevision int64

	decided atomic.Bool
	// revision is the newest account revision this actor's request was decided on or produced.
	revision atomic.Int64

	gatesMu sync.Mutex
	gates   map[gateKey]int64 // allowing decisions made for this request → the revision they were made on
	failure error             // the first decision that could not be made (see App.can)
}

// Failure is the first error that kept a filtering decision of this request from being made (the
// node could not confirm its copy of the access rights is current): a response built on such
// decisions must not be sent. Nil when every decision was made.
func (ac *Actor) Failure() error {
	ac.gatesMu.Lock()
	defer ac.gatesMu.Unlock()
	return ac.failure
}

func (ac *Actor) noteFailure(err error) {
	ac.gatesMu.Lock()
	defer ac.gatesMu.Unlock()
	if ac.failure == nil {
		ac.failure = err
	}
}

type gateKey struct {
	perm   portico.Permission
	target authz.Target
}

type gate struct {
	perm   portico.Permission
	target authz.Target
}

// Revision is the newest account revision the actor's request was decided on or produced (0 when
// none): what a response names in RevisionHeader.
func (ac *Actor) Revision() int64 { return ac.revision.Load() }

func (ac *Actor) noteRevision(rev int64) {
	for {
		old := ac.revision.Load()
		if rev <= old || ac.revision.CompareAndSwap(old, rev) {
			return
		}
	}
}

// recordGate remembers a decision that allowed the request, so that a write made for it can make it
// again if the account changed since (see App.write).
func (ac *Actor) recordGate(perm portico.Permission, t authz.Target, rev int64) {
	if ac.Kind != ActorUser && ac.Kind != ActorAPIKey {
		return
	}
	ac.gatesMu.Lock()
	defer ac.gatesMu.Unlock()
	if ac.gates == nil {
		ac.gates = map[gateKey]int64{}
	}
	k := gateKey{perm, t}
	if old, ok := ac.gates[k]; !ok || rev < old {
		ac.gates[k] = rev
	}
}

// takeGates returns the allowing decisions made on a revision older than rev, and forgets them all:
// a write consumes the decisions made for it, so that an actor reused for a later operation (the
// system's, a test's) is not held to decisions of an earlier one.
func (ac *Actor) takeGates(rev int64) []gate {
	ac.gatesMu.Lock()
	defer ac.gatesMu.Unlock()
	var out []gate
	for k, r := range ac.gates {
		if r < rev {
			out = append(out, gate(k))
		}
	}
	ac.gates = nil
	return out
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
func (a *App) decide(ctx context.Context, ac *Actor, perm portico.Permission, t authz.Target) (authz.Decision, *accountView, error) {
	ac.MarkDecided()
	v, err := a.view(ctx, ac.AccountID, ac.MinRevision)
	if err != nil {
		return authz.Decision{}, nil, err
	}
	ac.noteRevision(v.revision)
	if ac.Kind == ActorSystem {
		return authz.Decision{Allowed: true, Reason: authz.ReasonOwner}, v, nil
	}
	if ac.Kind != ActorUser && ac.Kind != ActorAPIKey {
		return authz.Decision{Reason: authz.ReasonNoGrant}, v, nil
	}
	return a.decideOn(v.snap, ac, perm, t), v, nil
}

func (a *App) decideOn(snap *authz.Snapshot, ac *Actor, perm portico.Permission, t authz.Target) authz.Decision {
	d := snap.Decide(authz.Query{UserID: ac.UserID, Permission: perm, Target: t, At: a.now()})
	if d.Allowed && ac.KeyPermissions != nil && !ac.KeyPermissions.Has(perm) {
		d = authz.Decision{Reason: authz.ReasonNoGrant}
	}
	return d
}

// can reports whether the actor holds perm on t, without auditing a refusal: for filtering lists and
// deciding what to show.
//
// When no decision can be made (this node cannot confirm that its copy of the account's access is
// current), it answers false and records the failure on the actor: the request then fails as a
// whole (Actor.Failure) rather than answer a list that is silently short.
func (a *App) can(ctx context.Context, ac *Actor, perm portico.Permission, t authz.Target) bool {
	d, _, err := a.decide(ctx, ac, perm, t)
	if err != nil {
		ac.noteFailure(err)
		return false
	}
	return d.Allowed
}

// authorize refuses, with an audited denial, unless the actor holds perm on t. An object the actor
// cannot know of (another account's, or none) is reported as not found.
func (a *App) authorize(ctx context.Context, ac *Actor, action portico.AuditAction, perm portico.Permission, t authz.Target) error {
	d, v, err := a.decide(ctx, ac, perm, t)
	if err != nil {
		return err
	}
	if d.Allowed {
		ac.recordGate(perm, t, v.revision)
		return nil
	}
	// The operation ends here: the decisions that allowed it so far are no one's to remake.
	ac.takeGates(0)
	targetType, targetID := targetParts(t)
	if d.Reason == authz.ReasonNotFound {
		a.auditDenied(ctx, ac, action, targetType, targetID, "not found")
		return portico.NotFound(targetNoun(t))
	}
	a.auditDenied(ctx, ac, action, targetType, targetID, fmt.Sprintf("%s: %s", perm, d.Reason))
	if !a.mayView(ctx, v.snap, ac, t) {
		// Whoever may not see a device or group does not learn from the refusal that it exists.
		return portico.NotFound(targetNoun(t))
	}
	switch d.Reason {
	case authz.ReasonSettingOff:
		return &portico.Error{Kind: portico.KindForbidden, Permission: perm, SwitchedOff: true,
			Message: fmt.Sprintf("%s is switched off by a device group setting", perm)}
	case authz.ReasonUnlicensed:
		return portico.Errorf(portico.KindForbidden, "the device is in Unassigned and holds no licence: move it to a device group first")
	case authz.ReasonUserInactive:
		return portico.Errorf(portico.KindForbidden, "your user is not active")
	}
	return &portico.Error{Kind: portico.KindForbidden, Permission: perm, Message: fmt.Sprintf("you need the %s permission here", perm)}
}

// mayView reports whether the actor may see the target itself, as lists show it: a device needs
// device.view; a device group is seen where the actor may view it or its devices, and on the path to
// such a group; the account, sections and the Unassigned folder are never secret.
func (a *App) mayView(ctx context.Context, snap *authz.Snapshot, ac *Actor, t authz.Target) bool {
	switch t.Kind {
	case authz.TargetDevice:
		return a.decideOn(snap, ac, portico.PermDeviceView, t).Allowed
	case authz.TargetDeviceGroup:
		if t.ID == portico.UnassignedGroupID {
			return true
		}
		seen, err := a.seesGroupInTree(ctx, ac, t.ID)
		return err == nil && seen
	}
	return true
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

// change is what a write produces: the audit entry to append, the snapshot edits to apply on every
// node, and what the live side of every node must do.
type change struct {
	action     portico.AuditAction
	targetType string
	targetID   string
	detail     string
	edits      []authz.Change
	// reload rebuilds the snapshot from storage instead of applying edits (changes made outside).
	reload bool
	// quiet marks a change that cannot affect any live session's rights (a session's own record):
	// live sessions are not checked again for it.
	quiet bool
	// endSessions are live sessions to end wherever they run.
	endSessions []SessionEnd
	// stopAgents are agent connections to stop wherever they are held.
	stopAgents []AgentStop
}

// write runs fn in one transaction, serialised with every other write of the account on every node,
// and on this node's copy of the account brought up to the latest revision first. fn returns what it
// changed; its audit entry and its record for the other nodes are written in the same transaction,
// and its edits are applied to this node's copy after the commit and before write returns.
//
// The decisions that allowed the request (authorize) were made on the copy as it was then; when
// other changes committed since, they are made again, on the copy the change commits on, so that a
// right revoked on another node a moment ago is not used here.
func (a *App) write(ctx context.Context, ac *Actor, fn func(tx *store.Tx) (*change, error)) error {
	unlock := a.lockAccount(ac.AccountID)
	defer unlock()
	// Load (and confirm) before writing, so that a first-use load cannot race the edits below.
	if _, err := a.view(ctx, ac.AccountID, ac.MinRevision); err != nil {
		return err
	}
	st := a.account(ac.AccountID)
	var ch *change
	var rev int64
	var start int64
	var refused *refusal
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		start = mono()
		var err error
		if rev, err = tx.BumpRevision(ctx, ac.AccountID); err != nil {
			return err
		}
		// Under the revision's lock no other change can commit: catch up with those before it.
		if err := a.catchUp(ctx, tx, st, rev-1); err != nil {
			return err
		}
		if refused = a.redecide(ac, st.view.Load()); refused != nil {
			return refused.err
		}
		ch, err = fn(tx)
		if err != nil || ch == nil {
			return err
		}
		if err := tx.AppendAudit(ctx, a.auditEvent(ac, ch.action, ch.targetType, ch.targetID, portico.OutcomeSuccess, ch.detail)); err != nil {
			return err
		}
		body, err := encodeRecord(ch)
		if err != nil {
			return err
		}
		if beforeCommitHook != nil {
			beforeCommitHook()
		}
		return tx.AppendAccessChange(ctx, &store.AccessChange{AccountID: ac.AccountID, Revision: rev, At: a.now(), Body: body})
	})
	if refused != nil {
		// Audited once the transaction is gone: on SQLite it held the only writer.
		targetType, targetID := targetParts(refused.target)
		a.auditDenied(ctx, ac, portico.ActionWrite, targetType, targetID, fmt.Sprintf("%s: %s (changed meanwhile)", refused.perm, refused.reason))
		return refused.err
	}
	if err != nil {
		return err
	}
	st.confirm(start)
	ac.noteRevision(rev)
	switch {
	case ch == nil:
		a.apply(st, rev-1, rev, nil)
	case ch.reload:
		if err := a.reload(ctx, a.store, st, 0); err != nil {
			return err
		}
	default:
		c := decodedChange{revision: rev, edits: ch.edits, recheck: !ch.quiet, endSessions: ch.endSessions,
			stopAgents: ch.stopAgents}
		if !a.apply(st, rev-1, rev, []decodedChange{c}) {
			if err := a.reload(ctx, a.store, st, 0); err != nil {
				return err
			}
		}
	}
	a.publish(ac.AccountID, rev)
	return nil
}

// beforeCommitHook, when set (by tests only), runs in every write between its checks and its commit,
// to widen the window in which concurrent writes on other nodes could interleave.
var beforeCommitHook func()

// redecide makes the actor's earlier allowing decisions again on v when they were made on an older
// revision, and returns the refusal (audited) of the first that no longer holds.
func (a *App) redecide(ac *Actor, v *accountView) *refusal {
	if ac.Kind != ActorUser && ac.Kind != ActorAPIKey {
		return nil
	}
	for _, g := range ac.takeGates(v.revision) {
		if d := a.decideOn(v.snap, ac, g.perm, g.target); !d.Allowed {
			r := &refusal{perm: g.perm, target: g.target, reason: d.Reason}
			if d.Reason == authz.ReasonNotFound {
				r.err = portico.NotFound(targetNoun(g.target))
			} else {
				r.err = portico.Errorf(portico.KindForbidden, "you need the %s permission here", g.perm)
			}
			return r
		}
	}
	return nil
}

// refusal is a decision that allowed a request and no longer holds when its change is about to
// commit.
type refusal struct {
	perm   portico.Permission
	target authz.Target
	reason authz.Reason
	err    error
}

func (r *refusal) Error() string { return r.err.Error() }
func (r *refusal) Unwrap() error { return r.err }

func (a *App) auditEvent(ac *Actor, action portico.AuditAction, targetType, targetID string, outcome portico.Outcome, detail string) *portico.AuditEvent {
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
func (a *App) auditDenied(ctx context.Context, ac *Actor, action portico.AuditAction, targetType, targetID, detail string) {
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
func (a *App) auditRefused(ctx context.Context, ac *Actor, err error, action portico.AuditAction, targetType, targetID, detail string) {
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
func (a *App) auditFailed(ctx context.Context, ac *Actor, action portico.AuditAction, targetType, targetID, detail string) {
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

func clampPage(limit, offset int) portico.Page {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	if offset < 0 {
		offset = 0
	}
	return portico.Page{Limit: limit, Offset: offset}
}
