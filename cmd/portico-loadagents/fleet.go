package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/portico-dev/portico/internal/protocol"
)

// Timeouts of one agent's connection.
const (
	dialTimeout    = 30 * time.Second
	welcomeTimeout = 30 * time.Second
	sendTimeout    = 10 * time.Second
	// maxFailureReasons bounds how many distinct failure messages are counted separately.
	maxFailureReasons = 20
	// heartbeatSenders is how many goroutines send the heartbeats the wheel hands out: a write can
	// wait for a busy server, and one slow socket must not hold up the others.
	heartbeatSenders = 8
	// wheelTick is the heartbeat schedule's resolution.
	wheelTick = 10 * time.Millisecond
)

// Phases of a run: heartbeat round trips are kept apart, since connecting loads the server.
const (
	phaseRamp = iota // agents are still connecting
	phaseHold        // every agent has tried; the steady state that is measured
	phaseStop        // shutting down: ended connections are not drops
)

// fleet is the set of simulated agents of one run.
type fleet struct {
	cfg    config
	log    *slog.Logger
	dialer *websocket.Dialer
	start  time.Time
	phase  atomic.Int32

	// rtt holds heartbeat round trips per phase (ramp, hold).
	rtt [2]*histogram

	connected, failed, dropped atomic.Int64
	peak                       atomic.Int64
	acked, unanswered          atomic.Uint64

	failMu   sync.Mutex
	failures map[string]int64

	wheelOnce sync.Once
	wheel     *wheel
	period    time.Duration // set once by wheelOnce

	// runCtx carries the agents' read loops: it ends at shutdown only, so that a signal that cuts the
	// hold short does not count every agent as dropped.
	runCtx     context.Context
	cancelRuns context.CancelFunc
	runs       sync.WaitGroup // the agents' read loops
}

// newFleet prepares the agents; dial, when not nil, replaces the sockets (the in-process server).
func newFleet(cfg config, log *slog.Logger, dial func(ctx context.Context, network, addr string) (net.Conn, error)) *fleet {
	var rr atomic.Uint64
	ips := cfg.sourceIPs
	dialer := protocol.Dialer(nil)
	dialer.Proxy = nil
	// Each agent's socket leaves from the next source address, so that no one address runs out of
	// ephemeral ports.
	dialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		ip := ips[rr.Add(1)%uint64(len(ips))]
		d := net.Dialer{Timeout: dialTimeout, LocalAddr: &net.TCPAddr{IP: ip.AsSlice()}}
		return d.DialContext(ctx, network, addr)
	}
	if dial != nil {
		dialer.NetDialContext = dial
	}
	f := &fleet{cfg: cfg, log: log, dialer: dialer, failures: map[string]int64{},
		rtt: [2]*histogram{newHistogram(), newHistogram()}}
	f.runCtx, f.cancelRuns = context.WithCancel(context.Background())
	return f
}

// sourceLabel names the source addresses for the report.
func sourceLabel(ips []netip.Addr) string {
	if len(ips) == 1 {
		return ips[0].String()
	}
	return fmt.Sprintf("%s…%s", ips[0], ips[len(ips)-1])
}

func (f *fleet) fail(err error) {
	f.failed.Add(1)
	f.noteReason(err.Error())
}

func (f *fleet) noteReason(msg string) {
	// Device ids make every message distinct; the kind of failure is what matters.
	if i := strings.Index(msg, "dev_"); i >= 0 {
		if j := strings.IndexAny(msg[i:], " :\"/"); j > 0 {
			msg = msg[:i] + "<device>" + msg[i+j:]
		}
	}
	f.failMu.Lock()
	defer f.failMu.Unlock()
	if _, ok := f.failures[msg]; ok || len(f.failures) < maxFailureReasons {
		f.failures[msg]++
	} else {
		f.failures["(other)"]++
	}
}

// sim is one simulated agent: one WebSocket and the protocol state on it. Its only goroutine is the
// connection's read loop.
type sim struct {
	f        *fleet
	index    int
	conn     *protocol.Conn
	welcome  chan protocol.Welcome
	refusal  chan protocol.Error
	live     atomic.Bool
	seq      atomic.Uint64 // sequence number of the last heartbeat sent
	sentAt   atomic.Int64  // nanoseconds since f.start of the unanswered heartbeat; 0 when none
	sentSeq  atomic.Uint64 // its sequence number
	sentWhen atomic.Int32  // the phase it was sent in
}

