package portal

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminUsersPage is the user list with its filters and the create form.
type adminUsersPage struct {
	Users  []portico.User
	State  string
	Status string
	Query  string
	// Create is the create form, open after a refused post.
	Create adminUserForm
	// Invited is set once, right after an invitation: the link to hand over.
	Invited *app.CreatedUser
	Created *portico.User
	// ExportQuery is the filters as a query string, for the export links.
	ExportQuery string
}

// adminUserForm is the create-user form.
type adminUserForm struct {
	adminForm
	Email    string
	Name     string
	Language string
	Open     bool
}

// adminUserFilter reads the list's filters from the query string.
func (q *request) adminUserFilter() (portico.UserFilter, *adminUsersPage) {
	v := q.r.URL.Query()
	pg := &adminUsersPage{State: v.Get("state"), Status: v.Get("status"), Query: strings.TrimSpace(v.Get("q")),
		Create: adminUserForm{adminForm: adminForm{Errors: map[string]string{}}, Language: q.lang}}
	f := portico.UserFilter{Query: pg.Query}
	switch pg.State {
	case string(portico.StateInvited), string(portico.StateActivated):
		f.State = portico.UserState(pg.State)
	default:
		pg.State = ""
	}
	switch pg.Status {
	case string(portico.StatusActive), string(portico.StatusDisabled):
		f.Status = portico.UserStatus(pg.Status)
	default:
		pg.Status = ""
	}
	ev := url.Values{}
	for k, val := range map[string]string{"state": pg.State, "status": pg.Status, "q": pg.Query} {
		if val != "" {
			ev.Set(k, val)
		}
	}
	pg.ExportQuery = ev.Encode()
	return f, pg
}

func (q *request) usersPage() error {
	f, pg := q.adminUserFilter()
	if format := q.r.URL.Query().Get("format"); format != "" {
		return q.exportUsers(f, format)
	}
	return q.renderUsers(http.StatusOK, f, pg)
}

func (q *request) renderUsers(status int, f portico.UserFilter, pg *adminUsersPage) error {
	q.active = "users"
	q.crumb(q.p.locales.text(q.lang, "menu.users"), "")
	users, err := q.p.app.ListUsers(q.ctx, q.actor, f)
	if err != nil {
		return err
	}
	pg.Users = users
	return q.render(status, "admin/users", pg)
}

func (q *request) createUser() error {
	f, pg := q.adminUserFilter()
	form := &pg.Create
	form.Email, form.Name = strings.TrimSpace(q.r.PostFormValue("email")), q.r.PostFormValue("name")
	form.Language = q.r.PostFormValue("language")
	password := ""
	if q.r.PostFormValue("mode") == "password" {
		password = q.r.PostFormValue("password")
		if password == "" {
			form.Errors["password"] = q.p.locales.text(q.lang, "admin.users.password_required")
		}
	}
	if len(form.Errors) == 0 {
		created, err := q.p.app.CreateUser(q.ctx, q.actor, app.NewUser{Email: form.Email, Name: form.Name,
			Password: password, Language: form.Language})
		if err == nil {
			// The invitation link is shown on this answer alone: it is a secret and is not stored.
			if created.InvitationLink != "" {
				pg.Invited = created
			} else {
				pg.Created = created.User
			}
			pg.Create = adminUserForm{adminForm: adminForm{Errors: map[string]string{}}, Language: q.lang}
			return q.renderUsers(http.StatusOK, f, pg)
		}
		fe, err := adminFormError(err)
		if err != nil {
			return err
		}
		form.adminForm = fe
	}
	form.Open = true
	return q.renderUsers(http.StatusUnprocessableEntity, f, pg)
}

// adminUserPage is one user's page.
type adminUserPage struct {
	adminForm
	User      *portico.User
	Name      string
	Language  string
	Languages []languageOption
	Groups    []portico.UserGroup
	Self      bool
	Saved     bool
	// Invitation is an invited user's pending invitation (for its expiry); nil when none is valid.
	Invitation *portico.Invitation
	// Resent is set once, right after a resend: the new link and whether its email went.
	Resent  *app.CreatedUser
	Revoked bool
	// TwoFactor is whether the user has two-factor authentication on (shown to holders of
	// users.manage_2fa, with the reset button).
	TwoFactor bool
}

func (q *request) userPage() error {
	return q.renderUser(http.StatusOK, nil)
}

