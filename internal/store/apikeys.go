package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

const apiKeyCols = `id, account_id, user_id, name, permissions, hash, created_at, last_used_at, revoked_at`

func scanAPIKey(s scanner) (portico.APIKey, error) {
	var k portico.APIKey
	err := s.Scan(&k.ID, &k.AccountID, &k.UserID, &k.Name, jsonCol{&k.Permissions}, &k.Hash, timeCol{&k.CreatedAt},
		nullTimeCol{&k.LastUsedAt}, nullTimeCol{&k.RevokedAt})
	if len(k.Permissions) == 0 {
		k.Permissions = nil // "no list" means the owner's full permissions
	}
	return k, err
}

// CreateAPIKey stores an API key (its secret's hash only) for a user of the account.
func (q *querier) CreateAPIKey(ctx context.Context, k *portico.APIKey) error {
	k.CreatedAt, k.LastUsedAt, k.RevokedAt = normTime(k.CreatedAt), normTimePtr(k.LastUsedAt), normTimePtr(k.RevokedAt)
	_, err := q.exec(ctx, `INSERT INTO api_keys (`+apiKeyCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		k.ID, k.AccountID, k.UserID, k.Name, jsonList(k.Permissions), k.Hash, k.CreatedAt, k.LastUsedAt, k.RevokedAt)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("create API key: %w", notFound("user"))
	}
	return wrap("create API key", err)
}

// GetAPIKeyByHash returns the key whose secret has this hash, in whichever account. Revoked keys are
// returned too: the caller refuses them.
func (q *querier) GetAPIKeyByHash(ctx context.Context, hash string) (*portico.APIKey, error) {
	k, err := scanAPIKey(q.queryRow(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("API key")
	}
	if err != nil {
		return nil, fmt.Errorf("get API key: %w", err)
	}
	return &k, nil
}

// ListAPIKeys lists the account's API keys, oldest first.
func (q *querier) ListAPIKeys(ctx context.Context, accountID string) ([]portico.APIKey, error) {
	rows, err := q.query(ctx, `SELECT `+apiKeyCols+` FROM api_keys WHERE account_id = $1 ORDER BY created_at, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	ks, err := scanAll(rows, scanAPIKey)
	if err != nil {
		return nil, fmt.Errorf("list API keys: %w", err)
	}
	return ks, nil
}

// RevokeAPIKey revokes a key at the given time. Revoking it again keeps the first time.
func (q *querier) RevokeAPIKey(ctx context.Context, accountID, id string, at time.Time) error {
	return wrap("revoke API key", q.execOne(ctx, "API key",
		`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $3) WHERE account_id = $1 AND id = $2`, accountID, id, at))
}

// TouchAPIKey records that a key was used at the given time.
func (q *querier) TouchAPIKey(ctx context.Context, id string, at time.Time) error {
	return wrap("touch API key", q.execOne(ctx, "API key", `UPDATE api_keys SET last_used_at = $2 WHERE id = $1`, id, at))
}
