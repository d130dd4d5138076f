package portal

import (
	"errors"
	"sort"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store"
)

// adminForm carries what every account-administration form shows after a refused post: the
// messages per field and a message for the whole form.
type adminForm struct {
	Errors map[string]string
	// Failed is the app's message when the refusal is not about one field (a seat limit, a conflict).
	Failed string
}

// adminFormError sorts an app error for a form: invalid input becomes field messages, a conflict,
// a plan limit or an unavailable object becomes the form's message, and anything else (forbidden,
// not found, internal) is returned to be answered with an error page.
func adminFormError(err error) (adminForm, error) {
	f := adminForm{Errors: map[string]string{}}
	var pe *portico.Error
	if !errors.As(err, &pe) {
		return f, err
	}
	switch pe.Kind {
	case portico.KindInvalid:
		for _, fe := range pe.Fields {
			f.Errors[fe.Field] = fe.Message
		}
		if len(pe.Fields) == 0 {
			f.Failed = pe.Message
		}
		return f, nil
	case portico.KindConflict, portico.KindLimit, portico.KindUnavailable:
		f.Failed = pe.Message
		return f, nil
	}
	return f, err
}

// adminGroupOption is one device group offered in a select, indented to show the tree.
type adminGroupOption struct {
	ID    string
	Name  string
	Depth int
	// Label is the name with its place in the tree, for selects that cannot indent.
	Label string
}

// adminGroupTree lists the device groups the user can see in tree order (parents before their
// children, siblings by name), without Unassigned. A user who may see no group gets an empty list.
func (q *request) adminGroupTree() ([]adminGroupOption, error) {
	groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
	if err != nil {
		if portico.IsKind(err, portico.KindForbidden) {
			return nil, nil
		}
		return nil, err
	}
	children := map[string][]portico.DeviceGroup{}
	known := map[string]bool{}
	for _, g := range groups {
		known[g.ID] = true
	}
	for _, g := range groups {
		if g.ID == portico.UnassignedGroupID {
			continue
		}
		parent := g.ParentID
		if !known[parent] {
			parent = ""
		}
		children[parent] = append(children[parent], g)
	}
	var out []adminGroupOption
	var walk func(parent string, depth int)
	walk = func(parent string, depth int) {
		gs := children[parent]
		sort.Slice(gs, func(i, j int) bool { return strings.ToLower(gs[i].Name) < strings.ToLower(gs[j].Name) })
		for _, g := range gs {
			out = append(out, adminGroupOption{ID: g.ID, Name: g.Name, Depth: depth,
				Label: strings.Repeat("\u00a0\u00a0\u00a0", depth) + g.Name})
			walk(g.ID, depth+1)
		}
	}
	walk("", 0)
	return out, nil
}

// adminGroupNames maps group ids to names, for tables that name a group.
func adminGroupNames(opts []adminGroupOption) map[string]string {
	m := make(map[string]string, len(opts))
	for _, o := range opts {
		m[o.ID] = o.Name
	}
	return m
}

// adminUserNames maps user ids to names, or nil when the user may not list users.
func (q *request) adminUserNames() (map[string]string, error) {
	users, err := q.p.app.ListUsers(q.ctx, q.actor, store.UserFilter{})
	if err != nil {
		if portico.IsKind(err, portico.KindForbidden) {
			return nil, nil
		}
		return nil, err
	}
	m := make(map[string]string, len(users))
	for _, u := range users {
		m[u.ID] = u.Name
	}
	return m, nil
}

// adminChecked reports whether a checkbox was ticked in the posted form.
func (q *request) adminChecked(name string) bool {
	v := q.r.PostFormValue(name)
	return v == "on" || v == "1" || v == "true"
}
