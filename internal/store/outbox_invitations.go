package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portico-dev/portico"
)

// These invitation queries serve the mail outbox's use cases: resending an invitation replaces its
// link, revoking one withdraws it, and the users page shows when the pending one expires.

// PendingInvitation returns the user's newest unused invitation, or not found.
func (q *querier) PendingInvitation(ctx context.Context, accountID, userID string) (*portico.Invitation, error) {
	var inv portico.Invitation
	err := q.queryRow(ctx, `SELECT id, account_id, user_id, hash, created_at, expires_at, used_at
		FROM invitations WHERE account_id = $1 AND user_id = $2 AND used_at IS NULL
		ORDER BY created_at DESC, id DESC LIMIT 1`, accountID, userID).
		Scan(&inv.ID, &inv.AccountID, &inv.UserID, &inv.Hash, timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt},
			nullTimeCol{&inv.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("invitation")
	}
	if err != nil {
		return nil, fmt.Errorf("pending invitation: %w", err)
	}
	return &inv, nil
}

// RevokeInvitations deletes the user's unused invitations, so their links stop working, and returns
// their ids.
func (q *querier) RevokeInvitations(ctx context.Context, accountID, userID string) ([]string, error) {
	rows, err := q.query(ctx, `SELECT id FROM invitations WHERE account_id = $1 AND user_id = $2 AND used_at IS NULL`, accountID, userID)
	if err != nil {
		return nil, fmt.Errorf("revoke invitations: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("revoke invitations: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("revoke invitations: %w", err)
	}
	if _, err := q.exec(ctx, `DELETE FROM invitations WHERE account_id = $1 AND user_id = $2 AND used_at IS NULL`, accountID, userID); err != nil {
		return nil, wrap("revoke invitations", err)
	}
	return ids, nil
}
