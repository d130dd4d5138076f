package portal

import (
	"errors"
	"net/http"
	"sort"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/app"
)

// devicesGroupForm is the form that creates or edits a group, or moves it under another parent.
type devicesGroupForm struct {
	// Mode is "new", "edit" or "move".
	Mode        string
	Group       *portico.DeviceGroup // the group edited or moved; nil when creating
	Parent      *portico.DeviceGroup // the parent of a new group; nil for a top-level one
	Name        string
	Colour      string
	Description string
	ParentID    string
	Parents     []devicesOption // for moving: the groups that may become the parent
	Errors      map[string]string
	Failed      string
}

// devicesNewGroupPage is GET /groups/new (a top-level group) and GET /groups/{id}/new (a sub-group).
func (q *request) devicesNewGroupPage() error {
	f := &devicesGroupForm{Mode: "new", Colour: app.DefaultGroupColour, Errors: map[string]string{}}
	if err := q.devicesFormParent(f); err != nil {
		return err
	}
	target := authz.Account()
	if f.ParentID != "" {
		target = authz.Group(f.ParentID)
	}
	if err := q.devicesMayOpen(portico.PermDeviceGroupsManage, target); err != nil {
		return err
	}
	return q.render(http.StatusOK, "devices/group-form", f)
}

// devicesMayOpen refuses a form page to a user who could not submit it, so that nobody is shown a
// form whose every submission the server would refuse. The submission itself is decided by the app.
func (q *request) devicesMayOpen(perm portico.Permission, t authz.Target) error {
	if !q.canOn(perm, t) {
		return portico.Errorf(portico.KindForbidden, "you need the %s permission here", perm)
	}
	return nil
}

func (q *request) devicesFormParent(f *devicesGroupForm) error {
	q.active = "groups"
	if id := q.r.PathValue("id"); id != "" {
		g, err := q.p.app.GetDeviceGroup(q.ctx, q.actor, id)
		if err != nil {
			return err
		}
		f.Parent, f.ParentID = g, g.ID
		q.active = "group:" + g.ID
		q.crumb(g.Name, "/groups/"+g.ID)
	}
	q.crumb(q.devicesT("devices.group.new"), "")
	return nil
}

func (q *request) devicesCreateGroup() error {
	f := &devicesGroupForm{Mode: "new", Name: q.r.PostFormValue("name"), Colour: q.r.PostFormValue("colour"),
		Description: q.r.PostFormValue("description"), Errors: map[string]string{}}
	if err := q.devicesFormParent(f); err != nil {
		return err
	}
	g, err := q.p.app.CreateDeviceGroup(q.ctx, q.actor, app.GroupInput{Name: f.Name, Colour: f.Colour,
		Description: f.Description, ParentID: f.ParentID})
	if err != nil {
		return q.devicesFormFailed(f, err)
	}
	return q.redirect("/groups/" + g.ID)
}

// devicesFormFailed shows the form again with the fields the app refused, or fails the request for
// anything that is not about the input.
func (q *request) devicesFormFailed(f *devicesGroupForm, err error) error {
	switch portico.KindOf(err) {
	case portico.KindInvalid, portico.KindConflict, portico.KindLimit:
		f.Errors = fieldErrors(devicesUnwrap(err))
		if len(f.Errors) == 0 {
			f.Failed = q.devicesErrorText(err)
		}
		for k := range f.Errors {
			if k != "name" && k != "colour" && k != "description" && k != "parent_id" {
				f.Failed = q.devicesErrorText(err)
			}
		}
		return q.render(http.StatusUnprocessableEntity, "devices/group-form", f)
	}
	return err
}

// devicesUnwrap returns the *portico.Error inside err (fieldErrors reads only an unwrapped one).
func devicesUnwrap(err error) error {
	var pe *portico.Error
	if errors.As(err, &pe) {
		return pe
	}
	return err
}

func (q *request) devicesEditGroupPage() error {
	g, err := q.devicesFormGroup("devices.group.edit")
	if err != nil {
		return err
	}
	if err := q.devicesMayOpen(portico.PermDeviceGroupsManage, authz.Group(g.ID)); err != nil {
		return err
	}
	return q.render(http.StatusOK, "devices/group-form", &devicesGroupForm{Mode: "edit", Group: g, Name: g.Name,
		Colour: g.Colour, Description: g.Description, Errors: map[string]string{}})
}

// devicesFormGroup loads the group of an edit, move or delete form and sets the breadcrumbs.
func (q *request) devicesFormGroup(title string) (*portico.DeviceGroup, error) {
	id := q.r.PathValue("id")
	if id == portico.UnassignedGroupID {
		return nil, portico.Errorf(portico.KindInvalid, "the Unassigned folder cannot be changed")
	}
	g, err := q.p.app.GetDeviceGroup(q.ctx, q.actor, id)
	if err != nil {
		return nil, err
	}
	q.active = "group:" + g.ID
	q.crumb(g.Name, "/groups/"+g.ID)
	q.crumb(q.devicesT(title), "")
	return g, nil
}

func (q *request) devicesEditGroup() error {
	g, err := q.devicesFormGroup("devices.group.edit")
	if err != nil {
		return err
	}
	f := &devicesGroupForm{Mode: "edit", Group: g, Name: q.r.PostFormValue("name"), Colour: q.r.PostFormValue("colour"),
		Description: q.r.PostFormValue("description"), Errors: map[string]string{}}
	if _, err := q.p.app.UpdateDeviceGroup(q.ctx, q.actor, g.ID, app.GroupUpdate{Name: &f.Name, Colour: &f.Colour,
		Description: &f.Description}); err != nil {
		return q.devicesFormFailed(f, err)
	}
	return q.redirect("/groups/" + g.ID)
}

