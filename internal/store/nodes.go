package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

// Node is a server process sharing the database: its id (stable across restarts), the address other
// nodes reach it at, and its lease.
type Node struct {
	ID          string
	URL         string
	StartedAt   time.Time
	HeartbeatAt time.Time
}

// RegisterNode records that node id runs at url, starting its lease now.
func (q *querier) RegisterNode(ctx context.Context, id, url string, now time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO nodes (id, url, started_at, heartbeat_at) VALUES ($1, $2, $3, $3)
		ON CONFLICT (id) DO UPDATE SET url = excluded.url, started_at = excluded.started_at,
		heartbeat_at = excluded.heartbeat_at`, id, url, normTime(now))
	return wrap("register node", err)
}

// RegisterExpiredNode records node id with a lease that ended at heartbeat, unless it is registered:
// a node that devices or sessions still name but that is gone, so that sweeping nodes claim it.
func (q *querier) RegisterExpiredNode(ctx context.Context, id string, heartbeat time.Time) error {
	_, err := q.exec(ctx, `INSERT INTO nodes (id, url, started_at, heartbeat_at) VALUES ($1, '', $2, $2)
		ON CONFLICT (id) DO NOTHING`, id, normTime(heartbeat))
	return wrap("register expired node", err)
}

// RenewNode extends the node's lease. It reports NotFound when the node is not registered any more:
// the others presumed it dead and released what it held.
func (q *querier) RenewNode(ctx context.Context, id string, now time.Time) error {
	return wrap("renew node lease", q.execOne(ctx, "node", `UPDATE nodes SET heartbeat_at = $2 WHERE id = $1`, id, normTime(now)))
}

// RemoveNode forgets a node that stops cleanly.
func (q *querier) RemoveNode(ctx context.Context, id string) error {
	_, err := q.exec(ctx, `DELETE FROM nodes WHERE id = $1`, id)
	return wrap("remove node", err)
}

// GetNode returns a registered node.
func (q *querier) GetNode(ctx context.Context, id string) (*Node, error) {
	var n Node
	err := q.queryRow(ctx, `SELECT id, url, started_at, heartbeat_at FROM nodes WHERE id = $1`, id).
		Scan(&n.ID, &n.URL, timeCol{&n.StartedAt}, timeCol{&n.HeartbeatAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("node")
	}
	if err != nil {
		return nil, fmt.Errorf("get node: %w", err)
	}
	return &n, nil
}

// ExpiredNodes lists the nodes whose lease ended before the given time.
func (q *querier) ExpiredNodes(ctx context.Context, before time.Time) ([]string, error) {
	rows, err := q.query(ctx, `SELECT id FROM nodes WHERE heartbeat_at < $1 ORDER BY id`, normTime(before))
	if err != nil {
		return nil, wrap("list expired nodes", err)
	}
	return scanAll(rows, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	})
}

// ClaimExpiredNode removes an expired node's registration, and reports whether this caller did it:
// when several nodes sweep at once, exactly one releases what the dead node held.
func (q *querier) ClaimExpiredNode(ctx context.Context, id string, before time.Time) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM nodes WHERE id = $1 AND heartbeat_at < $2`, id, normTime(before))
	if err != nil {
		return false, wrap("claim expired node", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("claim expired node", err)
}

// LostNodes lists the nodes that devices or live sessions still name but that are not registered (a
// node that died, was swept, and never came back with the same id, or a record a crash left behind).
func (q *querier) LostNodes(ctx context.Context) ([]string, error) {
	rows, err := q.query(ctx, `SELECT DISTINCT conn_node FROM devices WHERE conn_node IS NOT NULL
			AND conn_node NOT IN (SELECT id FROM nodes)
		UNION SELECT DISTINCT node_id FROM remote_sessions WHERE state <> 'ended' AND node_id <> ''
			AND node_id NOT IN (SELECT id FROM nodes)
		UNION SELECT DISTINCT conn_node FROM on_demand_sessions WHERE conn_node IS NOT NULL
			AND conn_node NOT IN (SELECT id FROM nodes)`)
	if err != nil {
		return nil, wrap("list lost nodes", err)
	}
	return scanAll(rows, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	})
}

// ConnectDevice records that the device's agent is connected to node through connection conn since
// at, with the given status, unless a newer connection of the device is already recorded (the newest
// connection wins). It reports whether it was recorded, and which connection it replaced (empty when
// none was recorded).
func (q *querier) ConnectDevice(ctx context.Context, c portico.DeviceConn, status portico.DeviceStatus, at time.Time) (recorded bool, replaced portico.DeviceConn, err error) {
	err = q.atomic(ctx, func(q *querier) error {
		var node, conn sql.NullString
		err := q.queryRowW(ctx, `SELECT conn_node, conn_id FROM devices WHERE account_id = $1 AND id = $2`+q.forUpdate(),
			c.AccountID, c.DeviceID).Scan(&node, &conn)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("device")
		}
		if err != nil {
			return err
		}
		res, err := q.exec(ctx, `UPDATE devices SET conn_node = $3, conn_id = $4, conn_at = $5, status = $6,
			last_seen = $5 WHERE account_id = $1 AND id = $2 AND (conn_at IS NULL OR conn_at <= $5)`,
			c.AccountID, c.DeviceID, c.NodeID, c.ConnID, normTime(at), status)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		recorded = n == 1
		if recorded && conn.Valid && conn.String != c.ConnID {
			replaced = portico.DeviceConn{AccountID: c.AccountID, DeviceID: c.DeviceID, NodeID: node.String, ConnID: conn.String}
		}
		return nil
	})
	if err != nil {
		return false, portico.DeviceConn{}, wrap("connect device", err)
	}
	return recorded, replaced, nil
}

