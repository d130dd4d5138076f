package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

func TestHistogramPercentiles(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		want    latencySummary
	}{
		{"empty", nil, latencySummary{}},
		{"one", []time.Duration{1500 * time.Microsecond},
			latencySummary{Count: 1, MeanMS: 1.5, P50MS: 1.5, P90MS: 1.5, P99MS: 1.5, P999MS: 1.5, MaxMS: 1.5}},
		{
			// 1..100 ms: nearest rank gives p50 = 50 ms, p90 = 90 ms, p99 = 99 ms; bucket bounds are
			// 1 ms wide above one second only, so these are exact to 10 µs.
			"1 to 100 ms", ramp(100, time.Millisecond),
			latencySummary{Count: 100, MeanMS: 50.5, P50MS: 50.01, P90MS: 90.01, P99MS: 99.01, P999MS: 100, MaxMS: 100},
		},
		{
			// One slow outlier among 999 fast ones moves p99.9 and the maximum, not p99.
			"outlier", append(repeat(999, 200*time.Microsecond), 2500*time.Millisecond),
			latencySummary{Count: 1000, MeanMS: 2.6998, P50MS: 0.21, P90MS: 0.21, P99MS: 0.21, P999MS: 0.21, MaxMS: 2500},
		},
		{"beyond a minute", []time.Duration{2 * time.Minute},
			latencySummary{Count: 1, MeanMS: 120000, P50MS: 60000, P90MS: 60000, P99MS: 60000, P999MS: 60000, MaxMS: 120000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHistogram()
			for _, d := range tt.samples {
				h.record(d)
			}
			got := h.summary()
			if !near(got, tt.want) {
				t.Errorf("summary\n got %+v\nwant %+v", got, tt.want)
			}
		})
	}
}

func ramp(n int, step time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i+1) * step
	}
	return out
}

func repeat(n int, d time.Duration) []time.Duration {
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = d
	}
	return out
}

func near(a, b latencySummary) bool {
	close := func(x, y float64) bool { return x-y < 1e-6 && y-x < 1e-6 }
	return a.Count == b.Count && close(a.MeanMS, b.MeanMS) && close(a.P50MS, b.P50MS) && close(a.P90MS, b.P90MS) &&
		close(a.P99MS, b.P99MS) && close(a.P999MS, b.P999MS) && close(a.MaxMS, b.MaxMS)
}

func TestBuckets(t *testing.T) {
	for _, d := range []time.Duration{0, 9 * time.Microsecond, 10 * time.Microsecond, 999 * time.Millisecond,
		time.Second, 1500 * time.Millisecond, 59 * time.Second, time.Minute, time.Hour} {
		i := bucketOf(d)
		if i < 0 || i >= numBuckets {
			t.Fatalf("bucketOf(%s) = %d, out of range", d, i)
		}
		if d < coarseLimit && bucketUpper(i) <= d {
			t.Errorf("bucket of %s has upper bound %s, not above it", d, bucketUpper(i))
		}
		if i > 0 && d < coarseLimit && bucketUpper(i-1) > d {
			t.Errorf("%s belongs in an earlier bucket than %d", d, i)
		}
	}
}

func TestReportText(t *testing.T) {
	r := report{Agents: 10, PeakConnected: 9, FinalConnected: 8, ConnectFailed: 1, Dropped: 1, SourceIPs: 2,
		FailureReasons: map[string]int64{"connect: refused": 1}, HeartbeatPeriod: "30s", ServerPID: 42,
		Heartbeat: latencySummary{Count: 5, P50MS: 0.5, P99MS: 7.25}, ServerRSSMiB: 100, ServerRSSPerAgent: 12.5}
	var b bytes.Buffer
	r.writeText(&b)
	for _, want := range []string{"10 asked, 9 connected at peak, 8 at the end; 1 failed to connect, 1 dropped",
		"1 × connect: refused", "p99 7.25 ms", "12.5 KiB per connected agent"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, b.String())
		}
	}
	js, err := json.Marshal(&r)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(js, &back); err != nil {
		t.Fatal(err)
	}
	if back["heartbeat_rtt"].(map[string]any)["p99_ms"] != 7.25 || back["connect_failed"] != 1.0 {
		t.Errorf("JSON report %s", js)
	}
}

func TestParseProc(t *testing.T) {
	status := "Name:\tportico\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t12\n"
	ps, err := parseStatus([]byte(status))
	if err != nil {
		t.Fatal(err)
	}
	if ps.RSSKiB != 102400 || ps.PeakRSSKiB != 204800 || ps.Threads != 12 {
		t.Errorf("parsed %+v", ps)
	}
	if _, err := parseStatus([]byte("Name:\tx\n")); err == nil {
		t.Error("a status without VmRSS was accepted")
	}
	// A command name with spaces and parentheses; utime 250 and stime 50 ticks.
	stat := "1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 7 0 100 0 0"
	cpu, err := parseStatCPU([]byte(stat))
	if err != nil {
		t.Fatal(err)
	}
	if cpu != 3.0 {
		t.Errorf("CPU %.2f s, want 3", cpu)
	}
	if _, err := parseStatCPU([]byte("1234 (x) S 1")); err == nil {
		t.Error("a short stat was accepted")
	}
}
