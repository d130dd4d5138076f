package portal

import (
	"html/template"
	"net/http"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// twoFactorRoutes are the second sign-in step and the user's own 2FA page. They live with the core
// pages because a user whose account requires 2FA must reach them before anything else.
func (p *Portal) twoFactorRoutes() []route {
	return []route{
		{pattern: "POST /sign-in/code", public: true, handle: (*request).signInCode},
		{pattern: "GET /profile/2fa", handle: (*request).twoFactorPage},
		{pattern: "POST /profile/2fa/start", handle: (*request).startTwoFactor},
		{pattern: "POST /profile/2fa/confirm", handle: (*request).confirmTwoFactor},
		{pattern: "POST /profile/2fa/disable", handle: (*request).disableTwoFactor},
		{pattern: "POST /profile/2fa/recovery-codes", handle: (*request).regenerateRecoveryCodes},
		{pattern: "POST /users/{id}/reset-2fa", handle: (*request).resetTwoFactor},
	}
}

// twoFactorOpenPages are the pages a user held at enrolment may open (and signing out, which is
// public).
var twoFactorOpenPages = map[string]bool{
	"GET /profile/2fa": true, "POST /profile/2fa/start": true, "POST /profile/2fa/confirm": true,
}

// holdForTwoFactor sends a signed-in user whose account requires 2FA, and who has not set it up, to
// the enrolment page from every page but enrolment itself; it reports whether it answered. The
// portal's request wrapper calls it for every route that is not public.
func (q *request) holdForTwoFactor(pattern string) bool {
	if q.actor == nil || twoFactorOpenPages[pattern] {
		return false
	}
	return q.holdBack(q.p.app.TwoFactorGate(q.ctx, q.actor), "/profile/2fa")
}

// signInCode is the second step of signing in: the pending sign-in's token and a code.
func (q *request) signInCode() error {
	challenge, code := q.r.PostFormValue("challenge"), q.r.PostFormValue("code")
	next := safeNext(q.r.PostFormValue("next"))
	secret, _, err := q.p.app.CompleteSignIn(q.ctx, challenge, code, clientIP(q.r))
	if err != nil {
		status := http.StatusUnauthorized
		form := signInForm{Next: next, Challenge: challenge, Error: "signin.code_failed"}
		switch {
		case portico.IsKind(err, portico.KindRateLimited):
			form.Error, status = "signin.locked", http.StatusTooManyRequests
		case !portico.IsKind(err, portico.KindUnauthenticated):
			return err
		case strings.Contains(err.Error(), "expired"):
			form = signInForm{Next: next, Error: "signin.expired"}
		}
		return q.render(status, "core/sign-in", form)
	}
	q.setSessionCookie(secret)
	return q.redirect(next)
}

// twoFactorPageData is the 2FA page: the status and, right after a step, what it produced.
type twoFactorPageData struct {
	Status *app.TwoFactorStatus
	// Enrolment is set after starting: the QR code and key to confirm.
	Enrolment *app.TwoFactorEnrolment
	QRCode    template.URL
	// RecoveryCodes are shown once, right after confirming or regenerating.
	RecoveryCodes []string
	Error         string
	Saved         string
}

func (q *request) renderTwoFactor(status int, d *twoFactorPageData) error {
	q.active = "profile"
	q.crumb(q.p.locales.text(q.lang, "twofactor.title"), "")
	st, err := q.p.app.GetTwoFactorStatus(q.ctx, q.actor)
	if err != nil {
		return err
	}
	d.Status = st
	if d.Enrolment != nil && strings.HasPrefix(d.Enrolment.QRCode, "data:image/png;base64,") {
		d.QRCode = template.URL(d.Enrolment.QRCode) // made by the app: a PNG data URL, nothing else
	}
	return q.render(status, "core/two-factor", d)
}

func (q *request) twoFactorPage() error {
	return q.renderTwoFactor(http.StatusOK, &twoFactorPageData{Saved: q.r.URL.Query().Get("saved")})
}

func (q *request) startTwoFactor() error {
	en, err := q.p.app.StartTwoFactor(q.ctx, q.actor)
	if err != nil {
		return err
	}
	return q.renderTwoFactor(http.StatusOK, &twoFactorPageData{Enrolment: en})
}

// twoFactorFailed renders the page with a wrong-code message, or passes on any other error.
func (q *request) twoFactorFailed(err error) error {
	if portico.KindOf(err) != portico.KindInvalid {
		return err
	}
	return q.renderTwoFactor(http.StatusUnprocessableEntity, &twoFactorPageData{Error: "twofactor.wrong"})
}

func (q *request) confirmTwoFactor() error {
	rc, err := q.p.app.ConfirmTwoFactor(q.ctx, q.actor, q.r.PostFormValue("code"))
	if err != nil {
		return q.twoFactorFailed(err)
	}
	return q.renderTwoFactor(http.StatusOK, &twoFactorPageData{RecoveryCodes: rc.Codes})
}

func (q *request) disableTwoFactor() error {
	if err := q.p.app.DisableTwoFactor(q.ctx, q.actor, q.r.PostFormValue("code")); err != nil {
		return q.twoFactorFailed(err)
	}
	return q.redirect("/profile/2fa?saved=off")
}

func (q *request) regenerateRecoveryCodes() error {
	rc, err := q.p.app.RegenerateRecoveryCodes(q.ctx, q.actor, q.r.PostFormValue("code"))
	if err != nil {
		return q.twoFactorFailed(err)
	}
	return q.renderTwoFactor(http.StatusOK, &twoFactorPageData{RecoveryCodes: rc.Codes})
}

// resetTwoFactor is the user page's "Reset 2FA" button (users.manage_2fa).
func (q *request) resetTwoFactor() error {
	id := q.r.PathValue("id")
	if err := q.p.app.ResetTwoFactor(q.ctx, q.actor, id); err != nil {
		return err
	}
	return q.redirect("/users/" + id + "?saved=2fa")
}
