package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

const remoteSessionCols = `id, account_id, device_id, device_name, user_id, user_name, actions, state, started_at,
	ended_at, ended_by, end_reason, node_id, on_demand`

func scanRemoteSession(s scanner) (portico.RemoteSession, error) {
	var r portico.RemoteSession
	err := s.Scan(&r.ID, &r.AccountID, &r.DeviceID, &r.DeviceName, &r.UserID, &r.UserName, jsonCol{&r.Actions},
		&r.State, timeCol{&r.StartedAt}, nullTimeCol{&r.EndedAt}, &r.EndedBy, &r.EndReason, &r.NodeID, &r.OnDemand)
	return r, err
}

// CreateRemoteSession stores a new session.
func (q *querier) CreateRemoteSession(ctx context.Context, r *portico.RemoteSession) error {
	r.StartedAt = normTime(r.StartedAt)
	r.EndedAt = normTimePtr(r.EndedAt)
	_, err := q.exec(ctx, `INSERT INTO remote_sessions (`+remoteSessionCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8,
		$9, $10, $11, $12, $13, $14)`, r.ID, r.AccountID, r.DeviceID, r.DeviceName, r.UserID, r.UserName, jsonList(r.Actions),
		r.State, r.StartedAt, r.EndedAt, r.EndedBy, r.EndReason, r.NodeID, r.OnDemand)
	if kind, _ := constraintViolation(err); kind == "unique" {
		return fmt.Errorf("create remote session: %w", conflict("id", "a session with this id already exists"))
	}
	return wrap("create remote session", err)
}

// GetRemoteSession returns a session of the account.
func (q *querier) GetRemoteSession(ctx context.Context, accountID, id string) (*portico.RemoteSession, error) {
	r, err := scanRemoteSession(q.queryRow(ctx, `SELECT `+remoteSessionCols+` FROM remote_sessions
		WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, fmt.Errorf("get remote session: %w", err)
	}
	return &r, nil
}

// ListRemoteSessions returns the account's sessions matching f, newest first.
func (q *querier) ListRemoteSessions(ctx context.Context, accountID string, f portico.RemoteSessionFilter) ([]portico.RemoteSession, error) {
	var w where
	w.add("account_id = ?", accountID)
	if f.Live {
		w.add("state <> ?", portico.RemoteSessionEnded)
	}
	if f.DeviceID != "" {
		w.add("device_id = ?", f.DeviceID)
	}
	stmt := `SELECT ` + remoteSessionCols + ` FROM remote_sessions` + w.sql() + ` ORDER BY started_at DESC, ` +
		q.textOrder("id") + w.limit(f.Page)
	rows, err := q.query(ctx, stmt, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list remote sessions: %w", err)
	}
	rs, err := scanAll(rows, scanRemoteSession)
	if err != nil {
		return nil, fmt.Errorf("list remote sessions: %w", err)
	}
	return rs, nil
}

// UpdateRemoteSession stores a live session's state and actions. An ended session is not changed.
func (q *querier) UpdateRemoteSession(ctx context.Context, accountID, id, state string, actions []string) error {
	return wrap("update remote session", q.execOne(ctx, "session", `UPDATE remote_sessions SET state = $3, actions = $4
		WHERE account_id = $1 AND id = $2 AND state <> $5`, accountID, id, state, jsonList(actions), portico.RemoteSessionEnded))
}

// EndRemoteSession records that a session ended, by whom and why. Ending a session twice keeps the
// first record and reports NotFound.
func (q *querier) EndRemoteSession(ctx context.Context, accountID, id string, at time.Time, by, reason string) error {
	return wrap("end remote session", q.execOne(ctx, "session", `UPDATE remote_sessions SET state = $3, ended_at = $4,
		ended_by = $5, end_reason = $6 WHERE account_id = $1 AND id = $2 AND state <> $3`,
		accountID, id, portico.RemoteSessionEnded, normTime(at), by, reason))
}
