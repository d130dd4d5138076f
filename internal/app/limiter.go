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

// locked reports whether sign-in for email or from addr is locked at now.
func (l *signinLimiter) locked(email, addr string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []string{"e:" + email, "a:" + addr} {
		if f := l.byKey[k]; f != nil && now.Before(f.lockedUntil) {
			return true
		}
	}
	return false
}

// fail records a failure and reports whether it caused a lockout.
func (l *signinLimiter) fail(email, addr string, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.byKey) > 100_000 {
		l.byKey = map[string]*failures{} // bound memory under a flood; lockouts restart
	}
	for k, max := range map[string]int{"e:" + email: l.maxKey, "a:" + addr: l.maxAddr} {
		f := l.byKey[k]
		if f == nil || now.Sub(f.first) > l.window {
			f = &failures{first: now}
			l.byKey[k] = f
		}
		f.count++
		if f.count >= max {
			f.lockedUntil = now.Add(l.lockout)
		}
	}
}

// succeed clears the email's failures (not the address's: one good password must not unlock a spray).
func (l *signinLimiter) succeed(email string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.byKey, "e:"+email)
}
