package server

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
)

// Limits bound how long a client may hold the server's connections, and how many one address may
// hold before it authenticates, so that nobody can use up the process's file descriptors with idle or
// slow connections. Zero fields take the defaults noted; a negative value turns that limit off.
type Limits struct {
	// ReadHeader bounds reading a request's headers, and a new connection's wait for its first
	// request (default 10 s).
	ReadHeader time.Duration
	// ReadBody bounds reading a request's body, from the moment it is handled (default 30 s). The
	// largest bodies the server takes, 1 MiB of JSON or a 512 KiB logo, need about 35 KB/s.
	ReadBody time.Duration
	// Write bounds handling a request and writing its response, so that a client that reads its
	// answer slowly is cut off (default 60 s).
	Write time.Duration
	// ExportWrite replaces Write for exports, which can be megabytes: the portal's (?format=csv, pdf
	// or jsonl) and the API's (GET …/export) (default 10 minutes).
	ExportWrite time.Duration
	// Idle bounds how long a keep-alive connection waits for its next request (default 90 s).
	Idle time.Duration
	// UnauthenticatedPerClient caps what one client address holds before authenticating: its
	// connections, each until one of its requests authenticates, or, behind a trusted proxy, its
	// requests (default 64). IPv6 addresses count by their /64. An address at the cap is refused
	// whatever it sends: credentials are only looked at once a request is let in.
	UnauthenticatedPerClient int
}

func (l *Limits) defaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&l.ReadHeader, 10*time.Second)
	def(&l.ReadBody, 30*time.Second)
	def(&l.Write, time.Minute)
	def(&l.ExportWrite, 10*time.Minute)
	def(&l.Idle, 90*time.Second)
	if l.UnauthenticatedPerClient == 0 {
		l.UnauthenticatedPerClient = 64
	}
}

// off maps a limit turned off (negative) to net/http's "none" (zero).
func off(d time.Duration) time.Duration { return max(d, 0) }

// writeLimit is the write deadline of r's class of route.
func (l *Limits) writeLimit(r *http.Request) time.Duration {
	// Exports are the portal's pages asked with ?format= and the API's …/export operations; the query
	// is not parsed for this, so another GET with "format=" in its query gets the longer bound too,
	// which is harmless.
	if r.Method != http.MethodGet {
		return l.Write
	}
	api := strings.HasPrefix(r.URL.Path, "/api/")
	if (!api && strings.Contains(r.URL.RawQuery, "format=")) || (api && strings.HasSuffix(r.URL.Path, "/export")) {
		return l.ExportWrite
	}
	return l.Write
}

// guard applies the per-request limits around next: the deadlines of the request's class of route,
// and the cap on unauthenticated requests of a client behind a trusted proxy.
func (s *Server) guard(next http.Handler) http.Handler {
	lim := s.cfg.Limits
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		now := time.Now()
		// A request without a body gets no read deadline: the server reads ahead in the background to
		// notice a client going away, and a deadline would end that read and cancel the request's
		// context. After a body, the server clears the deadline itself once the body is read whole.
		if lim.ReadBody > 0 && r.Body != http.NoBody {
			_ = rc.SetReadDeadline(now.Add(lim.ReadBody))
		}
		if d := lim.writeLimit(r); d > 0 {
			_ = rc.SetWriteDeadline(now.Add(d))
		}
		// A WebSocket upgrade needs nothing more: hijacking the connection clears its deadlines
		// (net/http and gorilla/websocket both do), and the hub keeps its own from then on — agents'
		// heartbeats, technicians' pings.
		if s.clients != nil {
			ctx := r.Context()
			if h, ok := ctx.Value(holdKey{}).(*hold); ok {
				// A direct client's connection was counted when it was accepted; it stops counting
				// once one of its requests authenticates.
				if !h.released.Load() {
					r = r.WithContext(app.OnAuthenticated(ctx, h.release))
				}
			} else if s.clients.fromProxy(r.RemoteAddr) {
				// A trusted proxy's connection carries many clients' requests, so the count is per
				// request here: each counts against the client the proxy names, until it
				// authenticates or ends. One over the cap has been parsed and can be answered 429.
				client := app.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), s.cfg.TrustedProxies)
				ip, err := netip.ParseAddr(client)
				if err == nil {
					h := s.clients.take(clientKey(ip))
					if h == nil {
						tooManyUnauthenticated(w)
						return
					}
					defer h.release()
					r = r.WithContext(app.OnAuthenticated(ctx, h.release))
				}
			}
		}
		next.ServeHTTP(w, r)
	})
}

// tooManyUnauthenticated refuses a request over its client's cap.
func tooManyUnauthenticated(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/problem+json")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Retry-After", "5")
	// Closing spares reading the request's body, which is what a slow client would hold us with.
	h.Set("Connection", "close")
	w.WriteHeader(http.StatusTooManyRequests)
	_ = json.NewEncoder(w).Encode(api.Problem{Type: "https://portico.dev/problems/too_many_unauthenticated",
		Title: "Too many requests", Status: http.StatusTooManyRequests,
		Detail: "this address has too many requests in progress that are not signed in; try again shortly"})
}

