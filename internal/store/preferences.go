package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// GetPreference returns the value a user stored under key, or nil when there is none.
func (q *querier) GetPreference(ctx context.Context, accountID, userID, key string) (json.RawMessage, error) {
	var v string
	err := q.queryRow(ctx, `SELECT value FROM user_preferences WHERE account_id = $1 AND user_id = $2 AND key = $3`,
		accountID, userID, key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get preference: %w", err)
	}
	return json.RawMessage(v), nil
}

// SetPreference stores value under key for a user, replacing what was there; a nil value deletes it.
// The user must be of the account.
func (q *querier) SetPreference(ctx context.Context, accountID, userID, key string, value json.RawMessage, at time.Time) error {
	if value == nil {
		_, err := q.exec(ctx, `DELETE FROM user_preferences WHERE account_id = $1 AND user_id = $2 AND key = $3`,
			accountID, userID, key)
		return wrap("delete preference", err)
	}
	_, err := q.exec(ctx, `INSERT INTO user_preferences (account_id, user_id, key, value, updated_at) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (user_id, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
		accountID, userID, key, string(value), normTime(at))
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("set preference: %w", notFound("user"))
	}
	return wrap("set preference", err)
}
