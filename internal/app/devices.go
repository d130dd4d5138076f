package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// maxBulkDevices bounds one bulk move or delete.
const maxBulkDevices = 1000

// DeviceQuery filters and pages ListDevices. GroupID may be portico.UnassignedGroupID; Recursive
// includes the devices of the group's sub-groups.
type DeviceQuery struct {
	GroupID        string
	Recursive      bool
	Q              string
	Status         portico.DeviceStatus
	FavouritesOnly bool
	Page           portico.Page
	// NoTotal spares counting every match when the caller shows one page without a total (the
	// search bar): DevicePage.Total is then -1, unless the total came for free.
	NoTotal bool
}

// DeviceView is a device as the actor sees it: with whether it is one of their favourites and the
// name of its group.
type DeviceView struct {
	portico.Device
	Favourite bool   `json:"favourite"`
	GroupName string `json:"group_name"`
}

// DevicePage is one page of devices and the total number matching the query.
type DevicePage struct {
	Devices []DeviceView `json:"devices"`
	Total   int          `json:"total"`
}

// DeviceUpdate is the input of UpdateDevice; nil fields stay as they are.
type DeviceUpdate struct {
	Name *string
}

// visibleDevices returns, in the engine's order (name, then id), the ids of the devices in the group
// filter on which the actor holds perm. all reports that the actor holds it on every device (the
// system, or the owner through an unnarrowed key or session): ids is then nil and the caller filters
// by group in the store instead of passing every id of a large account.
func (a *App) visibleDevices(ctx context.Context, ac *Actor, perm portico.Permission, groupID string, recursive bool) (ids []string, all bool, err error) {
	ac.MarkDecided()
	if ac.Kind == ActorSystem {
		return nil, true, nil
	}
	if ac.Kind != ActorUser && ac.Kind != ActorAPIKey {
		return nil, false, nil
	}
	if ac.KeyPermissions != nil && !ac.KeyPermissions.Has(perm) {
		return nil, false, nil
	}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return nil, false, err
	}
	now := a.now()
	if snap.Decide(authz.Query{UserID: ac.UserID, Permission: perm, Target: authz.Account(), At: now}).Reason == authz.ReasonOwner {
		return nil, true, nil
	}
	return snap.ListDevices(authz.ListQuery{UserID: ac.UserID, Permission: perm, GroupID: groupID, Recursive: recursive, At: now}), false, nil
}

// hasDeviceSection reports whether the actor may open the managed devices section: with devices.list
// at account level, or — as in the products we follow — because they have access to at least one
// device or group.
func (a *App) hasDeviceSection(ctx context.Context, ac *Actor) (bool, error) {
	if a.can(ctx, ac, portico.PermDevicesList, authz.Account()) {
		return true, nil
	}
	ids, all, err := a.visibleDevices(ctx, ac, portico.PermDeviceView, "", false)
	if err != nil || all || len(ids) > 0 {
		return err == nil, err
	}
	groups, err := a.store.ListDeviceGroups(ctx, ac.AccountID)
	if err != nil {
		return false, err
	}
	for _, g := range groups {
		if a.seesGroup(ctx, ac, g.ID) {
			return true, nil
		}
	}
	return false, nil
}

