package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// appendN appends n events to the account, one second apart, and returns them as stored.
func appendN(t testing.TB, s *Store, accountID string, n int) []portico.AuditEvent {
	t.Helper()
	var out []portico.AuditEvent
	for i := 0; i < n; i++ {
		e := &portico.AuditEvent{ID: portico.NewID("evt"), AccountID: accountID, At: at(time.Duration(i) * time.Second),
			ActorType: "user", ActorID: fmt.Sprintf("usr_%d", i%2), ActorName: "Someone", Action: []portico.AuditAction{portico.ActionUserCreate, portico.ActionDeviceMove}[i%2],
			TargetType: "device", TargetID: fmt.Sprintf("dev_%d", i%3), SourceIP: "192.0.2.1",
			Outcome: []portico.Outcome{portico.OutcomeSuccess, portico.OutcomeDenied}[i%2], Detail: fmt.Sprintf("event %d", i+1)}
		must(t, s.AppendAudit(ctx, e))
		out = append(out, *e)
	}
	return out
}

func reversed[T any](xs []T) []T {
	out := make([]T, len(xs))
	for i, x := range xs {
		out[len(xs)-1-i] = x
	}
	return out
}

func testAudit(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	evs := appendN(t, s, f.acc.ID, 6)
	other := appendN(t, s, g.acc.ID, 2)
	for i, e := range evs {
		if e.Seq != int64(i+1) {
			t.Fatalf("event %d has seq %d", i, e.Seq)
		}
		prev := ""
		if i > 0 {
			prev = evs[i-1].Hash
		}
		if e.PrevHash != prev || e.Hash != e.ComputeHash() || e.At != normTime(e.At) {
			t.Fatalf("event %d badly chained: %+v", i, e)
		}
	}
	if other[0].Seq != 1 || other[1].Seq != 2 {
		t.Fatal("seq is not per account")
	}
	if p := portico.VerifyChain(evs); p != nil {
		t.Fatalf("VerifyChain: %+v", p)
	}

	list := func(fl portico.AuditFilter) []portico.AuditEvent {
		t.Helper()
		return must1[[]portico.AuditEvent](t)(s.ListAudit(ctx, f.acc.ID, fl))
	}
	equal(t, list(portico.AuditFilter{}), reversed(evs))
	equal(t, list(portico.AuditFilter{Page: portico.Page{Limit: 2, Offset: 1}}), []portico.AuditEvent{evs[4], evs[3]})
	equal(t, list(portico.AuditFilter{ActorID: "usr_1"}), []portico.AuditEvent{evs[5], evs[3], evs[1]})
	equal(t, list(portico.AuditFilter{Action: "user.create"}), []portico.AuditEvent{evs[4], evs[2], evs[0]})
	equal(t, list(portico.AuditFilter{TargetType: "device", TargetID: "dev_0"}), []portico.AuditEvent{evs[3], evs[0]})
	equal(t, list(portico.AuditFilter{Outcome: portico.OutcomeDenied, TargetID: "dev_1"}), []portico.AuditEvent{evs[1]})
	since, until := at(2*time.Second), at(4*time.Second)
	equal(t, list(portico.AuditFilter{Since: &since, Until: &until}), []portico.AuditEvent{evs[3], evs[2]})
	equal(t, list(portico.AuditFilter{BeforeSeq: evs[3].Seq, Page: portico.Page{Limit: 2}}), []portico.AuditEvent{evs[2], evs[1]})
	equal(t, list(portico.AuditFilter{TargetID: other[0].TargetID, ActorID: "usr_none"}), []portico.AuditEvent{})

	p, n, err := s.VerifyAudit(ctx, f.acc.ID)
	if err != nil || p != nil || n != 6 {
		t.Fatalf("VerifyAudit = %+v, %d, %v; want nil, 6, nil", p, n, err)
	}
	// An account without events verifies, with 0 entries.
	h := newFixture(t, s, "Empty")
	if p, n, err := s.VerifyAudit(ctx, h.acc.ID); err != nil || p != nil || n != 0 {
		t.Fatalf("VerifyAudit(empty) = %+v, %d, %v", p, n, err)
	}
	// Appending inside a transaction works and chains on.
	must(t, s.Tx(ctx, func(tx *Tx) error {
		return tx.AppendAudit(ctx, &portico.AuditEvent{AccountID: f.acc.ID, At: now, ActorType: "system", Action: "tx", Outcome: portico.OutcomeSuccess})
	}))
	if p, n, err := s.VerifyAudit(ctx, f.acc.ID); err != nil || p != nil || n != 7 {
		t.Fatalf("VerifyAudit after tx = %+v, %d, %v", p, n, err)
	}
	// An unknown account cannot log.
	wantKind(t, s.AppendAudit(ctx, &portico.AuditEvent{AccountID: "acc_missing", At: now, Action: "x"}), portico.KindNotFound)
}

