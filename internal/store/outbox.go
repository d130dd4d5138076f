package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// OutboxMail is one email waiting in (or delivered from) the outbox.
type OutboxMail struct {
	ID        string
	AccountID string
	// Ref ties the message to what caused it (an invitation's id), so that revoking the invitation can
	// withdraw a message not yet sent.
	Ref           string
	Kind          string
	To            string
	Subject       string
	Text          string
	HTML          string
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt *time.Time // nil once sent or abandoned
	SentAt        *time.Time
	LastError     string
}

const outboxCols = `id, account_id, ref, kind, recipient, subject, body_text, body_html, created_at, attempts,
	next_attempt_at, sent_at, last_error`

func scanOutbox(sc interface{ Scan(...any) error }) (*OutboxMail, error) {
	var m OutboxMail
	err := sc.Scan(&m.ID, &m.AccountID, &m.Ref, &m.Kind, &m.To, &m.Subject, &m.Text, &m.HTML, timeCol{&m.CreatedAt},
		&m.Attempts, nullTimeCol{&m.NextAttemptAt}, nullTimeCol{&m.SentAt}, &m.LastError)
	return &m, err
}

// EnqueueMail stores a message to send at m.NextAttemptAt (which must be set).
func (q *querier) EnqueueMail(ctx context.Context, m *OutboxMail) error {
	if m.NextAttemptAt == nil {
		return errors.New("enqueue mail: no attempt time")
	}
	m.CreatedAt, m.NextAttemptAt = normTime(m.CreatedAt), normTimePtr(m.NextAttemptAt)
	_, err := q.exec(ctx, `INSERT INTO mail_outbox (`+outboxCols+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		m.ID, m.AccountID, m.Ref, m.Kind, m.To, m.Subject, m.Text, m.HTML, m.CreatedAt, m.Attempts,
		m.NextAttemptAt, m.SentAt, m.LastError)
	return wrap("enqueue mail", err)
}

// GetMail returns one outbox message of the account.
func (q *querier) GetMail(ctx context.Context, accountID, id string) (*OutboxMail, error) {
	m, err := scanOutbox(q.queryRow(ctx, `SELECT `+outboxCols+` FROM mail_outbox WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("mail")
	}
	if err != nil {
		return nil, fmt.Errorf("get mail: %w", err)
	}
	return m, nil
}

// DueMail returns up to limit unsent messages of every account whose next attempt is at or before now,
// oldest first.
func (q *querier) DueMail(ctx context.Context, now time.Time, limit int) ([]OutboxMail, error) {
	rows, err := q.query(ctx, `SELECT `+outboxCols+` FROM mail_outbox
		WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2`, now, limit)
	if err != nil {
		return nil, fmt.Errorf("due mail: %w", err)
	}
	defer rows.Close()
	var out []OutboxMail
	for rows.Next() {
		m, err := scanOutbox(rows)
		if err != nil {
			return nil, fmt.Errorf("due mail: %w", err)
		}
		out = append(out, *m)
	}
	return out, rows.Err()
}

// ClaimMail takes an unsent message for one delivery attempt: it moves the next attempt to leaseUntil
// if the message is still due at now, so that two senders never deliver it at once. It reports whether
// the claim succeeded.
func (q *querier) ClaimMail(ctx context.Context, id string, now, leaseUntil time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE mail_outbox SET next_attempt_at = $3
		WHERE id = $1 AND next_attempt_at IS NOT NULL AND next_attempt_at <= $2`, id, now, leaseUntil)
	if err != nil {
		return false, wrap("claim mail", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, wrap("claim mail", err)
	}
	return n == 1, nil
}

// MarkMailSent records a delivery and blanks the message's bodies.
func (q *querier) MarkMailSent(ctx context.Context, id string, at time.Time) error {
	_, err := q.exec(ctx, `UPDATE mail_outbox SET sent_at = $2, next_attempt_at = NULL, attempts = attempts + 1,
		body_text = '', body_html = '', last_error = '' WHERE id = $1`, id, at)
	return wrap("mark mail sent", err)
}

// MarkMailFailed records a failed attempt. With next set the message is tried again then; with next
// nil it is abandoned and its bodies are blanked.
func (q *querier) MarkMailFailed(ctx context.Context, id, reason string, next *time.Time) error {
	if len(reason) > 500 {
		reason = reason[:500]
	}
	var err error
	if next == nil {
		_, err = q.exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = NULL, last_error = $2,
			body_text = '', body_html = '' WHERE id = $1`, id, reason)
	} else {
		_, err = q.exec(ctx, `UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = $3, last_error = $2
			WHERE id = $1`, id, reason, *next)
	}
	return wrap("mark mail failed", err)
}

// WithdrawMail deletes the account's unsent messages with this ref (an invitation revoked or replaced
// before its message went out) and returns how many there were.
func (q *querier) WithdrawMail(ctx context.Context, accountID, ref string) (int, error) {
	res, err := q.exec(ctx, `DELETE FROM mail_outbox WHERE account_id = $1 AND ref = $2 AND sent_at IS NULL`, accountID, ref)
	if err != nil {
		return 0, wrap("withdraw mail", err)
	}
	n, err := res.RowsAffected()
	return int(n), wrap("withdraw mail", err)
}

// PruneMail deletes messages sent or abandoned before cutoff.
func (q *querier) PruneMail(ctx context.Context, cutoff time.Time) error {
	_, err := q.exec(ctx, `DELETE FROM mail_outbox WHERE next_attempt_at IS NULL AND created_at < $1`, cutoff)
	return wrap("prune mail", err)
}
