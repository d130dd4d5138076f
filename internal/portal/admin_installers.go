package portal

import (
	"net/http"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// adminInstallersPage is the enrollment tokens page.
type adminInstallersPage struct {
	adminForm
	Tokens []adminToken
	// Groups are the device groups a token may be bound to; AccountWide is whether the user may make
	// an account-wide token.
	Groups      []adminGroupOption
	AccountWide bool
	GroupID     string
	// GroupAssignment is the account's installer group assignment setting.
	GroupAssignment bool
	// KnowsSettings is false when the user may not read the account settings.
	KnowsSettings bool
	CanSettings   bool
	// New is set once, right after creating a token: the secret and the commands that use it.
	New *adminNewToken
}

// adminToken is one row of the tokens table.
type adminToken struct {
	portico.EnrollmentToken
	GroupName     string
	CreatedByName string
}

// adminNewToken is a token just created, with its secret shown once.
type adminNewToken struct {
	Secret    string
	GroupID   string
	GroupName string
	Server    string
}

func (q *request) installersPage() error {
	return q.renderInstallers(http.StatusOK, &adminInstallersPage{adminForm: adminForm{Errors: map[string]string{}}})
}

func (q *request) renderInstallers(status int, pg *adminInstallersPage) error {
	q.active = "installers"
	q.crumb(q.p.locales.text(q.lang, "menu.installers"), "")
	tokens, err := q.p.app.ListEnrollmentTokens(q.ctx, q.actor)
	if err != nil {
		return err
	}
	groups, err := q.adminGroupTree()
	if err != nil {
		return err
	}
	names := adminGroupNames(groups)
	users, err := q.adminUserNames()
	if err != nil {
		return err
	}
	for _, t := range tokens {
		row := adminToken{EnrollmentToken: t, GroupName: names[t.GroupID], CreatedByName: users[t.CreatedBy]}
		if row.CreatedByName == "" {
			row.CreatedByName = t.CreatedBy
		}
		pg.Tokens = append(pg.Tokens, row)
	}
	if pg.New != nil {
		pg.New.GroupName = names[pg.New.GroupID]
	}
	pg.AccountWide = q.can(portico.PermInstallersAccess)
	for _, g := range groups {
		if pg.AccountWide || q.canOn(portico.PermInstallersAccess, authz.Group(g.ID)) {
			pg.Groups = append(pg.Groups, g)
		}
	}
	if q.can(portico.PermAccountView) {
		pg.GroupAssignment, pg.KnowsSettings = q.me.Account.Settings.InstallerGroupAssignment, true
	}
	pg.CanSettings = q.can(portico.PermAccountManage)
	if len(pg.Tokens) == 0 && !pg.AccountWide && len(pg.Groups) == 0 {
		return portico.Errorf(portico.KindForbidden, "installers need the installers.access permission")
	}
	return q.render(status, "admin/installers", pg)
}

func (q *request) createToken() error {
	groupID := q.r.PostFormValue("group_id")
	_, secret, err := q.p.app.CreateEnrollmentToken(q.ctx, q.actor, groupID)
	pg := &adminInstallersPage{adminForm: adminForm{Errors: map[string]string{}}, GroupID: groupID}
	if err != nil {
		fe, err := adminFormError(err)
		if err != nil {
			return err
		}
		pg.adminForm = fe
		return q.renderInstallers(http.StatusUnprocessableEntity, pg)
	}
	// The secret is shown on this answer alone; only its hash is stored.
	pg.New = &adminNewToken{Secret: secret, GroupID: groupID, Server: strings.TrimRight(q.p.app.BaseURL, "/")}
	pg.GroupID = ""
	return q.renderInstallers(http.StatusOK, pg)
}

func (q *request) revokeToken() error {
	if err := q.p.app.RevokeEnrollmentToken(q.ctx, q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	return q.redirect("/installers")
}
