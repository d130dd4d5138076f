package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminPurposes are the role purposes in the order the new-role picker offers them.
var adminPurposes = []portico.Purpose{portico.PurposeDevices, portico.PurposeOnDemand,
	portico.PurposeAdministration, portico.PurposeGeneral}

// adminRolesPage is the role manager: the roles on the left, the selected role (or a new one) on
// the right with its permissions by category or its assignments.
type adminRolesPage struct {
	adminForm
	Roles    []portico.Role
	Selected *portico.Role
	// New is set while creating a role; Purpose is then the chosen purpose ("" while choosing).
	New      bool
	Purpose  portico.Purpose
	Purposes []portico.Purpose
	Tab      string
	Name     string
	Desc     string
	// Categories are the permissions the role's purpose allows, grouped for display.
	Categories []adminPermCategory
	// Missing are the prerequisites the posted permissions lacked; they are ticked on the re-render.
	Missing []portico.Permission
	// ReadOnly is set for system roles and for users who may not manage roles.
	ReadOnly    bool
	Assignments []adminAssignmentRow
	// Principals are the users and user groups an assignment can name (when the user may list them).
	Principals []adminPrincipal
	Saved      bool
}

// adminPermCategory is one category of the catalogue.
type adminPermCategory struct {
	Category portico.Category
	Perms    []adminPerm
}

// adminPerm is one permission's checkbox.
type adminPerm struct {
	ID          portico.Permission
	AccountOnly bool
	OnDemand    bool
	Checked     bool
	// Added marks a prerequisite ticked for the user after a refusal.
	Added         bool
	Prerequisites []portico.Permission
	Implies       []portico.Permission
}

// adminAssignmentRow is one place the role is assigned.
type adminAssignmentRow struct {
	portico.Assignment
	// ScopeName is the group's or device's name (empty for the account, the section key for sections).
	ScopeName     string
	PrincipalName string
}

// adminPrincipal is a user or user group offered to an assignment.
type adminPrincipal struct {
	Value string // "user:ID" or "user_group:ID"
	Label string
	Group bool
}

// adminCategories builds the permission checkboxes of a purpose, ticking checked and marking added.
func adminCategories(purpose portico.Purpose, checked portico.PermissionSet, added []portico.Permission) []adminPermCategory {
	allowed, ok := portico.PurposePermissions(purpose)
	if !ok {
		return nil
	}
	var out []adminPermCategory
	for _, info := range portico.Catalogue() {
		if !allowed.Has(info.ID) {
			continue
		}
		if len(out) == 0 || out[len(out)-1].Category != info.Category {
			out = append(out, adminPermCategory{Category: info.Category})
		}
		c := &out[len(out)-1]
		c.Perms = append(c.Perms, adminPerm{ID: info.ID, AccountOnly: info.Scope == portico.ScopeAccountOnly,
			OnDemand: info.Scope == portico.ScopeOnDemand, Checked: checked.Has(info.ID),
			Added: slices.Contains(added, info.ID), Prerequisites: info.Prerequisites, Implies: info.Implies})
	}
	return out
}

// adminPostedPermissions reads the ticked permissions: the list to save, in order and without
// repeats, and the set of those the catalogue knows. An id the catalogue does not know stays in the
// list, so that the app refuses the role and says which; it is never dropped in silence.
func (q *request) adminPostedPermissions() ([]portico.Permission, portico.PermissionSet) {
	_ = q.r.ParseForm()
	var list []portico.Permission
	var set portico.PermissionSet
	seen := map[portico.Permission]bool{}
	for _, v := range q.r.PostForm["perm"] {
		p := portico.Permission(v)
		if seen[p] {
			continue
		}
		seen[p] = true
		list = append(list, p)
		if _, ok := portico.LookupPermission(p); ok {
			set = set.With(p)
		}
	}
	return list, set
}

// adminAllMissing follows prerequisites to their end: adding one may need another.
func adminAllMissing(set portico.PermissionSet) []portico.Permission {
	var all []portico.Permission
	for {
		missing := set.MissingPrerequisites()
		if len(missing) == 0 {
			return all
		}
		for _, m := range missing {
			set = set.With(m)
			all = append(all, m)
		}
	}
}

func (q *request) rolesBase(pg *adminRolesPage) error {
	roles, err := q.p.app.ListRoles(q.ctx, q.actor)
	if err != nil {
		return err
	}
	pg.Roles, pg.Purposes = roles, adminPurposes
	if pg.Errors == nil {
		pg.Errors = map[string]string{}
	}
	q.active = "roles"
	q.crumb(q.p.locales.text(q.lang, "menu.roles"), "/roles")
	return nil
}