// connectAll connects one agent per device, cfg.connectParallel at a time, and returns when every
// one has been welcomed or has failed.
func (f *fleet) connectAll(ctx context.Context, devs []device) {
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(f.cfg.connectParallel, len(devs)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(devs) {
					return
				}
				if err := f.connect(ctx, i, devs[i]); err != nil {
					f.fail(err)
				}
			}
		}()
	}
	wg.Wait()
}

// connect dials as the device, says hello and waits for the welcome.
func (f *fleet) connect(ctx context.Context, i int, d device) error {
	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer "+d.Credential)
	hdr.Set("X-Portico-Device", d.ID)
	hdr.Set("User-Agent", "portico-loadagents")
	dialCtx, cancel := context.WithTimeout(ctx, dialTimeout)
	ws, resp, err := f.dialer.DialContext(dialCtx, connectURL(f.cfg.server), hdr)
	cancel()
	if err != nil {
		if resp != nil && resp.StatusCode >= 400 {
			return problemError("connect", resp)
		}
		return fmt.Errorf("connect: %w", err)
	}
	s := &sim{f: f, index: i, welcome: make(chan protocol.Welcome, 1), refusal: make(chan protocol.Error, 1)}
	s.conn = protocol.NewConn(protocol.WebSocket(ws), protocol.Options{Role: protocol.RoleAgent, OnControl: s.onControl})
	f.runs.Add(1)
	go s.run(f.runCtx)

	sendCtx, cancel := context.WithTimeout(ctx, sendTimeout)
	err = s.conn.Send(sendCtx, protocol.MsgHello, protocol.Hello{ProtocolVersion: protocol.Version,
		AgentVersion: "loadagents", OS: "linux", Arch: "amd64"})
	cancel()
	if err != nil {
		s.conn.Close("hello failed")
		return fmt.Errorf("send hello: %w", err)
	}
	t := time.NewTimer(welcomeTimeout)
	defer t.Stop()
	select {
	case w := <-s.welcome:
		s.welcomed(w)
		return nil
	case e := <-s.refusal:
		s.conn.Close("refused")
		return fmt.Errorf("refused by the server: %s: %s", e.Code, e.Message)
	case <-s.conn.Done():
		return errors.New("connection closed before welcome")
	case <-t.C:
		s.conn.Close("no welcome")
		return fmt.Errorf("no welcome within %s", welcomeTimeout)
	case <-ctx.Done():
		s.conn.Close("stopping")
		return ctx.Err()
	}
}

func connectURL(server string) string {
	if rest, ok := strings.CutPrefix(server, "https://"); ok {
		return "wss://" + rest + "/api/v1/agent/connect"
	}
	return "ws://" + strings.TrimPrefix(server, "http://") + "/api/v1/agent/connect"
}

// welcomed counts the agent as connected and puts it on the heartbeat schedule.
func (s *sim) welcomed(w protocol.Welcome) {
	f := s.f
	f.wheelOnce.Do(func() {
		f.period = f.cfg.heartbeatEvery
		server := time.Duration(w.HeartbeatSeconds) * time.Second
		if f.period == 0 {
			f.period = server
		}
		if f.period <= 0 {
			f.period = 30 * time.Second
		}
		if server > 0 && f.period > server {
			f.log.Warn("heartbeats slower than the server's period: agents will be disconnected", "every", f.period, "server", server)
		}
		f.wheel = newWheel(f.period)
		go f.wheel.run(f)
	})
	s.live.Store(true)
	n := f.connected.Add(1)
	for {
		p := f.peak.Load()
		if n <= p || f.peak.CompareAndSwap(p, n) {
			break
		}
	}
	f.wheel.add(s)
}

