package store

import (
	"sort"
	"sync"
	"testing"
	"time"
)

func TestSignInLimitsSQLite(t *testing.T)   { runSignInLimits(t, openSQLiteTest) }
func TestSignInLimitsPostgres(t *testing.T) { runSignInLimits(t, openPostgresTest) }

func runSignInLimits(t *testing.T, open func(t testing.TB) *Store) {
	for name, fn := range map[string]func(*testing.T, *Store){
		"ChargeAndLock":   testSignInLimitChargeAndLock,
		"Refund":          testSignInLimitRefund,
		"Prune":           testSignInLimitPrune,
		"ConcurrentCount": testSignInLimitConcurrent,
	} {
		t.Run(name, func(t *testing.T) { fn(t, open(t)) })
	}
}

const (
	limitWindow  = 15 * time.Minute
	limitLockout = 15 * time.Minute
)

func chargeKey(t *testing.T, s *Store, key string, at time.Time) *SignInLimit {
	t.Helper()
	return must1[*SignInLimit](t)(s.ChargeSignInLimit(ctx, key, at, limitWindow))
}

// testSignInLimitChargeAndLock: attempts count up within a window; the lock is set only at the limit,
// holds (and keeps counting) until it ends, is not extended meanwhile, and once over the key starts
// afresh. A window that ran out without a lock starts afresh too.
func testSignInLimitChargeAndLock(t *testing.T, s *Store) {
	const key = "e:bob@example.test"
	for i := 1; i <= 2; i++ {
		l := chargeKey(t, s, key, at(time.Duration(i)*time.Second))
		if l.Failures != i || !l.WindowStart.Equal(normTime(at(time.Second))) || l.LockedUntil != nil {
			t.Fatalf("charge %d: %+v", i, l)
		}
	}
	must(t, s.LockSignInLimit(ctx, key, 3, at(2*time.Second), limitLockout))
	if l := chargeKey(t, s, key, at(3*time.Second)); l.Failures != 3 || l.Locked(at(3*time.Second)) {
		t.Fatalf("below the limit a key is not locked: %+v", l)
	}
	must(t, s.LockSignInLimit(ctx, key, 3, at(3*time.Second), limitLockout))
	until := normTime(at(3*time.Second + limitLockout))
	l := chargeKey(t, s, key, at(time.Minute))
	if l.Failures != 4 || !l.Locked(at(time.Minute)) || !l.LockedUntil.Equal(until) {
		t.Fatalf("locked at the limit: %+v, want until %v", l, until)
	}
	must(t, s.LockSignInLimit(ctx, key, 3, at(time.Minute), limitLockout))
	// Past the window but not the lock: still locked, still counting.
	late := at(3*time.Second + limitLockout - time.Second)
	if l := chargeKey(t, s, key, late); l.Failures != 5 || !l.LockedUntil.Equal(until) || !l.Locked(late) {
		t.Fatalf("a lockout in force is neither extended nor forgotten: %+v", l)
	}
	if l := chargeKey(t, s, key, at(3*time.Second+limitLockout)); l.Failures != 1 || l.LockedUntil != nil {
		t.Fatalf("after the lockout: %+v", l)
	}

	// A window without a lock ends after its time.
	const addr = "a:192.0.2.1"
	chargeKey(t, s, addr, now)
	chargeKey(t, s, addr, at(limitWindow))
	if l := chargeKey(t, s, addr, at(limitWindow+time.Microsecond)); l.Failures != 1 || !l.WindowStart.Equal(normTime(at(limitWindow+time.Microsecond))) {
		t.Fatalf("after the window: %+v", l)
	}

	// Clear forgets the key, lock and all; other keys stay.
	must(t, s.LockSignInLimit(ctx, addr, 1, at(limitWindow+time.Second), limitLockout))
	must(t, s.ClearSignInLimit(ctx, addr))
	if l := chargeKey(t, s, addr, at(limitWindow+2*time.Second)); l.Failures != 1 || l.LockedUntil != nil {
		t.Fatalf("after clearing: %+v", l)
	}
	equal(t, rawCount(t, s, `SELECT COUNT(*) FROM signin_limits`), 2)

	// Inside a transaction too.
	must(t, s.Tx(ctx, func(tx *Tx) error {
		l, err := tx.ChargeSignInLimit(ctx, "a:198.51.100.1", now, limitWindow)
		if err == nil && l.Failures != 1 {
			t.Errorf("in a transaction: %+v", l)
		}
		return err
	}))
}

// testSignInLimitRefund: a refund takes back one charge of its own window, never one of a later window
// and never below zero.
func testSignInLimitRefund(t *testing.T, s *Store) {
	const key = "a:203.0.113.5"
	first := chargeKey(t, s, key, now)
	chargeKey(t, s, key, at(time.Second))
	must(t, s.RefundSignInLimit(ctx, key, first.WindowStart))
	equal(t, chargeKey(t, s, key, at(2*time.Second)).Failures, 2)

	next := chargeKey(t, s, key, at(limitWindow+time.Second)) // a new window
	equal(t, next.Failures, 1)
	must(t, s.RefundSignInLimit(ctx, key, first.WindowStart)) // a charge of the old window: nothing to give back
	equal(t, chargeKey(t, s, key, at(limitWindow+2*time.Second)).Failures, 2)
	for range 3 {
		must(t, s.RefundSignInLimit(ctx, key, next.WindowStart))
	}
	equal(t, chargeKey(t, s, key, at(limitWindow+3*time.Second)).Failures, 1)
	must(t, s.RefundSignInLimit(ctx, "a:unknown", now)) // no row: nothing to do
}

// testSignInLimitPrune: only keys whose window is over and that are not locked out go.
func testSignInLimitPrune(t *testing.T, s *Store) {
	chargeKey(t, s, "a:old", now)
	chargeKey(t, s, "e:locked@example.test", now)
	must(t, s.LockSignInLimit(ctx, "e:locked@example.test", 1, at(10*time.Minute), limitLockout))
	chargeKey(t, s, "e:recent@example.test", at(10*time.Minute))
	later := at(20 * time.Minute)
	equal(t, must1[int64](t)(s.PruneSignInLimits(ctx, later, limitWindow)), int64(1))
	equal(t, rawCount(t, s, `SELECT COUNT(*) FROM signin_limits WHERE limit_key = 'a:old'`), 0)
	equal(t, rawCount(t, s, `SELECT COUNT(*) FROM signin_limits`), 2)
	// Once the lock and the other window are over, they go too.
	equal(t, must1[int64](t)(s.PruneSignInLimits(ctx, at(26*time.Minute), limitWindow)), int64(2))
	equal(t, rawCount(t, s, `SELECT COUNT(*) FROM signin_limits`), 0)
}

// testSignInLimitConcurrent: attempts charged at the same moment each get their own count, so a
// limiter that admits counts up to its limit admits no more attempts than that, however many race.
func testSignInLimitConcurrent(t *testing.T, s *Store) {
	const n = 40
	counts := make([]int, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l, err := s.ChargeSignInLimit(ctx, "e:race@example.test", now, limitWindow)
			if err != nil {
				t.Error(err)
				return
			}
			counts[i] = l.Failures
		}()
	}
	wg.Wait()
	sort.Ints(counts)
	for i, c := range counts {
		if c != i+1 {
			t.Fatalf("counts %v, want 1 to %d each once", counts, n)
		}
	}
}
