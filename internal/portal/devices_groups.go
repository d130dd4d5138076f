package portal

import (
	"errors"
	"net/http"
	"slices"
	"sort"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/app"
)

// devicesGroupView is the device group page: one of three tabs, with the toolbar the user may use.
type devicesGroupView struct {
	Group *portico.DeviceGroup
	// Title heads the page: the group's name, "Unassigned" or "Favourites".
	Title      string
	Unassigned bool
	// Favourites is the favourites page, which shows only the device table.
	Favourites bool
	Tab        string
	SubGroups  []devicesSubGroup
	Table      *devicesTable
	Settings   []devicesSettingRow
	// Assignments lists the role assignments on the group, then those inherited from its ancestors.
	Assignments []devicesAssignmentRow
	Principals  []devicesOption
	Roles       []devicesOption
	// FormError is a refused assignment's message, naming each field by its label; FormErrors are
	// the messages per input ("principal", "role_id"); FormPrincipal and FormRole keep the user's
	// choice.
	FormError               string
	FormErrors              map[string]string
	FormPrincipal, FormRole string
	// AssignmentsHidden: the user may neither view roles nor manage assignments here, so the list
	// would be empty whatever it holds; AssignmentsPartial: they may manage assignments here but not
	// view roles, so assignments on ancestors where they may not manage them are left out.
	AssignmentsHidden, AssignmentsPartial bool
	Can                                   devicesGroupCan
}

// devicesGroupCan is what the user may do on the group; the app refuses the rest anyway.
type devicesGroupCan struct {
	Manage, Delete, Settings, Assign, Move, DeleteDevices bool
	// Tabs are the tabs the user may open: settings need device_groups.view, assignments roles.view or
	// the right to manage them here.
	Tabs []string
}

// devicesSubGroup is a sub-group with the number of devices the user sees in it (and below).
type devicesSubGroup struct {
	ID, Name, Colour string
	Devices          int
}

// devicesSettingRow is one group setting: its effective value and where it comes from.
type devicesSettingRow struct {
	Feature   string
	Enabled   bool
	Own       string // "on", "off" or "" (inherited)
	Source    string // "here", "default" or "inherited"
	FromGroup string
}

// devicesAssignmentRow is one role assignment shown on a group.
type devicesAssignmentRow struct {
	ID            string
	Role          string
	Principal     string
	PrincipalType string
	// InheritedFrom names the ancestor group the assignment is on; "" for the group itself.
	InheritedFrom string
	Expires       any
}

// devicesOption is an entry of a select.
type devicesOption struct {
	Value, Label string
}

// devicesGroupTabs are the tabs of a group page; Unassigned has only the first.
var devicesGroupTabs = []string{"details", "settings", "assignments"}

