package portal

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// coreRoutes are the pages every user meets: signing in and out, invitations, the dashboard, the
// preferences of the top menu and the search bar.
func (p *Portal) coreRoutes() []route {
	return append([]route{
		{pattern: "GET /sign-in", public: true, handle: (*request).signInPage},
		{pattern: "POST /sign-in", public: true, handle: (*request).signIn},
		{pattern: "POST /sign-out", public: true, handle: (*request).signOut},
		{pattern: "GET /invitations/{secret}", public: true, handle: (*request).invitationPage},
		{pattern: "POST /invitations/{secret}", public: true, handle: (*request).acceptInvitation},
		{pattern: "POST /preferences", public: true, handle: (*request).setPreferences},
		{pattern: "POST /keepalive", handle: func(q *request) error { q.w.WriteHeader(http.StatusNoContent); return nil }},
		{pattern: "GET /{$}", handle: (*request).dashboard},
		{pattern: "GET /search", handle: (*request).search},
		{pattern: "GET /", public: true, handle: func(q *request) error {
			return portico.NotFound("page")
		}},
	}, p.twoFactorRoutes()...)
}

// signInForm is what the sign-in page shows.
type signInForm struct {
	Email string
	Next  string
	Error string
	Idle  bool
	// Challenge, when set, shows the second step: the code form for this pending sign-in. It is a
	// random token naming a server-side record (see app.BeginSignIn), never the password.
	Challenge string
}

func (q *request) signInPage() error {
	if q.me != nil {
		return q.redirect(safeNext(q.r.URL.Query().Get("next")))
	}
	return q.render(http.StatusOK, "core/sign-in", signInForm{Next: q.r.URL.Query().Get("next"),
		Idle: q.r.URL.Query().Get("idle") == "1"})
}

func (q *request) signIn() error {
	email, password := q.r.PostFormValue("email"), q.r.PostFormValue("password")
	next := safeNext(q.r.PostFormValue("next"))
	res, err := q.p.app.BeginSignIn(q.ctx, email, password, clientIP(q.r))
	if err == nil && res.Challenge != "" {
		return q.render(http.StatusOK, "core/sign-in", signInForm{Next: next, Challenge: res.Challenge})
	}
	if err != nil {
		form := signInForm{Email: email, Next: next, Error: "signin.failed"}
		status := http.StatusUnauthorized
		switch portico.KindOf(err) {
		case portico.KindRateLimited:
			form.Error, status = "signin.locked", http.StatusTooManyRequests
		case portico.KindUnauthenticated:
		default:
			return err
		}
		return q.render(status, "core/sign-in", form)
	}
	q.setSessionCookie(res.Secret)
	return q.redirect(next)
}

func (q *request) signOut() error {
	if ck, err := q.r.Cookie(SessionCookie); err == nil && ck.Value != "" {
		if err := q.p.app.SignOut(q.ctx, ck.Value); err != nil {
			return err
		}
	}
	http.SetCookie(q.w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: q.secure(), SameSite: http.SameSiteLaxMode})
	return q.redirect("/sign-in")
}

func (q *request) setSessionCookie(secret string) {
	http.SetCookie(q.w, &http.Cookie{Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true,
		Secure: q.secure(), SameSite: http.SameSiteLaxMode})
}

// secure reports whether cookies must be marked Secure: the request came over TLS (directly or,
// as a reverse proxy says, in front of us), or the portal is configured so.
func (q *request) secure() bool {
	return q.p.opt.SecureCookies || q.r.TLS != nil || strings.EqualFold(q.r.Header.Get("X-Forwarded-Proto"), "https")
}

// safeNext keeps a post-sign-in destination on this site: a path of its own, never a URL a browser
// could read as another host. Browsers treat a backslash as a slash ("/\evil.example" is
// "//evil.example") and drop tabs and newlines, so neither may appear at all.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.ContainsAny(next, "\\\t\r\n") || strings.HasPrefix(next, "//") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.IsAbs() || u.Host != "" || u.Opaque != "" {
		return "/"
	}
	return next
}

// invitationForm is the invitation acceptance page.
type invitationForm struct {
	Name   string
	Errors map[string]string
	Failed string
}

func (q *request) invitationPage() error {
	return q.render(http.StatusOK, "core/invitation", invitationForm{})
}

