package portal

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/export"
	"github.com/portico-dev/portico/internal/protocol"
)

// devicesSessionActions are the remote actions the device page offers, in toolbar order.
var devicesSessionActions = []string{"screen_view", "remote_control", "terminal", "file_transfer", "task_manager",
	"chat", "message", "screenshot"}

// devicesDeviceView is the device page.
type devicesDeviceView struct {
	D          *app.DeviceView
	Online     bool
	Unassigned bool
	// Actions are the remote actions the user may start here (whether online or not).
	Actions []string
	Can     devicesDeviceCan
	// Inventory is the agent's latest report; nil when it never sent one or the user may not see it.
	Inventory   *protocol.Inventory
	InventoryAt *time.Time
	// MemoryGiB and Disks are the inventory's sizes in GiB, for display.
	MemoryGiB float64
	Disks     []devicesDisk
	Software  []protocol.Software
	SoftwareQ string
	History   []portico.HistoryEntry
	HistoryF  devicesHistoryFilter
	// Perms are the permissions the explain panels offer.
	Perms       []string
	ExplainPerm string
	Explain     *authz.Explanation
	WhoPerm     string
	Who         []authz.WhoCanEntry
	PanelError  string
}

// devicesDisk is a storage entry of the inventory with its sizes in GiB.
type devicesDisk struct {
	protocol.Disk
	TotalGiB, FreeGiB float64
}

// devicesGiB converts bytes to GiB rounded to one decimal.
func devicesGiB(b uint64) float64 { return math.Round(float64(b)/(1<<30)*10) / 10 }

// devicesDeviceCan is what the user may do on the device.
type devicesDeviceCan struct {
	Edit, Move, Delete, History, Inventory, WhoCan bool
}

// devicesHistoryFilter is the history section's filter form.
type devicesHistoryFilter struct {
	Action, User, From, To string
}

