package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/store"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// Two `portico serve` nodes share one PostgreSQL database: the sign-in lockout must hold across them,
// so that sending guesses to both, one after the other or all at once, gets no more of them checked
// than one node allows.

// newTwoNodeEnv returns an env whose App is the first of two nodes over one new PostgreSQL database,
// and both nodes. They share the env's clock and the server key, as nodes of one cluster do.
func newTwoNodeEnv(t *testing.T) (*env, [2]*App) {
	t.Helper()
	ctx := context.Background()
	dsn := pgtest.NewDatabase(t)
	e := &env{t: t, ctx: ctx, now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	key := make([]byte, 32)
	key[0] = 7
	var nodes [2]*App
	for i := range nodes {
		st, err := store.OpenAndMigrate(ctx, store.Config{DatabaseURL: dsn})
		if err != nil {
			t.Fatalf("open store: %v", err)
		}
		t.Cleanup(func() { st.Close() })
		nodes[i] = New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
		nodes[i].SetClock(func() time.Time { return e.now })
		if err := nodes[i].SetSealKey(key); err != nil {
			t.Fatal(err)
		}
	}
	e.a = nodes[0]
	e.acc, e.owner = e.newAccount("Example Ltd", "owner@example.test")
	e.sys = SystemActor(e.acc.Account.ID)
	e.defaultGroup = e.acc.DefaultGroup.ID
	return e, nodes
}

// checkedGuesses runs guess n times, alternating between the nodes, either one after the other or all
// at once, and returns how many guesses were checked: guess reports true for a guess that reached the
// check and false for one the lockout refused.
func checkedGuesses(t *testing.T, nodes [2]*App, n int, together bool, guess func(node *App, i int) bool) int {
	t.Helper()
	var checked atomic.Int32
	if !together {
		for i := range n {
			if guess(nodes[i%2], i) {
				checked.Add(1)
			}
		}
		return int(checked.Load())
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			if guess(nodes[i%2], i) {
				checked.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	return int(checked.Load())
}

// wrongPassword signs in with a wrong password and reports whether it was checked.
func wrongPassword(t *testing.T, node *App, email, addr string) bool {
	_, _, err := node.SignIn(context.Background(), email, "a wrong guess", addr)
	switch {
	case err == nil:
		t.Errorf("signed in as %s with a wrong password", email)
	case strings.Contains(err.Error(), "too many"):
		return false
	case !strings.Contains(err.Error(), "wrong email or password"):
		t.Errorf("wrong password for %s: %v", email, err)
	}
	return true
}

// wantLockedOnBoth checks that the right password (and code) is refused by the lockout on both nodes.
func wantLockedOnBoth(t *testing.T, nodes [2]*App, email, code, addr string) {
	t.Helper()
	for i, node := range nodes {
		_, _, err := node.SignInWithCode(context.Background(), email, userPassword, code, addr)
		if err == nil || !strings.Contains(err.Error(), "too many") {
			t.Errorf("node %d: the right password for %s from %s during the lockout: %v, want a lockout", i+1, email, addr, err)
		}
	}
}

func TestSignInLockoutHoldsAcrossNodes(t *testing.T) {
	e, nodes := newTwoNodeEnv(t)
	for _, email := range []string{"turns@example.test", "burst@example.test", "other@example.test"} {
		e.user(email)
	}

	// One guess after the other, to each node in turn: exactly what one node allows.
	n := checkedGuesses(t, nodes, 20, false, func(node *App, _ int) bool {
		return wrongPassword(t, node, "turns@example.test", "203.0.113.1")
	})
	if n != 5 {
		t.Errorf("%d of 20 wrong passwords sent in turns were checked, want 5", n)
	}
	wantLockedOnBoth(t, nodes, "turns@example.test", "", "198.51.100.1")

	// A burst to both nodes at once: no more than that.
	n = checkedGuesses(t, nodes, 40, true, func(node *App, _ int) bool {
		return wrongPassword(t, node, "burst@example.test", "203.0.113.2")
	})
	if n < 1 || n > 5 {
		t.Errorf("%d of 40 wrong passwords sent at once were checked, want 1 to 5", n)
	}
	wantLockedOnBoth(t, nodes, "burst@example.test", "", "198.51.100.2")

	// A spray over many emails from one address, to both nodes at once: no more than 30 checked, and
	// then the address is locked out for every account.
	n = checkedGuesses(t, nodes, 80, true, func(node *App, i int) bool {
		return wrongPassword(t, node, fmt.Sprintf("nobody%d@example.test", i), "192.0.2.50")
	})
	if n < 1 || n > 30 {
		t.Errorf("%d of 80 sprayed guesses from one address were checked, want 1 to 30", n)
	}
	wantLockedOnBoth(t, nodes, "other@example.test", "", "192.0.2.50")
	// Elsewhere, the other user still signs in, on either node.
	for i, node := range nodes {
		if _, _, err := node.SignIn(e.ctx, "other@example.test", userPassword, "198.51.100.3"); err != nil {
			t.Errorf("node %d: another user from another address: %v", i+1, err)
		}
	}

	// The lockouts end after their time, on both nodes.
	e.advance(16 * time.Minute)
	for i, node := range nodes {
		if _, _, err := node.SignIn(e.ctx, "turns@example.test", userPassword, "192.0.2.50"); err != nil {
			t.Errorf("node %d: after the lockout: %v", i+1, err)
		}
	}
}

func TestTwoFactorLockoutHoldsAcrossNodes(t *testing.T) {
	e, nodes := newTwoNodeEnv(t)
	secrets := map[string]string{}
	for _, email := range []string{"turns@example.test", "burst@example.test"} {
		secrets[email], _ = e.enrol(e.user(email))
	}
	e.advance(30 * time.Second) // the codes that confirmed enrolment are spent

	// wrongCode signs in with the right password and a wrong code, and reports whether the code was
	// checked.
	wrongCode := func(node *App, email, addr string) bool {
		_, _, err := node.SignInWithCode(context.Background(), email, userPassword, "000000", addr)
		switch {
		case err == nil:
			t.Errorf("signed in as %s with a wrong code", email)
		case strings.Contains(err.Error(), "too many"):
			return false
		case !strings.Contains(err.Error(), "wrong two-factor code"):
			t.Errorf("wrong code for %s: %v", email, err)
		}
		return true
	}

	n := checkedGuesses(t, nodes, 20, false, func(node *App, _ int) bool {
		return wrongCode(node, "turns@example.test", "203.0.113.1")
	})
	if n != 5 {
		t.Errorf("%d of 20 wrong codes sent in turns were checked, want 5", n)
	}
	wantLockedOnBoth(t, nodes, "turns@example.test", e.code(secrets["turns@example.test"]), "198.51.100.1")

	n = checkedGuesses(t, nodes, 40, true, func(node *App, _ int) bool {
		return wrongCode(node, "burst@example.test", "203.0.113.2")
	})
	if n > 5 {
		t.Errorf("%d of 40 wrong codes sent at once were checked, want at most 5", n)
	}
	wantLockedOnBoth(t, nodes, "burst@example.test", e.code(secrets["burst@example.test"]), "198.51.100.2")
}
