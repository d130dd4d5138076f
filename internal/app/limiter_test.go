package app

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// TestBruteForceIsLockedOut: a thousand wrong passwords from one address lock the attacked user and
// the address out (the right password is refused too while locked), while other users, from other
// addresses, still sign in; the lockout ends after its time.
func TestBruteForceIsLockedOut(t *testing.T) {
	e := newEnv(t)
	victim := e.user("victim@example.test")
	_ = victim
	e.user("other@example.test")
	const attacker, elsewhere = "203.0.113.9", "198.51.100.7"
	locked := 0
	for i := range 1000 {
		_, _, err := e.a.SignIn(e.ctx, "victim@example.test", fmt.Sprintf("guess %d", i), attacker)
		if !portico.IsKind(err, portico.KindUnauthenticated) && !portico.IsKind(err, portico.KindRateLimited) {
			t.Fatalf("attempt %d: %v", i, err)
		}
		if portico.IsKind(err, portico.KindRateLimited) {
			locked++
		}
	}
	if locked < 990 {
		t.Fatalf("only %d of 1,000 attempts were refused by the lockout", locked)
	}
	// Locked: even the right password fails, for the victim and from the attacking address.
	if _, _, err := e.a.SignIn(e.ctx, "victim@example.test", "a long enough password", elsewhere); err == nil || !strings.Contains(err.Error(), "too many") {
		t.Fatalf("the victim's right password during the lockout: %v", err)
	}
	if _, _, err := e.a.SignIn(e.ctx, "other@example.test", "a long enough password", attacker); err == nil {
		t.Fatal("the attacking address can still sign in as someone else")
	}
	// Other users from other addresses are not affected.
	if _, _, err := e.a.SignIn(e.ctx, "other@example.test", "a long enough password", elsewhere); err != nil {
		t.Fatalf("another user from another address: %v", err)
	}
	// A spray over many emails from one address locks the address.
	for i := range 40 {
		e.a.SignIn(e.ctx, fmt.Sprintf("nobody%d@example.test", i), "x", "192.0.2.50")
	}
	if _, _, err := e.a.SignIn(e.ctx, "other@example.test", "a long enough password", "192.0.2.50"); err == nil {
		t.Fatal("a spraying address can still sign in")
	}
	// After the lockout the victim signs in again.
	e.advance(16 * time.Minute)
	if _, _, err := e.a.SignIn(e.ctx, "victim@example.test", "a long enough password", elsewhere); err != nil {
		t.Fatalf("after the lockout: %v", err)
	}
}