func (q *request) rolesPage() error {
	pg := &adminRolesPage{}
	if err := q.rolesBase(pg); err != nil {
		return err
	}
	return q.render(http.StatusOK, "admin/roles", pg)
}

func (q *request) newRolePage() error {
	pg := &adminRolesPage{New: true, ReadOnly: !q.can(portico.PermRolesManage)}
	if err := q.rolesBase(pg); err != nil {
		return err
	}
	if pg.ReadOnly {
		return portico.Errorf(portico.KindForbidden, "creating roles needs the roles.manage permission")
	}
	if p := portico.Purpose(q.r.URL.Query().Get("purpose")); slices.Contains(adminPurposes, p) {
		pg.Purpose = p
		pg.Categories = adminCategories(p, portico.PermissionSet{}, nil)
	}
	q.crumb(q.p.locales.text(q.lang, "admin.roles.new"), "")
	return q.render(http.StatusOK, "admin/roles", pg)
}

func (q *request) createRole() error {
	pg := &adminRolesPage{New: true, Name: q.r.PostFormValue("name"), Desc: q.r.PostFormValue("description"),
		Purpose: portico.Purpose(q.r.PostFormValue("purpose"))}
	perms, set := q.adminPostedPermissions()
	if q.r.PostFormValue("add_prerequisites") != "" {
		for _, m := range adminAllMissing(set) {
			perms, set = append(perms, m), set.With(m)
		}
	}
	r, err := q.p.app.CreateRole(q.ctx, q.actor, app.RoleInput{Name: &pg.Name, Description: &pg.Desc,
		Purpose: &pg.Purpose, Permissions: &perms})
	if err == nil {
		return q.redirect("/roles/" + url.PathEscape(r.ID) + "?saved=1")
	}
	return q.roleRefused(pg, err, set)
}

// roleRefused re-renders the role form after the app refused it: field messages, and the missing
// prerequisites ticked so that saving again adds them.
func (q *request) roleRefused(pg *adminRolesPage, err error, set portico.PermissionSet) error {
	fe, err := adminFormError(err)
	if err != nil {
		return err
	}
	if err := q.rolesBase(pg); err != nil {
		return err
	}
	pg.adminForm = fe
	pg.Missing = adminAllMissing(set)
	for _, m := range pg.Missing {
		set = set.With(m)
	}
	purpose := pg.Purpose
	if pg.Selected != nil {
		purpose = pg.Selected.Purpose
	}
	if !slices.Contains(adminPurposes, purpose) {
		pg.Purpose = ""
	}
	pg.Categories = adminCategories(purpose, set, pg.Missing)
	pg.Tab = "permissions"
	if pg.Selected != nil {
		q.crumb(pg.Selected.Name, "")
	} else {
		q.crumb(q.p.locales.text(q.lang, "admin.roles.new"), "")
	}
	return q.render(http.StatusUnprocessableEntity, "admin/roles", pg)
}

