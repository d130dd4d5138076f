// Package eventually waits, in tests, for something another goroutine, process or node makes true.
//
// It is the one polling loop of the test suite: a condition is tried at once, then again after a
// pause that starts short (most waits end within a few milliseconds) and grows to a tenth of a
// second, until it holds or the bound passes. On timeout the test fails with what was awaited and,
// for NoError, the last error, so a failure says why rather than only that it took too long.
package eventually

import (
	"fmt"
	"testing"
	"time"
)

const (
	firstPause = 2 * time.Millisecond
	maxPause   = 100 * time.Millisecond
)

// Within tries cond until it holds or within passes and reports whether it held. It is for callers
// that handle a timeout themselves (a goroutine that may not fail the test, a benchmark).
func Within(within time.Duration, cond func() bool) bool {
	return poll(within, func() error {
		if cond() {
			return nil
		}
		return errNotYet
	}) == nil
}

// True fails the test unless cond holds within the bound; what names what was awaited.
func True(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !Within(within, cond) {
		t.Fatalf("waited %v for %s", within, what)
	}
}

// NoError fails the test unless check returns nil within the bound, reporting its last error.
func NoError(t testing.TB, within time.Duration, what string, check func() error) {
	t.Helper()
	if err := poll(within, check); err != nil {
		t.Fatalf("waited %v for %s: %v", within, what, err)
	}
}

var errNotYet = fmt.Errorf("not yet")

// poll returns nil once check does, or check's last error when the bound passes.
func poll(within time.Duration, check func() error) error {
	deadline := time.Now().Add(within)
	pause := firstPause
	for {
		err := check()
		if err == nil {
			return nil
		}
		left := time.Until(deadline)
		if left <= 0 {
			return err
		}
		time.Sleep(min(pause, left))
		pause = min(2*pause, maxPause)
	}
}
