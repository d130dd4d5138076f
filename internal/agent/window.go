package agent

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"
)

//go:embed window/index.html
var windowFiles embed.FS

var windowPage = template.Must(template.ParseFS(windowFiles, "window/index.html"))

// WindowTokenHeader carries the window's per-process token on every POST.
const WindowTokenHeader = "X-Portico-Window-Token"

// DefaultWindowAddr is where the end-user window listens unless told otherwise.
const DefaultWindowAddr = "127.0.0.1:7755"

// Window is the end-user window: a small web page on 127.0.0.1 that shows the connection, asks the
// person at the device to approve session requests, and shows active sessions with their chat and an
// End session button. For a support agent it also names the technician and company of the on-demand
// session, counts the time since it connected, and its End session button ends the support session.
//
// Other web pages open in the same browser must not be able to act through it, so every POST needs
// the token embedded in the page (a page from another origin cannot read it) and an Origin and Host
// naming this address (which also defeats DNS rebinding).
type Window struct {
	sessions *Sessions
	log      *slog.Logger
	token    string
	ln       net.Listener
	port     string
	srv      *http.Server
}

// NewWindow listens on addr, which must be a 127.0.0.1 address (port 0 picks a free port).
func NewWindow(addr string, sessions *Sessions, log *slog.Logger) (*Window, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("end-user window address %q: %w", addr, err)
	}
	if host != "127.0.0.1" {
		return nil, fmt.Errorf("end-user window address %q: must be on 127.0.0.1", addr)
	}
	var tok [24]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, fmt.Errorf("end-user window token: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("end-user window: %w", err)
	}
	if log == nil {
		log = slog.Default()
	}
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	w := &Window{sessions: sessions, log: log, token: hex.EncodeToString(tok[:]), ln: ln, port: port}
	w.srv = &http.Server{Handler: w.Handler(), ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout: 10 * time.Second, WriteTimeout: 10 * time.Second, IdleTimeout: time.Minute}
	return w, nil
}

// Addr is the window's address, host:port.
func (w *Window) Addr() string { return w.ln.Addr().String() }

// URL is the address to open in a browser.
func (w *Window) URL() string { return "http://" + w.Addr() + "/" }

// Token is the per-process token POSTs must carry.
func (w *Window) Token() string { return w.token }

// Serve serves until ctx ends.
func (w *Window) Serve(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		w.srv.Shutdown(sctx)
	})
	defer stop()
	if err := w.srv.Serve(w.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("end-user window: %w", err)
	}
	return nil
}

// Close stops the window at once.
func (w *Window) Close() error { return w.srv.Close() }

// Handler serves the page and its JSON API.
func (w *Window) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", w.page)
	mux.HandleFunc("GET /api/state", func(rw http.ResponseWriter, r *http.Request) {
		writeJSON(rw, http.StatusOK, w.sessions.State())
	})
	mux.Handle("POST /api/answer", w.post(func(r *http.Request, in *windowRequest) error {
		if in.Accept == nil {
			return badRequest("accept (true or false) is required")
		}
		return w.sessions.Answer(in.SessionID, *in.Accept)
	}))
	mux.Handle("POST /api/chat", w.post(func(r *http.Request, in *windowRequest) error {
		return w.sessions.SendChat(in.SessionID, strings.TrimSpace(in.Text))
	}))
	mux.Handle("POST /api/end", w.post(func(r *http.Request, in *windowRequest) error {
		return w.sessions.EndByUser(in.SessionID)
	}))
	mux.Handle("POST /api/end-support", w.post(func(r *http.Request, in *windowRequest) error {
		return w.sessions.EndSupport(in.SessionID)
	}))
	return w.guard(mux)
}

// guard refuses requests whose Host is not this window (a DNS-rebinding page) and sets headers that
// keep the page out of frames and caches.
func (w *Window) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		if !w.isLocal(r.Host) {
			writeJSON(rw, http.StatusForbidden, map[string]string{"error": "wrong host"})
			return
		}
		h := rw.Header()
		h.Set("X-Frame-Options", "DENY")
		h.Set("Content-Security-Policy", "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
		h.Set("Cache-Control", "no-store")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(rw, r)
	})
}

func (w *Window) isLocal(hostport string) bool {
	return hostport == "127.0.0.1:"+w.port || hostport == "localhost:"+w.port
}

func (w *Window) page(rw http.ResponseWriter, r *http.Request) {
	rw.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := windowPage.Execute(rw, map[string]string{"Token": w.token}); err != nil {
		w.log.Warn("end-user window page", "err", err)
	}
}

type windowRequest struct {
	SessionID string `json:"session_id"`
	Accept    *bool  `json:"accept,omitempty"`
	Text      string `json:"text,omitempty"`
}

type badRequest string

func (e badRequest) Error() string { return string(e) }

// post wraps a state-changing endpoint: token, origin and body checks, then errors mapped to statuses.
func (w *Window) post(fn func(*http.Request, *windowRequest) error) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		got := r.Header.Get(WindowTokenHeader)
		if subtle.ConstantTimeCompare([]byte(got), []byte(w.token)) != 1 {
			writeJSON(rw, http.StatusForbidden, map[string]string{"error": "missing or wrong window token"})
			return
		}
		if o := r.Header.Get("Origin"); o != "" && !(strings.HasPrefix(o, "http://") && w.isLocal(strings.TrimPrefix(o, "http://"))) {
			writeJSON(rw, http.StatusForbidden, map[string]string{"error": "cross-origin request refused"})
			return
		}
		if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" && site != "none" {
			writeJSON(rw, http.StatusForbidden, map[string]string{"error": "cross-site request refused"})
			return
		}
		var in windowRequest
		dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&in); err != nil {
			writeJSON(rw, http.StatusBadRequest, map[string]string{"error": "bad JSON body: " + err.Error()})
			return
		}
		if in.SessionID == "" {
			writeJSON(rw, http.StatusBadRequest, map[string]string{"error": "session_id is required"})
			return
		}
		err := fn(r, &in)
		var br badRequest
		switch {
		case err == nil:
			writeJSON(rw, http.StatusOK, map[string]bool{"ok": true})
		case errors.As(err, &br):
			writeJSON(rw, http.StatusBadRequest, map[string]string{"error": err.Error()})
		case errors.Is(err, ErrNoSession):
			writeJSON(rw, http.StatusNotFound, map[string]string{"error": err.Error()})
		case errors.Is(err, ErrNotPending), errors.Is(err, ErrNotActive):
			writeJSON(rw, http.StatusConflict, map[string]string{"error": err.Error()})
		case errors.Is(err, ErrNotConnected):
			writeJSON(rw, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
		default:
			writeJSON(rw, http.StatusBadRequest, map[string]string{"error": err.Error()})
		}
	})
}

func writeJSON(rw http.ResponseWriter, status int, v any) {
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	json.NewEncoder(rw).Encode(v)
}
