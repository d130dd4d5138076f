package app

import (
	"context"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store"
)

// This file holds the life of a node in the database: its registration and lease, and the release
// of what a stopped node held (its agents' presence and the sessions it relayed). A node touches
// only what it owns: at start, what it held before it stopped; while running, what a node whose
// lease ran out held.

// StartNode registers the node (id survives restarts) at url, then releases what it held before it
// last stopped: its agents' devices become Unavailable and the sessions it relayed end. Another
// node's agents and sessions are left alone.
func (a *App) StartNode(ctx context.Context, id, url string) error {
	if err := a.store.RegisterNode(ctx, id, url, a.now()); err != nil {
		return err
	}
	if _, err := a.releaseNode(ctx, id, time.Time{}, "the server restarted", "the server relaying the session restarted"); err != nil {
		return fmt.Errorf("start node: %w", err)
	}
	return nil
}

// RenewNode extends the node's lease. NotFound means the other nodes presumed it dead and released
// what it held: the caller must drop its connections and register again.
func (a *App) RenewNode(ctx context.Context, id string) error {
	return a.store.RenewNode(ctx, id, a.now())
}

// StopNode forgets the node's registration at a clean stop (after its connections were recorded as
// ended).
func (a *App) StopNode(ctx context.Context, id string) error {
	return a.store.RemoveNode(ctx, id)
}

// NodeURL returns the address other nodes reach a node at (NotFound when it is not registered).
func (a *App) NodeURL(ctx context.Context, id string) (string, error) {
	n, err := a.store.GetNode(ctx, id)
	if err != nil {
		return "", err
	}
	return n.URL, nil
}

// DeviceConnection returns the node and connection that hold the device's agent ("" when none).
func (a *App) DeviceConnection(ctx context.Context, accountID, deviceID string) (portico.DeviceConn, error) {
	return a.store.DeviceConnOf(ctx, accountID, deviceID)
}

// NodeConnections lists the agent connections presence records on the node.
func (a *App) NodeConnections(ctx context.Context, nodeID string) ([]portico.DeviceConn, error) {
	return a.store.NodeConns(ctx, nodeID)
}

// SweepNodes releases what nodes whose lease ran out held (lease: how long a registration lasts
// without renewal), and what nodes that are not registered any more are still recorded as holding.
// Each is released by exactly one sweeping node. It returns the ids this call released.
func (a *App) SweepNodes(ctx context.Context, self string, lease time.Duration) ([]string, error) {
	before := a.now().Add(-lease)
	lost, err := a.store.LostNodes(ctx)
	if err != nil {
		return nil, err
	}
	for _, id := range lost {
		// A lost node gets an expired registration, so that claiming it below is the same race as for
		// any expired node; one that registered again meanwhile keeps its own.
		if err := a.store.RegisterExpiredNode(ctx, id, before.Add(-time.Second)); err != nil {
			return nil, err
		}
	}
	expired, err := a.store.ExpiredNodes(ctx, before)
	if err != nil {
		return nil, err
	}
	var released []string
	for _, id := range expired {
		if id == self {
			continue // this node renews its own lease; a late renewal is not death
		}
		ok, err := a.releaseNode(ctx, id, before, "the server holding the connection stopped",
			"the server relaying the session stopped")
		if err != nil {
			return released, err
		}
		if ok {
			released = append(released, id)
		}
	}
	return released, nil
}

// releaseNode marks Unavailable the devices whose agents the node held and ends the sessions it
// relayed, with their history and audit entries, in one transaction, and reports whether it did.
// With expiredBefore set, it does so only if this caller removes the node's registration expired
// before then (several nodes sweep at once); zero is for the caller's own node at its start.
func (a *App) releaseNode(ctx context.Context, id string, expiredBefore time.Time, deviceDetail, sessionReason string) (bool, error) {
	var ended []portico.RemoteSession
	claimed := true
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		ended = nil
		if !expiredBefore.IsZero() {
			var err error
			if claimed, err = tx.ClaimExpiredNode(ctx, id, expiredBefore); err != nil || !claimed {
				return err
			}
		}
		now := a.now()
		devices, err := tx.ReleaseNodeDevices(ctx, id, now)
		if err != nil {
			return err
		}
		for _, c := range devices {
			d := &portico.Device{ID: c.DeviceID, AccountID: c.AccountID}
			h := a.historyEntry(&Actor{Kind: ActorAgent, AccountID: c.AccountID, DeviceID: c.DeviceID, Name: "agent"}, d,
				"disconnected", deviceDetail)
			if err := tx.AddHistory(ctx, h); err != nil && !portico.IsKind(err, portico.KindNotFound) {
				return err
			}
		}
		if ended, err = tx.EndNodeSessions(ctx, id, now, sessionReason); err != nil {
			return err
		}
		for i := range ended {
			r := &ended[i]
			sys := SystemActor(r.AccountID)
			detail := "by server: " + sessionReason
			d := &portico.Device{ID: r.DeviceID, AccountID: r.AccountID}
			if err := tx.AddHistory(ctx, a.historyEntry(sys, d, "session.end", detail)); err != nil && !portico.IsKind(err, portico.KindNotFound) {
				return err
			}
			if err := tx.AppendAudit(ctx, a.auditEvent(sys, portico.ActionSessionEnd, "session", r.ID, portico.OutcomeSuccess, r.DeviceName+" "+detail)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("release node %s: %w", id, err)
	}
	if len(ended) > 0 {
		a.log.Info("ended the sessions of a stopped node", "node", id, "sessions", len(ended))
	}
	return claimed, nil
}