// SetConnStatus stores the status of the device while connection conn is its current one, and reports
// whether it was (a newer connection, or a sweep, may have taken over).
func (q *querier) SetConnStatus(ctx context.Context, c portico.DeviceConn, status portico.DeviceStatus) (bool, error) {
	res, err := q.exec(ctx, `UPDATE devices SET status = $4 WHERE account_id = $1 AND id = $2 AND conn_id = $3`,
		c.AccountID, c.DeviceID, c.ConnID, status)
	if err != nil {
		return false, wrap("set device status", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("set device status", err)
}

// DisconnectDevice records that connection conn ended: the device becomes Unavailable, last seen at,
// unless another connection is current by now. It reports whether conn was current.
func (q *querier) DisconnectDevice(ctx context.Context, c portico.DeviceConn, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE devices SET status = $4, conn_node = NULL, conn_id = NULL, last_seen = $5
		WHERE account_id = $1 AND id = $2 AND conn_id = $3`, c.AccountID, c.DeviceID, c.ConnID,
		portico.DeviceUnavailable, normTime(at))
	if err != nil {
		return false, wrap("disconnect device", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("disconnect device", err)
}

// DeviceConnOf returns the connection presence records for the device (NodeID empty when none).
func (q *querier) DeviceConnOf(ctx context.Context, accountID, deviceID string) (portico.DeviceConn, error) {
	var node, conn sql.NullString
	err := q.queryRow(ctx, `SELECT conn_node, conn_id FROM devices WHERE account_id = $1 AND id = $2`,
		accountID, deviceID).Scan(&node, &conn)
	if errors.Is(err, sql.ErrNoRows) {
		return portico.DeviceConn{}, notFound("device")
	}
	if err != nil {
		return portico.DeviceConn{}, fmt.Errorf("device connection: %w", err)
	}
	return portico.DeviceConn{AccountID: accountID, DeviceID: deviceID, NodeID: node.String, ConnID: conn.String}, nil
}

// NodeConns lists the connections presence records on node: devices' agents and on-demand sessions'
// support agents.
func (q *querier) NodeConns(ctx context.Context, nodeID string) ([]portico.DeviceConn, error) {
	rows, err := q.query(ctx, `SELECT account_id, id, conn_id FROM devices WHERE conn_node = $1
		UNION ALL SELECT account_id, id, conn_id FROM on_demand_sessions WHERE conn_node = $1`, nodeID)
	if err != nil {
		return nil, wrap("list node connections", err)
	}
	return scanAll(rows, func(s scanner) (portico.DeviceConn, error) {
		c := portico.DeviceConn{NodeID: nodeID}
		var conn sql.NullString
		err := s.Scan(&c.AccountID, &c.DeviceID, &conn)
		c.ConnID = conn.String
		return c, err
	})
}

// ReleaseNodeDevices marks Unavailable every device whose connection presence records on node, and
// returns them: the node stopped (it restarts, or it died and its lease ran out).
func (q *querier) ReleaseNodeDevices(ctx context.Context, nodeID string, at time.Time) ([]portico.DeviceConn, error) {
	var out []portico.DeviceConn
	err := q.atomic(ctx, func(q *querier) error {
		var err error
		rows, err := q.query(ctx, `SELECT account_id, id, conn_id FROM devices WHERE conn_node = $1`, nodeID)
		if err != nil {
			return err
		}
		out, err = scanAll(rows, func(s scanner) (portico.DeviceConn, error) {
			c := portico.DeviceConn{NodeID: nodeID}
			var conn sql.NullString
			err := s.Scan(&c.AccountID, &c.DeviceID, &conn)
			c.ConnID = conn.String
			return c, err
		})
		if err != nil {
			return err
		}
		_, err = q.exec(ctx, `UPDATE devices SET status = $2, conn_node = NULL, conn_id = NULL WHERE conn_node = $1`,
			nodeID, portico.DeviceUnavailable)
		return err
	})
	if err != nil {
		return nil, wrap("release node devices", err)
	}
	return out, nil
}

// EndNodeSessions ends every live session relayed by node and returns them as they were.
func (q *querier) EndNodeSessions(ctx context.Context, nodeID string, at time.Time, reason string) ([]portico.RemoteSession, error) {
	var out []portico.RemoteSession
	err := q.atomic(ctx, func(q *querier) error {
		rows, err := q.query(ctx, `SELECT `+remoteSessionCols+` FROM remote_sessions WHERE node_id = $1 AND state <> $2`,
			nodeID, portico.RemoteSessionEnded)
		if err != nil {
			return err
		}
		if out, err = scanAll(rows, scanRemoteSession); err != nil {
			return err
		}
		_, err = q.exec(ctx, `UPDATE remote_sessions SET state = $2, ended_at = $3, ended_by = 'server', end_reason = $4
			WHERE node_id = $1 AND state <> $2`, nodeID, portico.RemoteSessionEnded, normTime(at), reason)
		return err
	})
	if err != nil {
		return nil, wrap("end node sessions", err)
	}
	return out, nil
}