// ListDevices lists the devices the actor may view (device.view), filtered and paged. The engine
// answers which devices are visible; the store filters and pages them. An actor with no device
// access at all needs devices.list to open the section (and then sees an empty list).
func (a *App) ListDevices(ctx context.Context, ac *Actor, q DeviceQuery) (*DevicePage, error) {
	switch q.Status {
	case "", portico.DeviceAvailable, portico.DeviceUnavailable, portico.DeviceInSession:
	default:
		ac.MarkDecided()
		return nil, invalidField("status", "must be available, unavailable or in_session")
	}
	if len(q.Q) > 200 {
		ac.MarkDecided()
		return nil, invalidField("q", "must be at most 200 characters")
	}
	page := clampPage(q.Page.Limit, q.Page.Offset)
	// The group tree (names, subtrees) comes from the access snapshot, which every write keeps in step
	// with storage: reading thousands of groups per request would cost more than the devices.
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	if q.GroupID != "" && q.GroupID != portico.UnassignedGroupID {
		if _, ok := snap.GroupName(q.GroupID); !ok {
			ac.MarkDecided()
			return nil, portico.NotFound("device group")
		}
	}
	ids, all, err := a.visibleDevices(ctx, ac, portico.PermDeviceView, q.GroupID, q.Recursive)
	if err != nil {
		return nil, err
	}
	if !all && len(ids) == 0 {
		ok, err := a.hasDeviceSection(ctx, ac)
		if err != nil {
			return nil, err
		}
		if !ok {
			if err := a.authorize(ctx, ac, portico.ActionDeviceList, portico.PermDevicesList, authz.Account()); err != nil {
				return nil, err
			}
		}
		return &DevicePage{Devices: []DeviceView{}}, nil
	}
	favs, err := a.favouriteSet(ctx, ac)
	if err != nil {
		return nil, err
	}
	f := portico.DeviceFilter{Q: q.Q, Status: q.Status, Page: page, NoTotal: q.NoTotal}
	if all {
		switch {
		case q.GroupID == "":
		case q.Recursive && q.GroupID != portico.UnassignedGroupID:
			f.GroupIDs = snap.Subtree(q.GroupID)
		default:
			f.GroupIDs = []string{q.GroupID}
		}
		if q.FavouritesOnly {
			for id := range favs {
				f.IDs = append(f.IDs, id)
			}
		}
	} else if q.FavouritesOnly {
		kept := ids[:0:0]
		for _, id := range ids {
			if favs[id] {
				kept = append(kept, id)
			}
		}
		ids = kept
	}
	if (all && q.FavouritesOnly && len(f.IDs) == 0) || (!all && len(ids) == 0) {
		return &DevicePage{Devices: []DeviceView{}}, nil
	}

	var devices []portico.Device
	var total int
	if !all && q.Q == "" && q.Status == "" {
		// The engine's list is already in display order: page it here and fetch only that page.
		total = len(ids)
		lo, hi := min(page.Offset, total), min(page.Offset+page.Limit, total)
		if lo < hi {
			pageIDs := ids[lo:hi]
			found, _, err := a.store.ListDevices(ctx, ac.AccountID, portico.DeviceFilter{IDs: pageIDs, Page: portico.Page{Limit: len(pageIDs)}})
			if err != nil {
				return nil, fmt.Errorf("list devices: %w", err)
			}
			byID := make(map[string]portico.Device, len(found))
			for _, d := range found {
				byID[d.ID] = d
			}
			for _, id := range pageIDs {
				if d, ok := byID[id]; ok {
					devices = append(devices, d)
				}
			}
		}
	} else {
		if !all {
			f.IDs = ids
		}
		devices, total, err = a.store.ListDevices(ctx, ac.AccountID, f)
		if err != nil {
			return nil, fmt.Errorf("list devices: %w", err)
		}
	}
	out := &DevicePage{Devices: make([]DeviceView, 0, len(devices)), Total: total}
	for _, d := range devices {
		out.Devices = append(out.Devices, DeviceView{Device: d, Favourite: favs[d.ID], GroupName: groupName(snap, d.GroupID)})
	}
	return out, nil
}

// favouriteSet returns the ids of the actor's favourite devices (none for an agent or the system).
func (a *App) favouriteSet(ctx context.Context, ac *Actor) (map[string]bool, error) {
	set := map[string]bool{}
	if ac.UserID == "" {
		return set, nil
	}
	ids, err := a.store.ListFavourites(ctx, ac.AccountID, ac.UserID)
	if err != nil {
		return nil, fmt.Errorf("list favourites: %w", err)
	}
	for _, id := range ids {
		set[id] = true
	}
	return set, nil
}

// deviceView decorates a device with the actor's favourite mark and its group's name.
func (a *App) deviceView(ctx context.Context, ac *Actor, d *portico.Device) (*DeviceView, error) {
	favs, err := a.favouriteSet(ctx, ac)
	if err != nil {
		return nil, err
	}
	name := unassignedName
	if !d.Unassigned() {
		g, err := a.store.GetDeviceGroup(ctx, d.AccountID, d.GroupID)
		if err != nil {
			return nil, fmt.Errorf("device group of %s: %w", d.ID, err)
		}
		name = g.Name
	}
	return &DeviceView{Device: *d, Favourite: favs[d.ID], GroupName: name}, nil
}

