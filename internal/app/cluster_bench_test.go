package app

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"os/exec"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/bus"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/store"
	"github.com/portico-dev/portico/internal/store/pgtest"
)

// startBenchNATS runs a nats-server of the benchmark's own on a free port.
func startBenchNATS(b *testing.B) string {
	b.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	cmd := exec.Command("nats-server", "-a", "127.0.0.1", "-p", strconv.Itoa(addr.Port))
	if err := cmd.Start(); err != nil {
		b.Skipf("nats-server: %v", err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	eventually.True(b, 2*time.Second, "nats-server to start", func() bool {
		c, err := net.Dial("tcp", addr.String())
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return "nats://" + addr.String()
}

// benchNode is one node's App on the shared database, with its bus and sync loop.
func benchNode(b *testing.B, dbURL, natsURL string) *App {
	b.Helper()
	st, err := store.OpenAndMigrate(context.Background(), store.Config{DatabaseURL: dbURL})
	if err != nil {
		b.Fatal(err)
	}
	a := New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
	nb, err := bus.ConnectNATS(natsURL, "bench", nil)
	if err != nil {
		b.Fatal(err)
	}
	a.SetRevisionPublisher(func(acc string, rev int64) {
		body, _ := json.Marshal([2]any{acc, rev})
		_ = nb.Publish("portico.revisions", body)
	})
	unsub, err := nb.Subscribe("portico.revisions", func(data []byte) {
		var n [2]json.RawMessage
		var acc string
		var rev int64
		if json.Unmarshal(data, &n) == nil && json.Unmarshal(n[0], &acc) == nil && json.Unmarshal(n[1], &rev) == nil {
			a.NoticeRevision(acc, rev)
		}
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); a.RunSync(ctx) }()
	b.Cleanup(func() { cancel(); <-done; unsub(); nb.Close(); st.Close() })
	return a
}

// BenchmarkClusterPropagation measures, on the generated account of 100,000 devices in PostgreSQL,
// with two nodes (Apps over their own stores) and a real NATS server between them: how long after a
// change is acknowledged on node A node B has applied it (p50, p99, max over 100 access changes a
// second for 10 s: role assignments made and removed), and how many decisions a second node B makes
// on one goroutine while those changes stream in, against the same loop on a quiet cluster.
//
//	go test -run '^$' -bench ClusterPropagation -benchtime 1x ./internal/app
func BenchmarkClusterPropagation(b *testing.B) {
	ctx := context.Background()
	dbURL := pgtest.NewDatabase(b)
	natsURL := startBenchNATS(b)
	nodeA := benchNode(b, dbURL, natsURL)
	owner, users, devices, roleID := seedBigAccount(b, nodeA)
	nodeB := benchNode(b, dbURL, natsURL)
	if _, err := nodeB.snapshot(ctx, owner.AccountID); err != nil {
		b.Fatalf("%v: %v", err, errors.Unwrap(err))
	}
	applied := sync.Map{} // revision → time node B applied it
	nodeB.OnChange(func(c LiveChange) { applied.LoadOrStore(c.Revision, time.Now()) })

	// The decision loop on node B: active users on random devices.
	rng := rand.New(rand.NewPCG(5, 6))
	type pair struct{ user, device string }
	pairs := make([]pair, 4096)
	for i := range pairs {
		pairs[i] = pair{users[rng.IntN(len(users))], devices[rng.IntN(len(devices))]}
	}
	decideFor := func(d time.Duration) float64 {
		var n int64
		start := time.Now()
		for i := 0; time.Since(start) < d; i++ {
			p := &pairs[i%len(pairs)]
			ac := &Actor{Kind: ActorUser, AccountID: owner.AccountID, UserID: p.user}
			nodeB.can(ctx, ac, portico.PermDeviceTerminal, authz.Device(p.device))
			n++
		}
		return float64(n) / time.Since(start).Seconds()
	}
	const phase = 10 * time.Second
	b.ResetTimer()
	quiet := decideFor(phase)

	// The stream: 100 changes a second on node A, each a new assignment or the removal of an earlier
	// one, with the time each was acknowledged.
	var acks sync.Map // revision → ack time
	var streaming atomic.Bool
	streaming.Store(true)
	writerDone := make(chan int)
	go func() {
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		var made []string
		n := 0
		for streaming.Load() {
			<-tick.C
			ac := &Actor{Kind: ActorUser, AccountID: owner.AccountID, UserID: owner.UserID, Name: "Owner"}
			if len(made) > 20 && n%2 == 1 {
				if err := nodeA.DeleteAssignment(ctx, ac, made[0]); err != nil {
					b.Error(err)
					break
				}
				made = made[1:]
			} else {
				p := &pairs[n%len(pairs)]
				as, err := nodeA.CreateAssignment(ctx, ac, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: p.user,
					RoleID: roleID, ScopeType: portico.ScopeTypeDevice, ScopeID: p.device})
				if err != nil {
					b.Error(err)
					break
				}
				made = append(made, as.ID)
			}
			acks.Store(ac.Revision(), time.Now())
			n++
		}
		writerDone <- n
	}()
	streamed := decideFor(phase)
	streaming.Store(false)
	changes := <-writerDone
	time.Sleep(2 * time.Second) // the last changes reach B
	b.StopTimer()

	var lags []float64
	missing := 0
	acks.Range(func(k, v any) bool {
		at, ok := applied.Load(k)
		if !ok {
			missing++
			return true
		}
		lags = append(lags, float64(max(at.(time.Time).Sub(v.(time.Time)), 0))/float64(time.Millisecond))
		return true
	})
	if missing > 0 || len(lags) == 0 {
		b.Fatalf("%d of %d changes never reached node B", missing, changes)
	}
	slices.Sort(lags)
	pct := func(p float64) float64 { return lags[min(len(lags)-1, int(p*float64(len(lags))))] }
	b.ReportMetric(float64(changes)/phase.Seconds(), "changes/s")
	b.ReportMetric(pct(0.50), "p50-ms")
	b.ReportMetric(pct(0.99), "p99-ms")
	b.ReportMetric(lags[len(lags)-1], "max-ms")
	b.ReportMetric(quiet, "quiet-decisions/s")
	b.ReportMetric(streamed, "streaming-decisions/s")
	b.ReportMetric(streamed/quiet, "streaming/quiet")
}
