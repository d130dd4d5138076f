package api

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// AgentDeviceHeader names the device an agent connects as; its credential comes as a bearer token.
const AgentDeviceHeader = "X-Portico-Device"

func errNoHub() error {
	return portico.Errorf(portico.KindUnavailable, "live agent connections are not enabled on this server")
}

// connectAgent authenticates an agent's credential and upgrades to the agent WebSocket.
func connectAgent(c *call) (http.Handler, error) {
	c.ac.MarkDecided() // the device credential is the authorization
	secret, _ := strings.CutPrefix(c.r.Header.Get("Authorization"), "Bearer ")
	deviceID := c.r.Header.Get(AgentDeviceHeader)
	if strings.TrimSpace(secret) == "" || deviceID == "" {
		return nil, unauthenticated("send Authorization: Bearer <agent credential> and " + AgentDeviceHeader + ": <device id>")
	}
	ac, err := c.app().AuthenticateAgent(c.ctx(), deviceID, strings.TrimSpace(secret), c.ip)
	if err != nil {
		return nil, err
	}
	h := c.s.opts.Hub
	if h == nil {
		return nil, errNoHub()
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeAgent(w, r, ac) }), nil
}

func getDeviceInventory(c *call) (*app.InventoryView, error) {
	return c.app().DeviceInventory(c.ctx(), c.ac, c.id())
}

// sameOrigin reports whether a browser's Origin header names this server (an absent header is not a
// browser's cross-site request).
func sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && strings.EqualFold(u.Host, r.Host)
}

// openSession authorizes a remote session and upgrades to the technician's session WebSocket.
func openSession(c *call) (http.Handler, error) {
	// A WebSocket upgrade is a GET, which cross-origin protection lets by; a cookie would ride along
	// on another site's request, so the origin is checked here before anything is decided.
	if !hasBearer(c.r) && !hasNodeToken(c.r) && !sameOrigin(c.r) {
		return nil, &inputError{status: http.StatusForbidden, title: "Cross-origin request refused",
			detail: "remote sessions must be opened from the portal itself"}
	}
	var actions []string
	for _, v := range c.r.URL.Query()["actions"] {
		for _, a := range strings.Split(v, ",") {
			if a = strings.TrimSpace(a); a != "" {
				actions = append(actions, a)
			}
		}
	}
	g, err := c.app().AuthorizeSession(c.ctx(), c.ac, c.id(), actions)
	if err != nil {
		return nil, err
	}
	h := c.s.opts.Hub
	if h == nil {
		return nil, errNoHub()
	}
	if h.Online(g.Device.ID) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeSession(w, r, g) }), nil
	}
	// The agent may be connected to another node: the session runs there, and this node relays the
	// technician's WebSocket to it. A request relayed here already is never relayed again.
	offline := portico.Errorf(portico.KindDevice, "device is offline")
	if c.ac.Relayed {
		return nil, offline
	}
	conn, err := c.app().DeviceConnection(c.ctx(), c.ac.AccountID, g.Device.ID)
	if err != nil {
		return nil, err
	}
	if conn.NodeID == "" || conn.NodeID == h.NodeID() {
		return nil, offline
	}
	nodeURL, err := c.app().NodeURL(c.ctx(), conn.NodeID)
	if portico.IsKind(err, portico.KindNotFound) || (err == nil && nodeURL == "") {
		return nil, offline
	}
	if err != nil {
		return nil, err
	}
	token, err := c.app().NodeToken(c.ac, c.r.Method, c.r.URL.RequestURI())
	if err != nil {
		return nil, err
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.RelaySession(w, r, nodeURL, token) }), nil
}

func listSessions(c *call) (*Page[app.SessionView], error) {
	return paginate(c, func() ([]app.SessionView, error) { return c.app().ListSessions(c.ctx(), c.ac) })
}

func getSession(c *call) (*app.SessionView, error) { return c.app().GetSession(c.ctx(), c.ac, c.id()) }

// endSession ends a live session: the technician's own, or any on a device where the caller holds
// device.remote_control.
func endSession(c *call) (noContent, error) {
	r, err := c.app().AuthorizeEndSession(c.ctx(), c.ac, c.id())
	if err != nil {
		return noContent{}, err
	}
	by, reason := "technician", "ended by the technician"
	if c.ac.UserID != r.UserID {
		by, reason = "server", "ended by "+c.ac.Name
	}
	if h := c.s.opts.Hub; h != nil && h.EndSession(r.ID, by, reason) {
		return noContent{}, nil
	}
	// Not live on this server (a record left by a stopped one): close the record.
	return noContent{}, c.app().EndSession(c.ctx(), r, by, reason)
}

// switching is the status of a successful WebSocket upgrade.
var switching = http.StatusSwitchingProtocols