// GetDevice returns one device (device.view).
func (a *App) GetDevice(ctx context.Context, ac *Actor, id string) (*DeviceView, error) {
	if err := a.authorize(ctx, ac, portico.ActionDeviceView, portico.PermDeviceView, authz.Device(id)); err != nil {
		return nil, err
	}
	d, err := a.store.GetDevice(ctx, ac.AccountID, id)
	if err != nil {
		return nil, err
	}
	return a.deviceView(ctx, ac, d)
}

// DeviceGroupID returns the group the device is in now (portico.UnassignedGroupID for Unassigned).
// It decides nothing and audits nothing: the hub asks it on no one's behalf when it re-checks a live
// session, to tell a device moved out of the technician's reach from a revoked permission.
func (a *App) DeviceGroupID(ctx context.Context, accountID, deviceID string) (string, error) {
	d, err := a.store.GetDevice(ctx, accountID, deviceID)
	if err != nil {
		return "", err
	}
	return d.GroupID, nil
}

// UpdateDevice edits a device's display name (device.edit).
func (a *App) UpdateDevice(ctx context.Context, ac *Actor, id string, in DeviceUpdate) (*DeviceView, error) {
	if err := a.authorize(ctx, ac, portico.ActionDeviceUpdate, portico.PermDeviceEdit, authz.Device(id)); err != nil {
		return nil, err
	}
	var out *portico.Device
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		d, err := tx.GetDevice(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		old := d.Name
		if in.Name != nil {
			d.Name = strings.TrimSpace(*in.Name)
		}
		if err := validate(d.ValidateEdit); err != nil {
			return nil, err
		}
		out = d
		if d.Name == old {
			return nil, nil // nothing changed: nothing to record
		}
		if err := tx.UpdateDevice(ctx, d); err != nil {
			return nil, err
		}
		detail := fmt.Sprintf("name %q → %q", old, d.Name)
		if err := tx.AddHistory(ctx, a.historyEntry(ac, d, "edited", detail)); err != nil {
			return nil, err
		}
		n := deviceNode(d)
		return &change{action: portico.ActionDeviceUpdate, targetType: "device", targetID: id, detail: detail,
			edits: []authz.Change{{UpsertDevice: &n}}}, nil
	})
	if err != nil {
		return nil, portico.WithOp("update device", err)
	}
	return a.deviceView(ctx, ac, out)
}

// checkDeviceIDs refuses an empty or oversized bulk request and returns the ids without repeats.
func checkDeviceIDs(ac *Actor, ids []string) ([]string, error) {
	ids = dedupe(ids)
	switch {
	case len(ids) == 0:
		ac.MarkDecided()
		return nil, invalidField("device_ids", "must list at least one device")
	case len(ids) > maxBulkDevices:
		ac.MarkDecided()
		return nil, invalidField("device_ids", "must list at most %d devices at once (got %d)", maxBulkDevices, len(ids))
	}
	for i, id := range ids {
		if id == "" {
			ac.MarkDecided()
			return nil, invalidField("device_ids["+itoa(i)+"]", "is empty")
		}
	}
	return ids, nil
}

// loadDevices reads the listed devices of the account in one query, failing with not found if any
// is missing.
func loadDevices(ctx context.Context, tx *store.Tx, accountID string, ids []string) ([]portico.Device, error) {
	found, _, err := tx.ListDevices(ctx, accountID, portico.DeviceFilter{IDs: ids, Page: portico.Page{Limit: len(ids)}})
	if err != nil {
		return nil, err
	}
	if len(found) != len(ids) {
		return nil, portico.NotFound("device")
	}
	return found, nil
}