func (q *request) renderUser(status int, pg *adminUserPage) error {
	id := q.r.PathValue("id")
	u, err := q.p.app.GetUser(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	if pg == nil {
		pg = &adminUserPage{Name: u.Name, Language: u.Language, adminForm: adminForm{Errors: map[string]string{}},
			Saved: q.r.URL.Query().Get("saved") == "1"}
	}
	pg.User, pg.Languages, pg.Self = u, q.p.locales.options(), u.ID == q.actor.UserID
	if u.State == portico.StateInvited && q.can(portico.PermUsersView) {
		inv, err := q.p.app.GetInvitation(q.ctx, q.actor, u.ID)
		if err != nil && !portico.IsKind(err, portico.KindNotFound) {
			return err
		}
		pg.Invitation = inv
		pg.Revoked = pg.Revoked || q.r.URL.Query().Get("revoked") == "1"
	}
	if q.can(portico.PermUsersManage2FA) && u.State == portico.StateActivated {
		has, err := q.p.app.UserHasTwoFactor(q.ctx, q.actor, u.ID)
		if err != nil {
			return err
		}
		pg.TwoFactor = has
	}
	if q.can(portico.PermUserGroupsView) {
		groups, err := q.p.app.ListUserGroups(q.ctx, q.actor)
		if err != nil {
			return err
		}
		for _, g := range groups {
			for _, m := range g.MemberIDs {
				if m == u.ID {
					pg.Groups = append(pg.Groups, g)
				}
			}
		}
	}
	q.active = "users"
	q.crumb(q.p.locales.text(q.lang, "menu.users"), "/users")
	q.crumb(u.Name, "")
	return q.render(status, "admin/user", pg)
}

func (q *request) updateUser() error {
	// The invited user's Resend and Revoke buttons post here too, naming their action.
	switch q.r.PostFormValue("invitation") {
	case "resend":
		return q.resendInvitation()
	case "revoke":
		return q.revokeInvitation()
	}
	pg := &adminUserPage{Name: q.r.PostFormValue("name"), Language: q.r.PostFormValue("language"),
		adminForm: adminForm{Errors: map[string]string{}}}
	id := q.r.PathValue("id")
	if _, err := q.p.app.UpdateUser(q.ctx, q.actor, id, app.UserUpdate{Name: &pg.Name, Language: &pg.Language}); err != nil {
		fe, err := adminFormError(err)
		if err != nil {
			return err
		}
		pg.adminForm = fe
		return q.renderUser(http.StatusUnprocessableEntity, pg)
	}
	return q.redirect("/users/" + url.PathEscape(id) + "?saved=1")
}

// adminSetUserEnabled answers the disable and enable buttons.
func adminSetUserEnabled(enabled bool) func(*request) error {
	return func(q *request) error {
		id := q.r.PathValue("id")
		if _, err := q.p.app.SetUserEnabled(q.ctx, q.actor, id, enabled); err != nil {
			// A refusal such as the seat limit is shown on the user's page, in place.
			return q.userPageRefusal(id, err)
		}
		return q.redirect("/users/" + url.PathEscape(id))
	}
}

func (q *request) deleteUser() error {
	if err := q.p.app.DeleteUser(q.ctx, q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	return q.redirect("/users")
}

// resendInvitation answers the Resend button: a new link (shown once, like at invitation), emailed again.
func (q *request) resendInvitation() error {
	id := q.r.PathValue("id")
	resent, err := q.p.app.ResendInvitation(q.ctx, q.actor, id)
	if err != nil {
		return q.userPageRefusal(id, err)
	}
	return q.renderUser(http.StatusOK, &adminUserPage{Name: resent.User.Name, Language: resent.User.Language,
		adminForm: adminForm{Errors: map[string]string{}}, Resent: resent})
}

// revokeInvitation answers the Revoke button: the link stops working; the invited user stays.
func (q *request) revokeInvitation() error {
	id := q.r.PathValue("id")
	if err := q.p.app.RevokeInvitation(q.ctx, q.actor, id); err != nil {
		return q.userPageRefusal(id, err)
	}
	return q.redirect("/users/" + url.PathEscape(id) + "?revoked=1")
}

// userPageRefusal shows a refusal (the seat limit, a user who registered meanwhile) on the user's
// page.
func (q *request) userPageRefusal(id string, err error) error {
	fe, err := adminFormError(err)
	if err != nil {
		return err
	}
	u, gerr := q.p.app.GetUser(q.ctx, q.actor, id)
	if gerr != nil {
		return gerr
	}
	return q.renderUser(http.StatusConflict, &adminUserPage{Name: u.Name, Language: u.Language, adminForm: fe})
}
