package app

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// MaxGroupDepth is how deeply device groups may nest: a top-level group is at depth 1.
const MaxGroupDepth = 8

// DefaultGroupColour is the icon colour of a group created without one.
const DefaultGroupColour = "#4A90D9"

// unassignedName is how the Unassigned folder is shown.
const unassignedName = "Unassigned"

// specialFolderNames are the names under which the portal shows its special folders — Unassigned,
// Favourites and In session — in every language it speaks (the values of menu.unassigned,
// menu.favourites and menu.in_session in internal/portal/locales; a test keeps the two in step). A
// device group by one of these names would pass for the folder in the tree and in device history.
var specialFolderNames = []string{
	"Unassigned", "Favourites", "Favorites", "In session", // en-GB, en-US
	"Nicht zugewiesen", "Favoriten", "In Sitzung", // de
	"Sin asignar", "Favoritos", "En sesión", // es
	"Non affectés", "Favoris", "En session", // fr
	"Non assegnati", "Preferiti", "In sessione", // it
}

// SpecialFolderName reports whether name, compared without regard to case or to runs of spaces, is
// the name of one of the portal's special folders in one of its languages.
func SpecialFolderName(name string) bool {
	name = strings.Join(strings.Fields(name), " ")
	for _, n := range specialFolderNames {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// checkGroupName refuses, on the name field, a group name that is a special folder's name.
func checkGroupName(v *portico.Validation, name string) {
	if SpecialFolderName(name) {
		v.Add("name", "%q is the name of a special folder (Unassigned, Favourites, In session) "+
			"and cannot name a device group", strings.TrimSpace(name))
	}
}

// GroupInput is the input of CreateDeviceGroup. An empty ParentID creates a top-level group; an
// empty Colour takes DefaultGroupColour.
type GroupInput struct {
	Name        string
	Colour      string
	Description string
	ParentID    string
}

// GroupUpdate is the input of UpdateDeviceGroup; nil fields stay as they are. ParentID pointing at ""
// makes the group top-level.
type GroupUpdate struct {
	Name        *string
	Colour      *string
	Description *string
	ParentID    *string
}

// EffectiveSetting is the value a group setting takes at a group, and the group that sets it
// (FromGroupID is empty when no group on the path sets it and the default applies).
type EffectiveSetting struct {
	Enabled     bool   `json:"enabled"`
	FromGroupID string `json:"from_group_id,omitempty"`
}

// GroupSettingsView is a group's own settings and, for every feature, the value it takes there after
// inheritance.
type GroupSettingsView struct {
	GroupID   string                               `json:"group_id"`
	Own       portico.GroupSettings                `json:"own"`
	Effective map[portico.Feature]EffectiveSetting `json:"effective"`
}

// groupTree indexes an account's device groups for walks up and down the tree. It tolerates a
// corrupt tree (a cycle or a missing parent) by stopping the walk rather than looping.
type groupTree struct {
	byID     map[string]*portico.DeviceGroup
	children map[string][]string
}

func newGroupTree(groups []portico.DeviceGroup) *groupTree {
	t := &groupTree{byID: make(map[string]*portico.DeviceGroup, len(groups)), children: map[string][]string{}}
	for i := range groups {
		g := &groups[i]
		t.byID[g.ID] = g
		t.children[g.ParentID] = append(t.children[g.ParentID], g.ID)
	}
	return t
}

// ancestors returns the ids above id, its parent first.
func (t *groupTree) ancestors(id string) []string {
	var out []string
	seen := map[string]bool{id: true}
	for g := t.byID[id]; g != nil && g.ParentID != "" && !seen[g.ParentID]; g = t.byID[g.ParentID] {
		seen[g.ParentID] = true
		out = append(out, g.ParentID)
	}
	return out
}

// depth is 1 for a top-level group.
func (t *groupTree) depth(id string) int { return len(t.ancestors(id)) + 1 }

// subtree returns id and every group below it.
func (t *groupTree) subtree(id string) []string {
	out := []string{id}
	seen := map[string]bool{id: true}
	for i := 0; i < len(out); i++ {
		for _, c := range t.children[out[i]] {
			if !seen[c] {
				seen[c] = true
				out = append(out, c)
			}
		}
	}
	return out
}

// height is the number of levels of the subtree rooted at id (1 for a group without sub-groups).
func (t *groupTree) height(id string) int {
	var walk func(id string, seen map[string]bool) int
	walk = func(id string, seen map[string]bool) int {
		seen[id] = true
		h := 1
		for _, c := range t.children[id] {
			if !seen[c] {
				h = max(h, 1+walk(c, seen))
			}
		}
		return h
	}
	return walk(id, map[string]bool{})
}

// isWithin reports whether id is root or below it.
func (t *groupTree) isWithin(id, root string) bool {
	if id == root {
		return true
	}
	for _, a := range t.ancestors(id) {
		if a == root {
			return true
		}
	}
	return false
}

// checkSiblingName refuses a name that another group under the same parent already has: the tree
// shows groups by name, so siblings must be told apart.
func (t *groupTree) checkSiblingName(g *portico.DeviceGroup) error {
	for _, id := range t.children[g.ParentID] {
		if id != g.ID && t.byID[id].Name == g.Name {
			where := "at the top level"
			if g.ParentID != "" {
				where = fmt.Sprintf("in %q", t.name(g.ParentID))
			}
			return invalidField("name", "a device group named %q already exists %s", g.Name, where)
		}
	}
	return nil
}

// name returns a group's name, "Unassigned" for the Unassigned folder.
func (t *groupTree) name(id string) string {
	if id == portico.UnassignedGroupID {
		return unassignedName
	}
	if g := t.byID[id]; g != nil {
		return g.Name
	}
	return id
}

// groupName names a device's group from the access snapshot, as groupTree.name does from storage.
func groupName(snap *authz.Snapshot, id string) string {
	if id == portico.UnassignedGroupID {
		return unassignedName
	}
	if name, ok := snap.GroupName(id); ok {
		return name
	}
	return id
}

// effective resolves every feature at group id: the nearest group on the path to the root that sets
// it, else the feature's default.
func (t *groupTree) effective(id string) map[portico.Feature]EffectiveSetting {
	path := append([]string{id}, t.ancestors(id)...)
	out := make(map[portico.Feature]EffectiveSetting, len(portico.Features))
	for _, fi := range portico.Features {
		es := EffectiveSetting{Enabled: fi.Default}
		for _, gid := range path {
			if g := t.byID[gid]; g != nil {
				if on, ok := g.Settings[fi.Feature]; ok {
					es = EffectiveSetting{Enabled: on, FromGroupID: gid}
					break
				}
			}
		}
		out[fi.Feature] = es
	}
	return out
}

// unassignedFolder is the Unassigned folder shown as a group; it is not stored.
func unassignedFolder(accountID string) *portico.DeviceGroup {
	return &portico.DeviceGroup{ID: portico.UnassignedGroupID, AccountID: accountID, Name: unassignedName,
		Colour: "#9E9E9E", Description: "New devices land here; they hold no licence and allow no remote action.",
		Settings: portico.GroupSettings{}}
}

// invalidField returns an invalid-input error naming one field.
func invalidField(field, format string, args ...any) error {
	var v portico.Validation
	v.Add(field, format, args...)
	return v.Err()
}

// missingField reports that field names an object that does not exist in the caller's account: a
// not-found error that still says which field.
func missingField(field, format string, args ...any) error {
	var v portico.Validation
	v.AddMissing(field, format, args...)
	return v.Err()
}

// parentTarget is where device_groups.manage is needed to create or move a group under parentID.
func parentTarget(parentID string) authz.Target {
	if parentID == "" {
		return authz.Account()
	}
	return authz.Group(parentID)
}

// seesGroup reports whether the actor may see group id in the tree: with device_groups.view there, or
// with access to its devices (a technician given a role on a group must be able to open it).
func (a *App) seesGroup(ctx context.Context, ac *Actor, id string) bool {
	return a.can(ctx, ac, portico.PermDeviceGroupsView, authz.Group(id)) ||
		a.can(ctx, ac, portico.PermDeviceView, authz.Group(id))
}

// ListDeviceGroups lists the groups the actor can see: those where they hold device_groups.view (or
// device access), and the groups above them, so that the path to every visible group stays
// navigable. The owner sees all. The Unassigned folder is not a stored group and is not listed.
func (a *App) ListDeviceGroups(ctx context.Context, ac *Actor) ([]portico.DeviceGroup, error) {
	ac.MarkDecided() // the answer is filtered group by group below
	groups, err := a.store.ListDeviceGroups(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("list device groups: %w", err)
	}
	if ac.Kind == ActorSystem {
		return groups, nil
	}
	tree := newGroupTree(groups)
	visible := make(map[string]bool, len(groups))
	for _, g := range groups {
		if visible[g.ID] || !a.seesGroup(ctx, ac, g.ID) {
			continue
		}
		visible[g.ID] = true
		for _, up := range tree.ancestors(g.ID) {
			visible[up] = true
		}
	}
	out := make([]portico.DeviceGroup, 0, len(visible))
	for _, g := range groups {
		if visible[g.ID] {
			out = append(out, g)
		}
	}
	return out, nil
}

// GetDeviceGroup returns one group, if the actor can see it (as ListDeviceGroups decides). The id
// portico.UnassignedGroupID returns the Unassigned folder.
func (a *App) GetDeviceGroup(ctx context.Context, ac *Actor, id string) (*portico.DeviceGroup, error) {
	if id == portico.UnassignedGroupID {
		if !a.can(ctx, ac, portico.PermDevicesList, authz.Account()) {
			if err := a.authorize(ctx, ac, portico.ActionDeviceGroupView, portico.PermDeviceGroupsView, authz.Group(id)); err != nil {
				return nil, err
			}
		}
		return unassignedFolder(ac.AccountID), nil
	}
	visible, err := a.seesGroupInTree(ctx, ac, id)
	if err != nil {
		return nil, fmt.Errorf("get device group: %w", err)
	}
	if !visible {
		// Refused (and audited) here; an unknown or foreign id comes back as not found.
		if err := a.authorize(ctx, ac, portico.ActionDeviceGroupView, portico.PermDeviceGroupsView, authz.Group(id)); err != nil {
			return nil, err
		}
	}
	return a.store.GetDeviceGroup(ctx, ac.AccountID, id)
}

// seesGroupInTree reports whether the actor sees a stored group in the device tree: one they may view
// themselves, or one above such a group (ListDeviceGroups shows the path to every visible group).
func (a *App) seesGroupInTree(ctx context.Context, ac *Actor, id string) (bool, error) {
	if a.seesGroup(ctx, ac, id) {
		return true, nil
	}
	groups, err := a.store.ListDeviceGroups(ctx, ac.AccountID)
	if err != nil {
		return false, err
	}
	tree := newGroupTree(groups)
	if tree.byID[id] == nil {
		return false, nil
	}
	for _, sub := range tree.subtree(id)[1:] {
		if a.seesGroup(ctx, ac, sub) {
			return true, nil
		}
	}
	return false, nil
}

// CreateDeviceGroup creates a group (device_groups.manage at the parent, or at account level for a
// top-level group). Groups nest at most MaxGroupDepth deep.
func (a *App) CreateDeviceGroup(ctx context.Context, ac *Actor, in GroupInput) (*portico.DeviceGroup, error) {
	if in.ParentID == portico.UnassignedGroupID {
		ac.MarkDecided()
		return nil, invalidField("parent_id", "the Unassigned folder cannot have sub-groups")
	}
	if err := a.authorize(ctx, ac, portico.ActionDeviceGroupCreate, portico.PermDeviceGroupsManage, parentTarget(in.ParentID)); err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return nil, missingField("parent_id", "no such device group")
		}
		return nil, err
	}
	g := &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: ac.AccountID, ParentID: in.ParentID,
		Name: strings.TrimSpace(in.Name), Colour: strings.TrimSpace(in.Colour), Description: in.Description,
		Settings: portico.GroupSettings{}, CreatedAt: a.now()}
	if g.Colour == "" {
		g.Colour = DefaultGroupColour
	}
	if err := validate(func(v *portico.Validation) { g.Validate(v); checkGroupName(v, g.Name) }); err != nil {
		return nil, portico.WithOp("create device group", err)
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		groups, err := tx.ListDeviceGroups(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		tree := newGroupTree(groups)
		if g.ParentID != "" {
			if tree.byID[g.ParentID] == nil {
				return nil, missingField("parent_id", "no such device group")
			}
			if d := tree.depth(g.ParentID) + 1; d > MaxGroupDepth {
				return nil, invalidField("parent_id", "device groups nest at most %d levels deep; %q is already at level %d",
					MaxGroupDepth, tree.name(g.ParentID), d-1)
			}
		}
		if err := tree.checkSiblingName(g); err != nil {
			return nil, err
		}
		if err := tx.CreateDeviceGroup(ctx, g); err != nil {
			return nil, err
		}
		n := groupNode(g)
		return &change{action: portico.ActionDeviceGroupCreate, targetType: "device_group", targetID: g.ID, detail: g.Name,
			edits: []authz.Change{{UpsertGroup: &n}}}, nil
	})
	if err != nil {
		return nil, portico.WithOp("create device group", err)
	}
	return g, nil
}