func (q *request) devicesGroupPage() error {
	id := q.r.PathValue("id")
	g, err := q.p.app.GetDeviceGroup(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	v := &devicesGroupView{Group: g, Unassigned: id == portico.UnassignedGroupID, Tab: q.r.URL.Query().Get("tab")}
	if v.Tab == "" || v.Unassigned {
		v.Tab = "details"
	}
	switch v.Tab {
	case "details", "settings", "assignments":
	default:
		return portico.Errorf(portico.KindInvalid, "unknown tab %q", v.Tab)
	}
	target := authz.Group(id)
	v.Can = devicesGroupCan{
		Move:          q.canOn(portico.PermDeviceMove, target),
		DeleteDevices: q.canOn(portico.PermDeviceDelete, target),
	}
	if !v.Unassigned {
		v.Can.Manage = q.canOn(portico.PermDeviceGroupsManage, target)
		v.Can.Delete = q.canOn(portico.PermDeviceGroupsDelete, target)
		v.Can.Settings = q.canOn(portico.PermDeviceGroupsSettings, target)
		v.Can.Assign = q.canOn(portico.PermRoleAssignmentsManage, target)
		v.Can.Tabs = []string{"details"}
		if q.canOn(portico.PermDeviceGroupsView, target) {
			v.Can.Tabs = append(v.Can.Tabs, "settings")
		}
		if v.Can.Assign || q.can(portico.PermRolesView) {
			v.Can.Tabs = append(v.Can.Tabs, "assignments")
		}
	}
	if err := q.devicesGroupCrumbs(g, v.Unassigned); err != nil {
		return err
	}
	v.Title = g.Name
	if v.Unassigned {
		v.Title = q.devicesT("menu.unassigned")
	}
	switch v.Tab {
	case "details":
		if err := q.devicesGroupDetails(v); err != nil || v.Table == nil {
			return err // nil Table: the export has been sent
		}
	case "settings":
		if err := q.devicesGroupSettings(v); err != nil {
			return err
		}
	case "assignments":
		// Without roles.view or the right to manage assignments here, the app would list none of
		// them: say so rather than show an empty list as if the group had none.
		if !v.Unassigned && !slices.Contains(v.Can.Tabs, "assignments") {
			v.AssignmentsHidden = true
			return q.render(http.StatusForbidden, "devices/group", v)
		}
		if err := q.devicesGroupAssignments(v); err != nil {
			return err
		}
	}
	return q.render(http.StatusOK, "devices/group", v)
}

// devicesGroupCrumbs sets the side menu entry and the breadcrumbs: the path down from the top group.
func (q *request) devicesGroupCrumbs(g *portico.DeviceGroup, unassigned bool) error {
	if unassigned {
		q.active = "unassigned"
		q.crumb(q.devicesT("menu.unassigned"), "")
		return nil
	}
	q.active = "group:" + g.ID
	groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
	if err != nil {
		return err
	}
	byID := make(map[string]portico.DeviceGroup, len(groups))
	for _, x := range groups {
		byID[x.ID] = x
	}
	var path []portico.DeviceGroup
	for p, ok := byID[g.ParentID]; ok && len(path) < 16; p, ok = byID[p.ParentID] {
		path = append([]portico.DeviceGroup{p}, path...)
	}
	for _, p := range path {
		q.crumb(p.Name, "/groups/"+p.ID)
	}
	q.crumb(g.Name, "")
	return nil
}

func (q *request) devicesGroupDetails(v *devicesGroupView) error {
	id := v.Group.ID
	if !v.Unassigned {
		groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
		if err != nil {
			return err
		}
		for _, g := range groups {
			if g.ParentID != id {
				continue
			}
			sg := devicesSubGroup{ID: g.ID, Name: g.Name, Colour: g.Colour}
			page, err := q.p.app.ListDevices(q.ctx, q.actor, app.DeviceQuery{GroupID: g.ID, Recursive: true, Page: portico.Page{Limit: 1}})
			if err == nil {
				sg.Devices = page.Total
			} else if !portico.IsKind(err, portico.KindForbidden) {
				return err
			}
			v.SubGroups = append(v.SubGroups, sg)
		}
		sort.Slice(v.SubGroups, func(i, j int) bool { return v.SubGroups[i].Name < v.SubGroups[j].Name })
	}
	name := v.Group.Name
	if v.Unassigned {
		name = q.devicesT("menu.unassigned")
	}
	t, sent, err := q.devicesTableFor(devicesListing{Query: app.DeviceQuery{GroupID: id},
		Title: name, Base: "/groups/" + id})
	if err != nil || sent {
		return err
	}
	t.Selectable, t.CanMove, t.CanDelete = v.Can.Move || v.Can.DeleteDevices, v.Can.Move, v.Can.DeleteDevices
	v.Table = t
	return nil
}

func (q *request) devicesGroupSettings(v *devicesGroupView) error {
	sv, err := q.p.app.GetGroupSettings(q.ctx, q.actor, v.Group.ID)
	if err != nil {
		return err
	}
	names := map[string]string{}
	if groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor); err == nil {
		for _, g := range groups {
			names[g.ID] = g.Name
		}
	}
	for _, fi := range portico.Features {
		eff := sv.Effective[fi.Feature]
		row := devicesSettingRow{Feature: string(fi.Feature), Enabled: eff.Enabled}
		if on, ok := sv.Own[fi.Feature]; ok {
			row.Own = map[bool]string{true: "on", false: "off"}[on]
		}
		switch eff.FromGroupID {
		case "":
			row.Source = "default"
		case v.Group.ID:
			row.Source = "here"
		default:
			row.Source, row.FromGroup = "inherited", names[eff.FromGroupID]
		}
		v.Settings = append(v.Settings, row)
	}
	return nil
}

