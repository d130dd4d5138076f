package portal

import (
	"net/http"
	"sort"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/app"
)

// devicesConfirmView is the confirmation before moving or deleting devices: which devices, and for a
// move the group to move them to.
type devicesConfirmView struct {
	Action  string // "move" or "delete"
	Devices []*app.DeviceView
	Targets []devicesOption
	GroupID string
	Back    string
	Failed  string
	// NoTargets: there is no group the user may move devices into.
	NoTargets bool
}

// devicesConfirmPage is GET /devices/confirm?action=move|delete&device_ids=…&back=…, reached from a
// table's bulk actions or a device's toolbar.
func (q *request) devicesConfirmPage() error {
	qv := q.r.URL.Query()
	v, err := q.devicesConfirmView(qv.Get("action"), qv["device_ids"], qv.Get("group_id"), qv.Get("back"))
	if err != nil {
		return err
	}
	return q.render(http.StatusOK, "devices/confirm", v)
}

func (q *request) devicesConfirmView(action string, ids []string, groupID, back string) (*devicesConfirmView, error) {
	if action != "move" && action != "delete" {
		return nil, portico.Errorf(portico.KindInvalid, "action must be move or delete")
	}
	if len(ids) == 0 {
		return nil, portico.Errorf(portico.KindInvalid, "choose at least one device")
	}
	if len(ids) > 1000 {
		return nil, portico.Errorf(portico.KindInvalid, "choose at most 1000 devices at once")
	}
	v := &devicesConfirmView{Action: action, GroupID: groupID, Back: devicesBack(back, "/")}
	for _, id := range ids {
		d, err := q.p.app.GetDevice(q.ctx, q.actor, id)
		if err != nil {
			return nil, err
		}
		v.Devices = append(v.Devices, d)
	}
	if action == "move" {
		// Only the groups the user may move devices into: the app wants device.move at the
		// destination (and on each device where it is now).
		groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
		if err != nil {
			return nil, err
		}
		paths := devicesGroupPaths(groups)
		for _, g := range groups {
			if g.ID == portico.UnassignedGroupID || !q.canOn(portico.PermDeviceMove, authz.Group(g.ID)) {
				continue
			}
			v.Targets = append(v.Targets, devicesOption{g.ID, paths[g.ID]})
		}
		sort.Slice(v.Targets, func(i, j int) bool { return v.Targets[i].Label < v.Targets[j].Label })
		if q.canOn(portico.PermDeviceMove, authz.Group(portico.UnassignedGroupID)) {
			v.Targets = append([]devicesOption{{portico.UnassignedGroupID, q.devicesT("menu.unassigned")}}, v.Targets...)
		}
		v.NoTargets = len(v.Targets) == 0
	}
	q.crumb(q.devicesT("devices.confirm."+action+".title"), "")
	return v, nil
}

// devicesMove is POST /devices/move {device_ids, group_id}: all or nothing. A refusal the user can act
// on (the 90-day rule, no free licence) shows on the confirmation page again, with nothing moved.
func (q *request) devicesMove() error {
	if err := q.r.ParseForm(); err != nil {
		return portico.Errorf(portico.KindInvalid, "bad form: %v", err)
	}
	ids, groupID, back := q.r.PostForm["device_ids"], q.r.PostForm.Get("group_id"), q.r.PostForm.Get("back")
	if err := q.p.app.MoveDevices(q.ctx, q.actor, ids, groupID); err != nil {
		return q.devicesBulkFailed("move", ids, groupID, back, err)
	}
	return q.redirect(devicesBack(back, "/groups/"+groupID))
}

// devicesDelete is POST /devices/delete {device_ids}.
func (q *request) devicesDelete() error {
	if err := q.r.ParseForm(); err != nil {
		return portico.Errorf(portico.KindInvalid, "bad form: %v", err)
	}
	ids, back := q.r.PostForm["device_ids"], q.r.PostForm.Get("back")
	if err := q.p.app.DeleteDevices(q.ctx, q.actor, ids); err != nil {
		return q.devicesBulkFailed("delete", ids, "", back, err)
	}
	return q.redirect(devicesBack(back, "/"))
}

func (q *request) devicesBulkFailed(action string, ids []string, groupID, back string, err error) error {
	status := http.StatusUnprocessableEntity
	switch portico.KindOf(err) {
	case portico.KindInvalid, portico.KindLimit, portico.KindConflict:
	case portico.KindForbidden:
		status = http.StatusForbidden
	default:
		return err
	}
	v, verr := q.devicesConfirmView(action, ids, groupID, back)
	if verr != nil {
		return err // the devices themselves are the problem: report the app's refusal
	}
	v.Failed = q.devicesErrorText(err)
	if status == http.StatusForbidden {
		v.Failed = q.devicesRefusalText(action, v.Devices, groupID, err)
	}
	return q.render(status, "devices/confirm", v)
}

// devicesRefusalText says where a refused move or delete lacks the permission: the destination
// group, else the first device whose group does not allow it. It falls back on the app's message.
func (q *request) devicesRefusalText(action string, devices []*app.DeviceView, groupID string, err error) string {
	perm := portico.PermDeviceDelete
	if action == "move" {
		perm = portico.PermDeviceMove
	}
	permName := q.devicesT("perm." + string(perm))
	groupName := func(id, name string) string {
		if id == portico.UnassignedGroupID {
			return q.devicesT("menu.unassigned")
		}
		return name
	}
	if action == "move" && groupID != "" && !q.canOn(perm, authz.Group(groupID)) {
		name := groupID
		if g, gerr := q.p.app.GetDeviceGroup(q.ctx, q.actor, groupID); gerr == nil {
			name = g.Name
		}
		return q.devicesT("devices.confirm.denied_to", groupName(groupID, name), permName)
	}
	for _, d := range devices {
		if !q.canOn(perm, authz.Device(d.ID)) {
			return q.devicesT("devices.confirm."+action+".denied_from", d.Name, groupName(d.GroupID, d.GroupName), permName)
		}
	}
	return q.devicesErrorText(err)
}