func testAuditConcurrent(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	const workers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				errs <- s.AppendAudit(ctx, &portico.AuditEvent{AccountID: f.acc.ID, At: time.Now(), ActorType: "system",
					Action: "concurrent", Outcome: portico.OutcomeSuccess})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, err)
	}
	p, n, err := s.VerifyAudit(ctx, f.acc.ID)
	if err != nil || p != nil || n != workers*each {
		t.Fatalf("VerifyAudit = %+v, %d, %v; want nil, %d", p, n, err, workers*each)
	}
}

// wantProblem verifies the chain and expects the first problem at seq.
func wantProblem(t *testing.T, s *Store, accountID string, seq int64, reason string) {
	t.Helper()
	p, _, err := s.VerifyAudit(ctx, accountID)
	must(t, err)
	if p == nil {
		t.Fatalf("tampering not detected (want seq %d)", seq)
	}
	if p.Seq != seq || !strings.Contains(p.Reason, reason) {
		t.Fatalf("problem = %+v; want seq %d, reason containing %q", p, seq, reason)
	}
}

func testAuditTamperEdit(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	evs := appendN(t, s, f.acc.ID, 5)
	appendN(t, s, g.acc.ID, 5)
	rawExec(t, s, `UPDATE audit_events SET detail = 'nothing to see' WHERE account_id = $1 AND seq = 3`, f.acc.ID)
	wantProblem(t, s, f.acc.ID, 3, "content does not match")
	p, n, _ := s.VerifyAudit(ctx, f.acc.ID)
	if p.EventID != evs[2].ID || n != 2 {
		t.Fatalf("problem %+v after %d entries", p, n)
	}
	// Other accounts' chains are unaffected.
	if p, _, _ := s.VerifyAudit(ctx, g.acc.ID); p != nil {
		t.Fatalf("Globex: %+v", p)
	}
	// Editing the time, even by a microsecond, is noticed too.
	rawExec(t, s, `UPDATE audit_events SET detail = $2 WHERE account_id = $1 AND seq = 3`, f.acc.ID, evs[2].Detail)
	if p, _, _ := s.VerifyAudit(ctx, f.acc.ID); p != nil {
		t.Fatalf("after restoring: %+v", p)
	}
	rawExec(t, s, `UPDATE audit_events SET at = $2 WHERE account_id = $1 AND seq = 2`, f.acc.ID, evs[1].At.Add(time.Microsecond))
	wantProblem(t, s, f.acc.ID, 2, "content does not match")
}

func testAuditTamperDeleteMiddle(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	appendN(t, s, f.acc.ID, 5)
	rawExec(t, s, `DELETE FROM audit_events WHERE account_id = $1 AND seq = 3`, f.acc.ID)
	wantProblem(t, s, f.acc.ID, 3, "entry missing")
	// Renumbering the rest to hide the gap breaks the hash links instead.
	rawExec(t, s, `UPDATE audit_events SET seq = seq - 1 WHERE account_id = $1 AND seq > 3`, f.acc.ID)
	wantProblem(t, s, f.acc.ID, 3, "previous-hash link broken")
}

func testAuditTamperDeleteLast(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	evs := appendN(t, s, f.acc.ID, 5)
	rawExec(t, s, `DELETE FROM audit_events WHERE account_id = $1 AND seq = 5`, f.acc.ID)
	wantProblem(t, s, f.acc.ID, 5, "entry missing")
	// Deleting every entry is noticed as well.
	rawExec(t, s, `DELETE FROM audit_events WHERE account_id = $1`, f.acc.ID)
	wantProblem(t, s, f.acc.ID, 1, "entry missing")
	// Replacing the last entry with a self-consistent forgery: the head's hash no longer matches.
	g := newFixture(t, s, "Globex")
	gevs := appendN(t, s, g.acc.ID, 3)
	forged := gevs[2]
	forged.Detail = "forged"
	forged.Hash = forged.ComputeHash()
	rawExec(t, s, `UPDATE audit_events SET detail = $2, hash = $3 WHERE id = $1`, forged.ID, forged.Detail, forged.Hash)
	wantProblem(t, s, g.acc.ID, 3, "does not match the chain's head")
	_ = evs
}

func testAuditTamperReorder(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	appendN(t, s, f.acc.ID, 5)
	// Swap entries 2 and 4 (through a free seq, as (account_id, seq) is unique).
	rawExec(t, s, `UPDATE audit_events SET seq = 100 WHERE account_id = $1 AND seq = 2`, f.acc.ID)
	rawExec(t, s, `UPDATE audit_events SET seq = 2 WHERE account_id = $1 AND seq = 4`, f.acc.ID)
	rawExec(t, s, `UPDATE audit_events SET seq = 4 WHERE account_id = $1 AND seq = 100`, f.acc.ID)
	wantProblem(t, s, f.acc.ID, 2, "previous-hash link broken")
}
