package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

const ruleCols = `id, account_id, name, description, enabled, match_type, target_group_id, conditions, position, created_at`

func scanRule(s scanner) (portico.AssignmentRule, error) {
	var r portico.AssignmentRule
	err := s.Scan(&r.ID, &r.AccountID, &r.Name, &r.Description, &r.Enabled, &r.Match, &r.TargetGroupID,
		jsonCol{&r.Conditions}, &r.Position, timeCol{&r.CreatedAt})
	if r.Conditions == nil {
		r.Conditions = []portico.RuleCondition{}
	}
	return r, err
}

// CreateRule stores a new assignment rule. A Position of 0 puts it after the account's last rule (and
// is set on r). The target group must be a group of the account.
func (q *querier) CreateRule(ctx context.Context, r *portico.AssignmentRule) error {
	r.CreatedAt = normTime(r.CreatedAt)
	return wrap("create rule", q.atomic(ctx, func(q *querier) error {
		if r.Position == 0 {
			var last int
			if err := q.queryRow(ctx, `SELECT COALESCE(MAX(position), 0) FROM assignment_rules WHERE account_id = $1`,
				r.AccountID).Scan(&last); err != nil {
				return err
			}
			r.Position = last + 1
		}
		_, err := q.exec(ctx, `INSERT INTO assignment_rules (`+ruleCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			r.ID, r.AccountID, r.Name, r.Description, r.Enabled, r.Match, r.TargetGroupID, jsonList(r.Conditions),
			r.Position, r.CreatedAt)
		return deviceGroupMissing(err)
	}))
}

