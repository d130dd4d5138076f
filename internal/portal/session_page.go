package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/app"
)

// sessionPanel is one tab of the session page: a tool shown when the session carries one of its
// actions.
type sessionPanel struct {
	// Key names the panel (its element ids are "panel-KEY" and "tab-KEY", its title "session.panel.KEY").
	Key string
	// Actions are the session actions that bring the panel; the page shows it when any is present.
	Actions []string
}

// sessionPanels are the panels of the session page in display order.
var sessionPanels = []sessionPanel{
	{Key: "screen", Actions: []string{"remote_control", "screen_view"}},
	{Key: "terminal", Actions: []string{"terminal"}},
	{Key: "files", Actions: []string{"file_transfer"}},
	{Key: "tasks", Actions: []string{"task_manager"}},
	{Key: "chat", Actions: []string{"chat"}},
	{Key: "message", Actions: []string{"message"}},
	{Key: "screenshot", Actions: []string{"screenshot"}},
	{Key: "clipboard", Actions: []string{"clipboard"}},
	{Key: "power", Actions: []string{"reboot", "lock", "wake", "ctrl_alt_del", "blank_screen"}},
}

// sessionPageData is what the session page shows before its script takes over.
type sessionPageData struct {
	Device *app.DeviceView
	// Actions are the requested actions the user may use on the device, in the catalogue's order.
	Actions []string
	// Refused are requested actions the user may not use here; the session goes ahead without them.
	Refused []string
	// Panels are the panels the actions bring, each with the actions it serves in this session.
	Panels []sessionPanel
	// Online is whether the device's agent is connected now.
	Online bool
	// SocketURL is the path of the technician WebSocket for these actions.
	SocketURL string
	// Strings are the keys (after "session.") of the texts the script needs, passed in the page.
	Strings []string
}

// sessionScriptKeys lists the keys (after "session.") of every session string, which the page hands
// to its script: the script shows most of the page's texts itself.
func (c *catalog) sessionScriptKeys() []string {
	var keys []string
	for k := range c.strings[languages[0].tag] {
		if rest, ok := strings.CutPrefix(k, "session."); ok {
			keys = append(keys, rest)
		}
	}
	slices.Sort(keys)
	return keys
}

// sessionPage opens a remote session in the browser: the server checks that the device is visible
// and narrows the requested actions to those the user may use, and the page's script speaks the
// session WebSocket. The WebSocket decides again; this only spares the user a refusal.
func (q *request) sessionPage() error {
	id := q.r.PathValue("id")
	dev, err := q.p.app.GetDevice(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	requested, err := sessionRequestedActions(q.r.URL.Query()["actions"])
	if err != nil {
		return err
	}
	held, err := q.p.app.Effective(q.ctx, q.actor, authz.Device(dev.ID))
	if err != nil {
		return err
	}
	d := sessionPageData{Device: dev, Strings: q.p.locales.sessionScriptKeys()}
	for _, act := range app.SessionActions {
		asked := slices.Contains(requested, act)
		if len(requested) > 0 && !asked {
			continue
		}
		switch {
		case held.Has(app.ActionPermission(act)):
			d.Actions = append(d.Actions, act)
		case asked:
			d.Refused = append(d.Refused, act)
		}
	}
	if len(d.Actions) == 0 {
		return portico.Errorf(portico.KindForbidden, "you may not use any of these remote actions on this device")
	}
	for _, p := range sessionPanels {
		var acts []string
		for _, a := range p.Actions {
			if slices.Contains(d.Actions, a) {
				acts = append(acts, a)
			}
		}
		if len(acts) > 0 {
			d.Panels = append(d.Panels, sessionPanel{Key: p.Key, Actions: acts})
		}
	}
	if q.p.hub != nil {
		d.Online = q.p.hub.Reachable(q.ctx, dev.AccountID, dev.ID)
	} else {
		d.Online = dev.Status != portico.DeviceUnavailable
	}
	d.SocketURL = "/api/v1/devices/" + url.PathEscape(dev.ID) + "/session?actions=" + url.QueryEscape(strings.Join(d.Actions, ","))
	q.active = "device:" + dev.ID
	q.crumb(dev.GroupName, "/groups/"+url.PathEscape(dev.GroupID))
	q.crumb(dev.Name, "/devices/"+url.PathEscape(dev.ID))
	q.crumb(q.p.locales.text(q.lang, "session.crumb"), "")
	return q.render(http.StatusOK, "session/session", d)
}

// sessionRequestedActions reads the actions of the query (repeated or comma-separated), refusing an
// unknown one; none means every action the user holds.
func sessionRequestedActions(values []string) ([]string, error) {
	var out []string
	for _, v := range values {
		for _, a := range strings.Split(v, ",") {
			a = strings.TrimSpace(a)
			if a == "" || slices.Contains(out, a) {
				continue
			}
			if !slices.Contains(app.SessionActions, a) {
				return nil, portico.Errorf(portico.KindInvalid, "%q is not a remote action", a)
			}
			out = append(out, a)
		}
	}
	return out, nil
}