// clientLimits counts, per client address, the connections and requests that have not authenticated.
// The hot path is one map update under one mutex when a connection opens, authenticates or closes;
// the requests of an authenticated connection take no lock.
type clientLimits struct {
	max     int
	trusted []netip.Prefix
	log     *slog.Logger

	mu    sync.Mutex
	count map[netip.Addr]int
	// conns are the accepted connections that were counted, until they close or are hijacked. The
	// connection is not wrapped to carry its hold: a wrapper would hide *net.TCPConn's vectored writes,
	// which the WebSocket relays rely on.
	conns map[net.Conn]*hold
}

func newClientLimits(limit int, trusted []netip.Prefix, log *slog.Logger) *clientLimits {
	return &clientLimits{max: limit, trusted: trusted, log: log, count: map[netip.Addr]int{}, conns: map[net.Conn]*hold{}}
}

// hold is one counted connection or request.
type hold struct {
	cl       *clientLimits
	key      netip.Addr
	released atomic.Bool
}

// release stops counting h; calling it again does nothing.
func (h *hold) release() {
	if !h.released.CompareAndSwap(false, true) {
		return
	}
	h.cl.mu.Lock()
	defer h.cl.mu.Unlock()
	if n := h.cl.count[h.key]; n > 1 {
		h.cl.count[h.key] = n - 1
	} else {
		delete(h.cl.count, h.key)
	}
}

// take counts one more for key, or returns nil when key is at the cap.
func (cl *clientLimits) take(key netip.Addr) *hold {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	return cl.takeLocked(key)
}

func (cl *clientLimits) takeLocked(key netip.Addr) *hold {
	if cl.count[key] >= cl.max {
		return nil
	}
	cl.count[key]++
	return &hold{cl: cl, key: key}
}

// takeConn counts an accepted connection against its client, reporting false when the client is at
// the cap.
func (cl *clientLimits) takeConn(c net.Conn, key netip.Addr) bool {
	cl.mu.Lock()
	defer cl.mu.Unlock()
	h := cl.takeLocked(key)
	if h != nil {
		cl.conns[c] = h
	}
	return h != nil
}

// connContext gives a counted connection's requests its hold (http.Server.ConnContext).
func (cl *clientLimits) connContext(ctx context.Context, c net.Conn) context.Context {
	cl.mu.Lock()
	h := cl.conns[rawConn(c)]
	cl.mu.Unlock()
	if h == nil {
		return ctx
	}
	return context.WithValue(ctx, holdKey{}, h)
}

// connState stops counting a connection once it is closed or hijacked (http.Server.ConnState); a
// hijacked one was authenticated before its upgrade, and is the hub's from then on.
func (cl *clientLimits) connState(c net.Conn, st http.ConnState) {
	if st != http.StateClosed && st != http.StateHijacked {
		return
	}
	c = rawConn(c)
	cl.mu.Lock()
	h := cl.conns[c]
	delete(cl.conns, c)
	cl.mu.Unlock()
	if h != nil {
		h.release()
	}
}

// fromProxy reports whether a request's peer (its RemoteAddr) is a trusted proxy.
func (cl *clientLimits) fromProxy(remoteAddr string) bool {
	ap, err := netip.ParseAddrPort(remoteAddr)
	return err == nil && cl.isProxy(ap.Addr().Unmap())
}

func (cl *clientLimits) isProxy(ip netip.Addr) bool {
	return slices.ContainsFunc(cl.trusted, func(p netip.Prefix) bool { return p.Contains(ip) })
}

type holdKey struct{}

// rawConn is the connection under TLS, the one the listener accepted.
func rawConn(c net.Conn) net.Conn {
	if tc, ok := c.(*tls.Conn); ok {
		return tc.NetConn()
	}
	return c
}

// clientKey is what an address is counted under. An IPv6 client counts by its /64, which one
// subscriber usually holds whole: counting each address would let it step around the cap.
func clientKey(ip netip.Addr) netip.Addr {
	ip = ip.Unmap().WithZone("")
	if ip.Is6() {
		p, _ := ip.Prefix(64)
		return p.Addr()
	}
	return ip
}

// limitListener counts each connection it accepts against its client address until the connection
// authenticates, closes or is hijacked. A connection from a trusted proxy is not counted: it carries
// many clients, whose requests guard counts one by one.
type limitListener struct {
	net.Listener
	cl *clientLimits
}

// Accept returns the next connection within its client's cap. One over the cap is closed at once,
// before anything is read: no request has been parsed that could be answered 429, and reading one
// (under the header timeout) is exactly how a client would hold the connection.
func (ln *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := ln.Listener.Accept()
		if err != nil {
			return nil, err
		}
		ip, ok := addrIP(c.RemoteAddr())
		if !ok || ln.cl.isProxy(ip) {
			return c, nil
		}
		if ln.cl.takeConn(c, clientKey(ip)) {
			return c, nil
		}
		ln.cl.log.Debug("connection refused: too many unauthenticated connections from its address", "client", ip.String())
		_ = c.Close()
	}
}

// addrIP is the IP address of a connection's remote end.
func addrIP(a net.Addr) (netip.Addr, bool) {
	if ta, ok := a.(*net.TCPAddr); ok {
		ip, ok := netip.AddrFromSlice(ta.IP)
		return ip.Unmap(), ok
	}
	ap, err := netip.ParseAddrPort(a.String())
	return ap.Addr().Unmap(), err == nil
}
