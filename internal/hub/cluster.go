package hub

import (
	"context"
	"encoding/json"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// This file holds what the hub does as one node among several sharing the database: its lease, the
// release of dead nodes' agents and sessions, the presence of its agents (the newest connection of a
// device wins, wherever it is), and the committed changes of every node that concern its live
// connections.

// presenceSubject carries "close this connection" notices: a device's agent connected to another
// node (or again to this one), so the older connection must go.
const presenceSubject = "portico.presence.close"

// closeNotice names a connection to close.
type closeNotice struct {
	DeviceID string `json:"device_id"`
	ConnID   string `json:"conn_id"`
	NodeID   string `json:"node_id"`
}

// publishClose tells the node holding connection c to close it.
func (h *Hub) publishClose(c portico.DeviceConn) {
	if c.NodeID == h.opts.NodeID {
		h.presenceNotice(mustJSON(closeNotice{DeviceID: c.DeviceID, ConnID: c.ConnID, NodeID: c.NodeID}))
		return
	}
	if err := h.opts.Bus.Publish(presenceSubject, mustJSON(closeNotice{DeviceID: c.DeviceID, ConnID: c.ConnID, NodeID: c.NodeID})); err != nil {
		h.log.Info("publish a presence notice; the node's presence check will close the connection", "device", c.DeviceID, "err", err)
	}
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // plain structs of strings
	}
	return b
}

// presenceNotice closes the connection a notice names, if this node holds it.
func (h *Hub) presenceNotice(data []byte) {
	var n closeNotice
	if err := json.Unmarshal(data, &n); err != nil || n.NodeID != h.opts.NodeID {
		return
	}
	if a := h.agent(n.DeviceID); a != nil && a.connID == n.ConnID {
		h.log.Info("the device connected again elsewhere; closing this connection", "device", n.DeviceID)
		go func() { _ = a.conn.Close("replaced by a new connection of the same device") }()
	}
}

// changed is the app's hook for committed changes, this node's and every other's.
func (h *Hub) changed(c app.LiveChange) {
	if c.Recheck {
		h.accessChanged(c.AccountID)
	}
	if len(c.DeletedDevices) > 0 {
		h.devicesDeleted(c.AccountID, c.DeletedDevices)
	}
	for _, st := range c.StopAgents {
		h.mu.Lock()
		a := h.agents[st.ID]
		h.mu.Unlock()
		if a != nil && a.ac.AccountID == c.AccountID {
			go a.stop(st.Reason)
		}
	}
	for _, e := range c.EndSessions {
		h.mu.Lock()
		s := h.sessions[e.ID]
		h.mu.Unlock()
		if s != nil && s.grant.Actor.AccountID == c.AccountID {
			go s.end(e.By, e.Reason)
		}
	}
}

// nodeLoop renews the node's lease, releases what dead nodes held, writes session ends that could
// not be written before, and checks that the database still names this node for its agents.
func (h *Hub) nodeLoop() {
	defer h.wg.Done()
	renew := time.NewTicker(h.opts.RenewEvery)
	defer renew.Stop()
	presence := time.NewTicker(h.opts.PresenceEvery)
	defer presence.Stop()
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-renew.C:
			h.renewLease()
			h.writePendingEnds(h.ctx)
		case <-presence.C:
			h.checkPresence()
		}
	}
}

func (h *Hub) renewLease() {
	ctx, cancel := context.WithTimeout(h.ctx, h.opts.RenewEvery)
	defer cancel()
	err := h.app.RenewNode(ctx, h.opts.NodeID)
	switch {
	case portico.IsKind(err, portico.KindNotFound):
		// The others presumed this node dead (it could not reach the database for a lease) and
		// released its devices and sessions: what it still holds is not recorded anywhere. Drop it
		// all; the agents reconnect and are recorded afresh.
		h.log.Error("this node's lease was taken over by the other nodes; dropping its connections and registering again")
		h.dropAll("this server lost contact with the cluster")
		if err := h.app.StartNode(ctx, h.opts.NodeID, h.opts.NodeURL); err != nil {
			h.log.Error("register the node again", "err", err)
		}
		return
	case err != nil:
		h.log.Warn("renew the node's lease", "err", err)
		return
	}
	if released, err := h.app.SweepNodes(ctx, h.opts.NodeID, h.opts.Lease); err != nil {
		h.log.Warn("release what stopped nodes held", "err", err)
	} else if len(released) > 0 {
		h.log.Info("released the devices and sessions of stopped nodes", "nodes", released)
	}
	if err := h.app.SweepOnDemand(ctx, onDemandAbandonAfter); err != nil {
		h.log.Warn("expire on-demand codes and end abandoned on-demand sessions", "err", err)
	}
}

// onDemandAbandonAfter is how long a redeemed on-demand session waits for its support agent to come
// back (a network blip, a reboot) before it ends.
const onDemandAbandonAfter = 10 * time.Minute

// dropAll ends every session and closes every agent connection of this node.
func (h *Hub) dropAll(reason string) {
	agents, sessions := h.live()
	for _, s := range sessions {
		go s.end("server", reason)
	}
	for _, a := range agents {
		_ = a.conn.Close(reason)
	}
}

// checkPresence closes the connections whose device the database now records on another
// connection (a newer one, here or on another node): the notice that should have closed them was
// lost. Connections not yet recorded are left alone.
func (h *Hub) checkPresence() {
	ctx, cancel := context.WithTimeout(h.ctx, writeTimeout)
	defer cancel()
	rows, err := h.app.NodeConnections(ctx, h.opts.NodeID)
	if err != nil {
		h.log.Warn("check agent presence", "err", err)
		return
	}
	current := make(map[string]string, len(rows))
	for _, r := range rows {
		current[r.DeviceID] = r.ConnID
	}
	h.mu.Lock()
	var stale []*agent
	for id, a := range h.agents {
		if a.recorded.Load() && current[id] != a.connID {
			stale = append(stale, a)
		}
	}
	h.mu.Unlock()
	for _, a := range stale {
		h.log.Info("the device is recorded on another connection; closing this one", "device", a.ac.DeviceID)
		_ = a.conn.Close("replaced by a new connection of the same device")
	}
}

// pendingEnd is a session end whose record is still to be written.
type pendingEnd struct {
	rec    portico.RemoteSession
	by     string
	reason string
}

func (h *Hub) deferEnd(rec portico.RemoteSession, by, reason string) {
	h.endsMu.Lock()
	h.pendingEnds = append(h.pendingEnds, pendingEnd{rec: rec, by: by, reason: reason})
	h.endsMu.Unlock()
}

// writePendingEnds writes the session ends deferred while the database did not answer.
func (h *Hub) writePendingEnds(ctx context.Context) {
	h.endsMu.Lock()
	pending := h.pendingEnds
	h.pendingEnds = nil
	h.endsMu.Unlock()
	for i, p := range pending {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), writeTimeout)
		err := h.app.EndSession(wctx, &p.rec, p.by, p.reason)
		cancel()
		if err != nil {
			h.log.Warn("record a session end; will retry", "session", p.rec.ID, "err", err)
			h.endsMu.Lock()
			h.pendingEnds = append(pending[i:], h.pendingEnds...)
			h.endsMu.Unlock()
			return
		}
	}
}
