package portal

import (
	"net/http"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminProfilePage is the signed-in user's own profile: name, language, theme and password.
type adminProfilePage struct {
	adminForm
	User      *portico.User
	Name      string
	Language  string
	Theme     string
	Languages []languageOption
	// PasswordForm holds the password form's own messages.
	PasswordForm adminForm
	Saved        string
}

func (q *request) newProfilePage() *adminProfilePage {
	u := q.me.User
	return &adminProfilePage{User: u, Name: u.Name, Language: u.Language, Theme: u.Theme,
		Languages: q.p.locales.options(), adminForm: adminForm{Errors: map[string]string{}},
		PasswordForm: adminForm{Errors: map[string]string{}}}
}

func (q *request) profilePage() error {
	q.active = "profile"
	q.crumb(q.p.locales.text(q.lang, "admin.profile.title"), "")
	pg := q.newProfilePage()
	pg.Saved = q.r.URL.Query().Get("saved")
	return q.render(http.StatusOK, "admin/profile", pg)
}

func (q *request) saveProfile() error {
	q.active = "profile"
	q.crumb(q.p.locales.text(q.lang, "admin.profile.title"), "")
	pg := q.newProfilePage()
	pg.Name, pg.Language, pg.Theme = q.r.PostFormValue("name"), q.r.PostFormValue("language"), q.r.PostFormValue("theme")
	up := app.UserUpdate{Name: &pg.Name, Language: &pg.Language, Theme: &pg.Theme}
	if _, err := q.p.app.UpdateUser(q.ctx, q.actor, q.actor.UserID, up); err != nil {
		form, err := adminFormError(err)
		if err != nil {
			return err
		}
		pg.adminForm = form
		return q.render(http.StatusUnprocessableEntity, "admin/profile", pg)
	}
	return q.redirect("/profile?saved=profile")
}

func (q *request) changePassword() error {
	q.active = "profile"
	q.crumb(q.p.locales.text(q.lang, "admin.profile.title"), "")
	pg := q.newProfilePage()
	pw, again, current := q.r.PostFormValue("password"), q.r.PostFormValue("password_again"), q.r.PostFormValue("current_password")
	if pw != again {
		pg.PasswordForm.Errors["password_again"] = q.p.locales.text(q.lang, "admin.password_mismatch")
		return q.render(http.StatusUnprocessableEntity, "admin/profile", pg)
	}
	if _, err := q.p.app.UpdateUser(q.ctx, q.actor, q.actor.UserID, app.UserUpdate{Password: &pw, CurrentPassword: &current}); err != nil {
		form, err := adminFormError(err)
		if err != nil {
			return err
		}
		pg.PasswordForm = form
		return q.render(http.StatusUnprocessableEntity, "admin/profile", pg)
	}
	return q.redirect("/profile?saved=password")
}
