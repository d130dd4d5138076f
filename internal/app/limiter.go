package app

import (
	"context"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/portico-dev/portico/internal/store"
)

// signinLimiter slows and then locks out repeated failed sign-ins, per account email and per source
// address, so that guessing one user's password is slow and a single address cannot spray many.
//
// Its counts live in the database, so that every node of a cluster enforces the same limits. An attempt
// is charged before its password or code is checked, in one statement per key that returns the new
// count: guesses sent to several nodes at once each get a different count, so no more of them reach
// the check than the limit allows. A wrong secret keeps its charge (and locks the key at the limit);
// a right one, or one never checked, gives it back.
type signinLimiter struct {
	store   *store.Store
	log     *slog.Logger
	maxKey  int // failures per email
	maxAddr int // failures per source address
	window  time.Duration
	lockout time.Duration

	// pruneEvery spaces this node's deletions of rows that no longer count.
	pruneEvery time.Duration
	mu         sync.Mutex
	lastPrune  time.Time
}

func newSigninLimiter(st *store.Store, log *slog.Logger) *signinLimiter {
	return &signinLimiter{store: st, log: log, maxKey: 5, maxAddr: 30,
		window: 15 * time.Minute, lockout: 15 * time.Minute, pruneEvery: time.Minute}
}

// newCodeLimiter limits on-demand code guesses per address: 20 wrong codes in 15 minutes lock the
// address out for 15 minutes.
func newCodeLimiter(st *store.Store, log *slog.Logger) *signinLimiter {
	return &signinLimiter{store: st, log: log, maxAddr: maxWrongCodes, window: wrongCodeWindow,
		lockout: wrongCodeWindow, pruneEvery: time.Minute}
}

// signinCharge is one attempt charged to an email and an address, to settle once its secret was
// checked.
type signinCharge struct {
	l           *signinLimiter
	email, addr *store.SignInLimit
	now         time.Time
}

// attempt charges one attempt for email from addr at now. locked means the attempt is refused and its
// secret must not be checked: the email or the address is locked out, or as many attempts as the limit
// allows are already counted. Otherwise the caller checks the secret and settles the charge. A database
// error refuses the attempt too: the limiter never fails open.
func (l *signinLimiter) attempt(ctx context.Context, email, addr string, now time.Time) (c *signinCharge, locked bool, err error) {
	l.prune(ctx, now)
	// The address first: an attempt from a locked-out address does not count against the email.
	a, err := l.store.ChargeSignInLimit(ctx, "a:"+addr, now, l.window)
	if err != nil {
		return nil, false, err
	}
	if a.Failures > l.maxAddr || a.Locked(now) {
		l.lock(ctx, a, l.maxAddr, now)
		return nil, true, nil
	}
	e, err := l.store.ChargeSignInLimit(ctx, "e:"+email, now, l.window)
	if err != nil {
		return nil, false, err
	}
	if e.Failures > l.maxKey || e.Locked(now) {
		// The refused attempt keeps its charge on the address: an address that keeps hammering a
		// locked account is locked out itself, for every account.
		l.lock(ctx, a, l.maxAddr, now)
		return nil, true, nil
	}
	return &signinCharge{l: l, email: e, addr: a, now: now}, false, nil
}

// attemptAddr charges one attempt from addr alone (a code guessed rather than a password): as
// attempt, with the address's limit.
func (l *signinLimiter) attemptAddr(ctx context.Context, addr string, now time.Time) (c *signinCharge, locked bool, err error) {
	l.prune(ctx, now)
	a, err := l.store.ChargeSignInLimit(ctx, "c:"+addr, now, l.window)
	if err != nil {
		return nil, false, err
	}
	if a.Failures > l.maxAddr || a.Locked(now) {
		l.lock(ctx, a, l.maxAddr, now)
		return nil, true, nil
	}
	return &signinCharge{l: l, addr: a, now: now}, false, nil
}

// settle ends the attempt: a wrong secret keeps the charge and locks what reached its limit; a right
// one, or none checked, gives the charge back. It runs even if the request was cancelled meanwhile, so
// that a client cannot drop its connection to escape the lockout. A database error here leaves the
// count as high or higher than it should be, never lower, so it is logged, not returned.
func (c *signinCharge) settle(ctx context.Context, wrong bool) {
	ctx = context.WithoutCancel(ctx)
	l := c.l
	if wrong {
		if c.email != nil {
			l.lock(ctx, c.email, l.maxKey, c.now)
		}
		l.lock(ctx, c.addr, l.maxAddr, c.now)
		return
	}
	for _, k := range []*store.SignInLimit{c.email, c.addr} {
		if k == nil {
			continue
		}
		if err := l.store.RefundSignInLimit(ctx, k.Key, k.WindowStart); err != nil {
			l.log.Error("sign-in limiter: give back an attempt", "err", err)
		}
	}
}

// lock locks k out when its count reached limit. Of the failures that reach the limit, the last one
// charged saw a count of at least limit, so it is enough that it alone writes the lock.
func (l *signinLimiter) lock(ctx context.Context, k *store.SignInLimit, limit int, now time.Time) {
	if k.Failures < limit || k.Locked(now) {
		return
	}
	if err := l.store.LockSignInLimit(ctx, k.Key, limit, now, l.lockout); err != nil {
		l.log.Error("sign-in limiter: lock out", "err", err)
	}
}

// succeed clears the email's failures (not the address's: one good password must not unlock a spray).
func (l *signinLimiter) succeed(ctx context.Context, email string) error {
	return l.store.ClearSignInLimit(ctx, "e:"+email)
}

// prune deletes, at most every pruneEvery on this node, the counts that no longer matter, so that a
// flood of attempts for ever new emails or from ever new addresses leaves no more rows behind than
// the last window's.
func (l *signinLimiter) prune(ctx context.Context, now time.Time) {
	l.mu.Lock()
	due := now.Sub(l.lastPrune) >= l.pruneEvery
	if due {
		l.lastPrune = now
	}
	l.mu.Unlock()
	if !due {
		return
	}
	if _, err := l.store.PruneSignInLimits(ctx, now, l.window); err != nil {
		l.log.Error("sign-in limiter: prune", "err", err)
	}
}

// chargeOwnAttempt charges a check of the actor's own password or code that is to run inside a write,
// and returns tooMany when the actor's email or address is locked out. The charge is made, and settled
// after the write, outside its transaction: a wrong guess rolls the transaction back but must keep its
// charge, and on SQLite a write beside an open transaction would wait for its one writer connection.
func (a *App) chargeOwnAttempt(ctx context.Context, ac *Actor, tooMany error) (*signinCharge, error) {
	u, err := a.store.GetUser(ctx, ac.AccountID, ac.UserID)
	if err != nil {
		return nil, err
	}
	charge, locked, err := a.signins.attempt(ctx, strings.ToLower(u.Email), ac.SourceIP, a.now())
	if err != nil {
		return nil, err
	}
	if locked {
		return nil, tooMany
	}
	return charge, nil
}
