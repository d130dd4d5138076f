package hub

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/bus"
)

// Options configure a Hub. Zero fields take the defaults.
type Options struct {
	// Heartbeat is the period agents are told to heartbeat at (Welcome.HeartbeatSeconds, rounded up
	// to whole seconds on the wire). An agent silent for two periods is disconnected. Default 30 s.
	Heartbeat time.Duration
	// FlushEvery is how often the last-seen times of heartbeating devices are written, in one batch.
	// Default 5 s.
	FlushEvery time.Duration
	// AnswerTimeout bounds how long a session waits for the agent (and the end user, when
	// acknowledgement is required) to accept. Default 2 minutes.
	AnswerTimeout time.Duration
	// CommandTimeout bounds how long a command waits for its result. Default 30 s.
	CommandTimeout time.Duration
	// RecheckEvery is how often every live session is checked again, for assignments that expire
	// without any change being made. Default 1 s.
	RecheckEvery time.Duration
	// TechTimeout cuts off a technician's session WebSocket that sent nothing, not even the pong of a
	// ping (sent every TechTimeout·2/5), for this long, and bounds each relayed write to it. Default
	// 75 s.
	TechTimeout time.Duration
	// Logger receives the hub's logs; nil means slog.Default().
	Logger *slog.Logger

	// NodeID names this server among the nodes sharing the database; it survives restarts, so that a
	// restarted node releases only what it held itself. Default "local".
	NodeID string
	// NodeURL is the address other nodes reach this one at, to relay a session whose agent is
	// connected here (see RelaySession).
	NodeURL string
	// Bus carries notices between nodes (a connection to close because its device connected
	// elsewhere). Nil: notices stay within the process, and the periodic presence check does the rest.
	Bus bus.Bus
	// Lease is how long the node's registration lasts without renewal; a node silent for longer is
	// presumed dead and what it held is released by the others. Default 15 s.
	Lease time.Duration
	// RenewEvery is how often the lease is renewed and dead nodes are looked for. Default Lease/5.
	RenewEvery time.Duration
	// PresenceEvery is how often the node checks that the database still names it for its agents
	// (another node may hold a newer connection of the device). Default 10 s.
	PresenceEvery time.Duration
}

