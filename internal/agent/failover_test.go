package agent

import (
	"testing"
	"time"
)

func TestFailoverOrderAndDelays(t *testing.T) {
	const q = quickRetryMax // the quick retry, with the largest draw
	s := time.Second
	type attempt struct {
		outcome string // "fail" (never welcomed), "short" (welcomed, then lost soon) or "stable"
		server  string // the server tried
		wait    time.Duration
	}
	for _, tc := range []struct {
		name     string
		servers  []string
		attempts []attempt
	}{
		{"one server failing backs off to the cap", []string{"a"}, []attempt{
			{"fail", "a", 1 * s}, {"fail", "a", 2 * s}, {"fail", "a", 4 * s}, {"fail", "a", 4 * s}}},
		{"one server: a healthy connection lost is retried quickly", []string{"a"}, []attempt{
			{"fail", "a", 1 * s}, {"fail", "a", 2 * s}, {"stable", "a", q}, {"fail", "a", 1 * s}}},
		{"one server dropping the agent at once keeps backing off", []string{"a"}, []attempt{
			{"fail", "a", 1 * s}, {"short", "a", 2 * s}, {"short", "a", 4 * s}, {"short", "a", 4 * s}}},
		{"three servers failing: quick within a pass, backoff between passes", []string{"a", "b", "c"}, []attempt{
			{"fail", "c", q}, {"fail", "a", q}, {"fail", "b", 1 * s},
			{"fail", "c", q}, {"fail", "a", q}, {"fail", "b", 2 * s}}},
		{"three servers: the node of a healthy connection dies", []string{"a", "b", "c"}, []attempt{
			{"fail", "c", q}, {"fail", "a", q}, {"fail", "b", 1 * s}, {"fail", "c", q}, {"stable", "a", q},
			{"fail", "b", q}, {"fail", "c", q}, {"fail", "a", 1 * s}}},
		{"three servers: a short connection starts a new pass but keeps the backoff", []string{"a", "b", "c"}, []attempt{
			{"fail", "c", q}, {"fail", "a", q}, {"fail", "b", 1 * s}, {"short", "c", q},
			{"fail", "a", q}, {"fail", "b", 2 * s}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// The largest draw everywhere: the start is the last server, every delay its ceiling.
			f := newFailover(tc.servers, Backoff{Min: time.Second, Max: 4 * time.Second, Rand: func(n int64) int64 { return n - 1 }})
			for i, at := range tc.attempts {
				if got := f.server(); got != at.server {
					t.Fatalf("attempt %d: tried %s, want %s", i, got, at.server)
				}
				wait := f.ended(at.outcome != "fail", at.outcome == "stable")
				if wait != at.wait {
					t.Errorf("attempt %d (%s on %s): wait %v, want %v", i, at.outcome, at.server, wait, at.wait)
				}
			}
		})
	}
}

func TestFailoverStartSpreadsOverServers(t *testing.T) {
	servers := []string{"https://a", "https://b", "https://c", "https://d", "https://e"}
	first := map[string]int{}
	for range 1000 {
		first[newFailover(servers, Backoff{}).server()]++
	}
	for _, s := range servers {
		if first[s] == 0 {
			t.Errorf("no agent out of 1000 started at %s: %v", s, first)
		}
	}
}

func TestFailoverQuickRetryIsJittered(t *testing.T) {
	f := newFailover([]string{"https://a", "https://b"}, Backoff{})
	seen := map[time.Duration]bool{}
	for i := range 200 {
		d := f.ended(true, true)
		if d < quickRetryMin || d > quickRetryMax {
			t.Fatalf("draw %d: quick retry %v outside [%v, %v]", i, d, quickRetryMin, quickRetryMax)
		}
		seen[d] = true
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct quick retries in 200 draws: not jittered", len(seen))
	}
}
