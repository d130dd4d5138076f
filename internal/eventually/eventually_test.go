package eventually

import (
	"errors"
	"sync/atomic"
	"testing"
	"time"
)

func TestWithinWaitsForTheCondition(t *testing.T) {
	var n atomic.Int32
	go func() {
		time.Sleep(30 * time.Millisecond)
		n.Store(1)
	}()
	start := time.Now()
	if !Within(5*time.Second, func() bool { return n.Load() == 1 }) {
		t.Fatal("the condition held after 30 ms but Within reported a timeout")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("Within returned %v after the condition held", d)
	}
}

func TestWithinGivesUp(t *testing.T) {
	start := time.Now()
	if Within(50*time.Millisecond, func() bool { return false }) {
		t.Fatal("a condition that never holds was reported as held")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("gave up after %v, before the bound", d)
	}
}

func TestPollReturnsTheLastError(t *testing.T) {
	calls := 0
	err := poll(20*time.Millisecond, func() error {
		calls++
		return errors.New("attempt")
	})
	if err == nil || err.Error() != "attempt" {
		t.Fatalf("poll returned %v, want the check's last error", err)
	}
	if calls < 2 {
		t.Fatalf("check tried %d times in 20 ms, want it retried", calls)
	}
}

func TestPollTriesAtOnce(t *testing.T) {
	calls := 0
	if err := poll(0, func() error { calls++; return nil }); err != nil || calls != 1 {
		t.Fatalf("poll with no time left: err %v after %d calls, want one successful try", err, calls)
	}
}
