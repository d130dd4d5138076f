// Package api serves Portico's REST API under /api/v1: one route table drives both the mux and the
// OpenAPI document; requests are authenticated by session cookie or API key; errors are RFC 9457
// problem documents; every response carries the security headers. Handlers are thin: decode the
// input, call one app method, encode the result. Authorization is decided by the app, never here.
package api

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/hub"
)

// SessionCookie is the name of the portal session cookie.
const SessionCookie = "portico_session"

// maxBody bounds every JSON request body.
const maxBody = 1 << 20

// Options configure the API handler.
type Options struct {
	// Logger receives one line per request and every internal error; nil means slog.Default().
	Logger *slog.Logger
	// Strict turns a request that finished without an authorization decision into a 500. Tests set it
	// so that a handler or app method that forgot to authorize fails loudly; otherwise such a request
	// is only logged.
	Strict bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed (read from the right,
	// skipping trusted hops: see app.ClientAddress); empty means the connection's own address.
	TrustedProxies []netip.Prefix
	// Hub serves the live agent connections and remote sessions; nil answers those endpoints 503.
	Hub *hub.Hub
}

type server struct {
	app     *app.App
	opts    Options
	log     *slog.Logger
	csrf    *http.CrossOriginProtection
	metrics *metrics
	openapi []byte
}

// New returns the HTTP handler of the API, including /healthz, /readyz and /metrics.
func New(a *app.App, opts Options) http.Handler {
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &server{
		app:     a,
		opts:    opts,
		log:     opts.Logger,
		csrf:    http.NewCrossOriginProtection(),
		metrics: newMetrics(),
	}
	if opts.Hub != nil {
		s.metrics.reg.MustRegister(opts.Hub.Collectors()...)
	}
	rs := routes()
	doc, err := openAPIDocument(rs)
	if err != nil {
		// The document is built from static Go types: failing here is a programming error.
		panic("api: build OpenAPI document: " + err.Error())
	}
	s.openapi = doc
	mux := http.NewServeMux()
	// paths knows every path pattern regardless of method, so that a known path asked with the wrong
	// method gets 405 with Allow rather than 404.
	paths := http.NewServeMux()
	allowed := map[string][]string{}
	for i := range rs {
		mux.Handle(rs[i].pattern(), s.handler(&rs[i]))
		if allowed[rs[i].Path] == nil {
			paths.Handle(rs[i].Path, http.NotFoundHandler())
		}
		allowed[rs[i].Path] = append(allowed[rs[i].Path], rs[i].Method)
	}
	mux.Handle("/", s.handler(&Route{Method: "", Path: "/", OperationID: "notFound", Public: true,
		ep: noBody(func(c *call) (noContent, error) {
			c.ac.MarkDecided()
			if _, pattern := paths.Handler(c.r); pattern != "" {
				methods := strings.Join(allowed[pattern], ", ")
				c.w.Header().Set("Allow", methods)
				return noContent{}, &inputError{status: http.StatusMethodNotAllowed, detail: "this endpoint takes " + methods}
			}
			return noContent{}, &inputError{status: http.StatusNotFound, detail: "no such endpoint"}
		})}))
	return securityHeaders(mux)
}

// securityHeaders sets the headers every response carries, API and errors alike.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

// call is one request on its way through a handler.
type call struct {
	s  *server
	w  http.ResponseWriter
	r  *http.Request
	ac *app.Actor
	ip string
}

func (c *call) ctx() context.Context { return c.r.Context() }
func (c *call) app() *app.App        { return c.s.app }

// id is the {id} wildcard of the route.
func (c *call) id() string { return c.r.PathValue("id") }

// statusRecorder remembers the status written, for the log and the metrics.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (w *statusRecorder) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusRecorder) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusRecorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// Hijack hands the connection to a WebSocket upgrade, which looks for http.Hijacker itself rather
// than through http.ResponseController.
func (w *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	if w.status == 0 {
		w.status = http.StatusSwitchingProtocols
	}
	return http.NewResponseController(w.ResponseWriter).Hijack()
}

// handler wraps one route: logging and metrics around authentication, CSRF, the endpoint and the
// authorization backstop.
func (s *server) handler(rt *Route) http.Handler {
	label := rt.pattern()
	if rt.Method == "" {
		label = "unmatched"
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &statusRecorder{ResponseWriter: w}
		s.serve(rec, r, rt)
		if rec.status == 0 {
			rec.status = http.StatusOK
		}
		d := time.Since(start)
		s.metrics.observe(label, rec.status, d)
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("method", r.Method), slog.String("route", label), slog.String("path", r.URL.Path),
			slog.Int("status", rec.status), slog.Duration("duration", d))
	})
}

