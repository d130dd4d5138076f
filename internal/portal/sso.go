package portal

import (
	"errors"
	"net/http"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// SAML single sign-on in the portal.
//
// The service provider's endpoints are public pages: /saml/{account}/metadata (for the IdP),
// /saml/{account}/login (starts a sign-in; the settings page shows it, so a company can link to it)
// and /saml/{account}/acs, where the IdP's auto-submitting form posts the answer from the IdP's
// origin — that one POST is exempt from the cross-origin check (see New), its proof is the IdP's
// signature and the request id the app tracks.
//
// The sign-in page carries a small "Continue with SSO" form that asks for the email only: the
// email's user names the account, and a user of an account with SSO on is sent to its IdP.
// A company whose IdP may create new users gives them the login URL instead (they have no user yet).

func (p *Portal) ssoRoutes() []route {
	return []route{
		{pattern: "GET /saml/{account}/metadata", public: true, handle: (*request).ssoMetadata},
		{pattern: "GET /saml/{account}/login", public: true, handle: (*request).ssoLogin},
		{pattern: "POST /saml/{account}/acs", public: true, handle: (*request).ssoACS},
		{pattern: "POST /sign-in/sso", public: true, handle: (*request).ssoContinue},
		{pattern: "GET /settings/sso", handle: (*request).ssoSettingsPage},
		{pattern: "POST /settings/sso", handle: (*request).ssoSaveSettings},
	}
}

func (q *request) ssoMetadata() error {
	md, err := q.p.app.SSOMetadata(q.ctx, q.r.PathValue("account"))
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "application/samlmetadata+xml")
	_, err = q.w.Write(md)
	return err
}

func (q *request) ssoLogin() error {
	target, err := q.p.app.StartSSO(q.ctx, q.r.PathValue("account"))
	if err != nil {
		return err
	}
	// The IdP is another site: q.redirect is for this one.
	http.Redirect(q.w, q.r, target, http.StatusSeeOther)
	return nil
}

// ssoFailedPage explains a refused SSO sign-in.
type ssoFailedPage struct {
	Message string
	Login   string
}

func (q *request) ssoACS() error {
	account := q.r.PathValue("account")
	secret, _, err := q.p.app.FinishSSO(q.ctx, account, q.r, clientIP(q.r))
	if err != nil {
		if portico.KindOf(err) != portico.KindUnauthenticated {
			return err
		}
		var pe *portico.Error
		msg := err.Error()
		if errors.As(err, &pe) {
			msg = pe.Message
		}
		return q.render(http.StatusUnauthorized, "sso/failed", ssoFailedPage{Message: msg, Login: "/saml/" + account + "/login"})
	}
	q.setSessionCookie(secret)
	return q.redirect("/")
}

// ssoContinue sends the browser to the IdP of the email's account, or back to the sign-in page.
func (q *request) ssoContinue() error {
	email := strings.TrimSpace(q.r.PostFormValue("email"))
	account, err := q.p.app.SSOAccountForEmail(q.ctx, email)
	if err != nil {
		return err
	}
	if account == "" {
		return q.render(http.StatusOK, "core/sign-in", signInForm{Email: email, Error: "sso.unavailable"})
	}
	return q.redirect("/saml/" + account + "/login")
}

// ssoSettingsView is the settings page's data.
type ssoSettingsView struct {
	adminForm
	Settings *app.SSOSettings
	Form     app.SSOInput
	Saved    bool
}

func (q *request) ssoSettingsPage() error {
	s, err := q.p.app.GetSSO(q.ctx, q.actor)
	if err != nil {
		return err
	}
	return q.ssoRender(http.StatusOK, &ssoSettingsView{Settings: s, Saved: q.r.URL.Query().Get("saved") == "1",
		Form: app.SSOInput{Enabled: s.Enabled, IdPMetadataURL: s.IdPMetadataURL, IdPMetadataXML: s.IdPMetadataXML,
			EmailAttribute: s.EmailAttribute, Enforce: s.Enforce, CreateUsers: s.CreateUsers}})
}

func (q *request) ssoRender(status int, v *ssoSettingsView) error {
	q.active = "settings"
	q.crumb(q.p.locales.text(q.lang, "menu.settings"), "/settings")
	q.crumb(q.p.locales.text(q.lang, "sso.title"), "")
	return q.render(status, "sso/settings", v)
}

func (q *request) ssoSaveSettings() error {
	on := func(name string) bool { return q.r.PostFormValue(name) != "" }
	in := app.SSOInput{Enabled: on("enabled"), IdPMetadataURL: strings.TrimSpace(q.r.PostFormValue("idp_metadata_url")),
		IdPMetadataXML: strings.TrimSpace(q.r.PostFormValue("idp_metadata_xml")),
		EmailAttribute: strings.TrimSpace(q.r.PostFormValue("email_attribute")), Enforce: on("enforce"), CreateUsers: on("create_users")}
	_, err := q.p.app.PutSSO(q.ctx, q.actor, in)
	if err == nil {
		return q.redirect("/settings/sso?saved=1")
	}
	form, ferr := adminFormError(err)
	if ferr != nil {
		return ferr
	}
	s, err := q.p.app.GetSSO(q.ctx, q.actor)
	if err != nil {
		return err
	}
	return q.ssoRender(http.StatusUnprocessableEntity, &ssoSettingsView{adminForm: form, Settings: s, Form: in})
}