func (q *request) devicesMoveGroupPage() error {
	g, err := q.devicesFormGroup("devices.group.move")
	if err != nil {
		return err
	}
	if err := q.devicesMayOpen(portico.PermDeviceGroupsManage, authz.Group(g.ID)); err != nil {
		return err
	}
	f := &devicesGroupForm{Mode: "move", Group: g, ParentID: g.ParentID, Errors: map[string]string{}}
	if err := q.devicesParentOptions(f); err != nil {
		return err
	}
	return q.render(http.StatusOK, "devices/group-form", f)
}

// devicesParentOptions lists the groups a group may move under: not itself nor anything below it.
func (q *request) devicesParentOptions(f *devicesGroupForm) error {
	groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
	if err != nil {
		return err
	}
	below := map[string]bool{f.Group.ID: true}
	for changed := true; changed; {
		changed = false
		for _, g := range groups {
			if below[g.ParentID] && !below[g.ID] {
				below[g.ID], changed = true, true
			}
		}
	}
	paths := devicesGroupPaths(groups)
	for _, g := range groups {
		if !below[g.ID] {
			f.Parents = append(f.Parents, devicesOption{g.ID, paths[g.ID]})
		}
	}
	sort.Slice(f.Parents, func(i, j int) bool { return f.Parents[i].Label < f.Parents[j].Label })
	return nil
}

// devicesGroupPaths names each group by its path from the top ("Europe › Germany › Munich").
func devicesGroupPaths(groups []portico.DeviceGroup) map[string]string {
	byID := make(map[string]portico.DeviceGroup, len(groups))
	for _, g := range groups {
		byID[g.ID] = g
	}
	out := make(map[string]string, len(groups))
	for _, g := range groups {
		parts := []string{g.Name}
		for p, ok := byID[g.ParentID]; ok && len(parts) < 16; p, ok = byID[p.ParentID] {
			parts = append([]string{p.Name}, parts...)
		}
		out[g.ID] = strings.Join(parts, " › ")
	}
	return out
}

func (q *request) devicesMoveGroup() error {
	g, err := q.devicesFormGroup("devices.group.move")
	if err != nil {
		return err
	}
	parent := q.r.PostFormValue("parent_id")
	if _, err := q.p.app.UpdateDeviceGroup(q.ctx, q.actor, g.ID, app.GroupUpdate{ParentID: &parent}); err != nil {
		f := &devicesGroupForm{Mode: "move", Group: g, ParentID: parent}
		if perr := q.devicesParentOptions(f); perr != nil {
			return perr
		}
		return q.devicesFormFailed(f, err)
	}
	return q.redirect("/groups/" + g.ID)
}

// devicesDeleteView is the confirmation before deleting a group: what it still holds.
type devicesDeleteView struct {
	Group       *portico.DeviceGroup
	SubGroups   int
	Devices     int
	Assignments int
	Rules       []string
	// Blocked: the group is not empty (or a rule targets it), so the app would refuse.
	Blocked bool
	Failed  string
}

func (q *request) devicesDeleteGroupPage() error {
	g, err := q.devicesFormGroup("devices.group.delete")
	if err != nil {
		return err
	}
	if err := q.devicesMayOpen(portico.PermDeviceGroupsDelete, authz.Group(g.ID)); err != nil {
		return err
	}
	v, err := q.devicesDeleteImpact(g)
	if err != nil {
		return err
	}
	return q.render(http.StatusOK, "devices/group-delete", v)
}

// devicesDeleteImpact counts what deleting g would affect, as far as the user can see.
func (q *request) devicesDeleteImpact(g *portico.DeviceGroup) (*devicesDeleteView, error) {
	v := &devicesDeleteView{Group: g}
	groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
	if err != nil {
		return nil, err
	}
	for _, x := range groups {
		if x.ParentID == g.ID {
			v.SubGroups++
		}
	}
	page, err := q.p.app.ListDevices(q.ctx, q.actor, app.DeviceQuery{GroupID: g.ID, Page: portico.Page{Limit: 1}})
	if err != nil && !portico.IsKind(err, portico.KindForbidden) {
		return nil, err
	}
	if page != nil {
		v.Devices = page.Total
	}
	if as, err := q.p.app.ListAssignments(q.ctx, q.actor, portico.AssignmentFilter{ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: g.ID}); err == nil {
		v.Assignments = len(as)
	}
	if q.can(portico.PermAssignmentRulesManage) {
		rules, err := q.p.app.ListRules(q.ctx, q.actor)
		if err != nil {
			return nil, err
		}
		for _, r := range rules {
			if r.TargetGroupID == g.ID {
				v.Rules = append(v.Rules, r.Name)
			}
		}
	}
	v.Blocked = v.SubGroups > 0 || v.Devices > 0 || len(v.Rules) > 0
	return v, nil
}

func (q *request) devicesDeleteGroup() error {
	g, err := q.devicesFormGroup("devices.group.delete")
	if err != nil {
		return err
	}
	if err := q.p.app.DeleteDeviceGroup(q.ctx, q.actor, g.ID); err != nil {
		if !portico.IsKind(err, portico.KindConflict) {
			return err
		}
		v, verr := q.devicesDeleteImpact(g)
		if verr != nil {
			return verr
		}
		v.Failed = q.devicesErrorText(err)
		return q.render(http.StatusUnprocessableEntity, "devices/group-delete", v)
	}
	if g.ParentID != "" {
		return q.redirect("/groups/" + g.ParentID)
	}
	return q.redirect("/")
}