// devicesSaveSettings is the settings tab's form: each setting inherited, on or off; or all=on|off
// ("Enable all" / "Disable all").
func (q *request) devicesSaveSettings() error {
	id := q.r.PathValue("id")
	if err := q.r.ParseForm(); err != nil {
		return portico.Errorf(portico.KindInvalid, "bad form: %v", err)
	}
	var err error
	switch all := q.r.PostForm.Get("all"); all {
	case "on", "off":
		_, err = q.p.app.SetAllGroupSettings(q.ctx, q.actor, id, all == "on")
	case "":
		s := portico.GroupSettings{}
		for _, fi := range portico.Features {
			switch q.r.PostForm.Get("setting." + string(fi.Feature)) {
			case "on":
				s[fi.Feature] = true
			case "off":
				s[fi.Feature] = false
			}
		}
		_, err = q.p.app.PutGroupSettings(q.ctx, q.actor, id, s)
	default:
		return portico.Errorf(portico.KindInvalid, "all must be on or off")
	}
	if err != nil {
		return err
	}
	return q.redirect("/groups/" + id + "?tab=settings")
}

func (q *request) devicesGroupAssignments(v *devicesGroupView) error {
	id := v.Group.ID
	groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
	if err != nil {
		return err
	}
	byID := map[string]portico.DeviceGroup{}
	for _, g := range groups {
		byID[g.ID] = g
	}
	users, userGroups, roles := map[string]string{}, map[string]string{}, map[string]string{}
	if list, err := q.p.app.ListUsers(q.ctx, q.actor, portico.UserFilter{}); err == nil {
		for _, u := range list {
			users[u.ID] = u.Name
			v.Principals = append(v.Principals, devicesOption{"user:" + u.ID, u.Name + " <" + u.Email + ">"})
		}
	}
	if list, err := q.p.app.ListUserGroups(q.ctx, q.actor); err == nil {
		for _, g := range list {
			userGroups[g.ID] = g.Name
			v.Principals = append(v.Principals, devicesOption{"user_group:" + g.ID, g.Name})
		}
	}
	if list, err := q.p.app.ListRoles(q.ctx, q.actor); err == nil {
		for _, r := range list {
			roles[r.ID] = r.Name
			if r.Purpose == portico.PurposeDevices || r.Purpose == portico.PurposeGeneral {
				v.Roles = append(v.Roles, devicesOption{r.ID, r.Name})
			}
		}
	}
	v.AssignmentsPartial = !q.can(portico.PermRolesView) && byID[id].ParentID != ""
	// The group itself, then each ancestor up to the top.
	scope, inherited := id, ""
	for range 16 {
		list, err := q.p.app.ListAssignments(q.ctx, q.actor, portico.AssignmentFilter{ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: scope})
		if err != nil && !portico.IsKind(err, portico.KindForbidden) {
			return err
		}
		for _, as := range list {
			row := devicesAssignmentRow{ID: as.ID, Role: roles[as.RoleID], PrincipalType: string(as.PrincipalType),
				InheritedFrom: inherited}
			if as.ExpiresAt != nil {
				row.Expires = *as.ExpiresAt
			}
			if row.Role == "" {
				row.Role = as.RoleID
			}
			if as.PrincipalType == portico.PrincipalUser {
				row.Principal = users[as.PrincipalID]
			} else {
				row.Principal = userGroups[as.PrincipalID]
			}
			if row.Principal == "" {
				row.Principal = as.PrincipalID
			}
			v.Assignments = append(v.Assignments, row)
		}
		parent, ok := byID[byID[scope].ParentID]
		if !ok {
			break
		}
		scope, inherited = parent.ID, parent.Name
	}
	return nil
}

