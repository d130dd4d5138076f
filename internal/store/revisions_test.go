package store

import (
	"errors"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func testRevisions(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	if rev := must1[int64](t)(s.Revision(ctx, f.acc.ID)); rev != 0 {
		t.Fatalf("a new account is at revision %d, want 0", rev)
	}
	// Each bump advances one account only; a record belongs to its revision.
	for want := int64(1); want <= 3; want++ {
		must(t, s.Tx(ctx, func(tx *Tx) error {
			rev, err := tx.BumpRevision(ctx, f.acc.ID)
			if err != nil {
				return err
			}
			if rev != want {
				t.Errorf("bump gave %d, want %d", rev, want)
			}
			if rev == 2 {
				return nil // a revision that changed nothing keeps no record
			}
			return tx.AppendAccessChange(ctx, &AccessChange{AccountID: f.acc.ID, Revision: rev, At: at(time.Duration(rev) * time.Minute),
				Body: []byte(`{"n":` + string(rune('0'+rev)) + `}`)})
		}))
	}
	// A rolled back bump leaves no trace.
	rollback := errors.New("roll back")
	if err := s.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.BumpRevision(ctx, f.acc.ID); err != nil {
			return err
		}
		return rollback
	}); !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if rev := must1[int64](t)(s.Revision(ctx, f.acc.ID)); rev != 3 {
		t.Fatalf("revision %d after a rollback, want 3", rev)
	}
	revs := must1[map[string]int64](t)(s.Revisions(ctx))
	if revs[f.acc.ID] != 3 || revs[g.acc.ID] != 0 {
		t.Fatalf("revisions %v", revs)
	}
	changes, ok, err := s.AccessChanges(ctx, f.acc.ID, 0, 3)
	must(t, err)
	if !ok || len(changes) != 2 || changes[0].Revision != 1 || changes[1].Revision != 3 || string(changes[1].Body) != `{"n":3}` {
		t.Fatalf("changes %+v ok %v", changes, ok)
	}
	changes, _, _ = s.AccessChanges(ctx, f.acc.ID, 1, 2)
	if len(changes) != 0 {
		t.Fatalf("changes in (1, 2]: %+v", changes)
	}
	// Pruning keeps what is recent and marks how far back the log no longer reaches.
	if n := must1[int](t)(s.PruneAccessChanges(ctx, at(2*time.Minute))); n != 1 {
		t.Fatalf("pruned %d, want 1", n)
	}
	if _, ok, _ := s.AccessChanges(ctx, f.acc.ID, 0, 3); ok {
		t.Fatal("a reader behind the pruned log was not told to reload")
	}
	changes, ok, err = s.AccessChanges(ctx, f.acc.ID, 1, 3)
	must(t, err)
	if !ok || len(changes) != 1 {
		t.Fatalf("after pruning: %+v ok %v", changes, ok)
	}
	// LoadAccess reads the revision with the graph.
	if acc := must1[*Access](t)(s.LoadAccess(ctx, f.acc.ID)); acc.Revision != 3 {
		t.Fatalf("loaded revision %d", acc.Revision)
	}
	_, err = s.BumpRevision(ctx, "acc_missing")
	wantKind(t, err, portico.KindNotFound)
}

func testNodes(t *testing.T, s *Store) {
	must(t, s.RegisterNode(ctx, "node-a", "http://a", now))
	must(t, s.RegisterNode(ctx, "node-b", "http://b", now))
	must(t, s.RenewNode(ctx, "node-b", at(time.Minute)))
	wantKind(t, s.RenewNode(ctx, "node-x", now), portico.KindNotFound)
	if n := must1[*Node](t)(s.GetNode(ctx, "node-a")); n.URL != "http://a" {
		t.Fatalf("node %+v", n)
	}
	equal(t, must1[[]string](t)(s.ExpiredNodes(ctx, at(30*time.Second))), []string{"node-a"})
	// Exactly one claim of an expired node succeeds; a renewed one cannot be claimed.
	if ok := must1[bool](t)(s.ClaimExpiredNode(ctx, "node-b", at(30*time.Second))); ok {
		t.Fatal("claimed a live node")
	}
	if ok := must1[bool](t)(s.ClaimExpiredNode(ctx, "node-a", at(30*time.Second))); !ok {
		t.Fatal("could not claim an expired node")
	}
	if ok := must1[bool](t)(s.ClaimExpiredNode(ctx, "node-a", at(30*time.Second))); ok {
		t.Fatal("claimed an expired node twice")
	}
	// A device still recorded on an unregistered node is a lost node's, until it registers again.
	f := newFixture(t, s, "Acme")
	d := f.device(t, s, "", "pc1")
	must2[bool, portico.DeviceConn](t)(s.ConnectDevice(ctx, portico.DeviceConn{AccountID: f.acc.ID, DeviceID: d.ID, NodeID: "node-a", ConnID: "c1"},
		portico.DeviceAvailable, now))
	equal(t, must1[[]string](t)(s.LostNodes(ctx)), []string{"node-a"})
	must(t, s.RegisterExpiredNode(ctx, "node-a", at(-time.Hour)))
	must(t, s.RegisterExpiredNode(ctx, "node-b", at(-time.Hour))) // registered: left as it is
	equal(t, must1[[]string](t)(s.LostNodes(ctx)), []string(nil))
	equal(t, must1[[]string](t)(s.ExpiredNodes(ctx, at(30*time.Second))), []string{"node-a"})
	must(t, s.RemoveNode(ctx, "node-b"))
	wantKind(t, s.RenewNode(ctx, "node-b", now), portico.KindNotFound)
}
