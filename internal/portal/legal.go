package portal

import (
	"net/http"
	"net/url"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// legalRoutes are the acceptance page every user meets while the account has terms of service or a
// privacy policy they have not accepted, and the settings page where the account sets them.
func (p *Portal) legalRoutes() []route {
	return []route{
		{pattern: "GET /legal/accept", handle: (*request).legalAcceptPage},
		{pattern: "POST /legal/accept", handle: (*request).legalAccept},
		{pattern: "GET /settings/legal", handle: (*request).legalSettingsPage},
		{pattern: "POST /settings/legal", handle: (*request).legalSaveSettings},
	}
}

// legalOpenPages are the pages a user who has not accepted the current documents may still open: the
// acceptance page and, because the 2FA gate runs first, 2FA enrolment (signing out is public).
var legalOpenPages = map[string]bool{"GET /legal/accept": true, "POST /legal/accept": true}

// holdForLegal sends a signed-in user who has not accepted the account's current terms of service and
// privacy policy to the acceptance page, from every page but that one and 2FA enrolment; it reports
// whether it answered. The portal's request wrapper calls it after the allow list and the 2FA gate.
func (q *request) holdForLegal(pattern string) bool {
	if q.actor == nil || legalOpenPages[pattern] || twoFactorOpenPages[pattern] {
		return false
	}
	target := "/legal/accept"
	if q.r.Method == http.MethodGet && q.r.URL.Path != "/" {
		target += "?next=" + url.QueryEscape(q.r.URL.RequestURI())
	}
	return q.holdBack(q.p.app.LegalGate(q.ctx, q.actor), target)
}

// legalAcceptData is the acceptance page.
type legalAcceptData struct {
	Legal *app.Legal
	Next  string
}

func (q *request) legalAcceptPage() error {
	l, err := q.p.app.GetLegal(q.ctx, q.actor)
	if err != nil {
		return err
	}
	q.crumb(q.p.locales.text(q.lang, "legal.accept.title"), "")
	return q.render(http.StatusOK, "legal/accept", legalAcceptData{Legal: l, Next: safeNext(q.r.URL.Query().Get("next"))})
}

func (q *request) legalAccept() error {
	if _, err := q.p.app.AcceptLegal(q.ctx, q.actor); err != nil {
		return err
	}
	return q.redirect(safeNext(q.r.PostFormValue("next")))
}

// legalSettingsData is the settings page: the documents as stored or as posted after a refusal.
type legalSettingsData struct {
	adminForm
	Terms, Privacy portico.LegalDocument
	Saved          bool
}

func (q *request) legalSettingsPage() error {
	if !q.can(portico.PermLegalManage) {
		// Reading the documents is open to everyone; this page is for those who set them.
		return portico.Errorf(portico.KindForbidden, "you do not have the permission legal.manage")
	}
	l, err := q.p.app.GetLegal(q.ctx, q.actor)
	if err != nil {
		return err
	}
	return q.legalRenderSettings(http.StatusOK, &legalSettingsData{adminForm: adminForm{Errors: map[string]string{}},
		Terms: l.Terms, Privacy: l.Privacy, Saved: q.r.URL.Query().Get("saved") == "1"})
}

func (q *request) legalRenderSettings(status int, d *legalSettingsData) error {
	q.active = "settings"
	q.crumb(q.p.locales.text(q.lang, "menu.settings"), "/settings")
	q.crumb(q.p.locales.text(q.lang, "legal.settings.title"), "")
	return q.render(status, "legal/settings", d)
}

func (q *request) legalSaveSettings() error {
	doc := func(prefix string) portico.LegalDocument {
		return portico.LegalDocument{Version: q.r.PostFormValue(prefix + ".version"), Text: q.r.PostFormValue(prefix + ".text"),
			URL: q.r.PostFormValue(prefix + ".url")}
	}
	in := app.LegalUpdate{Terms: doc("terms"), Privacy: doc("privacy")}
	if _, err := q.p.app.SetLegal(q.ctx, q.actor, in); err != nil {
		form, err := adminFormError(err)
		if err != nil {
			return err
		}
		return q.legalRenderSettings(http.StatusUnprocessableEntity, &legalSettingsData{adminForm: form, Terms: in.Terms, Privacy: in.Privacy})
	}
	return q.redirect("/settings/legal?saved=1")
}
