// Package portal is Portico's web portal: server-rendered pages (html/template, embedded in the
// binary) with light progressive enhancement (htmx and a few small scripts, no build step). Every page
// shows exactly what the signed-in user may do and hides what the server would refuse; every action
// still goes through the app's use cases, which decide.
//
// Each area of the portal lives in its own files: a routes function (coreRoutes, deviceRoutes,
// adminRoutes, sessionRoutes), its templates under templates/<area>/ and its strings under
// locales/<lang>/<area>.json.
package portal

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/hub"
)

//go:embed templates static locales
var files embed.FS

// SessionCookie is the name of the session cookie, shared with the REST API.
const SessionCookie = "portico_session"

// Options configure the portal.
type Options struct {
	Logger *slog.Logger
	// Hub serves live sessions; nil hides remote actions.
	Hub *hub.Hub
	// SecureCookies marks cookies Secure (set when the portal is served over TLS).
	SecureCookies bool
	// TrustedProxies are the reverse proxies whose X-Forwarded-For is believed (see app.ClientAddress).
	TrustedProxies []netip.Prefix
}

// Portal serves the web portal.
type Portal struct {
	app     *app.App
	hub     *hub.Hub
	log     *slog.Logger
	opt     Options
	pages   map[string]*template.Template
	locales *catalog
	handler http.Handler
}

// route is one page or form handler.
type route struct {
	// pattern is an http.ServeMux pattern such as "GET /devices/{id}".
	pattern string
	// public routes need no sign-in (the sign-in page itself, invitation acceptance).
	public bool
	handle func(*request) error
}

// New builds the portal, parsing every template and catalogue so that a mistake fails at start.
func New(a *app.App, opt Options) (*Portal, error) {
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	p := &Portal{app: a, hub: opt.Hub, log: opt.Logger, opt: opt}
	var err error
	if p.locales, err = loadCatalog(files); err != nil {
		return nil, err
	}
	if p.pages, err = parsePages(files); err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	static, _ := fs.Sub(files, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", cacheStatic(http.FileServerFS(static))))
	// Browsers ask for /favicon.ico whatever the page links; answer with the portal's icon.
	mux.Handle("GET /favicon.ico", cacheStatic(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "image/svg+xml")
		http.ServeFileFS(w, r, static, "favicon.svg")
	})))
	var all []route
	for _, rs := range [][]route{p.coreRoutes(), p.deviceRoutes(), p.adminRoutes(), p.sessionRoutes(), p.ssoRoutes(), p.legalRoutes(), p.brandingRoutes()} {
		all = append(all, rs...)
	}
	for _, rt := range all {
		mux.Handle(rt.pattern, p.wrap(rt))
	}
	csrf := http.NewCrossOriginProtection()
	// The IdP's form posts the SAML answer from its own origin; the signed, tracked answer is the proof.
	csrf.AddInsecureBypassPattern("POST /saml/{account}/acs")
	p.handler = securityHeaders(csrf.Handler(mux))
	return p, nil
}

// ServeHTTP serves a portal request.
func (p *Portal) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.handler.ServeHTTP(w, r) }

// contentSecurityPolicy allows nothing but the portal's own files: no inline script or style, no
// other origin; WebSockets to the portal itself are allowed by 'self'.
const contentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		next.ServeHTTP(w, r)
	})
}

func cacheStatic(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		next.ServeHTTP(w, r)
	})
}

// request is one portal request: who asks, in which language and theme, and how to answer.
type request struct {
	p   *Portal
	w   http.ResponseWriter
	r   *http.Request
	ctx context.Context
	// actor and me are nil on public pages when nobody is signed in.
	actor *app.Actor
	me    *app.Me
	// perms are the actor's effective permissions at account level.
	perms portico.PermissionSet
	lang  string
	theme string
	// crumbs are the breadcrumbs after "Home"; the page sets them.
	crumbs []crumb
	// active names the side-menu entry to highlight.
	active string
}

// crumb is one breadcrumb.
type crumb struct {
	Label string
	URL   string
}

func (p *Portal) wrap(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		r = r.WithContext(context.WithValue(r.Context(), trustedProxiesKey{}, p.opt.TrustedProxies))
		q := &request{p: p, w: w, r: r, ctx: r.Context(), theme: "system"}
		if err := q.authenticate(); err != nil && !rt.public {
			if portico.IsKind(err, portico.KindUnavailable) || app.Unreachable(err) {
				q.fail(err) // the server cannot decide now; signing in again would not help
				return
			}
			q.toSignIn(err)
			return
		}
		q.lang = p.locales.choose(q)
		if q.me != nil && q.me.User.Theme != "" {
			q.theme = q.me.User.Theme
		}
		// An account with an IP allow list refuses its people from elsewhere, before anything else; an
		// account that requires 2FA lets its users reach nothing but enrolment until they enrol; an
		// account with terms of service lets them reach nothing but acceptance until they accept.
		if !rt.public && (q.holdForAllowlist() || q.holdForTwoFactor(rt.pattern) || q.holdForLegal(rt.pattern)) {
			return
		}
		if err := rt.handle(q); err != nil {
			q.fail(err)
		}
		p.log.LogAttrs(r.Context(), slog.LevelDebug, "page", slog.String("pattern", rt.pattern),
			slog.String("path", r.URL.Path), slog.Duration("duration", time.Since(start)))
	})
}

