package agent

import (
	"testing"
	"time"
)

func TestBackoffCeilingDoublesToCap(t *testing.T) {
	b := Backoff{Min: time.Second, Max: time.Minute, Rand: func(n int64) int64 { return n - 1 }}
	want := []time.Duration{1, 2, 4, 8, 16, 32, 60, 60}
	for i, w := range want {
		if got := b.Next(); got != w*time.Second {
			t.Errorf("attempt %d: Next (max draw) = %v, want %v", i, got, w*time.Second)
		}
	}
	b.Reset()
	if got := b.Next(); got != time.Second {
		t.Errorf("after Reset: Next = %v, want 1s", got)
	}
}

func TestBackoffJitterBounds(t *testing.T) {
	var b Backoff // defaults: 1 s to 20 s, real randomness
	seen := map[time.Duration]bool{}
	for i := 0; i < 200; i++ {
		ceiling := b.Ceiling()
		d := b.Next()
		if d < minDelay || d > ceiling {
			t.Fatalf("attempt %d: delay %v outside [%v, %v]", i, d, minDelay, ceiling)
		}
		if ceiling > 20*time.Second {
			t.Fatalf("ceiling %v above the 20 s cap", ceiling)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct delays in 200 draws: not jittered", len(seen))
	}
}

func TestBackoffZeroDrawHasFloor(t *testing.T) {
	b := Backoff{Rand: func(int64) int64 { return 0 }}
	if got := b.Next(); got != minDelay {
		t.Errorf("Next with a zero draw = %v, want the %v floor", got, minDelay)
	}
}
