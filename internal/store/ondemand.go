package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

const onDemandCols = `id, account_id, user_id, user_name, code, customer_name, note, email, language, state,
	created_at, expires_at, redeemed_at, ended_at, ended_by, end_reason, computer_name, os_name, os_version,
	logged_in_user, device_id, conn_node`

func scanOnDemand(s scanner) (portico.OnDemandSession, error) {
	var o portico.OnDemandSession
	var node sql.NullString
	err := s.Scan(&o.ID, &o.AccountID, &o.UserID, &o.UserName, &o.Code, &o.CustomerName, &o.Note, &o.Email,
		&o.Language, &o.State, timeCol{&o.CreatedAt}, timeCol{&o.ExpiresAt}, nullTimeCol{&o.Redeemed},
		nullTimeCol{&o.EndedAt}, &o.EndedBy, &o.EndReason, &o.ComputerName, &o.OSName, &o.OSVersion,
		&o.LoggedInUser, &o.DeviceID, &node)
	o.Online = node.Valid && node.String != ""
	return o, err
}

// OnDemandFilter selects an account's on-demand sessions; zero fields match everything.
type OnDemandFilter struct {
	// UserID keeps one technician's sessions.
	UserID string
	// Live keeps the sessions that have neither ended nor expired.
	Live bool
	Page portico.Page
}

// CreateOnDemandSession stores a new waiting session whose code hashes to codeHash. A code another
// redeemable session holds is a conflict on "code" (the caller draws another).
func (q *querier) CreateOnDemandSession(ctx context.Context, o *portico.OnDemandSession, codeHash string) error {
	o.CreatedAt, o.ExpiresAt = normTime(o.CreatedAt), normTime(o.ExpiresAt)
	_, err := q.exec(ctx, `INSERT INTO on_demand_sessions (id, account_id, user_id, user_name, code, code_hash,
		customer_name, note, email, language, state, created_at, expires_at, ended_by, end_reason, credential_hash,
		computer_name, os_name, os_version, logged_in_user, source_ip, device_id)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, '', '', '', '', '', '', '', '', '')`,
		o.ID, o.AccountID, o.UserID, o.UserName, o.Code, codeHash, o.CustomerName, o.Note, o.Email, o.Language,
		o.State, o.CreatedAt, o.ExpiresAt)
	if kind, _ := constraintViolation(err); kind == "unique" {
		return fmt.Errorf("create on-demand session: %w", conflict("code", "another session holds this code"))
	}
	return wrap("create on-demand session", err)
}