// UpdateDeviceGroup edits a group's name, colour, description or parent (device_groups.manage on
// the group; moving it also needs device_groups.manage at the old and at the new parent, or at
// account level for the top). A move that would put a group inside itself is refused.
func (a *App) UpdateDeviceGroup(ctx context.Context, ac *Actor, id string, in GroupUpdate) (*portico.DeviceGroup, error) {
	if id == portico.UnassignedGroupID {
		ac.MarkDecided()
		return nil, portico.Errorf(portico.KindConflict, "the Unassigned folder cannot be edited")
	}
	if err := a.authorize(ctx, ac, portico.ActionDeviceGroupUpdate, portico.PermDeviceGroupsManage, authz.Group(id)); err != nil {
		return nil, err
	}
	// The parents are authorized before the transaction: a refusal is audited outside it.
	before, err := a.store.GetDeviceGroup(ctx, ac.AccountID, id)
	if err != nil {
		return nil, err
	}
	reparent := in.ParentID != nil && *in.ParentID != before.ParentID
	if reparent {
		if *in.ParentID == portico.UnassignedGroupID {
			return nil, invalidField("parent_id", "a device group cannot be moved into the Unassigned folder")
		}
		if err := a.authorize(ctx, ac, portico.ActionDeviceGroupMove, portico.PermDeviceGroupsManage, parentTarget(before.ParentID)); err != nil {
			return nil, err
		}
		if err := a.authorize(ctx, ac, portico.ActionDeviceGroupMove, portico.PermDeviceGroupsManage, parentTarget(*in.ParentID)); err != nil {
			if portico.IsKind(err, portico.KindNotFound) {
				return nil, missingField("parent_id", "no such device group")
			}
			return nil, err
		}
	}
	var out *portico.DeviceGroup
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		groups, err := tx.ListDeviceGroups(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		tree := newGroupTree(groups)
		cur := tree.byID[id]
		if cur == nil {
			return nil, portico.NotFound("device group")
		}
		if cur.ParentID != before.ParentID {
			return nil, portico.Errorf(portico.KindConflict, "the group was moved meanwhile: reload and try again")
		}
		g := *cur
		if in.Name != nil {
			g.Name = strings.TrimSpace(*in.Name)
		}
		if in.Colour != nil && !strings.EqualFold(strings.TrimSpace(*in.Colour), cur.Colour) {
			// The same colour in other letter case (a colour picker sends lower case) is no change.
			g.Colour = strings.TrimSpace(*in.Colour)
		}
		if in.Description != nil {
			g.Description = *in.Description
		}
		var v portico.Validation
		g.Validate(&v)
		if g.Name != cur.Name {
			// A group that already bears such a name keeps it until renamed; a rename to one is refused.
			checkGroupName(&v, g.Name)
		}
		if reparent {
			g.ParentID = *in.ParentID
			switch {
			case g.ParentID == "":
			case tree.byID[g.ParentID] == nil:
				v.AddMissing("parent_id", "no such device group")
			case tree.isWithin(g.ParentID, id):
				v.Add("parent_id", "a group cannot be moved into itself or one of its sub-groups (%q is inside %q)",
					tree.name(g.ParentID), g.Name)
			default:
				if d := tree.depth(g.ParentID) + tree.height(id); d > MaxGroupDepth {
					v.Add("parent_id", "device groups nest at most %d levels deep; this move would make %d", MaxGroupDepth, d)
				}
			}
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		details := groupChanges(tree, cur, &g)
		if len(details) == 0 {
			out = &g // nothing changes: nothing is written, nothing audited
			return nil, nil
		}
		if err := tree.checkSiblingName(&g); err != nil {
			return nil, err
		}
		if err := tx.UpdateDeviceGroup(ctx, &g); err != nil {
			return nil, err
		}
		out = &g
		n := groupNode(&g)
		return &change{action: portico.ActionDeviceGroupUpdate, targetType: "device_group", targetID: id,
			detail: strings.Join(details, "; "), edits: []authz.Change{{UpsertGroup: &n}}}, nil
	})
	if err != nil {
		return nil, portico.WithOp("update device group", err)
	}
	return out, nil
}

