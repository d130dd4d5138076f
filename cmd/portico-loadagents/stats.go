package main

import (
	"fmt"
	"io"
	"sync"
	"time"
)

// Histogram buckets: 10 µs wide up to one second, then 1 ms wide up to a minute; longer round trips
// land in the last bucket. Memory stays fixed however many samples a long run records.
const (
	fineWidth   = 10 * time.Microsecond
	fineLimit   = time.Second
	coarseWidth = time.Millisecond
	coarseLimit = time.Minute
	fineBuckets = int(fineLimit / fineWidth)
	numBuckets  = fineBuckets + int((coarseLimit-fineLimit)/coarseWidth) + 1
)

// histogram records durations; it is safe for concurrent use.
type histogram struct {
	mu     sync.Mutex
	counts []uint64
	n      uint64
	max    time.Duration
	sum    time.Duration
}

func newHistogram() *histogram { return &histogram{counts: make([]uint64, numBuckets)} }

func bucketOf(d time.Duration) int {
	switch {
	case d < 0:
		return 0
	case d < fineLimit:
		return int(d / fineWidth)
	case d < coarseLimit:
		return fineBuckets + int((d-fineLimit)/coarseWidth)
	}
	return numBuckets - 1
}

// bucketUpper is the upper bound of bucket i: a percentile is reported as the bound below which it
// falls, so it is never understated.
func bucketUpper(i int) time.Duration {
	if i < fineBuckets {
		return time.Duration(i+1) * fineWidth
	}
	if i < numBuckets-1 {
		return fineLimit + time.Duration(i-fineBuckets+1)*coarseWidth
	}
	return coarseLimit
}

// record adds one sample.
func (h *histogram) record(d time.Duration) {
	h.mu.Lock()
	h.counts[bucketOf(d)]++
	h.n++
	h.sum += d
	if d > h.max {
		h.max = d
	}
	h.mu.Unlock()
}

// latencySummary is what the histogram says about its samples.
type latencySummary struct {
	Count  uint64  `json:"count"`
	MeanMS float64 `json:"mean_ms"`
	P50MS  float64 `json:"p50_ms"`
	P90MS  float64 `json:"p90_ms"`
	P99MS  float64 `json:"p99_ms"`
	P999MS float64 `json:"p999_ms"`
	MaxMS  float64 `json:"max_ms"`
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// summary computes the percentiles. The maximum is exact; the others are bucket upper bounds, capped
// at the maximum.
func (h *histogram) summary() latencySummary {
	h.mu.Lock()
	defer h.mu.Unlock()
	s := latencySummary{Count: h.n, MaxMS: ms(h.max)}
	if h.n == 0 {
		return s
	}
	s.MeanMS = ms(h.sum / time.Duration(h.n))
	s.P50MS = ms(h.percentileLocked(0.50))
	s.P90MS = ms(h.percentileLocked(0.90))
	s.P99MS = ms(h.percentileLocked(0.99))
	s.P999MS = ms(h.percentileLocked(0.999))
	return s
}

// percentileLocked returns the smallest bucket bound at or below which at least q of the samples
// fall (nearest-rank).
func (h *histogram) percentileLocked(q float64) time.Duration {
	rank := uint64(q*float64(h.n) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(bucketUpper(i), h.max)
		}
	}
	return h.max
}

// sample is one progress point.
type sample struct {
	AtSeconds      float64 `json:"at_s"`
	Connected      int64   `json:"connected"`
	ConnectFailed  int64   `json:"connect_failed"`
	Dropped        int64   `json:"dropped"`
	Heartbeats     uint64  `json:"heartbeats_acked"`
	ServerRSSMiB   float64 `json:"server_rss_mib,omitempty"`
	ServerCPUSecs  float64 `json:"server_cpu_s,omitempty"`
	ClientRSSMiB   float64 `json:"client_rss_mib"`
	ClientRoutines int     `json:"client_goroutines"`
}

