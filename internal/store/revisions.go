package store

import (
	"context"
	"fmt"
	"time"
)

// AccessChange is one committed change of an account's access, as recorded for the other nodes: the
// revision it produced and what it changed (an opaque document the app writes and reads).
type AccessChange struct {
	AccountID string
	Revision  int64
	At        time.Time
	Body      []byte
}

// BumpRevision advances the account's access revision and returns the new one. Inside a transaction
// it also takes the revision row's lock until commit (on PostgreSQL; SQLite's single writer already
// serialises), so every change of one account that bumps first is serialised across nodes, and reads
// made after it see every change committed before.
func (q *querier) BumpRevision(ctx context.Context, accountID string) (int64, error) {
	var rev int64
	err := q.queryRowW(ctx, `INSERT INTO account_revisions (account_id, revision) VALUES ($1, 1)
		ON CONFLICT (account_id) DO UPDATE SET revision = account_revisions.revision + 1
		RETURNING revision`, accountID).Scan(&rev)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return 0, fmt.Errorf("bump revision: %w", notFound("account"))
	}
	if err != nil {
		return 0, wrap("bump revision", err)
	}
	return rev, nil
}

// AppendAccessChange records what the change of revision rev did, in the transaction that bumped it.
func (q *querier) AppendAccessChange(ctx context.Context, c *AccessChange) error {
	_, err := q.exec(ctx, `INSERT INTO access_changes (account_id, revision, at, body) VALUES ($1, $2, $3, $4)`,
		c.AccountID, c.Revision, normTime(c.At), string(c.Body))
	return wrap("append access change", err)
}

// Revision returns the account's current access revision (0 before its first change).
func (q *querier) Revision(ctx context.Context, accountID string) (int64, error) {
	var rev int64
	rows, err := q.query(ctx, `SELECT revision FROM account_revisions WHERE account_id = $1`, accountID)
	if err != nil {
		return 0, wrap("read revision", err)
	}
	defer rows.Close()
	if rows.Next() {
		if err := rows.Scan(&rev); err != nil {
			return 0, wrap("read revision", err)
		}
	}
	return rev, wrap("read revision", rows.Err())
}

// Revisions returns the current access revision of every account that has one, in one query.
func (q *querier) Revisions(ctx context.Context) (map[string]int64, error) {
	rows, err := q.query(ctx, `SELECT account_id, revision FROM account_revisions`)
	if err != nil {
		return nil, wrap("read revisions", err)
	}
	defer rows.Close()
	out := map[string]int64{}
	for rows.Next() {
		var id string
		var rev int64
		if err := rows.Scan(&id, &rev); err != nil {
			return nil, wrap("read revisions", err)
		}
		out[id] = rev
	}
	return out, wrap("read revisions", rows.Err())
}

// AccessChanges returns the recorded changes of the account with after < revision <= upTo, in order.
// Revisions that changed nothing have no record. ok is false when the log no longer reaches back to
// after (pruned): the caller must reload instead.
func (q *querier) AccessChanges(ctx context.Context, accountID string, after, upTo int64) (changes []AccessChange, ok bool, err error) {
	err = q.snapshot(ctx, func(q *querier) error {
		rows, err := q.query(ctx, `SELECT revision, at, body FROM access_changes
			WHERE account_id = $1 AND revision > $2 AND revision <= $3 ORDER BY revision`, accountID, after, upTo)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := AccessChange{AccountID: accountID}
			var body string
			if err := rows.Scan(&c.Revision, timeCol{&c.At}, &body); err != nil {
				return err
			}
			c.Body = []byte(body)
			changes = append(changes, c)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		// A pruned log no longer holds what came after the mark: a reader behind it must reload.
		var pruned int64
		if err := q.queryRow(ctx, `SELECT COALESCE(MAX(pruned_through), 0) FROM access_change_marks
			WHERE account_id = $1`, accountID).Scan(&pruned); err != nil {
			return err
		}
		ok = after >= pruned
		return nil
	})
	if err != nil {
		return nil, false, wrap("read access changes", err)
	}
	return changes, ok, nil
}

// PruneAccessChanges forgets the change records older than before, keeping for each account the
// revision up to which its log was pruned (a node behind it reloads). It returns how many it removed.
func (q *querier) PruneAccessChanges(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := q.atomic(ctx, func(q *querier) error {
		if _, err := q.exec(ctx, `INSERT INTO access_change_marks (account_id, pruned_through)
			SELECT account_id, MAX(revision) FROM access_changes WHERE at < $1 GROUP BY account_id
			ON CONFLICT (account_id) DO UPDATE SET pruned_through = excluded.pruned_through
			WHERE excluded.pruned_through > access_change_marks.pruned_through`, normTime(before)); err != nil {
			return err
		}
		res, err := q.exec(ctx, `DELETE FROM access_changes WHERE at < $1`, normTime(before))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return 0, wrap("prune access changes", err)
	}
	return int(n), nil
}
