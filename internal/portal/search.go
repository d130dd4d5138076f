package portal

import (
	"net/http"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// searchLimit is how many results of each kind the search bar shows.
const searchLimit = 8

// searchHit is one result of the search bar.
type searchHit struct {
	Kind  string // devices, groups, roles, users
	Label string
	Extra string
	URL   string
}

// search answers the search bar as the user types: devices, groups, roles and users they may see
// whose name contains the text, optionally of one kind only.
func (q *request) search() error {
	text := strings.TrimSpace(q.r.URL.Query().Get("q"))
	kind := q.r.URL.Query().Get("type")
	var hits []searchHit
	if text != "" {
		want := func(k string) bool { return kind == "" || kind == k }
		lower := strings.ToLower(text)
		if want("devices") {
			page, err := q.p.app.ListDevices(q.ctx, q.actor, app.DeviceQuery{Q: text, Recursive: true,
				Page: portico.Page{Limit: searchLimit}, NoTotal: true})
			if err != nil && !portico.IsKind(err, portico.KindForbidden) {
				return err
			}
			if page != nil {
				for _, d := range page.Devices {
					hits = append(hits, searchHit{Kind: "devices", Label: d.Name, Extra: d.GroupName, URL: "/devices/" + d.ID})
				}
			}
		}
		if want("groups") {
			groups, err := q.p.app.ListDeviceGroups(q.ctx, q.actor)
			if err != nil {
				return err
			}
			n := 0
			for _, g := range groups {
				if n < searchLimit && strings.Contains(strings.ToLower(g.Name), lower) {
					hits = append(hits, searchHit{Kind: "groups", Label: g.Name, URL: "/groups/" + g.ID})
					n++
				}
			}
		}
		if want("roles") && q.can(portico.PermRolesView) {
			roles, err := q.p.app.ListRoles(q.ctx, q.actor)
			if err != nil {
				return err
			}
			n := 0
			for _, r := range roles {
				if n < searchLimit && strings.Contains(strings.ToLower(r.Name), lower) {
					hits = append(hits, searchHit{Kind: "roles", Label: r.Name, URL: "/roles/" + r.ID})
					n++
				}
			}
		}
		if want("users") && q.can(portico.PermUsersView) {
			users, err := q.p.app.ListUsers(q.ctx, q.actor, portico.UserFilter{Query: text, Limit: searchLimit})
			if err != nil {
				return err
			}
			for i, u := range users {
				if i == searchLimit {
					break
				}
				hits = append(hits, searchHit{Kind: "users", Label: u.Name, Extra: u.Email, URL: "/users/" + u.ID})
			}
		}
	}
	data := map[string]any{"Hits": hits, "Q": text}
	if q.r.Header.Get("HX-Request") != "" {
		return q.fragment("core/search", "results", data)
	}
	return q.render(http.StatusOK, "core/search", data)
}