// devicesAssignLabels are the catalogue keys of the assignment form's labels, by input and by the
// app's field names.
var devicesAssignLabels = map[string]string{"principal": "devices.assign.principal", "role_id": "devices.assign.role",
	"principal_type": "devices.assign.principal", "principal_id": "devices.assign.principal"}

// devicesAddAssignment gives a user or user group a role on the group. A choice left at "Choose…"
// is refused here, by the form's own words; the app's refusals are shown on the inputs they concern.
func (q *request) devicesAddAssignment() error {
	id := q.r.PathValue("id")
	principal, roleID := q.r.PostFormValue("principal"), q.r.PostFormValue("role_id")
	kind, pid, _ := strings.Cut(principal, ":")
	form := adminForm{Errors: map[string]string{}}
	if (kind != string(portico.PrincipalUser) && kind != string(portico.PrincipalUserGroup)) || pid == "" {
		form.Errors["principal"] = q.devicesT("devices.assign.choose_principal")
	}
	if roleID == "" {
		form.Errors["role_id"] = q.devicesT("devices.assign.choose_role")
	}
	if len(form.Errors) == 0 {
		_, err := q.p.app.CreateAssignment(q.ctx, q.actor, app.AssignmentInput{PrincipalType: portico.PrincipalType(kind),
			PrincipalID: pid, RoleID: roleID, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: id})
		if err == nil {
			return q.redirect("/groups/" + id + "?tab=assignments")
		}
		fe, ferr := adminFormError(err)
		if ferr != nil {
			return ferr
		}
		form = fe.remap(map[string]string{"principal_type": "principal", "principal_id": "principal"})
	}
	g, gerr := q.p.app.GetDeviceGroup(q.ctx, q.actor, id)
	if gerr != nil {
		return gerr
	}
	v := &devicesGroupView{Group: g, Title: g.Name, Tab: "assignments", FormError: form.Failed,
		FormErrors: form.Errors, FormPrincipal: principal, FormRole: roleID}
	if v.FormError == "" {
		v.FormError = q.labelledErrors(form.Errors, devicesAssignLabels)
	}
	v.Can.Assign, v.Can.Tabs = true, devicesGroupTabs
	if err := q.devicesGroupCrumbs(g, false); err != nil {
		return err
	}
	if err := q.devicesGroupAssignments(v); err != nil {
		return err
	}
	return q.render(http.StatusUnprocessableEntity, "devices/group", v)
}

// devicesRemoveAssignment takes a role assignment away.
func (q *request) devicesRemoveAssignment() error {
	id := q.r.PathValue("id")
	if err := q.p.app.DeleteAssignment(q.ctx, q.actor, q.r.PathValue("aid")); err != nil {
		return err
	}
	return q.redirect("/groups/" + id + "?tab=assignments")
}

// devicesErrorText is an app error's message for showing on a form: the message alone when it names
// no field, else each field's message after the field's name as the portal shows it.
func (q *request) devicesErrorText(err error) string {
	var pe *portico.Error
	if !errors.As(err, &pe) {
		return err.Error()
	}
	if len(pe.Fields) == 0 {
		return pe.Message
	}
	errs := map[string]string{}
	for _, f := range pe.Fields {
		if m, ok := errs[f.Field]; ok {
			errs[f.Field] = m + "; " + f.Message
		} else {
			errs[f.Field] = f.Message
		}
	}
	return q.labelledErrors(errs, nil)
}
