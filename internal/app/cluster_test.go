package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/store"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// These tests run two or three Apps — the application of as many nodes — each over its own store on
// one PostgreSQL database, as the nodes of a cluster do. They check that a change made through one
// node is decided by on the others, that a node that cannot confirm its copy is current refuses,
// and that check-then-write changes made on several nodes at once are serialised.

// clusterNode is one node's App.
type clusterNode struct {
	a      *App
	cancel context.CancelFunc
}

// newCluster makes n nodes on one new database; the first creates an account, returned with its
// owner. dbURL, when not empty, is used for node i>0 instead (a proxied URL).
func newCluster(t *testing.T, n int, sync bool, urls ...string) ([]*clusterNode, *CreatedAccount, *Actor) {
	t.Helper()
	dbURL := pgtest.NewDatabase(t)
	var nodes []*clusterNode
	for i := range n {
		u := dbURL
		if i < len(urls) && urls[i] != "" {
			u = urls[i]
		}
		if i > 0 && u == "" {
			u = dbURL
		}
		nodes = append(nodes, openNode(t, u, sync))
	}
	acc, err := nodes[0].a.CreateAccount(context.Background(), NewAccount{Company: "Cluster Ltd", OwnerEmail: "owner@cluster.test",
		OwnerName: "Owner", OwnerPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return nodes, acc, &Actor{Kind: ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID, Name: acc.Owner.Name}
}

func openNode(t *testing.T, dbURL string, runSync bool) *clusterNode {
	t.Helper()
	st, err := store.OpenAndMigrate(context.Background(), store.Config{DatabaseURL: dbURL})
	if err != nil {
		t.Fatal(err)
	}
	a := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	a.SetSyncTiming(time.Second, 50*time.Millisecond)
	ctx, cancel := context.WithCancel(context.Background())
	n := &clusterNode{a: a, cancel: cancel}
	if runSync {
		done := make(chan struct{})
		go func() { defer close(done); a.RunSync(ctx) }()
		t.Cleanup(func() { cancel(); <-done; st.Close() })
	} else {
		t.Cleanup(func() { cancel(); st.Close() })
	}
	return n
}

// member makes a user with a role on a group, through node a, and returns an actor for them.
func member(t *testing.T, a *App, owner *Actor, email, roleID string, scope portico.ScopeType, scopeID string) (*Actor, string) {
	t.Helper()
	ctx := context.Background()
	u, err := a.CreateUser(ctx, owner, NewUser{Email: email, Name: email, Password: "a long enough password"})
	if err != nil {
		t.Fatal(err)
	}
	as, err := a.CreateAssignment(ctx, owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: u.User.ID,
		RoleID: roleID, ScopeType: scope, ScopeID: scopeID})
	if err != nil {
		t.Fatal(err)
	}
	return &Actor{Kind: ActorUser, AccountID: owner.AccountID, UserID: u.User.ID, Name: email}, as.ID
}

func roleID(t *testing.T, a *App, owner *Actor, key string) string {
	t.Helper()
	roles, err := a.ListRoles(context.Background(), SystemActor(owner.AccountID))
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range roles {
		if r.SystemKey == key {
			return r.ID
		}
	}
	t.Fatalf("no system role %s", key)
	return ""
}

func TestClusterChangeTakesEffectOnEveryNode(t *testing.T) {
	nodes, acc, owner := newCluster(t, 3, true)
	ctx := context.Background()
	a, b, c := nodes[0].a, nodes[1].a, nodes[2].a
	group, err := a.CreateDeviceGroup(ctx, owner, GroupInput{Name: "Munich"})
	if err != nil {
		t.Fatal(err)
	}
	tech, assignment := member(t, a, owner, "tech@cluster.test", roleID(t, a, owner, "full_device_access"),
		portico.ScopeTypeDeviceGroup, group.ID)
	view := func(n *App) error {
		_, err := n.GetDeviceGroup(ctx, &Actor{Kind: tech.Kind, AccountID: tech.AccountID, UserID: tech.UserID}, group.ID)
		return err
	}
	// The group and the grant made on A are known to B and C within the bound.
	for i, n := range []*App{b, c} {
		eventually.NoError(t, 2*time.Second, fmt.Sprintf("node %d sees the grant", i+1), func() error { return view(n) })
	}
	// Revoked on B: from one second after the acknowledgement, A and C refuse.
	if err := b.DeleteAssignment(ctx, owner, assignment); err != nil {
		t.Fatal(err)
	}
	acked := time.Now()
	time.Sleep(time.Until(acked.Add(time.Second)))
	for i, n := range []*App{a, c} {
		err := view(n)
		if !portico.IsKind(err, portico.KindNotFound) && !portico.IsKind(err, portico.KindForbidden) &&
			!portico.IsKind(err, portico.KindUnavailable) {
			t.Fatalf("node %d one second after the revocation: %v, want a refusal", []int{0, 2}[i], err)
		}
	}
	_ = acc
}

func TestClusterReadYourWritesAcrossNodes(t *testing.T) {
	// No sync loop, and a confirmation that lasts an hour: only the revision a client sends back
	// makes B catch up.
	nodes, _, owner := newCluster(t, 2, false)
	a, b := nodes[0].a, nodes[1].a
	a.SetSyncTiming(time.Hour, 0)
	b.SetSyncTiming(time.Hour, 0)
	ctx := context.Background()
	if _, err := b.ListDeviceGroups(ctx, owner); err != nil { // B loads the account now
		t.Fatal(err)
	}
	writer := &Actor{Kind: owner.Kind, AccountID: owner.AccountID, UserID: owner.UserID, Name: owner.Name}
	g, err := a.CreateDeviceGroup(ctx, writer, GroupInput{Name: "Fresh"})
	if err != nil {
		t.Fatal(err)
	}
	rev := writer.Revision()
	if rev == 0 {
		t.Fatal("a write named no revision")
	}
	stale := &Actor{Kind: owner.Kind, AccountID: owner.AccountID, UserID: owner.UserID}
	if _, err := b.GetDeviceGroup(ctx, stale, g.ID); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("B without the revision: %v (the test needs B to be behind)", err)
	}
	reader := &Actor{Kind: owner.Kind, AccountID: owner.AccountID, UserID: owner.UserID, MinRevision: rev}
	if _, err := b.GetDeviceGroup(ctx, reader, g.ID); err != nil {
		t.Fatalf("B asked for revision %d: %v", rev, err)
	}
	if reader.Revision() < rev {
		t.Fatalf("decided on revision %d, asked for %d", reader.Revision(), rev)
	}
	// A revision the account never reached is the client's mistake.
	ahead := &Actor{Kind: owner.Kind, AccountID: owner.AccountID, UserID: owner.UserID, MinRevision: rev + 1000}
	if _, err := b.GetDeviceGroup(ctx, ahead, g.ID); !portico.IsKind(err, portico.KindInvalid) {
		t.Fatalf("a revision ahead of the database: %v", err)
	}
}