func (q *request) acceptInvitation() error {
	secret := q.r.PathValue("secret")
	name, password := q.r.PostFormValue("name"), q.r.PostFormValue("password")
	form := invitationForm{Name: name, Errors: map[string]string{}}
	if password != q.r.PostFormValue("password_again") {
		form.Errors["password_again"] = q.p.locales.text(q.lang, "invitation.mismatch")
		return q.render(http.StatusUnprocessableEntity, "core/invitation", form)
	}
	u, err := q.p.app.AcceptInvitation(q.ctx, secret, name, password, clientIP(q.r))
	if err != nil {
		switch portico.KindOf(err) {
		case portico.KindInvalid:
			form.Errors = fieldErrors(err)
		case portico.KindNotFound, portico.KindUnauthenticated, portico.KindConflict:
			form.Failed = "invitation.invalid"
		default:
			return err
		}
		return q.render(http.StatusUnprocessableEntity, "core/invitation", form)
	}
	secretCookie, _, err := q.p.app.SignIn(q.ctx, u.Email, password, clientIP(q.r))
	if err != nil {
		return q.redirect("/sign-in")
	}
	q.setSessionCookie(secretCookie)
	return q.redirect("/")
}

// fieldErrors maps an invalid-input error's fields to their messages, for forms.
func fieldErrors(err error) map[string]string {
	out := map[string]string{}
	var pe *portico.Error
	if errors.As(err, &pe) {
		for _, f := range pe.Fields {
			out[f.Field] = f.Message
		}
	}
	return out
}

// setPreferences switches language or theme: stored on the user when signed in, in a cookie before.
func (q *request) setPreferences() error {
	lang, theme := q.r.PostFormValue("lang"), q.r.PostFormValue("theme")
	if lang != "" && !q.p.locales.known(lang) {
		return portico.Errorf(portico.KindInvalid, "unknown language %q", lang)
	}
	if lang != "" {
		http.SetCookie(q.w, &http.Cookie{Name: LanguageCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
			HttpOnly: true, Secure: q.secure(), SameSite: http.SameSiteLaxMode})
	}
	if q.actor != nil {
		up := app.UserUpdate{}
		if lang != "" {
			up.Language = &lang
		}
		if theme != "" {
			up.Theme = &theme
		}
		if _, err := q.p.app.UpdateUser(q.ctx, q.actor, q.actor.UserID, up); err != nil {
			return err
		}
	}
	back := q.r.Header.Get("Referer")
	if u, err := url.Parse(back); err == nil && u.Host == q.r.Host {
		return q.redirect(safeNext(u.RequestURI()))
	}
	return q.redirect("/")
}

// dashboardData is the dashboard: licence figures and the setup tasks still to do.
type dashboardData struct {
	Licences *app.Licences
	Tasks    []setupTask
	Now      time.Time
}

// setupTask is one step of setting up an account, with whether it is done.
type setupTask struct {
	Key  string
	URL  string
	Done bool
}

func (q *request) dashboard() error {
	q.active = "dashboard"
	d := dashboardData{Now: time.Now()}
	if q.can(portico.PermAccountView) || q.can(portico.PermBillingView) {
		l, err := q.p.app.GetLicences(q.ctx, q.actor)
		if err != nil {
			return err
		}
		d.Licences = l
	}
	if q.can(portico.PermInstallersAccess) {
		d.Tasks = append(d.Tasks, setupTask{Key: "dashboard.task.install", URL: "/installers", Done: d.Licences != nil && d.Licences.ManagedUsed > 0})
	}
	if q.can(portico.PermUsersInvite) {
		d.Tasks = append(d.Tasks, setupTask{Key: "dashboard.task.invite", URL: "/users", Done: d.Licences != nil && d.Licences.SeatsUsed > 0})
	}
	if q.can(portico.PermRolesManage) {
		d.Tasks = append(d.Tasks, setupTask{Key: "dashboard.task.roles", URL: "/roles"})
	}
	if q.can(portico.PermAssignmentRulesManage) {
		rules, err := q.p.app.ListRules(q.ctx, q.actor)
		if err != nil {
			return err
		}
		d.Tasks = append(d.Tasks, setupTask{Key: "dashboard.task.rules", URL: "/device-assignment", Done: len(rules) > 0})
	}
	return q.render(http.StatusOK, "core/dashboard", d)
}