// GetRule returns an assignment rule.
func (q *querier) GetRule(ctx context.Context, accountID, id string) (*portico.AssignmentRule, error) {
	r, err := scanRule(q.queryRow(ctx, `SELECT `+ruleCols+` FROM assignment_rules WHERE account_id = $1 AND id = $2`,
		accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("assignment rule")
	}
	if err != nil {
		return nil, fmt.Errorf("get rule: %w", err)
	}
	return &r, nil
}

// ListRules lists the account's assignment rules in the order they are tried.
func (q *querier) ListRules(ctx context.Context, accountID string) ([]portico.AssignmentRule, error) {
	rows, err := q.query(ctx, `SELECT `+ruleCols+` FROM assignment_rules WHERE account_id = $1
		ORDER BY position, created_at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	rs, err := scanAll(rows, scanRule)
	if err != nil {
		return nil, fmt.Errorf("list rules: %w", err)
	}
	return rs, nil
}

// UpdateRule stores a rule's name, description, enabled flag, match, target group and conditions, and
// its position when that is not 0 (ReorderRules is the way to reorder).
func (q *querier) UpdateRule(ctx context.Context, r *portico.AssignmentRule) error {
	err := q.execOne(ctx, "assignment rule", `UPDATE assignment_rules SET name = $3, description = $4, enabled = $5,
		match_type = $6, target_group_id = $7, conditions = $8, position = CASE WHEN $9 > 0 THEN $9 ELSE position END
		WHERE account_id = $1 AND id = $2`,
		r.AccountID, r.ID, r.Name, r.Description, r.Enabled, r.Match, r.TargetGroupID, jsonList(r.Conditions), r.Position)
	return wrap("update rule", deviceGroupMissing(err))
}

// DeleteRule deletes an assignment rule. The others keep their order.
func (q *querier) DeleteRule(ctx context.Context, accountID, id string) error {
	return wrap("delete rule", q.execOne(ctx, "assignment rule",
		`DELETE FROM assignment_rules WHERE account_id = $1 AND id = $2`, accountID, id))
}

// ReorderRules sets the order in which rules are tried: ids must list every rule of the account once.
func (q *querier) ReorderRules(ctx context.Context, accountID string, ids []string) error {
	return wrap("reorder rules", q.atomic(ctx, func(q *querier) error {
		rows, err := q.query(ctx, `SELECT id FROM assignment_rules WHERE account_id = $1`, accountID)
		if err != nil {
			return err
		}
		existing, err := scanStrings(rows)
		if err != nil {
			return err
		}
		var v portico.Validation
		have := make(map[string]bool, len(existing))
		for _, id := range existing {
			have[id] = true
		}
		seen := map[string]bool{}
		for i, id := range ids {
			switch {
			case !have[id]:
				v.Add(fmt.Sprintf("rule_ids[%d]", i), "%q is not an assignment rule of this account", id)
			case seen[id]:
				v.Add(fmt.Sprintf("rule_ids[%d]", i), "%q is listed twice", id)
			}
			seen[id] = true
		}
		if missing := len(existing) - len(seen); len(v.Fields) == 0 && missing > 0 {
			v.Add("rule_ids", "must list every rule of the account: %d missing", missing)
		}
		if err := v.Err(); err != nil {
			return err
		}
		for i, id := range ids {
			if _, err := q.exec(ctx, `UPDATE assignment_rules SET position = $3 WHERE account_id = $1 AND id = $2`,
				accountID, id, i+1); err != nil {
				return err
			}
		}
		return nil
	}))
}

const tokenCols = `id, account_id, group_id, hash, created_at, created_by, revoked_at`

func scanToken(s scanner) (portico.EnrollmentToken, error) {
	var t portico.EnrollmentToken
	var group sql.NullString
	err := s.Scan(&t.ID, &t.AccountID, &group, &t.Hash, timeCol{&t.CreatedAt}, &t.CreatedBy, nullTimeCol{&t.RevokedAt})
	t.GroupID = group.String
	return t, err
}

// CreateEnrollmentToken stores an enrollment token (its secret's hash only). GroupID, when set, must be
// a group of the account.
func (q *querier) CreateEnrollmentToken(ctx context.Context, t *portico.EnrollmentToken) error {
	t.CreatedAt, t.RevokedAt = normTime(t.CreatedAt), normTimePtr(t.RevokedAt)
	_, err := q.exec(ctx, `INSERT INTO enrollment_tokens (`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		t.ID, t.AccountID, nullStr(t.GroupID), t.Hash, t.CreatedAt, t.CreatedBy, t.RevokedAt)
	return wrap("create enrollment token", deviceGroupMissing(err))
}

// GetEnrollmentTokenByHash returns the token whose secret has this hash, in whichever account (an agent
// enrolling presents only the secret). Revoked tokens are returned too: the caller refuses them.
func (q *querier) GetEnrollmentTokenByHash(ctx context.Context, hash string) (*portico.EnrollmentToken, error) {
	t, err := scanToken(q.queryRow(ctx, `SELECT `+tokenCols+` FROM enrollment_tokens WHERE hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("enrollment token")
	}
	if err != nil {
		return nil, fmt.Errorf("get enrollment token: %w", err)
	}
	return &t, nil
}

// ListEnrollmentTokens lists the account's enrollment tokens, newest first.
func (q *querier) ListEnrollmentTokens(ctx context.Context, accountID string) ([]portico.EnrollmentToken, error) {
	rows, err := q.query(ctx, `SELECT `+tokenCols+` FROM enrollment_tokens WHERE account_id = $1
		ORDER BY created_at DESC, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list enrollment tokens: %w", err)
	}
	ts, err := scanAll(rows, scanToken)
	if err != nil {
		return nil, fmt.Errorf("list enrollment tokens: %w", err)
	}
	return ts, nil
}

// RevokeEnrollmentToken revokes a token at the given time. Revoking it again keeps the first time.
func (q *querier) RevokeEnrollmentToken(ctx context.Context, accountID, id string, at time.Time) error {
	return wrap("revoke enrollment token", q.execOne(ctx, "enrollment token",
		`UPDATE enrollment_tokens SET revoked_at = COALESCE(revoked_at, $3) WHERE account_id = $1 AND id = $2`,
		accountID, id, at))
}
