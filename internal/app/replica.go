package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// This file keeps this node's copy of each account's access snapshot current with the database,
// which is the truth shared by every node of a cluster (and by the one node of a single-node
// install, through the same code).
//
// Every committed change that touches access advances the account's revision in its transaction and
// records its snapshot edits (changelog.go). A node learns of new revisions in three ways: its own
// writes, a notice from another node (NoticeRevision, the fast path carried by the bus), and reading
// the revisions from the database (RunSync, every PollEvery; the fallback, and the only proof). It
// applies the records in revision order. A decision is made only on a copy confirmed current within
// FreshFor (one second): the confirmation is a read of the database's revision started less than that
// long ago. A node that cannot confirm refuses (KindUnavailable, 503) rather than decide on what may
// be stale.

// Replica defaults.
const (
	// DefaultFreshFor is how long a confirmation that the copy is current lasts.
	DefaultFreshFor = time.Second
	// DefaultPollEvery is how often RunSync reads every account's revision.
	DefaultPollEvery = 200 * time.Millisecond
	// changeRetention is how long change records are kept for nodes that fall behind; one further
	// behind reloads the account.
	changeRetention = time.Hour
)

// monoBase anchors mono: durations since it use the monotonic clock, which no clock step moves.
var monoBase = time.Now()

// mono is a monotonic timestamp in nanoseconds.
func mono() int64 { return int64(time.Since(monoBase)) }

// accountView is a snapshot and the revision it reflects.
type accountView struct {
	snap     *authz.Snapshot
	revision int64
}

// accountState is this node's copy of one account's access.
type accountState struct {
	id   string
	view atomic.Pointer[accountView]
	// confirmed is the mono time at which the last read that found view current was started (0: never).
	confirmed atomic.Int64
	// applyMu serialises changes to view, so that records are applied once and in revision order. It
	// is never held across I/O.
	applyMu sync.Mutex

	mu         sync.Mutex
	refreshing bool          // a request is confirming or loading the copy; others wait for notify
	notify     chan struct{} // closed and replaced when the view advances or a refresh ends
}

// LiveChange is what a committed change means for the live side of every node (package hub): it is
// emitted on every node, once the node's copy reflects the change.
type LiveChange struct {
	AccountID string
	Revision  int64
	// Recheck says the account's live sessions must be checked again.
	Recheck bool
	// DeletedDevices are devices that no longer exist: their agents are told to stop.
	DeletedDevices []string
	// EndSessions are sessions to end wherever they run.
	EndSessions []SessionEnd
	// StopAgents are agent connections to stop wherever they are held.
	StopAgents []AgentStop
}

// OnChange subscribes fn to committed changes (this node's and every other's). fn is called
// synchronously, after the copy reflects the change; it must return quickly and must not call back
// into the App (signal a goroutine instead).
func (a *App) OnChange(fn func(LiveChange)) {
	a.hooksMu.Lock()
	defer a.hooksMu.Unlock()
	a.changeHooks = append(a.changeHooks, fn)
}

func (a *App) emit(c LiveChange) {
	a.hooksMu.RLock()
	defer a.hooksMu.RUnlock()
	for _, fn := range a.changeHooks {
		fn(c)
	}
}

func (a *App) account(id string) *accountState {
	if v, ok := a.accounts.Load(id); ok {
		return v.(*accountState)
	}
	st := &accountState{id: id, notify: make(chan struct{})}
	v, _ := a.accounts.LoadOrStore(id, st)
	return v.(*accountState)
}

func (a *App) fresh(st *accountState) bool {
	c := st.confirmed.Load()
	return c != 0 && mono()-c < int64(a.freshFor)
}

// confirm records that a read started at start found the copy current.
func (st *accountState) confirm(start int64) {
	for {
		old := st.confirmed.Load()
		if start <= old || st.confirmed.CompareAndSwap(old, start) {
			return
		}
	}
}

func (st *accountState) wake() {
	st.mu.Lock()
	close(st.notify)
	st.notify = make(chan struct{})
	st.mu.Unlock()
}

// snapshot returns the account's snapshot, confirmed current (see view).
func (a *App) snapshot(ctx context.Context, accountID string) (*authz.Snapshot, error) {
	v, err := a.view(ctx, accountID, 0)
	if err != nil {
		return nil, err
	}
	return v.snap, nil
}