func (o *Options) defaults() {
	if o.Heartbeat <= 0 {
		o.Heartbeat = 30 * time.Second
	}
	if o.FlushEvery <= 0 {
		o.FlushEvery = 5 * time.Second
	}
	if o.AnswerTimeout <= 0 {
		o.AnswerTimeout = 2 * time.Minute
	}
	if o.CommandTimeout <= 0 {
		o.CommandTimeout = 30 * time.Second
	}
	if o.RecheckEvery <= 0 {
		o.RecheckEvery = time.Second
	}
	if o.TechTimeout <= 0 {
		o.TechTimeout = 75 * time.Second
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.NodeID == "" {
		o.NodeID = "local"
	}
	if o.Lease <= 0 {
		o.Lease = 15 * time.Second
	}
	if o.RenewEvery <= 0 {
		o.RenewEvery = o.Lease / 5
	}
	if o.PresenceEvery <= 0 {
		o.PresenceEvery = 10 * time.Second
	}
	if o.Bus == nil {
		o.Bus = bus.NewLocal(o.Logger)
	}
}

// writeTimeout bounds one control message or status write made on behalf of a connection.
const writeTimeout = 10 * time.Second

// Hub holds the server's live state: the connected agents and the remote sessions running through
// them. Create it with New, call Start once, and Close when the server stops.
type Hub struct {
	app  *app.App
	opts Options
	log  *slog.Logger

	ctx       context.Context // ends at Close
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once

	mu       sync.Mutex
	agents   map[string]*agent   // device id → its current connection
	sessions map[string]*session // session id → live session
	closing  bool                // set by Close: no connection is accepted after it
	// conns counts the agent connections' read loops, which record each disconnection: Close waits
	// for them before writing the last statuses.
	conns sync.WaitGroup

	statuses sync.Map // device id → *deviceStatus

	statusMu     sync.Mutex
	statusQueue  []queuedEvent // status changes not yet written, in order
	statusSignal chan struct{}

	// endsMu guards session ends whose record could not be written (the database did not answer):
	// the node loop writes them later, so that no session stays live in the database.
	endsMu      sync.Mutex
	pendingEnds []pendingEnd

	unsubscribe []func()
	// nodeTransport reaches the other nodes, for RelaySession.
	nodeTransport *http.Transport

	seenMu sync.Mutex
	seen   map[string]portico.DeviceSeen // device id → last heartbeat not yet written

	recheckMu       sync.Mutex
	recheckAccounts map[string]bool
	recheckSignal   chan struct{}

	agentsGauge, sessionsGauge prometheus.GaugeFunc
}

// queuedEvent is a status change waiting to be written, with the connection it is about.
type queuedEvent struct {
	ev app.AgentEvent
	a  *agent
}

// deviceStatus serialises the status changes of one device and remembers the last one queued.
type deviceStatus struct {
	mu   sync.Mutex
	last portico.DeviceStatus
}

// New returns a hub over the app. It does nothing until Start.
func New(a *app.App, opts Options) *Hub {
	opts.defaults()
	ctx, cancel := context.WithCancel(context.Background())
	h := &Hub{app: a, opts: opts, log: opts.Logger, ctx: ctx, cancel: cancel,
		agents: map[string]*agent{}, sessions: map[string]*session{}, seen: map[string]portico.DeviceSeen{},
		recheckAccounts: map[string]bool{}, recheckSignal: make(chan struct{}, 1), statusSignal: make(chan struct{}, 1),
		nodeTransport: newNodeTransport()}
	h.agentsGauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portico_agents_connected",
		Help: "Agents connected to this server."}, func() float64 { return float64(h.count(func(*Hub) int { return len(h.agents) })) })
	h.sessionsGauge = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "portico_sessions_live",
		Help: "Remote sessions running through this server (connecting or active)."},
		func() float64 { return float64(h.count(func(*Hub) int { return len(h.sessions) })) })
	return h
}

func (h *Hub) count(f func(*Hub) int) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return f(h)
}

// Collectors returns the hub's Prometheus metrics, for the server's registry.
func (h *Hub) Collectors() []prometheus.Collector {
	return []prometheus.Collector{h.agentsGauge, h.sessionsGauge}
}

// Start registers the node, releases what it held before it last stopped (its devices' presence,
// the sessions it relayed; never another node's), subscribes to committed changes and to presence
// notices, and starts the background loops: heartbeat timeouts, last-seen batches, session re-checks
// and the node's lease.
func (h *Hub) Start(ctx context.Context) error {
	if err := h.app.StartNode(ctx, h.opts.NodeID, h.opts.NodeURL); err != nil {
		return err
	}
	h.app.OnChange(h.changed)
	unsub, err := h.opts.Bus.Subscribe(presenceSubject, h.presenceNotice)
	if err != nil {
		return err
	}
	h.unsubscribe = append(h.unsubscribe, unsub)
	h.wg.Add(5)
	go h.statusLoop()
	go h.heartbeatLoop()
	go h.flushLoop()
	go h.recheckLoop()
	go h.nodeLoop()
	return nil
}

// NodeID is the node this hub runs on.
func (h *Hub) NodeID() string { return h.opts.NodeID }

// live returns the connected agents and the live sessions.
func (h *Hub) live() ([]*agent, []*session) {
	h.mu.Lock()
	defer h.mu.Unlock()
	agents := make([]*agent, 0, len(h.agents))
	for _, a := range h.agents {
		agents = append(agents, a)
	}
	sessions := make([]*session, 0, len(h.sessions))
	for _, s := range h.sessions {
		sessions = append(sessions, s)
	}
	return agents, sessions
}

// Close disconnects every agent and session, writes the pending last-seen times and stops the
// background loops. Calling it again does nothing.
func (h *Hub) Close() { h.closeOnce.Do(h.close) }