// report is the JSON object printed at the end.
type report struct {
	Server          string  `json:"server"`
	Agents          int     `json:"agents"`
	SourceIPs       int     `json:"source_ips"`
	Enrolled        int     `json:"enrolled_this_run"`
	EnrollSeconds   float64 `json:"enroll_s"`
	HeartbeatPeriod string  `json:"heartbeat_period"`
	// ConnectSeconds is the time from the first dial to the last attempt's outcome.
	ConnectSeconds float64 `json:"connect_s"`
	ConnectRate    float64 `json:"connects_per_s"`
	PeakConnected  int64   `json:"peak_connected"`
	FinalConnected int64   `json:"final_connected"`
	ConnectFailed  int64   `json:"connect_failed"`
	// FailureReasons counts connection failures by their message (first 20 distinct messages).
	FailureReasons map[string]int64 `json:"failure_reasons,omitempty"`
	Dropped        int64            `json:"dropped"`
	HoldSeconds    float64          `json:"hold_s"`
	// Heartbeat is the round trip of heartbeats sent during the hold; HeartbeatRamp of those sent
	// while agents were still connecting.
	Heartbeat     latencySummary `json:"heartbeat_rtt"`
	HeartbeatRamp latencySummary `json:"heartbeat_rtt_while_connecting"`
	// HeartbeatsLost counts heartbeats whose acknowledgement had not arrived when the next was due.
	HeartbeatsLost uint64 `json:"heartbeats_unanswered"`

	ServerPID int `json:"server_pid,omitempty"`
	// InProcess: the server ran inside the load generator (--in-process), so the server figures are
	// those of the one process holding both ends, and Split divides its live memory between them.
	InProcess bool       `json:"in_process,omitempty"`
	Split     *heapSplit `json:"in_process_split,omitempty"`
	// ServerRSS figures come from /proc/PID/status (VmRSS, VmHWM).
	ServerBaseRSSMiB float64 `json:"server_rss_before_mib,omitempty"` // before any agent connected
	ServerRSSMiB     float64 `json:"server_rss_mib,omitempty"`
	ServerPeakRSSMiB float64 `json:"server_peak_rss_mib,omitempty"`
	// ServerRSSPerAgent is (RSS − RSS before) / connected agents.
	ServerRSSPerAgent float64 `json:"server_rss_kib_per_agent,omitempty"`
	// ServerCPU figures come from /proc/PID/stat (user + system time).
	ServerCPUSeconds     float64 `json:"server_cpu_s,omitempty"`
	ServerHoldCPUPercent float64 `json:"server_hold_cpu_percent,omitempty"`
	ServerThreads        int     `json:"server_threads,omitempty"`

	ClientRSSMiB  float64  `json:"client_rss_mib"`
	ClientCPUSecs float64  `json:"client_cpu_s"`
	Samples       []sample `json:"samples"`
}

// writeText prints the readable summary.
func (r *report) writeText(w io.Writer) {
	fmt.Fprintf(w, "agents        %d asked, %d connected at peak, %d at the end; %d failed to connect, %d dropped\n",
		r.Agents, r.PeakConnected, r.FinalConnected, r.ConnectFailed, r.Dropped)
	for reason, n := range r.FailureReasons {
		fmt.Fprintf(w, "              %d × %s\n", n, reason)
	}
	if r.Enrolled > 0 {
		fmt.Fprintf(w, "enrollment    %d devices in %.1f s (%.0f/s)\n", r.Enrolled, r.EnrollSeconds, float64(r.Enrolled)/max(r.EnrollSeconds, 1e-9))
	}
	fmt.Fprintf(w, "connecting    %.1f s (%.0f connections/s) over %d source addresses\n", r.ConnectSeconds, r.ConnectRate, r.SourceIPs)
	h := r.Heartbeat
	fmt.Fprintf(w, "heartbeats    every %s, held %.0f s: %d acknowledged, %d unanswered\n", r.HeartbeatPeriod, r.HoldSeconds, h.Count, r.HeartbeatsLost)
	fmt.Fprintf(w, "round trip    p50 %.2f ms  p90 %.2f ms  p99 %.2f ms  p99.9 %.2f ms  max %.2f ms\n", h.P50MS, h.P90MS, h.P99MS, h.P999MS, h.MaxMS)
	if hr := r.HeartbeatRamp; hr.Count > 0 {
		fmt.Fprintf(w, "  (while connecting: %d acknowledged, p50 %.2f ms  p99 %.2f ms  max %.2f ms)\n", hr.Count, hr.P50MS, hr.P99MS, hr.MaxMS)
	}
	if r.InProcess {
		fmt.Fprintf(w, "in process    server and agents in one process (pid %d), on in-memory connections: its figures follow\n", r.ServerPID)
	}
	if r.ServerPID != 0 {
		fmt.Fprintf(w, "server        pid %d: RSS %.0f MiB (%.0f MiB before, peak %.0f MiB; %.1f KiB per connected agent), %d threads\n",
			r.ServerPID, r.ServerRSSMiB, r.ServerBaseRSSMiB, r.ServerPeakRSSMiB, r.ServerRSSPerAgent, r.ServerThreads)
		fmt.Fprintf(w, "              CPU %.1f s in all, %.1f%% of one core while holding\n", r.ServerCPUSeconds, r.ServerHoldCPUPercent)
	}
	if sp := r.Split; sp != nil {
		fmt.Fprintf(w, "live memory   server: heap %.0f MiB + stacks %.0f MiB (%d goroutines); agents: heap %.0f MiB + stacks %.0f MiB (%d goroutines)\n",
			sp.ServerMiB, sp.ServerStacksMiB, sp.ServerGoroutines, sp.AgentsMiB, sp.AgentStacksMiB, sp.AgentGoroutines)
		if c := r.FinalConnected; c > 0 {
			fmt.Fprintf(w, "              server %.1f KiB per connected agent, agents %.1f KiB each\n",
				(sp.ServerMiB+sp.ServerStacksMiB)*1024/float64(c), (sp.AgentsMiB+sp.AgentStacksMiB)*1024/float64(c))
		}
	}
	fmt.Fprintf(w, "this tool     RSS %.0f MiB, CPU %.1f s\n", r.ClientRSSMiB, r.ClientCPUSecs)
}