func TestClusterNodeCutOffFromTheDatabaseFailsClosed(t *testing.T) {
	dbURL := pgtest.NewDatabase(t)
	proxy, proxied := pgtest.NewProxy(t, dbURL)
	a := openNode(t, dbURL, true).a
	b := openNode(t, proxied, true).a
	ctx := context.Background()
	acc, err := a.CreateAccount(ctx, NewAccount{Company: "Cut Ltd", OwnerEmail: "owner@cut.test", OwnerName: "Owner",
		OwnerPassword: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	owner := &Actor{Kind: ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID, Name: acc.Owner.Name}
	tech, assignment := member(t, a, owner, "admin@cut.test", roleID(t, a, owner, "administrator"),
		portico.ScopeTypeAccount, "")
	decide := func(n *App) (authz.Decision, error) {
		ac := &Actor{Kind: tech.Kind, AccountID: tech.AccountID, UserID: tech.UserID}
		d, _, err := n.decide(ctx, ac, portico.PermUsersView, authz.Account())
		return d, err
	}
	eventually.NoError(t, 2*time.Second, "B allows the technician", func() error {
		d, err := decide(b)
		if err == nil && !d.Allowed {
			err = fmt.Errorf("refused: %s", d.Reason)
		}
		return err
	})
	proxy.Cut()
	if err := a.DeleteAssignment(ctx, owner, assignment); err != nil {
		t.Fatal(err)
	}
	acked := time.Now()
	// While cut off, B never allows again: it refuses with 503 once it cannot confirm (at most a
	// second after its last confirmation, so from a second after the revocation on).
	for time.Since(acked) < 3*time.Second {
		d, err := decide(b)
		if err == nil && d.Allowed {
			if time.Since(acked) > time.Second {
				t.Fatalf("B allowed %s after the revocation while cut off", time.Since(acked))
			}
			continue
		}
		if err != nil && !portico.IsKind(err, portico.KindUnavailable) {
			t.Fatalf("B refused with %v, want unavailable", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := decide(b); !portico.IsKind(err, portico.KindUnavailable) {
		t.Fatalf("B cut off for 3 s: %v, want unavailable", err)
	}
	// A list filtered decision by decision is not answered short: the request fails as a whole.
	lister := &Actor{Kind: tech.Kind, AccountID: tech.AccountID, UserID: tech.UserID}
	if groups, err := b.ListDeviceGroups(ctx, lister); err == nil && lister.Failure() == nil {
		t.Fatalf("B cut off listed %d groups with no failure recorded", len(groups))
	}
	proxy.Restore()
	eventually.NoError(t, 5*time.Second, "B recovers and decides by the revocation", func() error {
		d, err := decide(b)
		if err != nil {
			return err
		}
		if d.Allowed {
			return fmt.Errorf("still allowed")
		}
		return nil
	})
}

// slowCommits makes every write wait a moment before it commits, so that writes racing on two nodes
// overlap: without serialisation in the database, their checks would pass together.
func slowCommits(t *testing.T) {
	beforeCommitHook = func() { time.Sleep(3 * time.Millisecond) }
	t.Cleanup(func() { beforeCommitHook = nil })
}

func TestClusterMovesNeverFormLoops(t *testing.T) {
	nodes, acc, owner := newCluster(t, 2, true)
	slowCommits(t)
	a, b := nodes[0].a, nodes[1].a
	ctx := context.Background()
	loops := 0
	for i := range 100 {
		x, err := a.CreateDeviceGroup(ctx, owner, GroupInput{Name: fmt.Sprintf("X%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		y, err := a.CreateDeviceGroup(ctx, owner, GroupInput{Name: fmt.Sprintf("Y%d", i)})
		if err != nil {
			t.Fatal(err)
		}
		// Both nodes decide on a copy that has both groups (read your writes), so that each move is
		// refused only by the loop check.
		seen := a.AccountRevision(owner.AccountID)
		actor := func() *Actor {
			return &Actor{Kind: ActorUser, AccountID: owner.AccountID, UserID: owner.UserID, MinRevision: seen}
		}
		var wg sync.WaitGroup
		wg.Add(2)
		var errX, errY error
		go func() {
			defer wg.Done()
			_, errX = a.UpdateDeviceGroup(ctx, actor(), x.ID, GroupUpdate{ParentID: &y.ID})
		}()
		go func() {
			defer wg.Done()
			_, errY = b.UpdateDeviceGroup(ctx, actor(), y.ID, GroupUpdate{ParentID: &x.ID})
		}()
		wg.Wait()
		if errX == nil && errY == nil {
			loops++
		}
		if errX != nil && errY != nil {
			t.Fatalf("pair %d: both moves refused: %v; %v", i, errX, errY)
		}
		for _, err := range []error{errX, errY} {
			if err != nil && !portico.IsKind(err, portico.KindInvalid) {
				t.Fatalf("pair %d: %v, want the loop check's refusal", i, err)
			}
		}
	}
	if loops > 0 {
		t.Fatalf("%d of 100 racing pairs both succeeded", loops)
	}
	// The stored tree has no cycle.
	groups, err := a.store.ListDeviceGroups(ctx, acc.Account.ID)
	if err != nil {
		t.Fatal(err)
	}
	parent := map[string]string{}
	for _, g := range groups {
		parent[g.ID] = g.ParentID
	}
	for id := range parent {
		seen := map[string]bool{}
		for at := id; at != ""; at = parent[at] {
			if seen[at] {
				t.Fatalf("the stored tree has a loop through %s", at)
			}
			seen[at] = true
		}
	}
}

func TestClusterLicencesAreNeverExceeded(t *testing.T) {
	nodes, acc, owner := newCluster(t, 2, true)
	a, b := nodes[0].a, nodes[1].a
	ctx := context.Background()
	const limit = 5
	settings := acc.Account.Settings
	settings.ManagedLicences = limit
	if _, err := a.UpdateAccount(ctx, SystemActor(acc.Account.ID), AccountUpdate{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	_, token, err := a.CreateEnrollmentToken(ctx, owner, "")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for i := range 20 {
		id, _, err := a.Enroll(ctx, EnrollInput{Token: token, Hostname: fmt.Sprintf("pc%d", i), Name: fmt.Sprintf("PC%d", i),
			OSName: "Linux"})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	slowCommits(t)
	var wg sync.WaitGroup
	seen := a.AccountRevision(owner.AccountID)
	for i, id := range ids {
		n := a
		if i%2 == 1 {
			n = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := n.MoveDevices(ctx, &Actor{Kind: ActorUser, AccountID: owner.AccountID, UserID: owner.UserID, MinRevision: seen},
				[]string{id}, acc.DefaultGroup.ID)
			if err != nil && !portico.IsKind(err, portico.KindLimit) {
				t.Errorf("move %s: %v", id, err)
			}
		}()
	}
	wg.Wait()
	l, err := a.GetLicences(ctx, owner)
	if err != nil {
		t.Fatal(err)
	}
	if l.ManagedUsed != limit {
		t.Fatalf("%d devices hold a licence, limit %d", l.ManagedUsed, limit)
	}
}

func TestClusterWriteRemakesDecisionsRevokedMeanwhile(t *testing.T) {
	// A never confirms on its own (an hour), so it authorizes on a copy that B's revocation has made
	// stale; the write, serialised behind the revocation, catches up and refuses.
	nodes, acc, owner := newCluster(t, 2, false)
	a, b := nodes[0].a, nodes[1].a
	a.SetSyncTiming(time.Hour, 0)
	ctx := context.Background()
	manager := roleID(t, a, owner, "administrator")
	admin, assignment := member(t, a, owner, "admin@cluster.test", manager, portico.ScopeTypeAccount, "")
	if err := b.DeleteAssignment(ctx, owner, assignment); err != nil {
		t.Fatal(err)
	}
	_, err := a.CreateDeviceGroup(ctx, admin, GroupInput{Name: "After the revocation"})
	if !portico.IsKind(err, portico.KindForbidden) {
		t.Fatalf("a write authorized on a stale copy: %v, want forbidden", err)
	}
	groups, _ := a.store.ListDeviceGroups(ctx, acc.Account.ID)
	for _, g := range groups {
		if g.Name == "After the revocation" {
			t.Fatal("the refused write was stored")
		}
	}
}

// A node's start releases what it held before it stopped, and nothing of another node's; a node whose
// lease ran out is released by exactly one of the nodes that sweep, with the reasons recorded.
func TestClusterNodeLifecycle(t *testing.T) {
	nodes, acc, owner := newCluster(t, 3, false)
	a, b, c := nodes[0].a, nodes[1].a, nodes[2].a
	ctx := context.Background()
	_, token, err := a.CreateEnrollmentToken(ctx, owner, "")
	if err != nil {
		t.Fatal(err)
	}
	enroll := func(name string) string {
		id, _, err := a.Enroll(ctx, EnrollInput{Token: token, Hostname: name, Name: name, OSName: "Linux"})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	devA, devB := enroll("pc-a"), enroll("pc-b")
	for _, n := range []struct {
		app  *App
		node string
	}{{a, "node-a"}, {b, "node-b"}, {c, "node-c"}} {
		if err := n.app.StartNode(ctx, n.node, "http://"+n.node); err != nil {
			t.Fatal(err)
		}
	}
	connect := func(n *App, node, dev string) *portico.RemoteSession {
		ac := &Actor{Kind: ActorAgent, AccountID: acc.Account.ID, DeviceID: dev, Name: dev}
		if _, err := n.RecordAgentEvents(ctx, []AgentEvent{{Actor: ac, NodeID: node, ConnID: "conn-" + dev, Event: "connected",
			Status: portico.DeviceAvailable, At: time.Now()}}); err != nil {
			t.Fatal(err)
		}
		d, err := n.store.GetDevice(ctx, acc.Account.ID, dev)
		if err != nil {
			t.Fatal(err)
		}
		r, err := n.StartSession(ctx, &SessionGrant{Device: *d, Actions: []string{"terminal"}, Actor: owner}, node)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sesA, sesB := connect(a, "node-a", devA), connect(b, "node-b", devB)
	status := func(dev string) portico.DeviceStatus {
		d, err := a.store.GetDevice(ctx, acc.Account.ID, dev)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}
	session := func(id string) *portico.RemoteSession {
		r, err := a.store.GetRemoteSession(ctx, acc.Account.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}

	// Node A restarts: its device and session are released, node B's are not.
	if err := a.StartNode(ctx, "node-a", "http://node-a"); err != nil {
		t.Fatal(err)
	}
	if status(devA) != portico.DeviceUnavailable || session(sesA.ID).State != portico.RemoteSessionEnded {
		t.Fatalf("node A's restart left its device %s and session %s", status(devA), session(sesA.ID).State)
	}
	if status(devB) != portico.DeviceAvailable || session(sesB.ID).State == portico.RemoteSessionEnded {
		t.Fatalf("node A's restart touched node B's device (%s) or session (%s)", status(devB), session(sesB.ID).State)
	}

	// Node B dies: its last renewal was a minute ago, so its lease (15 s) has run out; A and C sweep
	// at once and exactly one of them releases it.
	if err := b.store.RegisterNode(ctx, "node-b", "http://node-b", time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	released := make([][]string, 2)
	for i, n := range []*App{a, c} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ids, err := n.SweepNodes(ctx, []string{"node-a", "node-c"}[i], 15*time.Second)
			if err != nil {
				t.Error(err)
			}
			released[i] = ids
		}()
	}
	wg.Wait()
	count := 0
	for _, ids := range released {
		for _, id := range ids {
			if id == "node-b" {
				count++
			}
		}
	}
	if count != 1 || len(released[0])+len(released[1]) != 1 {
		t.Fatalf("released %v, want node-b once and no live node", released)
	}
	r := session(sesB.ID)
	if status(devB) != portico.DeviceUnavailable || r.State != portico.RemoteSessionEnded || r.EndReason == "" || r.EndedBy != "server" {
		t.Fatalf("after node B's lease ran out: device %s, session %+v", status(devB), r)
	}
	hist := 0
	entries, _, err := a.DeviceHistory(ctx, owner, devB, portico.HistoryFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range entries {
		if h.Action == "session.end" {
			hist++
		}
	}
	if hist != 1 {
		t.Fatalf("%d session.end entries in the device's history, want 1", hist)
	}
}