// closeWaitForConns bounds how long Close waits for the agents' read loops to record their ends.
const closeWaitForConns = 10 * time.Second

func (h *Hub) close() {
	h.mu.Lock()
	h.closing = true
	h.mu.Unlock()
	agents, sessions := h.live()
	for _, s := range sessions {
		s.end("server", "the server is shutting down")
	}
	for _, a := range agents {
		_ = a.conn.Close("the server is shutting down")
	}
	h.cancel()
	// Every read loop ends now (their context is cancelled) and queues its "disconnected"; those must
	// be in the queue before it is written for the last time.
	conns := make(chan struct{})
	go func() { h.conns.Wait(); close(conns) }()
	select {
	case <-conns:
	case <-time.After(closeWaitForConns):
		h.log.Error("agent connections still ending at shutdown; their disconnections may not be recorded")
	}
	h.wg.Wait()
	for _, u := range h.unsubscribe {
		u()
	}
	h.flush(context.Background())
	if !h.writeStatuses(context.Background()) {
		h.log.Error("device statuses not written at shutdown; this node's next start, or the others once its lease ends, mark its devices Unavailable")
		return
	}
	h.writePendingEnds(context.Background())
	ctx, cancel := context.WithTimeout(context.Background(), writeTimeout)
	defer cancel()
	if err := h.app.StopNode(ctx, h.opts.NodeID); err != nil {
		h.log.Warn("remove the node's registration", "err", err)
	}
}

// Online reports whether the device's agent is connected to this server.
func (h *Hub) Online(deviceID string) bool {
	return h.agent(deviceID) != nil
}

// Reachable reports whether a session can be opened on the device from this node: its agent is
// connected here, or to another node, to which the session is then relayed.
func (h *Hub) Reachable(ctx context.Context, accountID, deviceID string) bool {
	if h.Online(deviceID) {
		return true
	}
	c, err := h.app.DeviceConnection(ctx, accountID, deviceID)
	return err == nil && c.NodeID != "" && c.NodeID != h.opts.NodeID
}

func (h *Hub) agent(deviceID string) *agent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.agents[deviceID]
}

// refreshStatus computes the device's status from the live state (Unavailable without a connection,
// In session with an active session, else Available) and, when it changed or an event (connected,
// disconnected) is to be recorded, queues the write for statusLoop.
func (h *Hub) refreshStatus(a *agent, event, detail string) {
	ac := a.ac
	v, _ := h.statuses.LoadOrStore(ac.DeviceID, &deviceStatus{})
	ds := v.(*deviceStatus)
	ds.mu.Lock()
	defer ds.mu.Unlock()
	status := h.currentStatus(ac.DeviceID)
	if event == "" && status == ds.last {
		return
	}
	ds.last = status
	h.statusMu.Lock()
	h.statusQueue = append(h.statusQueue, queuedEvent{a: a, ev: app.AgentEvent{Actor: ac, NodeID: h.opts.NodeID,
		ConnID: a.connID, Event: event, Detail: detail, Status: status, At: time.Now().UTC()}})
	h.statusMu.Unlock()
	select {
	case h.statusSignal <- struct{}{}:
	default:
	}
}

// statusLoop writes queued status changes as soon as they come, all that queued up during the
// previous write in one transaction (group commit): a storm of connections costs a few
// transactions, and a quiet server writes each change at once. A failed write is retried; nothing
// queued is dropped.
func (h *Hub) statusLoop() {
	defer h.wg.Done()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-h.statusSignal:
		}
		for !h.writeStatuses(h.ctx) {
			select {
			case <-h.ctx.Done():
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}
}

// statusChunk bounds the status changes written in one transaction, so that a storm (every agent
// reconnecting, or all of them leaving at shutdown) is written in transactions that each finish well
// within writeTimeout rather than one that does not finish at all. A variable so tests can make it
// small.
var statusChunk = 2000