func (s *server) serve(w http.ResponseWriter, r *http.Request, rt *Route) {
	c := &call{s: s, w: w, r: r, ip: s.sourceIP(r)}
	bearer := hasBearer(r) || hasNodeToken(r)
	// Cookies ride along on cross-site requests; bearer keys do not, so only cookie (or anonymous)
	// requests need the browser's origin checked. Safe methods pass Check untouched.
	if !bearer {
		if err := s.csrf.Check(r); err != nil {
			s.writeError(c, &inputError{status: http.StatusForbidden, title: "Cross-origin request refused",
				detail: "this request came from another site; state-changing requests must come from the portal itself"})
			return
		}
	}
	if rt.Public {
		c.ac = &app.Actor{SourceIP: c.ip}
	} else {
		ac, err := s.authenticate(r, rt, c.ip)
		if err != nil {
			s.writeError(c, err)
			return
		}
		c.ac = ac
	}
	if v := r.Header.Get(app.MinRevisionHeader); v != "" {
		rev, err := strconv.ParseInt(v, 10, 64)
		if err != nil || rev < 0 {
			c.ac.MarkDecided()
			s.writeError(c, badRequest(app.MinRevisionHeader, "must be a revision number (from a %s response header)", app.RevisionHeader))
			return
		}
		c.ac.MinRevision = max(c.ac.MinRevision, rev)
	}
	result, err := rt.ep.fn(c)
	if f := c.ac.Failure(); f != nil && err == nil {
		err = f // an answer built on decisions that could not be made is not sent
	}
	if rev := c.ac.Revision(); rev > 0 {
		w.Header().Set(app.RevisionHeader, strconv.FormatInt(rev, 10))
	}
	var ie *inputError
	if !c.ac.Decided() && !errors.As(err, &ie) {
		// The backstop: a request that reached the app and came back without any authorization
		// decision means a check was forgotten somewhere.
		s.log.Error("request finished without an authorization decision", "route", rt.pattern(), "err", err)
		if s.opts.Strict {
			s.writeError(c, errNoDecision)
			return
		}
	}
	if err != nil {
		s.writeError(c, err)
		return
	}
	if h, ok := result.(http.Handler); ok {
		h.ServeHTTP(w, r)
		return
	}
	if rt.Status == http.StatusNoContent {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	writeJSON(w, rt.Status, result)
}

var errNoDecision = errors.New("no authorization decision was made for this request")

func hasBearer(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ")
}

// hasNodeToken reports whether the request carries another node's token (see app.NodeToken).
func hasNodeToken(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Authorization"), app.NodeTokenScheme+" ")
}

// authenticate resolves the bearer API key or, failing that, the session cookie. A node token is
// taken only where nodes relay requests to each other: opening a remote session.
func (s *server) authenticate(r *http.Request, rt *Route, ip string) (*app.Actor, error) {
	if token, ok := strings.CutPrefix(r.Header.Get("Authorization"), app.NodeTokenScheme+" "); ok {
		if rt.OperationID != "openSession" {
			return nil, unauthenticated("a node token is valid only for opening a remote session")
		}
		return s.app.AuthenticateNodeToken(r.Context(), strings.TrimSpace(token), r.Method, r.URL.RequestURI())
	}
	if h := r.Header.Get("Authorization"); h != "" {
		secret, ok := strings.CutPrefix(h, "Bearer ")
		if !ok || strings.TrimSpace(secret) == "" {
			return nil, unauthenticated("use Authorization: Bearer <API key>")
		}
		return s.app.AuthenticateAPIKey(r.Context(), strings.TrimSpace(secret), ip)
	}
	ck, err := r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return nil, unauthenticated("sign in first, or send an API key as Authorization: Bearer <key>")
	}
	return s.app.AuthenticateSession(r.Context(), ck.Value, ip)
}

// sourceIP is the client address: recorded in the audit log and checked against the IP allow list.
func (s *server) sourceIP(r *http.Request) string {
	return app.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), s.opts.TrustedProxies)
}

// secureRequest reports whether the client reached us over TLS, directly or through a proxy.
func secureRequest(r *http.Request) bool {
	return r.TLS != nil || strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

func (c *call) setSessionCookie(secret string) {
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secureRequest(c.r)})
}

func (c *call) clearSessionCookie() {
	http.SetCookie(c.w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		SameSite: http.SameSiteLaxMode, Secure: secureRequest(c.r)})
}