// run is the agent's read loop; when it ends, a live agent counts as dropped.
func (s *sim) run(ctx context.Context) {
	defer s.f.runs.Done()
	err := s.conn.Run(ctx)
	if s.live.Swap(false) {
		s.f.connected.Add(-1)
		if s.f.phase.Load() != phaseStop {
			s.f.dropped.Add(1)
			reason := "connection ended"
			if err != nil {
				reason = err.Error()
			}
			s.f.noteReason("dropped: " + reason)
		}
	}
}

// onControl runs on the read loop: it must not block.
func (s *sim) onControl(m protocol.Message) {
	switch m.Type {
	case protocol.MsgHeartbeatAck:
		var hb protocol.Heartbeat
		if protocol.DecodeBody(m, &hb) != nil {
			return
		}
		sent := s.sentAt.Load()
		if sent == 0 || hb.Seq != s.sentSeq.Load() || !s.sentAt.CompareAndSwap(sent, 0) {
			return // an acknowledgement that came after the next heartbeat was sent
		}
		rtt := time.Since(s.f.start) - time.Duration(sent)
		if ph := s.sentWhen.Load(); ph == phaseRamp || ph == phaseHold {
			s.f.rtt[ph].record(rtt)
		}
		s.f.acked.Add(1)
	case protocol.MsgWelcome:
		var w protocol.Welcome
		if protocol.DecodeBody(m, &w) == nil {
			select {
			case s.welcome <- w:
			default:
			}
		}
	case protocol.MsgError:
		var e protocol.Error
		_ = protocol.DecodeBody(m, &e)
		select {
		case s.refusal <- e:
		default:
		}
	case protocol.MsgStop:
		s.f.noteReason("stop: the server removed the device")
	}
}

// beat sends one heartbeat.
func (s *sim) beat(ctx context.Context) {
	if !s.live.Load() {
		return
	}
	f := s.f
	if s.sentAt.Swap(0) != 0 {
		f.unanswered.Add(1)
	}
	seq := s.seq.Add(1)
	s.sentSeq.Store(seq)
	s.sentWhen.Store(f.phase.Load())
	now := time.Now()
	s.sentAt.Store(int64(now.Sub(f.start)))
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	// An error means the connection is ending: the read loop counts it.
	_ = s.conn.Send(ctx, protocol.MsgHeartbeat, protocol.Heartbeat{Seq: seq, SentAt: now.UTC()})
}

// wheel spreads the agents' heartbeats evenly over the period: agent i beats in slot i mod slots.
type wheel struct {
	period time.Duration
	mu     sync.Mutex
	slots  [][]*sim
	stop   chan struct{}
	done   chan struct{}
}

func newWheel(period time.Duration) *wheel {
	n := max(int(period/wheelTick), 1)
	return &wheel{period: period, slots: make([][]*sim, n), stop: make(chan struct{}), done: make(chan struct{})}
}

func (w *wheel) add(s *sim) {
	w.mu.Lock()
	i := s.index % len(w.slots)
	w.slots[i] = append(w.slots[i], s)
	w.mu.Unlock()
}

// run visits one slot per tick and hands its live agents to the senders; dead ones are dropped from
// the slot.
func (w *wheel) run(f *fleet) {
	defer close(w.done)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	work := make(chan *sim, 4096)
	var senders sync.WaitGroup
	for range heartbeatSenders {
		senders.Add(1)
		go func() {
			defer senders.Done()
			for s := range work {
				s.beat(ctx)
			}
		}()
	}
	defer func() { close(work); senders.Wait() }()
	tick := w.period / time.Duration(len(w.slots))
	t := time.NewTicker(tick)
	defer t.Stop()
	pos := 0
	var batch []*sim
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		w.mu.Lock()
		slot := w.slots[pos]
		kept := slot[:0]
		batch = batch[:0]
		for _, s := range slot {
			if s.live.Load() {
				kept = append(kept, s)
				batch = append(batch, s)
			}
		}
		clear(slot[len(kept):])
		w.slots[pos] = kept
		w.mu.Unlock()
		for _, s := range batch {
			select {
			case work <- s:
			case <-w.stop:
				return
			}
		}
		pos = (pos + 1) % len(w.slots)
	}
}

// close stops the schedule and waits for the senders.
func (w *wheel) close() {
	close(w.stop)
	<-w.done
}
