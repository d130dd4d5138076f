// Command portico-loadagents measures how many agents one Portico server holds. It enrolls devices
// (or reuses those of a devices file), connects one simulated agent per device speaking the real agent
// protocol (upgrade headers, hello, heartbeats at the period the server's welcome names), holds them
// for a while and reports the connected count over time, connection failures, heartbeat round trips
// (p50/p99/max) and, given the server's process id, its resident memory and CPU time.
//
//	portico-loadagents --server http://127.0.0.1:8080 --api-key KEY --agents 10000 \
//	    --devices-file devices.jsonl --source-ips 127.0.0.2-127.0.0.9 --server-pid PID
//
// With --in-process DIR instead of --server, the server (the store in DIR, the hub and the API) runs
// inside this process and the agents reach it over in-memory connections: one process can then hold
// more agents than its open-file limit allows sockets.
//
// The JSON report goes to standard output (or --json FILE), progress and a readable summary to
// standard error. Each simulated agent costs one goroutine (its read loop); heartbeats are sent by a
// few shared goroutines from a schedule that spreads them evenly over the period.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if errors.Is(err, flag.ErrHelp) {
		os.Exit(0)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "portico-loadagents:", err)
		os.Exit(1)
	}
}

// run is the whole command. A signal (ctx ending) cuts the hold short; the report is still written.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseArgs(args, stderr)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))
	var dial func(ctx context.Context, network, addr string) (net.Conn, error)
	if cfg.inProcess != "" {
		// The server's per-connection logs would drown the progress lines: warnings and errors only.
		serverLog := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
		srv, err := startInProcess(ctx, cfg.inProcess, cfg.sourceIPs, serverLog)
		if err != nil {
			return err
		}
		defer srv.stop()
		dial = srv.dial
		cfg.serverPID = os.Getpid()
		log.Info("serving in this process", "data", cfg.inProcess)
	}
	rep := &report{Server: cfg.server, Agents: cfg.agents, SourceIPs: len(cfg.sourceIPs), ServerPID: cfg.serverPID,
		InProcess: cfg.inProcess != ""}
	if cfg.serverPID != 0 {
		if _, err := readProc(cfg.serverPID); err != nil {
			return fmt.Errorf("--server-pid: %w", err)
		}
	}

	devs, err := devices(ctx, cfg, rep, log, dial)
	if err != nil {
		return err
	}

	if ps, err := serverProc(cfg); err == nil {
		rep.ServerBaseRSSMiB = float64(ps.RSSKiB) / 1024
	}
	f := newFleet(cfg, log, dial)
	f.start = time.Now()
	sampler := startSampler(f, rep, stderr)
	log.Info("connecting", "agents", cfg.agents, "parallel", cfg.connectParallel, "from", sourceLabel(cfg.sourceIPs))
	var cpuAtHold float64
	f.connectAll(ctx, devs)
	rep.ConnectSeconds = time.Since(f.start).Seconds()
	rep.ConnectRate = float64(f.connected.Load()) / max(rep.ConnectSeconds, 1e-9)

	// The hold: every agent has tried; heartbeats now measure the steady state.
	holdStart := time.Now()
	if ps, err := serverProc(cfg); err == nil {
		cpuAtHold = ps.CPUSeconds
	}
	f.phase.Store(phaseHold)
	log.Info("holding", "connected", f.connected.Load(), "failed", f.failed.Load(), "for", cfg.duration)
	t := time.NewTimer(cfg.duration)
	select {
	case <-t.C:
	case <-ctx.Done():
		t.Stop()
		log.Info("interrupted: reporting what was measured")
	}
	rep.HoldSeconds = time.Since(holdStart).Seconds()
	sampler.stop()
	if ps, err := serverProc(cfg); err == nil {
		rep.ServerRSSMiB = float64(ps.RSSKiB) / 1024
		rep.ServerPeakRSSMiB = float64(ps.PeakRSSKiB) / 1024
		rep.ServerCPUSeconds = ps.CPUSeconds
		rep.ServerThreads = ps.Threads
		if rep.HoldSeconds > 0 {
			rep.ServerHoldCPUPercent = 100 * (ps.CPUSeconds - cpuAtHold) / rep.HoldSeconds
		}
		if c := f.connected.Load(); c > 0 {
			rep.ServerRSSPerAgent = (float64(ps.RSSKiB) - rep.ServerBaseRSSMiB*1024) / float64(c)
		}
	} else if cfg.serverPID != 0 {
		log.Warn("server process", "err", err)
	}
	if rep.InProcess {
		split := measureSplit()
		rep.Split = &split
	}
	f.phase.Store(phaseStop)
	rep.FinalConnected = f.connected.Load()
	rep.PeakConnected = f.peak.Load()
	rep.ConnectFailed = f.failed.Load()
	rep.Dropped = f.dropped.Load()
	rep.Heartbeat = f.rtt[phaseHold].summary()
	rep.HeartbeatRamp = f.rtt[phaseRamp].summary()
	rep.HeartbeatsLost = f.unanswered.Load()
	rep.HeartbeatPeriod = f.period.String()
	f.failMu.Lock()
	if len(f.failures) > 0 {
		rep.FailureReasons = f.failures
	}
	f.failMu.Unlock()
	if me, err := readProc(os.Getpid()); err == nil {
		rep.ClientRSSMiB = float64(me.RSSKiB) / 1024
		rep.ClientCPUSecs = me.CPUSeconds
	}

	f.shutdown(log)
	rep.writeText(stderr)
	return writeJSON(cfg.jsonOut, stdout, rep)
}

