package portal

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminSettingsPage is the account settings page.
type adminSettingsPage struct {
	adminForm
	Account *portico.Account
	// Name and Settings are what the form shows: the stored values, or the posted ones after a refusal.
	Name     string
	Settings portico.AccountSettings
	// Raw keeps posted numbers that did not parse, so the field shows what was typed.
	Raw   map[string]string
	Saved bool
	// RequireMix is the password policy's letters-and-digits rule.
	RequireMix bool
	// OwnTwoFactor: the signed-in user has two-factor authentication, so requiring it holds them
	// back from nothing (without it, they are sent to set it up as soon as it is required).
	OwnTwoFactor bool
}

// ownTwoFactor reports whether the signed-in user has two-factor authentication in force.
func (q *request) ownTwoFactor() bool {
	st, err := q.p.app.GetTwoFactorStatus(q.ctx, q.actor)
	return err == nil && st.Enabled
}

func (q *request) settingsPage() error {
	q.active = "settings"
	q.crumb(q.p.locales.text(q.lang, "menu.settings"), "")
	acc, err := q.p.app.GetAccount(q.ctx, q.actor)
	if err != nil {
		return err
	}
	policy, err := q.p.app.GetPasswordPolicy(q.ctx, q.actor)
	if err != nil {
		return err
	}
	return q.render(http.StatusOK, "admin/settings", adminSettingsPage{Account: acc, Name: acc.Name,
		Settings: acc.Settings, Raw: map[string]string{}, adminForm: adminForm{Errors: map[string]string{}},
		Saved: q.r.URL.Query().Get("saved") == "1", RequireMix: policy.RequireMix, OwnTwoFactor: q.ownTwoFactor()})
}

// adminFormInt reads an integer field; a value that is not a number gets a field message in the
// user's language and keeps the typed text.
func (q *request) adminFormInt(name string, into *int, errs map[string]string, raw map[string]string) {
	s := strings.TrimSpace(q.r.PostFormValue(name))
	n, err := strconv.Atoi(s)
	if err != nil {
		errs[name] = q.p.locales.text(q.lang, "admin.not_a_number")
		raw[name] = s
		return
	}
	*into = n
}

func (q *request) saveSettings() error {
	q.active = "settings"
	q.crumb(q.p.locales.text(q.lang, "menu.settings"), "")
	acc, err := q.p.app.GetAccount(q.ctx, q.actor)
	if err != nil {
		return err
	}
	pg := adminSettingsPage{Account: acc, Name: q.r.PostFormValue("name"), Settings: acc.Settings,
		Raw: map[string]string{}, adminForm: adminForm{Errors: map[string]string{}}, OwnTwoFactor: q.ownTwoFactor()}
	s := &pg.Settings
	// Required 2FA goes through UpdateAccount, as the API's PATCH /account does; the app's
	// two-factor gate then sends everyone without it (the user saving, too) to set it up.
	s.Require2FA = q.adminChecked("require_2fa")
	q.adminFormInt("idle_timeout_minutes", &s.IdleTimeoutMinutes, pg.Errors, pg.Raw)
	q.adminFormInt("password_min_length", &s.PasswordMinLength, pg.Errors, pg.Raw)
	s.InstallerGroupAssignment = q.adminChecked("installer_group_assignment")
	s.TechnicianDisplayName = strings.TrimSpace(q.r.PostFormValue("technician_display_name"))
	pg.RequireMix = q.adminChecked("password_require_mix")
	if len(pg.Errors) > 0 {
		return q.render(http.StatusUnprocessableEntity, "admin/settings", pg)
	}
	name := pg.Name
	if _, err := q.p.app.UpdateAccount(q.ctx, q.actor, app.AccountUpdate{Name: &name, Settings: s}); err != nil {
		return q.settingsRefused(pg, err)
	}
	policy, err := q.p.app.GetPasswordPolicy(q.ctx, q.actor)
	if err != nil {
		return err
	}
	if policy.RequireMix != pg.RequireMix {
		if _, err := q.p.app.SetPasswordPolicy(q.ctx, q.actor, app.PasswordPolicy{MinLength: s.PasswordMinLength,
			RequireMix: pg.RequireMix}); err != nil {
			return q.settingsRefused(pg, err)
		}
	}
	return q.redirect("/settings?saved=1")
}

// settingsRefused shows a refused save on the settings form, with its field messages.
func (q *request) settingsRefused(pg adminSettingsPage, err error) error {
	form, err := adminFormError(err)
	if err != nil {
		return err
	}
	// The app may name the settings' fields with a "settings." prefix; the form's inputs have none.
	for k, v := range form.Errors {
		if short, ok := strings.CutPrefix(k, "settings."); ok {
			delete(form.Errors, k)
			form.Errors[short] = v
		}
	}
	pg.adminForm = form
	return q.render(http.StatusUnprocessableEntity, "admin/settings", pg)
}

// adminBillingPage shows the licence figures and, to billing managers, the limits to edit.
type adminBillingPage struct {
	adminForm
	Licences *app.Licences
	// ManagedLimit and SeatLimit are the form's values.
	ManagedLimit int
	SeatLimit    int
	Raw          map[string]string
	// CanEdit: changing the plan limits needs billing.manage.
	CanEdit bool
	Saved   bool
}

func (q *request) billingPage() error {
	return q.renderBilling(http.StatusOK, nil)
}

func (q *request) renderBilling(status int, pg *adminBillingPage) error {
	q.active = "billing"
	q.crumb(q.p.locales.text(q.lang, "menu.billing"), "")
	l, err := q.p.app.GetLicences(q.ctx, q.actor)
	if err != nil {
		return err
	}
	if pg == nil {
		pg = &adminBillingPage{ManagedLimit: l.ManagedLimit, SeatLimit: l.SeatsLimit, Raw: map[string]string{},
			adminForm: adminForm{Errors: map[string]string{}}, Saved: q.r.URL.Query().Get("saved") == "1"}
	}
	pg.Licences = l
	pg.CanEdit = q.can(portico.PermBillingManage)
	return q.render(status, "admin/billing", pg)
}

func (q *request) saveBilling() error {
	pg := &adminBillingPage{Raw: map[string]string{}, adminForm: adminForm{Errors: map[string]string{}}}
	q.adminFormInt("managed_licences", &pg.ManagedLimit, pg.Errors, pg.Raw)
	q.adminFormInt("seat_limit", &pg.SeatLimit, pg.Errors, pg.Raw)
	if len(pg.Errors) > 0 {
		return q.renderBilling(http.StatusUnprocessableEntity, pg)
	}
	// The current settings come from the signed-in user's account (GetMe), so that a billing
	// manager needs no account.view to change the limits alone.
	s := q.me.Account.Settings
	s.ManagedLicences, s.SeatLimit = pg.ManagedLimit, pg.SeatLimit
	if _, err := q.p.app.UpdateAccount(q.ctx, q.actor, app.AccountUpdate{Settings: &s}); err != nil {
		form, err := adminFormError(err)
		if err != nil {
			return err
		}
		// The app names the settings' fields with a "settings." prefix.
		for k, v := range form.Errors {
			form.Errors[strings.TrimPrefix(k, "settings.")] = v
		}
		pg.adminForm = form
		return q.renderBilling(http.StatusUnprocessableEntity, pg)
	}
	return q.redirect("/billing?saved=1")
}