// DeleteDevices deletes devices (device.delete on every one), all or none, in one transaction. Their
// history and favourites go with them.
func (a *App) DeleteDevices(ctx context.Context, ac *Actor, ids []string) error {
	ids, err := checkDeviceIDs(ac, ids)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if err := a.authorize(ctx, ac, portico.ActionDeviceDelete, portico.PermDeviceDelete, authz.Device(id)); err != nil {
			return err
		}
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		devices, err := loadDevices(ctx, tx, ac.AccountID, ids)
		if err != nil {
			return nil, err
		}
		edits := make([]authz.Change, 0, len(devices))
		for i := range devices {
			d := &devices[i]
			if err := tx.DeleteDevice(ctx, ac.AccountID, d.ID); err != nil {
				return nil, err
			}
			edits = append(edits, authz.Change{DeleteDevice: d.ID})
			// One audit entry per device; the last one is appended by write with the change.
			if i < len(devices)-1 {
				if err := a.auditInTx(ctx, tx, ac, portico.ActionDeviceDelete, "device", d.ID, d.Name); err != nil {
					return nil, err
				}
			}
		}
		last := devices[len(devices)-1]
		return &change{action: portico.ActionDeviceDelete, targetType: "device", targetID: last.ID, detail: last.Name, edits: edits}, nil
	})
	if err != nil {
		return portico.WithOp("delete devices", err)
	}
	// The rows are gone, so the agents' credentials no longer authenticate; every node tells the
	// agents it holds to stop (LiveChange.DeletedDevices).
	return nil
}

// MoveDevices moves devices to a group or to Unassigned, all or none (device.move on every device and
// on the target). Leaving Unassigned takes a managed-agent licence, refused when none is free, and
// starts the 90 days during which the device cannot return to Unassigned; returning frees the licence.
// The new group's permissions apply from the next decision.
func (a *App) MoveDevices(ctx context.Context, ac *Actor, ids []string, groupID string) error {
	ids, err := checkDeviceIDs(ac, ids)
	if groupID == "" {
		// Both are named at once, so that the caller learns everything that is missing.
		ac.MarkDecided()
		var v portico.Validation
		var pe *portico.Error
		if errors.As(err, &pe) {
			v.Fields = append(v.Fields, pe.Fields...)
		}
		v.Add("group_id", "is required")
		return v.Err()
	}
	if err != nil {
		return err
	}
	if err := a.authorize(ctx, ac, portico.ActionDeviceMove, portico.PermDeviceMove, authz.Group(groupID)); err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return missingField("group_id", "no such device group")
		}
		return err
	}
	for _, id := range ids {
		if err := a.authorize(ctx, ac, portico.ActionDeviceMove, portico.PermDeviceMove, authz.Device(id)); err != nil {
			return err
		}
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		groups, err := tx.ListDeviceGroups(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		tree := newGroupTree(groups)
		if groupID != portico.UnassignedGroupID && tree.byID[groupID] == nil {
			return nil, missingField("group_id", "no such device group")
		}
		devices, err := loadDevices(ctx, tx, ac.AccountID, ids)
		if err != nil {
			return nil, err
		}
		now := a.now()
		var v portico.Validation
		var moving []*portico.Device
		leaving := 0
		for i := range devices {
			d := &devices[i]
			if d.GroupID == groupID {
				continue // already there
			}
			if groupID == portico.UnassignedGroupID && !d.CanReturnToUnassigned(now) {
				v.Add("group_id", "device %q left Unassigned on %s and cannot return to it before %s (90 days)",
					d.Name, d.LeftUnassignedAt.Format(time.DateOnly), d.LeftUnassignedAt.Add(portico.UnassignedLockout).Format(time.DateOnly))
				continue
			}
			if d.Unassigned() {
				leaving++
			}
			moving = append(moving, d)
		}
		if err := v.Err(); err != nil {
			return nil, err
		}
		if len(moving) == 0 {
			return nil, nil
		}
		if leaving > 0 {
			if err := checkLicences(ctx, tx, acc, leaving); err != nil {
				return nil, err
			}
		}
		edits := make([]authz.Change, 0, len(moving))
		var lastDetail string
		for i, d := range moving {
			from := tree.name(d.GroupID)
			if err := a.moveDevice(ctx, tx, d, groupID, now); err != nil {
				return nil, err
			}
			detail := fmt.Sprintf("from %q to %q", from, tree.name(groupID))
			if err := tx.AddHistory(ctx, a.historyEntry(ac, d, "moved", detail)); err != nil {
				return nil, err
			}
			n := deviceNode(d)
			edits = append(edits, authz.Change{UpsertDevice: &n})
			lastDetail = d.Name + " " + detail
			if i < len(moving)-1 {
				if err := a.auditInTx(ctx, tx, ac, portico.ActionDeviceMove, "device", d.ID, lastDetail); err != nil {
					return nil, err
				}
			}
		}
		return &change{action: portico.ActionDeviceMove, targetType: "device", targetID: moving[len(moving)-1].ID,
			detail: lastDetail, edits: edits}, nil
	})
	return portico.WithOp("move devices", err)
}

