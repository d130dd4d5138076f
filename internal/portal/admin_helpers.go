package portal

import (
	"errors"
	"sort"
	"strings"

	"github.com/portico-dev/portico"
)

// adminForm carries what every account-administration form shows after a refused post: the
// messages per field and a message for the whole form.
type adminForm struct {
	Errors map[string]string
	// Failed is the app's message when the refusal is not about one field (a seat limit, a conflict).
	Failed string
}

// adminFormError sorts an app error for a form: the messages of the fields it names (invalid input,
// but also a conflict such as a name already in use) become field messages; a refusal that names no
// field (a seat limit, a conflict with the current state) becomes the form's message; anything else
// (forbidden, not found, internal) is returned to be answered with an error page. A not-found that
// names fields (a chosen role or user that no longer exists) is about the form's input too.
func adminFormError(err error) (adminForm, error) {
	f := adminForm{Errors: map[string]string{}}
	var pe *portico.Error
	if !errors.As(err, &pe) {
		return f, err
	}
	switch pe.Kind {
	case portico.KindInvalid, portico.KindConflict, portico.KindLimit, portico.KindUnavailable, portico.KindRateLimited,
		portico.KindDevice:
	case portico.KindNotFound:
		if len(pe.Fields) == 0 {
			return f, err
		}
	default:
		return f, err
	}
	for _, fe := range pe.Fields {
		if m, ok := f.Errors[fe.Field]; ok && m != fe.Message {
			f.Errors[fe.Field] = m + "; " + fe.Message
			continue
		}
		f.Errors[fe.Field] = fe.Message
	}
	if len(pe.Fields) == 0 {
		f.Failed = pe.Message
	}
	return f, nil
}

// remap renames the form's field messages from the app's field names to the form's inputs (inputs
// maps an app field such as "principal_id" to the input "principal"); messages that land on one
// input are joined. Fields the map does not name keep their names.
func (f adminForm) remap(inputs map[string]string) adminForm {
	out := adminForm{Errors: map[string]string{}, Failed: f.Failed}
	fields := make([]string, 0, len(f.Errors))
	for k := range f.Errors {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	for _, k := range fields {
		name := k
		if in, ok := inputs[k]; ok {
			name = in
		}
		if m, ok := out.Errors[name]; ok {
			out.Errors[name] = m + "; " + f.Errors[k]
		} else {
			out.Errors[name] = f.Errors[k]
		}
	}
	return out
}

// fieldLabel names an app field ("principal_id", "permissions[2]", "settings.seat_limit") in the
// user's language, as the page shows it: labels maps a field to the catalogue key of the form's label
// for it; without one, the portal's generic name for the field ("field.<name>" in the catalogue);
// without that, the field's name made readable. The API's own names never reach the page.
func (q *request) fieldLabel(field string, labels map[string]string) string {
	base := strings.TrimPrefix(field, "settings.")
	if i := strings.IndexAny(base, "[."); i > 0 {
		base = base[:i]
	}
	for _, f := range []string{field, base} {
		if key, ok := labels[f]; ok {
			return q.p.locales.text(q.lang, key)
		}
	}
	if key := "field." + base; q.p.locales.has(key) {
		return q.p.locales.text(q.lang, key)
	}
	s := strings.TrimSpace(strings.ReplaceAll(base, "_", " "))
	if s == "" {
		return field
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// labelledErrors lists field messages as "Label: message", in a stable order, for a banner.
func (q *request) labelledErrors(errs map[string]string, labels map[string]string) string {
	fields := make([]string, 0, len(errs))
	for k := range errs {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	parts := make([]string, 0, len(fields))
	for _, k := range fields {
		parts = append(parts, q.fieldLabel(k, labels)+": "+errs[k])
	}
	return strings.Join(parts, "; ")
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
	users, err := q.p.app.ListUsers(q.ctx, q.actor, portico.UserFilter{})
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
