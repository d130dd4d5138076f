package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/portico-dev/portico"
)

const auditCols = `id, account_id, seq, at, actor_type, actor_id, actor_name, action, target_type, target_id,
	source_ip, outcome, detail, prev_hash, hash`

func scanAudit(s scanner) (portico.AuditEvent, error) {
	var e portico.AuditEvent
	err := s.Scan(&e.ID, &e.AccountID, &e.Seq, timeCol{&e.At}, &e.ActorType, &e.ActorID, &e.ActorName, &e.Action,
		&e.TargetType, &e.TargetID, &e.SourceIP, &e.Outcome, &e.Detail, &e.PrevHash, &e.Hash)
	return e, err
}

// AppendAudit appends e to its account's audit chain, setting e.Seq (1, 2, 3… per account), e.PrevHash
// (the previous entry's hash, "" for the first) and e.Hash. e.At is normalised to UTC microseconds, the
// precision both databases keep, so the hash recomputes identically after a round trip.
//
// Appends to one account are serialised by its row in audit_heads: the UPDATE below takes that row's
// lock (on PostgreSQL, as SELECT … FOR UPDATE would, held to commit; on SQLite the single writer
// already serialises) and returns the head as it is after any concurrent append committed.
func (q *querier) AppendAudit(ctx context.Context, e *portico.AuditEvent) error {
	if e.ID == "" {
		e.ID = portico.NewID("evt")
	}
	e.At = normTime(e.At)
	return wrap("append audit event", q.atomic(ctx, func(q *querier) error {
		if _, err := q.exec(ctx, `INSERT INTO audit_heads (account_id, seq, hash) VALUES ($1, 0, '')
			ON CONFLICT (account_id) DO NOTHING`, e.AccountID); err != nil {
			if kind, _ := constraintViolation(err); kind == "foreign_key" {
				return notFound("account")
			}
			return err
		}
		var seq int64
		var prev string
		if err := q.queryRowW(ctx, `UPDATE audit_heads SET seq = seq + 1 WHERE account_id = $1 RETURNING seq, hash`,
			e.AccountID).Scan(&seq, &prev); err != nil {
			return err
		}
		e.Seq, e.PrevHash = seq, prev
		e.Hash = e.ComputeHash()
		if _, err := q.exec(ctx, `INSERT INTO audit_events (`+auditCols+`)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
			e.ID, e.AccountID, e.Seq, e.At, e.ActorType, e.ActorID, e.ActorName, e.Action, e.TargetType, e.TargetID,
			e.SourceIP, e.Outcome, e.Detail, e.PrevHash, e.Hash); err != nil {
			return err
		}
		_, err := q.exec(ctx, `UPDATE audit_heads SET hash = $2 WHERE account_id = $1`, e.AccountID, e.Hash)
		return err
	}))
}

// ListAudit returns one page of the account's audit events matching f, newest first.
func (q *querier) ListAudit(ctx context.Context, accountID string, f portico.AuditFilter) ([]portico.AuditEvent, error) {
	w := auditWhere(accountID, f)
	stmt := `SELECT ` + auditCols + ` FROM audit_events` + w.sql() + ` ORDER BY seq DESC` + w.limit(f.Page)
	rows, err := q.query(ctx, stmt, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	es, err := scanAll(rows, scanAudit)
	if err != nil {
		return nil, fmt.Errorf("list audit events: %w", err)
	}
	return es, nil
}

// CountAudit counts the account's audit events matching f (its page aside).
func (q *querier) CountAudit(ctx context.Context, accountID string, f portico.AuditFilter) (int, error) {
	w := auditWhere(accountID, f)
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM audit_events`+w.sql(), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count audit events: %w", err)
	}
	return n, nil
}

func auditWhere(accountID string, f portico.AuditFilter) where {
	var w where
	w.add("account_id = ?", accountID)
	if f.ActorID != "" {
		w.add("actor_id = ?", f.ActorID)
	}
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.TargetType != "" {
		w.add("target_type = ?", f.TargetType)
	}
	if f.TargetID != "" {
		w.add("target_id = ?", f.TargetID)
	}
	if f.Outcome != "" {
		w.add("outcome = ?", f.Outcome)
	}
	if f.Since != nil {
		w.add("at >= ?", *f.Since)
	}
	if f.Until != nil {
		w.add("at < ?", *f.Until)
	}
	if f.BeforeSeq > 0 {
		w.add("seq < ?", f.BeforeSeq)
	}
	return w
}

// VerifyAudit checks the account's audit chain, streaming it in seq order from one consistent snapshot,
// with the rules of portico.VerifyChain, and then against the account's head (its last seq and hash),
// which catches removal or replacement of the newest entries. It returns the first problem (nil when
// the chain is intact) and how many entries verified before it.
func (q *querier) VerifyAudit(ctx context.Context, accountID string) (*portico.ChainProblem, int, error) {
	var problem *portico.ChainProblem
	var n int
	err := q.snapshot(ctx, func(q *querier) error {
		var headSeq int64
		var headHash string
		err := q.queryRow(ctx, `SELECT seq, hash FROM audit_heads WHERE account_id = $1`, accountID).
			Scan(&headSeq, &headHash)
		hasHead := err == nil
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		rows, err := q.query(ctx, `SELECT `+auditCols+` FROM audit_events WHERE account_id = $1 ORDER BY seq`, accountID)
		if err != nil {
			return err
		}
		defer rows.Close()
		prev, last := "", int64(0)
		for rows.Next() {
			e, err := scanAudit(rows)
			if err != nil {
				return err
			}
			if problem = checkLink(&e, last+1, prev); problem != nil {
				return nil
			}
			prev, last = e.Hash, e.Seq
			n++
		}
		if err := rows.Err(); err != nil {
			return err
		}
		switch {
		case !hasHead && last > 0:
			problem = &portico.ChainProblem{AccountID: accountID, Seq: last,
				Reason: "the chain's head record is missing (it was removed)"}
		case hasHead && headSeq > last:
			problem = &portico.ChainProblem{AccountID: accountID, Seq: last + 1,
				Reason: "entry missing: the chain ends at " + strconv.FormatInt(last, 10) + " but its head is at " +
					strconv.FormatInt(headSeq, 10) + " (the newest entries were removed)"}
		case hasHead && headSeq < last:
			problem = &portico.ChainProblem{AccountID: accountID, Seq: headSeq + 1,
				Reason: "entries after the chain's head (appended outside Portico)"}
		case hasHead && last > 0 && headHash != prev:
			problem = &portico.ChainProblem{AccountID: accountID, Seq: last,
				Reason: "the newest entry does not match the chain's head (it was replaced)"}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("verify audit chain: %w", err)
	}
	return problem, n, nil
}

// checkLink applies portico.VerifyChain's rules to one entry: e should have seq want and chain to prev.
func checkLink(e *portico.AuditEvent, want int64, prev string) *portico.ChainProblem {
	switch {
	case e.Seq != want:
		return &portico.ChainProblem{AccountID: e.AccountID, Seq: want, EventID: e.ID,
			Reason: "entry missing: sequence jumps to " + strconv.FormatInt(e.Seq, 10)}
	case e.PrevHash != prev:
		return &portico.ChainProblem{AccountID: e.AccountID, Seq: e.Seq, EventID: e.ID,
			Reason: "previous-hash link broken (an earlier entry was removed or edited)"}
	case e.ComputeHash() != e.Hash:
		return &portico.ChainProblem{AccountID: e.AccountID, Seq: e.Seq, EventID: e.ID,
			Reason: "content does not match its hash (entry edited)"}
	}
	return nil
}

// snapshot runs fn against one consistent view of the database: the caller's transaction, or a
// read-only one (REPEATABLE READ on PostgreSQL; any SQLite transaction reads one snapshot in WAL mode).
// The querier handed to fn runs everything in that transaction.
func (q *querier) snapshot(ctx context.Context, fn func(q *querier) error) error {
	if q.tx != nil {
		return fn(q)
	}
	var opts *sql.TxOptions
	if !q.sqlite() {
		opts = &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
	}
	tx, err := q.s.rdb.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer tx.Rollback() // read only: nothing to commit
	return fn(&querier{s: q.s, tx: tx})
}
