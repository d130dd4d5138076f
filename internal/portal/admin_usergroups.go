package portal

import (
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminUserGroupsPage lists the user groups, with the create form.
type adminUserGroupsPage struct {
	Groups []portico.UserGroup
	Form   adminUserGroupForm
}

// adminUserGroupForm is the name and description form of a user group.
type adminUserGroupForm struct {
	adminForm
	Name        string
	Description string
	Open        bool
}

func (q *request) userGroupsPage() error {
	return q.renderUserGroups(http.StatusOK, adminUserGroupForm{adminForm: adminForm{Errors: map[string]string{}}})
}

func (q *request) renderUserGroups(status int, form adminUserGroupForm) error {
	q.active = "user-groups"
	q.crumb(q.p.locales.text(q.lang, "menu.user_groups"), "")
	groups, err := q.p.app.ListUserGroups(q.ctx, q.actor)
	if err != nil {
		return err
	}
	sort.Slice(groups, func(i, j int) bool { return strings.ToLower(groups[i].Name) < strings.ToLower(groups[j].Name) })
	return q.render(status, "admin/user-groups", adminUserGroupsPage{Groups: groups, Form: form})
}

func (q *request) createUserGroup() error {
	form := adminUserGroupForm{Name: q.r.PostFormValue("name"), Description: q.r.PostFormValue("description"),
		adminForm: adminForm{Errors: map[string]string{}}, Open: true}
	g, err := q.p.app.CreateUserGroup(q.ctx, q.actor, app.UserGroupInput{Name: &form.Name, Description: &form.Description})
	if err != nil {
		fe, err := adminFormError(err)
		if err != nil {
			return err
		}
		form.adminForm = fe
		return q.renderUserGroups(http.StatusUnprocessableEntity, form)
	}
	return q.redirect("/user-groups/" + url.PathEscape(g.ID))
}

// adminUserGroupPage is one user group: its details and members.
type adminUserGroupPage struct {
	Group   *portico.UserGroup
	Form    adminUserGroupForm
	Members []portico.User
	// Others are the users not in the group, offered to add (when the user may list users).
	Others []portico.User
	// MemberForm holds a refusal of the member change.
	MemberForm adminForm
	Saved      bool
}

func (q *request) userGroupPage() error {
	return q.renderUserGroup(http.StatusOK, nil, adminForm{})
}

func (q *request) renderUserGroup(status int, form *adminUserGroupForm, members adminForm) error {
	g, err := q.p.app.GetUserGroup(q.ctx, q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	pg := adminUserGroupPage{Group: g, MemberForm: members, Saved: q.r.URL.Query().Get("saved") == "1"}
	if form != nil {
		pg.Form = *form
	} else {
		pg.Form = adminUserGroupForm{Name: g.Name, Description: g.Description, adminForm: adminForm{Errors: map[string]string{}}}
	}
	if q.can(portico.PermUsersView) {
		users, err := q.p.app.ListUsers(q.ctx, q.actor, portico.UserFilter{})
		if err != nil {
			return err
		}
		for _, u := range users {
			if slices.Contains(g.MemberIDs, u.ID) {
				pg.Members = append(pg.Members, u)
			} else {
				pg.Others = append(pg.Others, u)
			}
		}
	} else {
		for _, id := range g.MemberIDs {
			pg.Members = append(pg.Members, portico.User{ID: id, Name: id})
		}
	}
	q.active = "user-groups"
	q.crumb(q.p.locales.text(q.lang, "menu.user_groups"), "/user-groups")
	q.crumb(g.Name, "")
	return q.render(status, "admin/user-group", pg)
}

func (q *request) updateUserGroup() error {
	form := adminUserGroupForm{Name: q.r.PostFormValue("name"), Description: q.r.PostFormValue("description"),
		adminForm: adminForm{Errors: map[string]string{}}}
	id := q.r.PathValue("id")
	if _, err := q.p.app.UpdateUserGroup(q.ctx, q.actor, id, app.UserGroupInput{Name: &form.Name, Description: &form.Description}); err != nil {
		fe, err := adminFormError(err)
		if err != nil {
			return err
		}
		form.adminForm = fe
		return q.renderUserGroup(http.StatusUnprocessableEntity, &form, adminForm{})
	}
	return q.redirect("/user-groups/" + url.PathEscape(id) + "?saved=1")
}

// changeMembers adds the posted user_id values to the group (add) or removes them (remove).
func (q *request) changeMembers() error {
	id := q.r.PathValue("id")
	g, err := q.p.app.GetUserGroup(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	if err := q.r.ParseForm(); err != nil {
		return portico.Errorf(portico.KindInvalid, "unreadable form: %v", err)
	}
	picked := q.r.PostForm["user_id"]
	members := slices.Clone(g.MemberIDs)
	if q.r.PathValue("op") == "remove" {
		members = slices.DeleteFunc(members, func(m string) bool { return slices.Contains(picked, m) })
	} else {
		members = append(members, picked...)
	}
	if _, err := q.p.app.UpdateUserGroup(q.ctx, q.actor, id, app.UserGroupInput{MemberIDs: &members}); err != nil {
		fe, err := adminFormError(err)
		if err != nil {
			return err
		}
		if fe.Failed == "" {
			for _, m := range fe.Errors {
				fe.Failed = m
			}
		}
		return q.renderUserGroup(http.StatusUnprocessableEntity, nil, fe)
	}
	return q.redirect("/user-groups/" + url.PathEscape(id))
}

func (q *request) deleteUserGroup() error {
	if err := q.p.app.DeleteUserGroup(q.ctx, q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	return q.redirect("/user-groups")
}
