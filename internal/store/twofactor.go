package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// TwoFactor is a user's TOTP enrolment. The secret is sealed by the application (encrypted with the
// server's key); the store never sees it in clear text.
type TwoFactor struct {
	AccountID string
	UserID    string
	// SecretSealed is the encrypted TOTP secret, as the application sealed it.
	SecretSealed string
	// Enabled is false while enrolment waits for its first valid code.
	Enabled bool
	// LastStep is the last accepted TOTP time step (Unix time / 30 s); a code of this step or an
	// earlier one is refused, so that no code works twice.
	LastStep  int64
	CreatedAt time.Time
	EnabledAt *time.Time
}

// SignInChallenge is a pending sign-in: the password was right and a second factor is due.
type SignInChallenge struct {
	Hash      string
	AccountID string
	UserID    string
	ExpiresAt time.Time
	Failures  int
}

const twoFactorCols = `account_id, user_id, secret_sealed, enabled, last_step, created_at, enabled_at`

// GetTwoFactor returns a user's TOTP enrolment, or NotFound when the user has none.
func (q *querier) GetTwoFactor(ctx context.Context, accountID, userID string) (*TwoFactor, error) {
	var t TwoFactor
	err := q.queryRow(ctx, `SELECT `+twoFactorCols+` FROM user_two_factor WHERE account_id = $1 AND user_id = $2`,
		accountID, userID).Scan(&t.AccountID, &t.UserID, &t.SecretSealed, &t.Enabled, &t.LastStep,
		timeCol{&t.CreatedAt}, nullTimeCol{&t.EnabledAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("two-factor enrolment")
	}
	if err != nil {
		return nil, fmt.Errorf("get two-factor enrolment: %w", err)
	}
	return &t, nil
}

// PutTwoFactor stores a user's TOTP enrolment, replacing any earlier one (a new enrolment starts
// over, with no recovery codes). The user must be of the account.
func (q *querier) PutTwoFactor(ctx context.Context, t *TwoFactor) error {
	t.CreatedAt, t.EnabledAt = normTime(t.CreatedAt), normTimePtr(t.EnabledAt)
	return q.atomic(ctx, func(q *querier) error {
		if _, err := q.exec(ctx, `DELETE FROM two_factor_recovery_codes WHERE account_id = $1 AND user_id = $2`,
			t.AccountID, t.UserID); err != nil {
			return wrap("put two-factor enrolment", err)
		}
		// The WHERE keeps another account from overwriting a row it names by user id alone.
		res, err := q.exec(ctx, `INSERT INTO user_two_factor (`+twoFactorCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (user_id) DO UPDATE SET secret_sealed = excluded.secret_sealed, enabled = excluded.enabled,
			last_step = excluded.last_step, created_at = excluded.created_at, enabled_at = excluded.enabled_at
			WHERE user_two_factor.account_id = excluded.account_id`,
			t.AccountID, t.UserID, t.SecretSealed, t.Enabled, t.LastStep, t.CreatedAt, t.EnabledAt)
		if kind, _ := constraintViolation(err); kind == "foreign_key" {
			return fmt.Errorf("put two-factor enrolment: %w", notFound("user"))
		}
		if err != nil {
			return wrap("put two-factor enrolment", err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("put two-factor enrolment: %w", notFound("user"))
		}
		return nil
	})
}

// EnableTwoFactor marks a user's enrolment as confirmed at the given time.
func (q *querier) EnableTwoFactor(ctx context.Context, accountID, userID string, at time.Time) error {
	return wrap("enable two-factor", q.execOne(ctx, "two-factor enrolment",
		`UPDATE user_two_factor SET enabled = TRUE, enabled_at = $3 WHERE account_id = $1 AND user_id = $2`,
		accountID, userID, normTime(at)))
}

// AcceptTwoFactorStep records step as the last accepted time step, and reports false when it is not
// later than the one recorded: the code was already used (or an older one). The check and the write
// are one statement, so two requests racing with the same code cannot both succeed.
func (q *querier) AcceptTwoFactorStep(ctx context.Context, accountID, userID string, step int64) (bool, error) {
	res, err := q.exec(ctx, `UPDATE user_two_factor SET last_step = $3 WHERE account_id = $1 AND user_id = $2 AND last_step < $3`,
		accountID, userID, step)
	if err != nil {
		return false, wrap("accept two-factor step", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("accept two-factor step: %w", err)
	}
	return n == 1, nil
}

// DeleteTwoFactor removes a user's enrolment and recovery codes. Removing none is not an error.
func (q *querier) DeleteTwoFactor(ctx context.Context, accountID, userID string) error {
	return q.atomic(ctx, func(q *querier) error {
		if _, err := q.exec(ctx, `DELETE FROM two_factor_recovery_codes WHERE account_id = $1 AND user_id = $2`,
			accountID, userID); err != nil {
			return wrap("delete recovery codes", err)
		}
		_, err := q.exec(ctx, `DELETE FROM user_two_factor WHERE account_id = $1 AND user_id = $2`, accountID, userID)
		return wrap("delete two-factor enrolment", err)
	})
}

// ReplaceRecoveryCodes replaces a user's recovery codes with these hashes, all unused.
func (q *querier) ReplaceRecoveryCodes(ctx context.Context, accountID, userID string, hashes []string) error {
	return q.atomic(ctx, func(q *querier) error {
		if _, err := q.exec(ctx, `DELETE FROM two_factor_recovery_codes WHERE account_id = $1 AND user_id = $2`,
			accountID, userID); err != nil {
			return wrap("replace recovery codes", err)
		}
		for _, h := range hashes {
			_, err := q.exec(ctx, `INSERT INTO two_factor_recovery_codes (account_id, user_id, hash) VALUES ($1, $2, $3)`,
				accountID, userID, h)
			if kind, _ := constraintViolation(err); kind == "foreign_key" {
				return fmt.Errorf("replace recovery codes: %w", notFound("user"))
			}
			if err != nil {
				return wrap("replace recovery codes", err)
			}
		}
		return nil
	})
}

// UseRecoveryCode marks the unused code with this hash as used, and reports false when there is no
// such unused code. Check and write are one statement, so a code works once even under races.
func (q *querier) UseRecoveryCode(ctx context.Context, accountID, userID, hash string, at time.Time) (bool, error) {
	res, err := q.exec(ctx, `UPDATE two_factor_recovery_codes SET used_at = $4
		WHERE account_id = $1 AND user_id = $2 AND hash = $3 AND used_at IS NULL`, accountID, userID, hash, normTime(at))
	if err != nil {
		return false, wrap("use recovery code", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("use recovery code: %w", err)
	}
	return n == 1, nil
}

// CountRecoveryCodes returns how many of a user's recovery codes are still unused.
func (q *querier) CountRecoveryCodes(ctx context.Context, accountID, userID string) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM two_factor_recovery_codes WHERE account_id = $1 AND user_id = $2 AND used_at IS NULL`,
		accountID, userID).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count recovery codes: %w", err)
	}
	return n, nil
}

// CreateSignInChallenge stores a pending sign-in.
func (q *querier) CreateSignInChallenge(ctx context.Context, c *SignInChallenge) error {
	c.ExpiresAt = normTime(c.ExpiresAt)
	_, err := q.exec(ctx, `INSERT INTO sign_in_challenges (hash, account_id, user_id, expires_at, failures) VALUES ($1, $2, $3, $4, $5)`,
		c.Hash, c.AccountID, c.UserID, c.ExpiresAt, c.Failures)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("create sign-in challenge: %w", notFound("user"))
	}
	return wrap("create sign-in challenge", err)
}

// GetSignInChallenge returns the pending sign-in with this token hash, in whichever account, or
// NotFound. Expired ones are returned too: the caller refuses them.
func (q *querier) GetSignInChallenge(ctx context.Context, hash string) (*SignInChallenge, error) {
	var c SignInChallenge
	err := q.queryRowW(ctx, `SELECT hash, account_id, user_id, expires_at, failures FROM sign_in_challenges WHERE hash = $1`, hash).
		Scan(&c.Hash, &c.AccountID, &c.UserID, timeCol{&c.ExpiresAt}, &c.Failures)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("sign-in challenge")
	}
	if err != nil {
		return nil, fmt.Errorf("get sign-in challenge: %w", err)
	}
	return &c, nil
}

// FailSignInChallenge counts a wrong code against a pending sign-in and returns the new count.
func (q *querier) FailSignInChallenge(ctx context.Context, hash string) (int, error) {
	var n int
	err := q.queryRowW(ctx, `UPDATE sign_in_challenges SET failures = failures + 1 WHERE hash = $1 RETURNING failures`, hash).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, notFound("sign-in challenge")
	}
	if err != nil {
		return 0, fmt.Errorf("fail sign-in challenge: %w", err)
	}
	return n, nil
}

// DeleteSignInChallenge removes a pending sign-in, and with it every expired one.
func (q *querier) DeleteSignInChallenge(ctx context.Context, hash string, now time.Time) error {
	_, err := q.exec(ctx, `DELETE FROM sign_in_challenges WHERE hash = $1 OR expires_at < $2`, hash, normTime(now))
	return wrap("delete sign-in challenge", err)
}
