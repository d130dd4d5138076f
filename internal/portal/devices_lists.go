package portal

import (
	"net/http"

	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/export"
)

// devicesFavouritesPage lists the user's favourite devices, wherever they are.
func (q *request) devicesFavouritesPage() error {
	q.active = "favourites"
	q.crumb(q.devicesT("menu.favourites"), "")
	t, sent, err := q.devicesTableFor(devicesListing{Query: app.DeviceQuery{FavouritesOnly: true, Recursive: true},
		Title: q.devicesT("menu.favourites"), Base: "/favourites"})
	if err != nil || sent {
		return err
	}
	return q.render(http.StatusOK, "devices/group", &devicesGroupView{Title: q.devicesT("menu.favourites"),
		Favourites: true, Tab: "details", Table: t})
}

// devicesInSessionPage lists the live remote sessions on devices the user may view. htmx refreshes the
// table every 10 seconds and on the refresh button.
func (q *request) devicesInSessionPage() error {
	q.active = "in-session"
	q.crumb(q.devicesT("menu.in_session"), "")
	sessions, err := q.p.app.ListSessions(q.ctx, q.actor)
	if err != nil {
		return err
	}
	if format := q.exportFormat(); format != "" {
		t := export.Table{Title: q.devicesT("menu.in_session"), Columns: []string{q.devicesT("devices.col.name"),
			q.devicesT("devices.col.group"), q.devicesT("devices.session.technician"), q.devicesT("devices.session.actions"),
			q.devicesT("devices.session.started")}}
		for _, s := range sessions {
			t.Rows = append(t.Rows, []string{s.DeviceName, s.GroupName, s.UserName, q.devicesActionList(s.Actions),
				formatTime(q, s.StartedAt, false)})
		}
		return q.sendTable(t, format)
	}
	if q.r.Header.Get("HX-Request") != "" {
		return q.fragment("devices/in-session", "sessions", sessions)
	}
	return q.render(http.StatusOK, "devices/in-session", sessions)
}

// devicesActionList names remote actions in the user's language.
func (q *request) devicesActionList(actions []string) string {
	out := ""
	for i, a := range actions {
		if i > 0 {
			out += ", "
		}
		out += q.devicesT("perm.device." + a)
	}
	return out
}
