package agent

import (
	"math/rand/v2"
	"time"
)

// Backoff computes reconnection delays: exponential growth from Min to Max with full jitter (a delay
// is uniform between a small floor and the current ceiling), so that agents cut off together by a
// server restart do not all come back in the same second. The zero value uses 1 s and 20 s: the cap
// bounds how long an agent stays away after its servers come back.
type Backoff struct {
	Min, Max time.Duration
	// Rand returns a uniform value in [0, n); math/rand/v2 when nil. Tests inject their own.
	Rand    func(n int64) int64
	attempt int
}

// minDelay keeps a zero draw from turning a failure loop into a busy loop.
const minDelay = 50 * time.Millisecond

func (b *Backoff) bounds() (lo, hi time.Duration) {
	lo, hi = b.Min, b.Max
	if lo <= 0 {
		lo = time.Second
	}
	if hi <= 0 {
		hi = 20 * time.Second
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

// Ceiling is the largest delay the next call to Next may return.
func (b *Backoff) Ceiling() time.Duration {
	lo, hi := b.bounds()
	c := lo
	for i := 0; i < b.attempt && c < hi; i++ {
		c *= 2
	}
	return min(c, hi)
}

// Next returns the delay before the next attempt and raises the ceiling for the one after.
func (b *Backoff) Next() time.Duration {
	c := b.Ceiling()
	b.attempt++
	rnd := b.Rand
	if rnd == nil {
		rnd = rand.Int64N
	}
	d := time.Duration(rnd(int64(c) + 1))
	return max(d, min(minDelay, c))
}

// Reset starts over from Min, after a connection that lived long enough to count as healthy.
func (b *Backoff) Reset() { b.attempt = 0 }
