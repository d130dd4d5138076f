package app

import (
	"sync"
	"time"
)

// signinLimiter slows and then locks out repeated failed sign-ins, per account email and per source
// address, so that guessing one user's password is slow and a single address cannot spray many.
type signinLimiter struct {
	mu      sync.Mutex
	byKey   map[string]*failures
	maxKey  int
	maxAddr int
	window  time.Duration
	lockout time.Duration
}

type failures struct {
	count       int
	first       time.Time
	lockedUntil time.Time
}

func newSigninLimiter() *signinLimiter {
	return &signinLimiter{byKey: map[string]*failures{}, maxKey: 5, maxAddr: 30,
		window: 15 * time.Minute, lockout: 15 * time.Minute}
}

// locked reports whether sign-in for email or from addr is locked at now. An attempt refused by a
// lockout still counts against its address: an address that keeps hammering a locked account is
// locked out itself, for every account.
func (l *signinLimiter) locked(email, addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{"e:" + email, "a:" + addr} {
		if f := l.byKey[k]; f != nil && now.Before(f.lockedUntil) {
			l.count("a:"+addr, l.maxAddr, now)
			return true
		}
	}
	return false
}

// count records one failure under key and locks it at max failures within the window. The caller
// holds l.mu.
func (l *signinLimiter) count(key string, max int, now time.Time) {
	f := l.byKey[key]
	if f == nil || now.Sub(f.first) > l.window {
		f = &failures{first: now}
		l.byKey[key] = f
	}
	f.count++
	if f.count >= max && !now.Before(f.lockedUntil) {
		f.lockedUntil = now.Add(l.lockout)
	}
}

// fail records a failure and reports whether it caused a lockout.
func (l *signinLimiter) fail(email, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.byKey) > 100_000 {
		l.byKey = map[string]*failures{} // bound memory under a flood; lockouts restart
	}
	l.count("e:"+email, l.maxKey, now)
	l.count("a:"+addr, l.maxAddr, now)
}

// succeed clears the email's failures (not the address's: one good password must not unlock a spray).
func (l *signinLimiter) succeed(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byKey, "e:"+email)
}