// moveDevice stores d in group groupID and updates d to match. Leaving Unassigned starts the 90-day
// lockout and counts as the device's one assignment, so assignment rules never move it later.
func (a *App) moveDevice(ctx context.Context, tx *store.Tx, d *portico.Device, groupID string, now time.Time) error {
	var left *time.Time
	if d.Unassigned() && groupID != portico.UnassignedGroupID {
		t := now
		left = &t
	}
	if err := tx.MoveDevices(ctx, d.AccountID, []string{d.ID}, groupID, left); err != nil {
		return err
	}
	d.GroupID = groupID
	if left != nil {
		d.LeftUnassignedAt = left
		if !d.RuleApplied {
			d.RuleApplied = true
			if err := tx.UpdateDevice(ctx, d); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkLicences refuses, with KindLimit, when fewer than need managed-agent licences are free.
func checkLicences(ctx context.Context, tx *store.Tx, acc *portico.Account, need int) error {
	used, err := tx.CountLicensedDevices(ctx, acc.ID)
	if err != nil {
		return err
	}
	if free := acc.Settings.ManagedLicences - used; need > free {
		return portico.Errorf(portico.KindLimit,
			"no free managed-agent licence: %d of %d in use, and moving %d device%s out of Unassigned needs %d; "+
				"move devices back to Unassigned or add licences", used, acc.Settings.ManagedLicences, need, plural(need), need)
	}
	return nil
}

// SetFavourite marks or unmarks a device as one of the actor's favourites (device.view).
func (a *App) SetFavourite(ctx context.Context, ac *Actor, deviceID string, on bool) error {
	action := pick(on, portico.ActionDeviceFavourite, portico.ActionDeviceUnfavourite)
	if err := a.authorize(ctx, ac, action, portico.PermDeviceView, authz.Device(deviceID)); err != nil {
		return err
	}
	if ac.UserID == "" {
		return portico.Errorf(portico.KindForbidden, "only a user has favourites")
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if _, err := tx.GetDevice(ctx, ac.AccountID, deviceID); err != nil {
			return nil, err
		}
		if err := tx.SetFavourite(ctx, ac.AccountID, ac.UserID, deviceID, on); err != nil {
			return nil, err
		}
		return &change{action: action, targetType: "device", targetID: deviceID}, nil
	})
	return portico.WithOp("favourite", err)
}

// DeviceHistory lists a device's history, newest first as the store orders it (device.history).
func (a *App) DeviceHistory(ctx context.Context, ac *Actor, id string, f portico.HistoryFilter) ([]portico.HistoryEntry, int, error) {
	if err := a.authorize(ctx, ac, portico.ActionDeviceHistory, portico.PermDeviceHistory, authz.Device(id)); err != nil {
		return nil, 0, err
	}
	if f.Since != nil && f.Until != nil && f.Until.Before(*f.Since) {
		return nil, 0, invalidField("until", "must not be before since")
	}
	f.Page = clampPage(f.Page.Limit, f.Page.Offset)
	return a.store.ListHistory(ctx, ac.AccountID, id, f)
}

// historyEntry records an action on a device and who did it.
func (a *App) historyEntry(ac *Actor, d *portico.Device, action, detail string) *portico.HistoryEntry {
	actorID := ac.UserID
	if ac.Kind == ActorAgent {
		actorID = ac.DeviceID
	}
	return &portico.HistoryEntry{ID: portico.NewID("hst"), AccountID: d.AccountID, DeviceID: d.ID, At: a.now(),
		ActorID: actorID, ActorName: ac.Name, Action: action, Detail: detail}
}

// auditInTx appends a success entry inside a transaction, for writes that record more than the one
// entry write appends (one per device of a bulk change).
func (a *App) auditInTx(ctx context.Context, tx *store.Tx, ac *Actor, action portico.AuditAction, targetType, targetID, detail string) error {
	return tx.AppendAudit(ctx, a.auditEvent(ac, action, targetType, targetID, portico.OutcomeSuccess, detail))
}