// view returns this node's copy of the account's access, loading it on first use, confirmed current
// within freshFor and at revision minRevision or later. When it is not, it confirms or catches up
// now (one request at a time per account; others wait for it), for at most freshFor; failing that it
// refuses with KindUnavailable.
func (a *App) view(ctx context.Context, accountID string, minRevision int64) (*accountView, error) {
	st := a.account(accountID)
	if v := st.view.Load(); v != nil && v.revision >= minRevision && a.fresh(st) {
		return v, nil
	}
	return a.awaitView(ctx, st, minRevision)
}

func (a *App) awaitView(ctx context.Context, st *accountState, minRevision int64) (*accountView, error) {
	// The bound runs from when a copy exists: the first load of a large account is waited for as long
	// as the request lasts, and its confirmation then has a bound of its own.
	var deadline time.Time
	var expired <-chan time.Time
	for {
		v := st.view.Load()
		if v != nil && v.revision >= minRevision && a.fresh(st) {
			return v, nil
		}
		if v != nil && deadline.IsZero() {
			deadline = time.Now().Add(a.freshFor)
			t := time.NewTimer(a.freshFor)
			defer t.Stop()
			expired = t.C
		}
		st.mu.Lock()
		if st.refreshing {
			ch := st.notify
			st.mu.Unlock()
			select {
			case <-ch:
				continue
			case <-ctx.Done():
				return nil, ctx.Err()
			case <-expired: // nil, never ready, while there is no copy
				return nil, a.notCurrent(st, minRevision, nil)
			}
		}
		st.refreshing = true
		st.mu.Unlock()
		err := a.refresh(ctx, st, v == nil, deadline)
		st.mu.Lock()
		st.refreshing = false
		st.mu.Unlock()
		st.wake()
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, a.notCurrent(st, minRevision, err)
		}
		v = st.view.Load()
		if v.revision < minRevision {
			// The database itself is behind the revision asked for: it was never produced here.
			return nil, &portico.Error{Kind: portico.KindInvalid, Message: "invalid input",
				Fields: []portico.FieldError{{Field: MinRevisionHeader,
					Message: fmt.Sprintf("revision %d is ahead of the account's revision %d", minRevision, v.revision)}}}
		}
		if !a.fresh(st) && !deadline.IsZero() && time.Now().After(deadline) {
			return nil, a.notCurrent(st, minRevision, nil)
		}
	}
}

// MinRevisionHeader is the request header by which a client asks for a decision on an account
// revision it saw (from RevisionHeader) or a later one: read your writes, whichever node answers.
const MinRevisionHeader = "Portico-Min-Revision"

// RevisionHeader is the response header naming the account revision a response reflects; for a
// change, the revision it produced.
const RevisionHeader = "Portico-Revision"

func (a *App) notCurrent(st *accountState, minRevision int64, cause error) error {
	if cause != nil {
		a.log.Warn("cannot confirm the access snapshot is current; refusing", "account", st.id, "err", cause)
	}
	msg := "this server cannot confirm that its copy of the access rights is current (the database does not answer in time); nothing was decided: try again"
	if v := st.view.Load(); v != nil && v.revision < minRevision {
		msg = fmt.Sprintf("this server has not yet caught up with revision %d of the account's access rights (it is at %d); nothing was decided: try again", minRevision, v.revision)
	}
	return &portico.Error{Kind: portico.KindUnavailable, Message: msg, Err: cause}
}

// refresh loads the copy (first use) or confirms it against the database's revision, catching up
// first when it is behind.
func (a *App) refresh(ctx context.Context, st *accountState, first bool, deadline time.Time) error {
	if first {
		return a.reload(ctx, a.store, st, mono())
	}
	ctx, cancel := context.WithDeadline(ctx, deadline)
	defer cancel()
	start := mono()
	rev, err := a.store.Revision(ctx, st.id)
	if err != nil {
		return err
	}
	if err := a.catchUp(ctx, a.store, st, rev); err != nil {
		return err
	}
	st.confirm(start)
	return nil
}

// accessReader is what catching up reads: the store, or the transaction of a write.
type accessReader interface {
	LoadAccess(ctx context.Context, accountID string) (*store.Access, error)
	AccessChanges(ctx context.Context, accountID string, after, upTo int64) ([]store.AccessChange, bool, error)
}