// devices returns cfg.agents devices: those of the devices file, and newly enrolled ones for the
// rest.
func devices(ctx context.Context, cfg config, rep *report, log *slog.Logger,
	dial func(ctx context.Context, network, addr string) (net.Conn, error)) ([]device, error) {
	devs, err := loadDevices(cfg.devicesFile)
	if err != nil {
		return nil, err
	}
	if len(devs) >= cfg.agents {
		log.Info("reusing enrolled devices", "file", cfg.devicesFile, "have", len(devs), "using", cfg.agents)
		return devs[:cfg.agents], nil
	}
	missing := cfg.agents - len(devs)
	if cfg.apiKey == "" {
		return nil, fmt.Errorf("%d more devices must be enrolled: --api-key is required", missing)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = cfg.enrollParallel
	if dial != nil {
		tr.DialContext = dial
		tr.Proxy = nil
	}
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	defer tr.CloseIdleConnections()
	token, err := createToken(ctx, hc, cfg.server, cfg.apiKey)
	if err != nil {
		return nil, err
	}
	var w io.Writer
	if cfg.devicesFile != "" {
		file, err := os.OpenFile(cfg.devicesFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
		if err != nil {
			return nil, fmt.Errorf("open devices file: %w", err)
		}
		defer file.Close()
		w = file
	}
	log.Info("enrolling", "devices", missing, "parallel", cfg.enrollParallel)
	start := time.Now()
	prefix := fmt.Sprintf("load-%d-%d", os.Getpid(), start.Unix())
	more, err := enrollDevices(ctx, hc, cfg.server, token, prefix, missing, cfg.enrollParallel, w)
	if err != nil {
		return nil, err
	}
	rep.Enrolled = missing
	rep.EnrollSeconds = time.Since(start).Seconds()
	log.Info("enrolled", "devices", missing, "seconds", fmt.Sprintf("%.1f", rep.EnrollSeconds))
	return append(devs, more...), nil
}

func serverProc(cfg config) (procStatus, error) {
	if cfg.serverPID == 0 {
		return procStatus{}, errors.New("no server process id")
	}
	return readProc(cfg.serverPID)
}

// shutdown stops the heartbeats and ends every connection without waiting on the server's close
// handshakes.
func (f *fleet) shutdown(log *slog.Logger) {
	if f.wheel != nil {
		f.wheel.close()
	}
	f.cancelRuns()
	done := make(chan struct{})
	go func() { f.runs.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		log.Warn("some connections did not end within 30 s")
	}
}

func writeJSON(path string, stdout io.Writer, rep *report) error {
	w := stdout
	if path != "" && path != "-" {
		file, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		defer file.Close()
		w = file
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(rep); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

// sampler records a progress point every cfg.reportEvery.
type sampler struct {
	quit chan struct{}
	done chan struct{}
}

func startSampler(f *fleet, rep *report, w io.Writer) *sampler {
	s := &sampler{quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(f.cfg.reportEvery)
		defer t.Stop()
		for {
			select {
			case <-s.quit:
				return
			case <-t.C:
			}
			p := sample{AtSeconds: time.Since(f.start).Seconds(), Connected: f.connected.Load(),
				ConnectFailed: f.failed.Load(), Dropped: f.dropped.Load(), Heartbeats: f.acked.Load(),
				ClientRoutines: runtime.NumGoroutine()}
			if me, err := readProc(os.Getpid()); err == nil {
				p.ClientRSSMiB = float64(me.RSSKiB) / 1024
			}
			line := fmt.Sprintf("%7.1fs connected %d failed %d dropped %d heartbeats %d", p.AtSeconds, p.Connected,
				p.ConnectFailed, p.Dropped, p.Heartbeats)
			if ps, err := serverProc(f.cfg); err == nil {
				p.ServerRSSMiB = float64(ps.RSSKiB) / 1024
				p.ServerCPUSecs = ps.CPUSeconds
				line += fmt.Sprintf(" | server RSS %.0f MiB CPU %.1f s", p.ServerRSSMiB, p.ServerCPUSecs)
			}
			line += fmt.Sprintf(" | tool RSS %.0f MiB, %d goroutines", p.ClientRSSMiB, p.ClientRoutines)
			fmt.Fprintln(w, line)
			rep.Samples = append(rep.Samples, p)
		}
	}()
	return s
}

func (s *sampler) stop() {
	close(s.quit)
	<-s.done
}