// writeStatuses writes the queued status changes, statusChunk to a transaction, putting what was not
// written back at the head of the queue when a write fails; it reports whether all were written.
func (h *Hub) writeStatuses(ctx context.Context) bool {
	h.statusMu.Lock()
	batch := h.statusQueue
	h.statusQueue = nil
	h.statusMu.Unlock()
	for len(batch) > 0 {
		chunk := batch[:min(len(batch), statusChunk)]
		events := make([]app.AgentEvent, len(chunk))
		for i := range chunk {
			events[i] = chunk[i].ev
		}
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		replaced, err := h.app.RecordAgentEvents(wctx, events)
		cancel()
		if err != nil {
			h.log.Error("store device statuses; will retry", "changes", len(batch), "err", err)
			h.statusMu.Lock()
			h.statusQueue = append(batch, h.statusQueue...)
			h.statusMu.Unlock()
			return false
		}
		for _, q := range chunk {
			if q.ev.Event == "connected" {
				q.a.recorded.Store(true)
			}
		}
		for _, c := range replaced {
			h.publishClose(c)
		}
		batch = batch[len(chunk):]
	}
	return true
}

func (h *Hub) currentStatus(deviceID string) portico.DeviceStatus {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.agents[deviceID] == nil {
		return portico.DeviceUnavailable
	}
	for _, s := range h.sessions {
		if s.deviceID == deviceID && s.isActive() {
			return portico.DeviceInSession
		}
	}
	return portico.DeviceAvailable
}

// markSeen notes a heartbeat; flushLoop writes it with the others.
func (h *Hub) markSeen(ac *app.Actor, at time.Time) {
	h.seenMu.Lock()
	h.seen[ac.DeviceID] = portico.DeviceSeen{AccountID: ac.AccountID, DeviceID: ac.DeviceID, At: at}
	h.seenMu.Unlock()
}

func (h *Hub) flushLoop() {
	defer h.wg.Done()
	t := time.NewTicker(h.opts.FlushEvery)
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-t.C:
			h.flush(h.ctx)
		}
	}
}

// flush writes the pending last-seen times in one transaction.
func (h *Hub) flush(ctx context.Context) {
	h.seenMu.Lock()
	if len(h.seen) == 0 {
		h.seenMu.Unlock()
		return
	}
	batch := make([]portico.DeviceSeen, 0, len(h.seen))
	for _, s := range h.seen {
		batch = append(batch, s)
	}
	h.seen = map[string]portico.DeviceSeen{}
	h.seenMu.Unlock()
	if err := h.app.TouchDevices(context.WithoutCancel(ctx), batch); err != nil {
		h.log.Error("write last-seen times; will retry", "devices", len(batch), "err", err)
		h.seenMu.Lock()
		for _, s := range batch {
			if _, newer := h.seen[s.DeviceID]; !newer {
				h.seen[s.DeviceID] = s
			}
		}
		h.seenMu.Unlock()
	}
}

// heartbeatLoop disconnects agents that missed two heartbeat periods.
func (h *Hub) heartbeatLoop() {
	defer h.wg.Done()
	t := time.NewTicker(max(h.opts.Heartbeat/4, 5*time.Millisecond))
	defer t.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case now := <-t.C:
			limit := 2 * h.opts.Heartbeat
			var late []*agent
			h.mu.Lock()
			for _, a := range h.agents {
				if now.Sub(a.lastBeatTime()) > limit {
					late = append(late, a)
				}
			}
			h.mu.Unlock()
			for _, a := range late {
				h.log.Info("agent missed its heartbeats", "device", a.ac.DeviceID)
				_ = a.conn.Close("no heartbeat for two periods")
			}
		}
	}
}

// devicesDeleted tells the agents of deleted devices to stop, and drops them.
func (h *Hub) devicesDeleted(accountID string, ids []string) {
	h.mu.Lock()
	var gone []*agent
	for _, id := range ids {
		if a := h.agents[id]; a != nil && a.ac.AccountID == accountID {
			gone = append(gone, a)
		}
	}
	h.mu.Unlock()
	for _, a := range gone {
		go a.stop("the device was deleted")
	}
}