// groupChanges describes, for the audit log, what an update changes: "name "A" → "B"", "parent …",
// "colour …", "description …", in that order; nothing when nothing changes.
func groupChanges(tree *groupTree, before, after *portico.DeviceGroup) []string {
	var out []string
	if after.Name != before.Name {
		out = append(out, fmt.Sprintf("name %q → %q", before.Name, after.Name))
	}
	if after.ParentID != before.ParentID {
		out = append(out, fmt.Sprintf("parent %q → %q", parentName(tree, before.ParentID), parentName(tree, after.ParentID)))
	}
	if after.Colour != before.Colour {
		out = append(out, fmt.Sprintf("colour %s → %s", before.Colour, after.Colour))
	}
	if after.Description != before.Description {
		out = append(out, fmt.Sprintf("description %q → %q", before.Description, after.Description))
	}
	return out
}

// parentName names a group's parent for the audit log: "(top level)" for none.
func parentName(tree *groupTree, id string) string {
	if id == "" {
		return "(top level)"
	}
	return tree.name(id)
}

// DeleteDeviceGroup deletes an empty group with its role assignments (device_groups.delete). A group
// that still holds sub-groups or devices, or that an assignment rule targets, is refused; the
// Unassigned folder cannot be deleted.
func (a *App) DeleteDeviceGroup(ctx context.Context, ac *Actor, id string) error {
	if id == portico.UnassignedGroupID {
		ac.MarkDecided()
		return portico.Errorf(portico.KindConflict, "the Unassigned folder cannot be deleted")
	}
	if err := a.authorize(ctx, ac, portico.ActionDeviceGroupDelete, portico.PermDeviceGroupsDelete, authz.Group(id)); err != nil {
		return err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		g, err := tx.GetDeviceGroup(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		groups, devices, err := tx.CountGroupChildren(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if groups > 0 || devices > 0 {
			return nil, portico.Errorf(portico.KindConflict,
				"device group %q still holds %d sub-group%s and %d device%s: move or delete them first",
				g.Name, groups, plural(groups), devices, plural(devices))
		}
		rules, err := tx.ListRules(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		var targeting []string
		for _, r := range rules {
			if r.TargetGroupID == id {
				targeting = append(targeting, fmt.Sprintf("%q", r.Name))
			}
		}
		if len(targeting) > 0 {
			return nil, portico.Errorf(portico.KindConflict,
				"device group %q is the target of assignment rule%s %s: change or delete %s first",
				g.Name, plural(len(targeting)), strings.Join(targeting, ", "), pick(len(targeting) == 1, "it", "them"))
		}
		if err := tx.DeleteDeviceGroup(ctx, ac.AccountID, id); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionDeviceGroupDelete, targetType: "device_group", targetID: id, detail: g.Name,
			edits: []authz.Change{{DeleteGroup: id}}}, nil
	})
	return portico.WithOp("delete device group", err)
}

// GetGroupSettings returns a group's own settings and their effective values after inheritance
// (device_groups.view).
func (a *App) GetGroupSettings(ctx context.Context, ac *Actor, id string) (*GroupSettingsView, error) {
	if err := a.authorize(ctx, ac, portico.ActionDeviceGroupSettingsView, portico.PermDeviceGroupsView, authz.Group(id)); err != nil {
		return nil, err
	}
	if id == portico.UnassignedGroupID {
		return &GroupSettingsView{GroupID: id, Own: portico.GroupSettings{}, Effective: (&groupTree{}).effective(id)}, nil
	}
	return a.settingsView(ctx, ac.AccountID, id)
}

func (a *App) settingsView(ctx context.Context, accountID, id string) (*GroupSettingsView, error) {
	groups, err := a.store.ListDeviceGroups(ctx, accountID)
	if err != nil {
		return nil, fmt.Errorf("group settings: %w", err)
	}
	tree := newGroupTree(groups)
	g := tree.byID[id]
	if g == nil {
		return nil, portico.NotFound("device group")
	}
	own := portico.GroupSettings{}
	for f, on := range g.Settings {
		own[f] = on
	}
	return &GroupSettingsView{GroupID: id, Own: own, Effective: tree.effective(id)}, nil
}

// PutGroupSettings replaces the settings a group sets itself (device_groups.settings). A feature left
// out is inherited from the parent group again.
func (a *App) PutGroupSettings(ctx context.Context, ac *Actor, id string, s portico.GroupSettings) (*GroupSettingsView, error) {
	return a.setGroupSettings(ctx, ac, id, portico.ActionDeviceGroupSettingsUpdate, func() (portico.GroupSettings, error) {
		own := make(portico.GroupSettings, len(s))
		for f, on := range s {
			own[f] = on
		}
		var v portico.Validation
		own.Validate(&v, "own")
		return own, v.Err()
	})
}

// SetAllGroupSettings is "Enable all" / "Disable all": it sets every feature explicitly at the group
// (device_groups.settings), so nothing is inherited any more.
func (a *App) SetAllGroupSettings(ctx context.Context, ac *Actor, id string, enabled bool) (*GroupSettingsView, error) {
	action := portico.ActionDeviceGroupSettingsDisableAll
	if enabled {
		action = portico.ActionDeviceGroupSettingsEnableAll
	}
	return a.setGroupSettings(ctx, ac, id, action, func() (portico.GroupSettings, error) {
		own := make(portico.GroupSettings, len(portico.Features))
		for _, fi := range portico.Features {
			own[fi.Feature] = enabled
		}
		return own, nil
	})
}

func (a *App) setGroupSettings(ctx context.Context, ac *Actor, id string, action portico.AuditAction, settings func() (portico.GroupSettings, error)) (*GroupSettingsView, error) {
	if id == portico.UnassignedGroupID {
		ac.MarkDecided()
		return nil, portico.Errorf(portico.KindConflict, "the Unassigned folder has no settings: its devices allow no remote action")
	}
	if err := a.authorize(ctx, ac, action, portico.PermDeviceGroupsSettings, authz.Group(id)); err != nil {
		return nil, err
	}
	own, err := settings()
	if err != nil {
		return nil, portico.WithOp("device group settings", err)
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		g, err := tx.GetDeviceGroup(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		g.Settings = own
		if err := tx.UpdateDeviceGroup(ctx, g); err != nil {
			return nil, err
		}
		n := groupNode(g)
		return &change{action: action, targetType: "device_group", targetID: id, detail: describeSettings(own),
			edits: []authz.Change{{UpsertGroup: &n}}}, nil
	})
	if err != nil {
		return nil, portico.WithOp("device group settings", err)
	}
	return a.settingsView(ctx, ac.AccountID, id)
}

// describeSettings renders settings for the audit log, in a stable order: "chat=off, view=on".
func describeSettings(s portico.GroupSettings) string {
	if len(s) == 0 {
		return "all inherited"
	}
	parts := make([]string, 0, len(s))
	for f, on := range s {
		parts = append(parts, string(f)+"="+pick(on, "on", "off"))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

func plural(n int) string { return pick(n == 1, "", "s") }

func pick[T any](cond bool, yes, no T) T {
	if cond {
		return yes
	}
	return no
}
