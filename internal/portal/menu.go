package portal

import (
	"sort"

	"github.com/portico-dev/portico"
)

// menu is the side menu: the sections the user may open and the device group tree they can see.
type menu struct {
	Groups []*menuGroup
	// Devices is whether the Managed section (Unassigned, Favourites, In session) is shown.
	Devices bool
}

// menuGroup is one device group in the side menu's tree.
type menuGroup struct {
	ID       string
	Name     string
	Colour   string
	Children []*menuGroup
	// Open marks the groups on the way to the current page's group.
	Open bool
}

// menu builds the side menu from the groups the user can see.
func (q *request) menu() (*menu, error) {
	groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
	if err != nil && !portico.IsKind(err, portico.KindForbidden) {
		return nil, err
	}
	m := &menu{Devices: q.can(portico.PermDevicesList) || len(groups) > 0}
	byID := map[string]*menuGroup{}
	for _, g := range groups {
		if g.ID == portico.UnassignedGroupID {
			continue
		}
		byID[g.ID] = &menuGroup{ID: g.ID, Name: g.Name, Colour: g.Colour}
	}
	for _, g := range groups {
		mg, ok := byID[g.ID]
		if !ok {
			continue
		}
		if parent, ok := byID[g.ParentID]; ok {
			parent.Children = append(parent.Children, mg)
		} else {
			m.Groups = append(m.Groups, mg)
		}
	}
	var sortTree func([]*menuGroup)
	sortTree = func(gs []*menuGroup) {
		sort.Slice(gs, func(i, j int) bool { return gs[i].Name < gs[j].Name })
		for _, g := range gs {
			sortTree(g.Children)
		}
	}
	sortTree(m.Groups)
	return m, nil
}