// GetOnDemandSession returns a session of the account.
func (q *querier) GetOnDemandSession(ctx context.Context, accountID, id string) (*portico.OnDemandSession, error) {
	o, err := scanOnDemand(q.queryRow(ctx, `SELECT `+onDemandCols+` FROM on_demand_sessions
		WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("on-demand session")
	}
	if err != nil {
		return nil, fmt.Errorf("get on-demand session: %w", err)
	}
	return &o, nil
}

// ListOnDemandSessions returns the account's sessions matching f, newest first.
func (q *querier) ListOnDemandSessions(ctx context.Context, accountID string, f OnDemandFilter) ([]portico.OnDemandSession, error) {
	w := where{}
	w.add("account_id = ?", accountID)
	if f.UserID != "" {
		w.add("user_id = ?", f.UserID)
	}
	if f.Live {
		w.add("state <> ?", portico.OnDemandEnded)
		w.add("state <> ?", portico.OnDemandExpired)
	}
	rows, err := q.query(ctx, `SELECT `+onDemandCols+` FROM on_demand_sessions`+w.sql()+
		` ORDER BY created_at DESC, `+q.textOrder("id")+w.limit(f.Page), w.args...)
	if err != nil {
		return nil, fmt.Errorf("list on-demand sessions: %w", err)
	}
	out, err := scanAll(rows, scanOnDemand)
	if err != nil {
		return nil, fmt.Errorf("list on-demand sessions: %w", err)
	}
	return out, nil
}

// OnDemandByCode returns the session whose redeemable code hashes to codeHash, in any account.
func (q *querier) OnDemandByCode(ctx context.Context, codeHash string) (*portico.OnDemandSession, error) {
	o, err := scanOnDemand(q.queryRow(ctx, `SELECT `+onDemandCols+` FROM on_demand_sessions WHERE code_hash = $1`, codeHash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("on-demand session")
	}
	if err != nil {
		return nil, fmt.Errorf("find on-demand code: %w", err)
	}
	return &o, nil
}

// OnDemandFacts are what a support agent reports about its computer.
type OnDemandFacts struct {
	ComputerName, OSName, OSVersion, LoggedInUser string
}

// RedeemOnDemandSession redeems a waiting session's code at now: the code stops working, the support
// agent's credential hash and facts are stored, and the session is connected. It is one conditional
// write, so of two redemptions of one code (on any nodes) exactly one succeeds; the other, and a code
// that expired, is not found.
func (q *querier) RedeemOnDemandSession(ctx context.Context, accountID, id, codeHash, credentialHash, sourceIP string, f OnDemandFacts, now time.Time) error {
	return wrap("redeem on-demand code", q.execOne(ctx, "on-demand session", `UPDATE on_demand_sessions
		SET state = $5, code_hash = NULL, credential_hash = $4, redeemed_at = $6, computer_name = $7, os_name = $8,
			os_version = $9, logged_in_user = $10, source_ip = $11
		WHERE account_id = $1 AND id = $2 AND code_hash = $3 AND state = 'waiting' AND expires_at > $6`,
		accountID, id, codeHash, credentialHash, portico.OnDemandConnected, normTime(now), f.ComputerName, f.OSName,
		f.OSVersion, f.LoggedInUser, sourceIP))
}

// OnDemandCredential returns the account, the credential hash and the state of a session: what
// authenticating its support agent needs. A session never redeemed has an empty hash.
func (q *querier) OnDemandCredential(ctx context.Context, id string) (accountID, hash, state string, err error) {
	err = q.queryRow(ctx, `SELECT account_id, credential_hash, state FROM on_demand_sessions WHERE id = $1`, id).
		Scan(&accountID, &hash, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", "", "", notFound("on-demand session")
	}
	if err != nil {
		return "", "", "", fmt.Errorf("on-demand credential: %w", err)
	}
	return accountID, hash, state, nil
}

// UpdateOnDemandFacts stores what the support agent reports about its computer.
func (q *querier) UpdateOnDemandFacts(ctx context.Context, accountID, id string, f OnDemandFacts) error {
	_, err := q.exec(ctx, `UPDATE on_demand_sessions SET computer_name = $3, os_name = $4, os_version = $5,
		logged_in_user = $6 WHERE account_id = $1 AND id = $2`, accountID, id, f.ComputerName, f.OSName, f.OSVersion,
		f.LoggedInUser)
	return wrap("update on-demand facts", err)
}

// SetOnDemandState moves a live, redeemed session between connected and in session; an ended one
// stays ended. It reports whether it changed anything.
func (q *querier) SetOnDemandState(ctx context.Context, accountID, id, state string) (bool, error) {
	res, err := q.exec(ctx, `UPDATE on_demand_sessions SET state = $3
		WHERE account_id = $1 AND id = $2 AND state IN ('connected', 'in_session') AND state <> $3`, accountID, id, state)
	if err != nil {
		return false, wrap("set on-demand state", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("set on-demand state", err)
}

// EndOnDemandSession ends a live session (its code and credential stop working) and reports whether
// this call ended it; ending one already over changes nothing.
func (q *querier) EndOnDemandSession(ctx context.Context, accountID, id, by, reason string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE on_demand_sessions SET state = $3, ended_at = $4, ended_by = $5, end_reason = $6,
			code_hash = NULL, credential_hash = ''
		WHERE account_id = $1 AND id = $2 AND state <> 'ended' AND state <> 'expired'`,
		accountID, id, portico.OnDemandEnded, normTime(at), by, reason)
	if err != nil {
		return false, wrap("end on-demand session", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("end on-demand session", err)
}

// LinkOnDemandDevice records the managed device an on-demand session's computer became.
func (q *querier) LinkOnDemandDevice(ctx context.Context, accountID, id, deviceID string) error {
	return wrap("link on-demand device", q.execOne(ctx, "on-demand session",
		`UPDATE on_demand_sessions SET device_id = $3 WHERE account_id = $1 AND id = $2`, accountID, id, deviceID))
}

// ExpireOnDemandSessions marks expired the waiting sessions whose code lapsed by now, and returns them.
func (q *querier) ExpireOnDemandSessions(ctx context.Context, now time.Time) ([]portico.OnDemandSession, error) {
	var out []portico.OnDemandSession
	err := q.atomic(ctx, func(q *querier) error {
		rows, err := q.query(ctx, `SELECT `+onDemandCols+` FROM on_demand_sessions
			WHERE state = 'waiting' AND expires_at <= $1`+q.forUpdate(), normTime(now))
		if err != nil {
			return err
		}
		if out, err = scanAll(rows, scanOnDemand); err != nil {
			return err
		}
		for i := range out {
			if _, err := q.exec(ctx, `UPDATE on_demand_sessions SET state = $2, code_hash = NULL
				WHERE id = $1 AND state = 'waiting'`, out[i].ID, portico.OnDemandExpired); err != nil {
				return err
			}
			out[i].State = portico.OnDemandExpired
		}
		return nil
	})
	if err != nil {
		return nil, wrap("expire on-demand sessions", err)
	}
	return out, nil
}

// AbandonedOnDemandSessions lists the live, redeemed sessions whose support agent has not been
// connected (to any node) since before: the person closed it, or their computer went away.
func (q *querier) AbandonedOnDemandSessions(ctx context.Context, before time.Time) ([]portico.OnDemandSession, error) {
	rows, err := q.query(ctx, `SELECT `+onDemandCols+` FROM on_demand_sessions
		WHERE state IN ('connected', 'in_session') AND conn_node IS NULL AND COALESCE(last_seen_at, redeemed_at) < $1`,
		normTime(before))
	if err != nil {
		return nil, wrap("list abandoned on-demand sessions", err)
	}
	return scanAll(rows, scanOnDemand)
}

// ConnectOnDemand records that the session's support agent is connected to a node through a
// connection since at, unless a newer connection is recorded; as ConnectDevice.
func (q *querier) ConnectOnDemand(ctx context.Context, c portico.DeviceConn, at time.Time) (recorded bool, replaced portico.DeviceConn, err error) {
	err = q.atomic(ctx, func(q *querier) error {
		var node, conn sql.NullString
		err := q.queryRowW(ctx, `SELECT conn_node, conn_id FROM on_demand_sessions WHERE account_id = $1 AND id = $2`+q.forUpdate(),
			c.AccountID, c.DeviceID).Scan(&node, &conn)
		if errors.Is(err, sql.ErrNoRows) {
			return notFound("on-demand session")
		}
		if err != nil {
			return err
		}
		res, err := q.exec(ctx, `UPDATE on_demand_sessions SET conn_node = $3, conn_id = $4, conn_at = $5, last_seen_at = $5
			WHERE account_id = $1 AND id = $2 AND (conn_at IS NULL OR conn_at <= $5)`,
			c.AccountID, c.DeviceID, c.NodeID, c.ConnID, normTime(at))
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
		return false, portico.DeviceConn{}, wrap("connect on-demand agent", err)
	}
	return recorded, replaced, nil
}

// DisconnectOnDemand records that connection c ended, unless another is current by now.
func (q *querier) DisconnectOnDemand(ctx context.Context, c portico.DeviceConn, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE on_demand_sessions SET conn_node = NULL, conn_id = NULL, last_seen_at = $4
		WHERE account_id = $1 AND id = $2 AND conn_id = $3`, c.AccountID, c.DeviceID, c.ConnID, normTime(at))
	if err != nil {
		return false, wrap("disconnect on-demand agent", err)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap("disconnect on-demand agent", err)
}

// OnDemandConnOf returns where the session's support agent is connected (NodeID empty when nowhere).
func (q *querier) OnDemandConnOf(ctx context.Context, accountID, id string) (portico.DeviceConn, error) {
	var node, conn sql.NullString
	err := q.queryRow(ctx, `SELECT conn_node, conn_id FROM on_demand_sessions WHERE account_id = $1 AND id = $2`,
		accountID, id).Scan(&node, &conn)
	if errors.Is(err, sql.ErrNoRows) {
		return portico.DeviceConn{}, notFound("on-demand session")
	}
	if err != nil {
		return portico.DeviceConn{}, fmt.Errorf("on-demand connection: %w", err)
	}
	return portico.DeviceConn{AccountID: accountID, DeviceID: id, NodeID: node.String, ConnID: conn.String}, nil
}

// TouchOnDemand records when support agents were last heard from.
func (q *querier) TouchOnDemand(ctx context.Context, seen []portico.DeviceSeen) error {
	for _, s := range seen {
		if _, err := q.exec(ctx, `UPDATE on_demand_sessions SET last_seen_at = $3 WHERE account_id = $1 AND id = $2`,
			s.AccountID, s.DeviceID, normTime(s.At)); err != nil {
			return wrap("touch on-demand agents", err)
		}
	}
	return nil
}

// ReleaseNodeOnDemand forgets every support agent connection recorded on node, and returns them.
func (q *querier) ReleaseNodeOnDemand(ctx context.Context, nodeID string) ([]portico.DeviceConn, error) {
	var out []portico.DeviceConn
	err := q.atomic(ctx, func(q *querier) error {
		rows, err := q.query(ctx, `SELECT account_id, id, conn_id FROM on_demand_sessions WHERE conn_node = $1`, nodeID)
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
		_, err = q.exec(ctx, `UPDATE on_demand_sessions SET conn_node = NULL, conn_id = NULL WHERE conn_node = $1`, nodeID)
		return err
	})
	if err != nil {
		return nil, wrap("release node on-demand agents", err)
	}
	return out, nil
}

// OnDemandOperators lists the technicians in live on-demand remote sessions of the account (the
// seats in use).
func (q *querier) OnDemandOperators(ctx context.Context, accountID string) ([]string, error) {
	rows, err := q.query(ctx, `SELECT DISTINCT user_id FROM remote_sessions
		WHERE account_id = $1 AND on_demand AND state <> $2 ORDER BY user_id`, accountID, portico.RemoteSessionEnded)
	if err != nil {
		return nil, wrap("list on-demand operators", err)
	}
	return scanAll(rows, func(s scanner) (string, error) {
		var id string
		err := s.Scan(&id)
		return id, err
	})
}

// OnDemandSettings returns the account's on-demand settings (the defaults until changed).
func (q *querier) OnDemandSettings(ctx context.Context, accountID string) (portico.OnDemandSettings, error) {
	var raw string
	err := q.queryRow(ctx, `SELECT on_demand_settings FROM accounts WHERE id = $1`, accountID).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return portico.OnDemandSettings{}, notFound("account")
	}
	if err != nil {
		return portico.OnDemandSettings{}, fmt.Errorf("get on-demand settings: %w", err)
	}
	s := portico.DefaultOnDemandSettings()
	if raw != "" {
		if err := json.Unmarshal([]byte(raw), &s); err != nil {
			return portico.OnDemandSettings{}, fmt.Errorf("get on-demand settings: %w", err)
		}
	}
	return s, nil
}

// SetOnDemandSettings stores the account's on-demand settings.
func (q *querier) SetOnDemandSettings(ctx context.Context, accountID string, s portico.OnDemandSettings) error {
	raw, err := toJSON(s)
	if err != nil {
		return err
	}
	return wrap("set on-demand settings", q.execOne(ctx, "account",
		`UPDATE accounts SET on_demand_settings = $2 WHERE id = $1`, accountID, raw))
}