func (q *request) rolePage() error {
	r, err := q.p.app.GetRole(q.ctx, q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	pg := &adminRolesPage{Selected: r, Name: r.Name, Desc: r.Description, Tab: q.r.URL.Query().Get("tab"),
		ReadOnly: r.System || !q.can(portico.PermRolesManage), Saved: q.r.URL.Query().Get("saved") == "1"}
	if err := q.rolesBase(pg); err != nil {
		return err
	}
	pg.Categories = adminCategories(r.Purpose, r.PermissionSet(), nil)
	if err := q.roleAssignments(pg); err != nil {
		return err
	}
	if strings.HasSuffix(q.r.URL.Path, "/assign") {
		pg.Tab = "assignments"
	}
	if pg.Tab != "assignments" {
		pg.Tab = "permissions"
	}
	q.crumb(r.Name, "")
	return q.render(http.StatusOK, "admin/roles", pg)
}

// roleAssignments fills the assignments of the selected role (also the dependents its deletion would
// remove), naming scopes and principals as far as the user may see them.
func (q *request) roleAssignments(pg *adminRolesPage) error {
	list, err := q.p.app.ListAssignments(q.ctx, q.actor, portico.AssignmentFilter{RoleID: pg.Selected.ID})
	if err != nil {
		return err
	}
	users, err := q.adminUserNames()
	if err != nil {
		return err
	}
	groupNames := map[string]string{}
	if q.can(portico.PermUserGroupsView) {
		ugs, err := q.p.app.ListUserGroups(q.ctx, q.actor)
		if err != nil {
			return err
		}
		for _, g := range ugs {
			groupNames[g.ID] = g.Name
			pg.Principals = append(pg.Principals, adminPrincipal{Value: "user_group:" + g.ID, Label: g.Name, Group: true})
		}
	}
	for id, name := range users {
		pg.Principals = append(pg.Principals, adminPrincipal{Value: "user:" + id, Label: name})
	}
	slices.SortFunc(pg.Principals, func(a, b adminPrincipal) int {
		if a.Group != b.Group {
			if a.Group {
				return 1
			}
			return -1
		}
		return strings.Compare(strings.ToLower(a.Label), strings.ToLower(b.Label))
	})
	tree, err := q.adminGroupTree()
	if err != nil {
		return err
	}
	devGroups := adminGroupNames(tree)
	for _, as := range list {
		row := adminAssignmentRow{Assignment: as, ScopeName: as.ScopeID}
		switch as.ScopeType {
		case portico.ScopeTypeDeviceGroup:
			if n := devGroups[as.ScopeID]; n != "" {
				row.ScopeName = n
			}
		case portico.ScopeTypeDevice:
			if d, err := q.p.app.GetDevice(q.ctx, q.actor, as.ScopeID); err == nil {
				row.ScopeName = d.Name
			}
		}
		if as.PrincipalType == portico.PrincipalUser {
			row.PrincipalName = users[as.PrincipalID]
		} else {
			row.PrincipalName = groupNames[as.PrincipalID]
		}
		if row.PrincipalName == "" {
			row.PrincipalName = as.PrincipalID
		}
		pg.Assignments = append(pg.Assignments, row)
	}
	return nil
}

func (q *request) updateRole() error {
	r, err := q.p.app.GetRole(q.ctx, q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	pg := &adminRolesPage{Selected: r, Name: q.r.PostFormValue("name"), Desc: q.r.PostFormValue("description")}
	perms, set := q.adminPostedPermissions()
	if q.r.PostFormValue("add_prerequisites") != "" {
		for _, m := range adminAllMissing(set) {
			perms, set = append(perms, m), set.With(m)
		}
	}
	if _, err := q.p.app.UpdateRole(q.ctx, q.actor, r.ID, app.RoleInput{Name: &pg.Name, Description: &pg.Desc,
		Permissions: &perms}); err != nil {
		return q.roleRefused(pg, err, set)
	}
	return q.redirect("/roles/" + url.PathEscape(r.ID) + "?saved=1")
}

func (q *request) cloneRole() error {
	r, err := q.p.app.CloneRole(q.ctx, q.actor, q.r.PathValue("id"), q.r.PostFormValue("name"))
	if err != nil {
		return err
	}
	return q.redirect("/roles/" + url.PathEscape(r.ID))
}

func (q *request) deleteRole() error {
	if err := q.p.app.DeleteRole(q.ctx, q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	return q.redirect("/roles")
}

// assignRole gives the role to a user or user group at account level.
func (q *request) assignRole() error {
	id := q.r.PathValue("id")
	kind, pid, _ := strings.Cut(q.r.PostFormValue("principal"), ":")
	_, err := q.p.app.CreateAssignment(q.ctx, q.actor, app.AssignmentInput{PrincipalType: portico.PrincipalType(kind),
		PrincipalID: pid, RoleID: id, ScopeType: portico.ScopeTypeAccount})
	if err != nil {
		fe, ferr := adminFormError(err)
		if ferr != nil {
			return ferr
		}
		r, gerr := q.p.app.GetRole(q.ctx, q.actor, id)
		if gerr != nil {
			return gerr
		}
		pg := &adminRolesPage{Selected: r, Name: r.Name, Desc: r.Description, Tab: "assignments",
			ReadOnly: r.System || !q.can(portico.PermRolesManage)}
		if err := q.rolesBase(pg); err != nil {
			return err
		}
		// The form has one input, "Who": every message about the principal is shown as about it,
		// and any other field by the name the page gives it.
		fe = fe.remap(map[string]string{"principal_type": "principal", "principal_id": "principal"})
		if fe.Failed == "" {
			fe.Failed = q.labelledErrors(fe.Errors, map[string]string{"principal": "admin.roles.who"})
		}
		pg.adminForm = fe
		pg.Categories = adminCategories(r.Purpose, r.PermissionSet(), nil)
		if err := q.roleAssignments(pg); err != nil {
			return err
		}
		q.crumb(r.Name, "")
		return q.render(http.StatusUnprocessableEntity, "admin/roles", pg)
	}
	return q.redirect("/roles/" + url.PathEscape(id) + "?tab=assignments")
}

func (q *request) unassignRole() error {
	if err := q.p.app.DeleteAssignment(q.ctx, q.actor, q.r.PathValue("aid")); err != nil {
		return err
	}
	return q.redirect("/roles/" + url.PathEscape(q.r.PathValue("id")) + "?tab=assignments")
}