// catchUp brings the copy to revision upTo (or later) by applying the recorded changes in between,
// or by reloading the account when the log no longer reaches back or a change asks for it.
func (a *App) catchUp(ctx context.Context, r accessReader, st *accountState, upTo int64) error {
	v := st.view.Load()
	if v == nil {
		return a.reload(ctx, r, st, 0)
	}
	if v.revision >= upTo {
		return nil
	}
	records, ok, err := r.AccessChanges(ctx, st.id, v.revision, upTo)
	if err != nil {
		return err
	}
	changes := make([]decodedChange, 0, len(records))
	for _, rec := range records {
		c, err := decodeRecord(rec.Body)
		if err != nil {
			a.log.Error("unreadable change record; reloading the account", "account", st.id, "revision", rec.Revision, "err", err)
			ok = false
			break
		}
		c.revision, c.at = rec.Revision, rec.At
		if c.reload {
			ok = false
			break
		}
		changes = append(changes, c)
	}
	if !ok {
		return a.reload(ctx, r, st, 0)
	}
	if !a.apply(st, v.revision, upTo, changes) {
		return a.reload(ctx, r, st, 0)
	}
	return nil
}

// apply applies changes covering revisions (from, upTo] to the copy, skipping those it already
// reflects, and emits them. It reports false when the copy is older than from (a gap: reload).
func (a *App) apply(st *accountState, from, upTo int64, changes []decodedChange) bool {
	st.applyMu.Lock()
	cur := st.view.Load()
	if cur == nil || cur.revision < from {
		st.applyMu.Unlock()
		return false
	}
	if cur.revision >= upTo {
		st.applyMu.Unlock()
		return true
	}
	var edits []authz.Change
	var live []LiveChange
	for _, c := range changes {
		if c.revision <= cur.revision {
			continue
		}
		edits = append(edits, c.edits...)
		lc := LiveChange{AccountID: st.id, Revision: c.revision, Recheck: c.recheck, EndSessions: c.endSessions,
			StopAgents: c.stopAgents}
		for _, e := range c.edits {
			if e.DeleteDevice != "" {
				lc.DeletedDevices = append(lc.DeletedDevices, e.DeleteDevice)
			}
		}
		if lc.Recheck || len(lc.DeletedDevices) > 0 || len(lc.EndSessions) > 0 || len(lc.StopAgents) > 0 {
			live = append(live, lc)
		}
	}
	snap := cur.snap
	if len(edits) > 0 {
		snap = snap.Apply(edits...)
	}
	st.view.Store(&accountView{snap: snap, revision: upTo})
	st.applyMu.Unlock()
	st.wake()
	for _, lc := range live {
		a.emit(lc)
	}
	return true
}

// reload rebuilds the copy from one consistent read of the account, and confirms it when start is
// set (the read began after start).
func (a *App) reload(ctx context.Context, r accessReader, st *accountState, start int64) error {
	acc, err := r.LoadAccess(ctx, st.id)
	if err != nil {
		return fmt.Errorf("load access graph: %w", err)
	}
	snap := buildSnapshot(st.id, acc)
	st.applyMu.Lock()
	cur := st.view.Load()
	replaced := cur == nil || acc.Revision >= cur.revision
	if replaced {
		st.view.Store(&accountView{snap: snap, revision: acc.Revision})
	}
	st.applyMu.Unlock()
	if start != 0 {
		st.confirm(start)
	}
	st.wake()
	if replaced && cur != nil {
		a.emit(LiveChange{AccountID: st.id, Revision: acc.Revision, Recheck: true})
	}
	return nil
}

func buildSnapshot(accountID string, acc *store.Access) *authz.Snapshot {
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
	return authz.New(g)
}

// Reload rebuilds an account's snapshot from storage on every node, after maintenance done outside
// the App: it records a change that asks every node to reload, and reloads this one.
func (a *App) Reload(ctx context.Context, accountID string) error {
	unlock := a.lockAccount(accountID)
	defer unlock()
	st := a.account(accountID)
	var rev int64
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		if rev, err = tx.BumpRevision(ctx, accountID); err != nil {
			return err
		}
		body, err := encodeRecord(&change{reload: true})
		if err != nil {
			return err
		}
		return tx.AppendAccessChange(ctx, &store.AccessChange{AccountID: accountID, Revision: rev, At: a.now(), Body: body})
	})
	if err != nil {
		return fmt.Errorf("reload access: %w", err)
	}
	if err := a.reload(ctx, a.store, st, mono()); err != nil {
		return err
	}
	a.publish(accountID, rev)
	return nil
}