func (q *request) devicesDevicePage() error {
	id := q.r.PathValue("id")
	d, err := q.p.app.GetDevice(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	set, err := q.p.app.Effective(q.ctx, q.actor, authz.Device(id))
	if err != nil {
		return err
	}
	v := &devicesDeviceView{D: d, Unassigned: d.Unassigned(),
		Online: d.Status == portico.DeviceAvailable || d.Status == portico.DeviceInSession}
	v.Can = devicesDeviceCan{Edit: set.Has(portico.PermDeviceEdit), Move: set.Has(portico.PermDeviceMove),
		Delete: set.Has(portico.PermDeviceDelete), History: set.Has(portico.PermDeviceHistory),
		Inventory: set.Has(portico.PermDeviceInventory), WhoCan: q.can(portico.PermUsersView)}
	for _, a := range devicesSessionActions {
		if !v.Unassigned && set.Has(portico.Permission("device."+a)) {
			v.Actions = append(v.Actions, a)
		}
	}
	// Breadcrumbs: the device's group, then the device.
	if v.Unassigned {
		q.active = "unassigned"
		q.crumb(q.devicesT("menu.unassigned"), "/groups/unassigned")
	} else {
		q.active = "group:" + d.GroupID
		q.crumb(d.GroupName, "/groups/"+d.GroupID)
	}
	q.crumb(d.Name, "")

	query := q.r.URL.Query()
	table := query.Get("table")
	if v.Can.Inventory {
		inv, err := q.p.app.DeviceInventory(q.ctx, q.actor, id)
		if err != nil {
			return err
		}
		if len(inv.Inventory) > 0 && string(inv.Inventory) != "null" {
			var doc protocol.Inventory
			if err := json.Unmarshal(inv.Inventory, &doc); err == nil {
				v.Inventory, v.InventoryAt = &doc, inv.ReportedAt
				v.MemoryGiB = devicesGiB(doc.MemoryBytes)
				for _, s := range doc.Storage {
					v.Disks = append(v.Disks, devicesDisk{Disk: s, TotalGiB: devicesGiB(s.TotalBytes), FreeGiB: devicesGiB(s.FreeBytes)})
				}
			}
		}
		v.SoftwareQ = strings.TrimSpace(query.Get("sw"))
		if v.Inventory != nil {
			lower := strings.ToLower(v.SoftwareQ)
			for _, s := range v.Inventory.Software {
				if lower == "" || strings.Contains(strings.ToLower(s.Name+" "+s.Publisher+" "+s.Version), lower) {
					v.Software = append(v.Software, s)
				}
			}
		}
		if table == "software" && q.exportFormat() != "" {
			t := export.Table{Title: d.Name + " — " + q.devicesT("devices.software"), Columns: []string{
				q.devicesT("devices.software.name"), q.devicesT("devices.software.version"), q.devicesT("devices.software.publisher")}}
			for _, s := range v.Software {
				t.Rows = append(t.Rows, []string{s.Name, s.Version, s.Publisher})
			}
			return q.sendTable(t, q.exportFormat())
		}
	}
	if v.Can.History {
		if err := q.devicesHistory(v, query.Get("action"), query.Get("user"), query.Get("from"), query.Get("to")); err != nil {
			return err
		}
		if table == "history" && q.exportFormat() != "" {
			t := export.Table{Title: d.Name + " — " + q.devicesT("devices.history"), Columns: []string{
				q.devicesT("devices.history.when"), q.devicesT("devices.history.action"), q.devicesT("devices.history.user"),
				q.devicesT("devices.history.detail")}}
			for _, h := range v.History {
				t.Rows = append(t.Rows, []string{formatTime(q, h.At, false), h.Action, h.ActorName, h.Detail})
			}
			return q.sendTable(t, q.exportFormat())
		}
	}
	if table != "" && q.exportFormat() != "" {
		return portico.Errorf(portico.KindInvalid, "nothing to export as %q here", table)
	}
	for _, p := range portico.Catalogue() {
		if p.Scope == portico.ScopeTree && strings.HasPrefix(string(p.ID), "device.") {
			v.Perms = append(v.Perms, string(p.ID))
		}
	}
	if p := query.Get("explain"); p != "" {
		v.ExplainPerm = p
		ex, err := q.p.app.Explain(q.ctx, q.actor, app.ExplainInput{Permission: portico.Permission(p), DeviceID: id})
		if err != nil {
			if !portico.IsKind(err, portico.KindInvalid) {
				return err
			}
			v.PanelError = q.devicesErrorText(err)
		}
		v.Explain = ex
	}
	if p := query.Get("who"); p != "" && v.Can.WhoCan {
		v.WhoPerm = p
		who, err := q.p.app.WhoCan(q.ctx, q.actor, app.ExplainInput{Permission: portico.Permission(p), DeviceID: id})
		if err != nil {
			if !portico.IsKind(err, portico.KindInvalid) {
				return err
			}
			v.PanelError = q.devicesErrorText(err)
		}
		v.Who = who
	}
	return q.render(http.StatusOK, "devices/device", v)
}

// devicesHistoryLimit bounds the history a page reads and filters by user.
const devicesHistoryLimit = 1000

// devicesHistory reads the device's history with the filters of the history form (dates are days,
// the "to" day included).
func (q *request) devicesHistory(v *devicesDeviceView, action, user, from, to string) error {
	v.HistoryF = devicesHistoryFilter{Action: action, User: user, From: from, To: to}
	f := portico.HistoryFilter{Action: action, Page: portico.Page{Limit: devicesHistoryLimit}}
	if from != "" {
		t, err := time.ParseInLocation(time.DateOnly, from, time.Local)
		if err != nil {
			return portico.Errorf(portico.KindInvalid, "from must be a date (YYYY-MM-DD)")
		}
		f.Since = &t
	}
	if to != "" {
		t, err := time.ParseInLocation(time.DateOnly, to, time.Local)
		if err != nil {
			return portico.Errorf(portico.KindInvalid, "to must be a date (YYYY-MM-DD)")
		}
		t = t.AddDate(0, 0, 1)
		f.Until = &t
	}
	list, _, err := q.p.app.DeviceHistory(q.ctx, q.actor, v.D.ID, f)
	if err != nil {
		return err
	}
	lower := strings.ToLower(strings.TrimSpace(user))
	for _, h := range list {
		if lower == "" || strings.Contains(strings.ToLower(h.ActorName), lower) {
			v.History = append(v.History, h)
		}
	}
	return nil
}

// devicesEditForm is the form that renames a device.
type devicesEditForm struct {
	D      *app.DeviceView
	Name   string
	Errors map[string]string
}

func (q *request) devicesEditPage() error {
	d, err := q.devicesFormDevice()
	if err != nil {
		return err
	}
	if err := q.devicesMayOpen(portico.PermDeviceEdit, authz.Device(d.ID)); err != nil {
		return err
	}
	return q.render(http.StatusOK, "devices/device-edit", &devicesEditForm{D: d, Name: d.Name, Errors: map[string]string{}})
}

func (q *request) devicesFormDevice() (*app.DeviceView, error) {
	d, err := q.p.app.GetDevice(q.ctx, q.actor, q.r.PathValue("id"))
	if err != nil {
		return nil, err
	}
	q.active = "group:" + d.GroupID
	if d.Unassigned() {
		q.active = "unassigned"
	}
	q.crumb(d.Name, "/devices/"+d.ID)
	q.crumb(q.devicesT("devices.edit"), "")
	return d, nil
}

func (q *request) devicesEdit() error {
	d, err := q.devicesFormDevice()
	if err != nil {
		return err
	}
	name := q.r.PostFormValue("name")
	if _, err := q.p.app.UpdateDevice(q.ctx, q.actor, d.ID, app.DeviceUpdate{Name: &name}); err != nil {
		if !portico.IsKind(err, portico.KindInvalid) {
			return err
		}
		return q.render(http.StatusUnprocessableEntity, "devices/device-edit",
			&devicesEditForm{D: d, Name: name, Errors: fieldErrors(devicesUnwrap(err))})
	}
	return q.redirect("/devices/" + d.ID)
}

// devicesToggleFavourite marks or unmarks the device as a favourite (on=1|0, else the opposite of now).
func (q *request) devicesToggleFavourite() error {
	id := q.r.PathValue("id")
	d, err := q.p.app.GetDevice(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	on := !d.Favourite
	switch q.r.PostFormValue("on") {
	case "1":
		on = true
	case "0":
		on = false
	}
	if err := q.p.app.SetFavourite(q.ctx, q.actor, id, on); err != nil {
		return err
	}
	return q.redirect(devicesBack(q.r.PostFormValue("back"), fmt.Sprintf("/devices/%s", id)))
}
