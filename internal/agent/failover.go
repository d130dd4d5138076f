package agent

import (
	"math/rand/v2"
	"time"
)

// The retry after losing a healthy connection comes within this range: soon, since the node the
// agent was on most likely died and another will take it at once, but spread over nearly two seconds
// so that all the agents of that node do not arrive at the next one in the same instant.
const (
	quickRetryMin = 200 * time.Millisecond
	quickRetryMax = 2 * time.Second
)

// failover decides which server the agent tries next and how long it waits first. It walks the
// server list round robin from a random start, so that a fleet spreads over the nodes, and moves on
// after every failed or lost connection. Moving to the next server takes a quick jittered retry; the
// backoff grows only while whole passes over the list fail.
type failover struct {
	servers []string
	bo      Backoff
	next    int // index of the server to try now
	failed  int // attempts failed in the current pass over the list
}

func newFailover(servers []string, bo Backoff) *failover {
	f := &failover{servers: servers, bo: bo}
	f.next = firstServer(len(servers), f.rand)
	return f
}

// firstServer picks the index of the server an agent tries first: a uniform draw, so that agents
// sharing one list spread over all its servers.
func firstServer(n int, rnd func(n int64) int64) int {
	return int(rnd(int64(n)))
}

// server is the server to try now.
func (f *failover) server() string { return f.servers[f.next] }

// ended records that the attempt on the current server ended, moves to the next server and returns
// how long to wait before trying it. established reports that the server welcomed the agent; stable
// that the connection then lived long enough to count as healthy.
func (f *failover) ended(established, stable bool) time.Duration {
	f.next = (f.next + 1) % len(f.servers)
	if established {
		// The list worked a moment ago: every other server deserves a quick try again.
		f.failed = 0
	}
	if stable {
		f.bo.Reset()
		return f.quick()
	}
	// A connection dropped soon after its welcome counts as a failure, so that a server that keeps
	// accepting and dropping the agent cannot hold it in a tight loop.
	f.failed++
	if f.failed < len(f.servers) {
		return f.quick()
	}
	f.failed = 0
	return f.bo.Next()
}

func (f *failover) quick() time.Duration {
	return quickRetryMin + time.Duration(f.rand(int64(quickRetryMax-quickRetryMin)+1))
}

func (f *failover) rand(n int64) int64 {
	if f.bo.Rand != nil {
		return f.bo.Rand(n)
	}
	return rand.Int64N(n)
}