// NoticeRevision tells the app that another node committed revision rev of the account (the bus's
// fast path): the copy catches up in the background, without waiting for the next poll. Notices of
// accounts this node has not loaded are ignored.
func (a *App) NoticeRevision(accountID string, rev int64) {
	v, ok := a.accounts.Load(accountID)
	if !ok {
		return
	}
	if cur := v.(*accountState).view.Load(); cur == nil || cur.revision >= rev {
		return
	}
	a.noticeMu.Lock()
	if a.noticed == nil {
		a.noticed = map[string]int64{}
	}
	a.noticed[accountID] = max(a.noticed[accountID], rev)
	a.noticeMu.Unlock()
	select {
	case a.noticeSignal <- struct{}{}:
	default:
	}
}

// publish tells the other nodes (through the bus, when one is set) of a committed revision.
func (a *App) publish(accountID string, rev int64) {
	if p := a.publisher.Load(); p != nil {
		(*p)(accountID, rev)
	}
}

// SetRevisionPublisher sets how committed revisions are announced to the other nodes (the bus).
func (a *App) SetRevisionPublisher(fn func(accountID string, rev int64)) {
	a.publisher.Store(&fn)
}

// RunSync keeps every loaded account's copy current until ctx ends: it applies noticed revisions at
// once, and every PollEvery reads all revisions from the database, catches up where behind, and
// confirms the copies. It also prunes old change records now and then.
func (a *App) RunSync(ctx context.Context) {
	poll := time.NewTicker(a.pollEvery)
	defer poll.Stop()
	prune := time.NewTicker(10 * time.Minute)
	defer prune.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-a.noticeSignal:
			a.syncNoticed(ctx)
		case <-poll.C:
			a.syncAll(ctx)
		case <-prune.C:
			pctx, cancel := context.WithTimeout(ctx, time.Minute)
			if _, err := a.store.PruneAccessChanges(pctx, a.now().Add(-changeRetention)); err != nil && ctx.Err() == nil {
				a.log.Warn("prune access change records", "err", err)
			}
			cancel()
		}
	}
}

func (a *App) syncNoticed(ctx context.Context) {
	a.noticeMu.Lock()
	noticed := a.noticed
	a.noticed = nil
	a.noticeMu.Unlock()
	for id, rev := range noticed {
		cctx, cancel := context.WithTimeout(ctx, a.freshFor)
		if err := a.catchUp(cctx, a.store, a.account(id), rev); err != nil && ctx.Err() == nil {
			a.log.Warn("catch up with a noticed revision", "account", id, "revision", rev, "err", err)
		}
		cancel()
	}
}

// syncAll reads every account's revision and brings the loaded copies up to it.
func (a *App) syncAll(ctx context.Context) {
	start := mono()
	cctx, cancel := context.WithTimeout(ctx, a.freshFor)
	defer cancel()
	revs, err := a.store.Revisions(cctx)
	if err != nil {
		if ctx.Err() == nil && !errors.Is(err, context.DeadlineExceeded) {
			a.log.Warn("read access revisions", "err", err)
		}
		return
	}
	a.accounts.Range(func(k, v any) bool {
		st := v.(*accountState)
		cur := st.view.Load()
		if cur == nil {
			return true // being loaded by a request
		}
		if rev := revs[st.id]; rev > cur.revision {
			if err := a.catchUp(cctx, a.store, st, rev); err != nil {
				if ctx.Err() == nil {
					a.log.Warn("catch up with the database", "account", st.id, "revision", rev, "err", err)
				}
				return true
			}
		}
		st.confirm(start)
		return true
	})
}

// AccountRevision returns the revision of this node's copy of the account (0 when not loaded).
func (a *App) AccountRevision(accountID string) int64 {
	v, ok := a.accounts.Load(accountID)
	if !ok {
		return 0
	}
	if cur := v.(*accountState).view.Load(); cur != nil {
		return cur.revision
	}
	return 0
}