// authenticate resolves the session cookie.
func (q *request) authenticate() error {
	ck, err := q.r.Cookie(SessionCookie)
	if err != nil || ck.Value == "" {
		return portico.Errorf(portico.KindUnauthenticated, "not signed in")
	}
	ac, err := q.p.app.AuthenticateSession(q.ctx, ck.Value, clientIP(q.r))
	if err != nil {
		return err
	}
	me, err := q.p.app.GetMe(q.ctx, ac)
	if err != nil {
		return err
	}
	q.actor, q.me = ac, me
	q.perms = portico.NewPermissionSet(me.Permissions...)
	return nil
}

// toSignIn sends the browser to the sign-in page, coming back here afterwards.
func (q *request) toSignIn(err error) {
	v := url.Values{}
	if q.r.Method == http.MethodGet {
		v.Set("next", q.r.URL.RequestURI())
	}
	if err != nil && strings.Contains(err.Error(), "inactivity") {
		v.Set("idle", "1")
	}
	target := "/sign-in"
	if len(v) > 0 {
		target += "?" + v.Encode()
	}
	if q.r.Header.Get("HX-Request") != "" {
		q.w.Header().Set("HX-Redirect", target)
		q.w.WriteHeader(http.StatusUnauthorized)
		return
	}
	http.Redirect(q.w, q.r, target, http.StatusSeeOther)
}

// can reports whether the user holds perm at account level.
func (q *request) can(perm portico.Permission) bool { return q.actor != nil && q.perms.Has(perm) }

// canOn reports whether the user holds perm on a device group or device (for showing actions).
func (q *request) canOn(perm portico.Permission, t authz.Target) bool {
	if q.actor == nil {
		return false
	}
	set, err := q.p.app.Effective(q.ctx, q.actor, t)
	return err == nil && set.Has(perm)
}

// crumb appends a breadcrumb.
func (q *request) crumb(label, url string) { q.crumbs = append(q.crumbs, crumb{label, url}) }

// holdBack answers a request an account gate (2FA enrolment, legal acceptance) refused: err of
// another kind than forbidden fails the request; forbidden sends the browser to target (with
// HX-Redirect for htmx requests). It reports whether it answered, that is whether err was not nil.
func (q *request) holdBack(err error, target string) bool {
	if err == nil {
		return false
	}
	if portico.KindOf(err) != portico.KindForbidden {
		q.fail(err)
		return true
	}
	if q.r.Header.Get("HX-Request") != "" {
		q.w.Header().Set("HX-Redirect", target)
		q.w.WriteHeader(http.StatusForbidden)
		return true
	}
	http.Redirect(q.w, q.r, target, http.StatusSeeOther)
	return true
}

// redirect answers a form post with a redirect (or HX-Redirect for htmx requests).
func (q *request) redirect(target string) error {
	if q.r.Header.Get("HX-Request") != "" {
		q.w.Header().Set("HX-Redirect", target)
		q.w.WriteHeader(http.StatusNoContent)
		return nil
	}
	http.Redirect(q.w, q.r, target, http.StatusSeeOther)
	return nil
}

// fail answers an error the handler did not handle itself, with an error page in the user's language.
func (q *request) fail(err error) {
	status := http.StatusInternalServerError
	key := "error.internal"
	switch portico.KindOf(err) {
	case portico.KindNotFound:
		status, key = http.StatusNotFound, "error.not_found"
	case portico.KindForbidden:
		status, key = http.StatusForbidden, "error.forbidden"
	case portico.KindUnauthenticated:
		q.toSignIn(err)
		return
	case portico.KindInvalid, portico.KindConflict, portico.KindLimit, portico.KindDevice:
		status, key = http.StatusUnprocessableEntity, "error.invalid"
	case portico.KindRateLimited:
		status, key = http.StatusTooManyRequests, "error.invalid"
	case portico.KindUnavailable:
		status, key = http.StatusServiceUnavailable, "error.unavailable"
	default:
		if app.Unreachable(err) {
			status, key = http.StatusServiceUnavailable, "error.unavailable"
			break
		}
		q.p.log.Error("portal request failed", "path", q.r.URL.Path, "err", err)
	}
	if status == http.StatusServiceUnavailable {
		q.w.Header().Set("Retry-After", "1")
	}
	detail := ""
	if status != http.StatusInternalServerError {
		var pe *portico.Error
		if errors.As(err, &pe) && pe.Permission != "" {
			// The page says which permission, in the user's language, never the catalogue's key.
			key := "error.need_permission"
			if pe.SwitchedOff {
				key = "error.switched_off"
			}
			detail = q.p.locales.text(q.lang, key, q.p.locales.text(q.lang, "perm."+string(pe.Permission)))
		} else if errors.As(err, &pe) {
			// The fields' own messages say more than the error's ("invalid input", "conflict"), and
			// are named as the page names them, not as the API does.
			detail = pe.Message
			if len(pe.Fields) > 0 {
				parts := make([]string, 0, len(pe.Fields))
				for _, f := range pe.Fields {
					parts = append(parts, q.fieldLabel(f.Field, nil)+": "+f.Message)
				}
				detail = strings.Join(parts, "; ")
			}
		}
	}
	if rerr := q.render(status, "core/error", map[string]any{"Key": key, "Detail": detail, "Status": status}); rerr != nil {
		http.Error(q.w, http.StatusText(status), status)
	}
}

// clientIP is the address the request came from (behind a trusted proxy, the one it names).
func clientIP(r *http.Request) string {
	trusted, _ := r.Context().Value(trustedProxiesKey{}).([]netip.Prefix)
	return app.ClientAddress(r.RemoteAddr, r.Header.Get("X-Forwarded-For"), trusted)
}

// trustedProxiesKey carries Options.TrustedProxies in each request's context, for clientIP.
type trustedProxiesKey struct{}
