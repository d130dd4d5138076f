package store

import (
	"context"
	"time"
)

// SignInLimit is the sign-in limiter's count for one key ("e:<email>" or "a:<address>"), kept in the
// database so that every node of a cluster counts the same attempts.
type SignInLimit struct {
	Key string
	// Failures counts the attempts charged since WindowStart and not given back.
	Failures    int
	WindowStart time.Time
	// LockedUntil, when set, is the end of the key's lockout.
	LockedUntil *time.Time
}

// Locked reports whether the key is locked out at now.
func (l *SignInLimit) Locked(now time.Time) bool {
	return l.LockedUntil != nil && now.Before(*l.LockedUntil)
}

// ChargeSignInLimit counts one attempt under key at now and returns the key's state after it. A key
// whose count no longer applies (window over, or lockout ended) starts a new window with this attempt.
// It is one statement: on PostgreSQL the upsert holds the row's lock until it commits, so attempts
// charged by several nodes at once each get a count of their own.
func (q *querier) ChargeSignInLimit(ctx context.Context, key string, now time.Time, window time.Duration) (*SignInLimit, error) {
	// over holds for a row whose count no longer applies at $2 (now): its lockout has ended, or it has
	// none and its window began before $3 (now minus the window).
	const over = `(signin_limits.locked_until <= $2
		OR (signin_limits.locked_until IS NULL AND signin_limits.window_start < $3))`
	l := SignInLimit{Key: key}
	err := q.queryRowW(ctx, `INSERT INTO signin_limits (limit_key, failures, window_start) VALUES ($1, 1, $2)
		ON CONFLICT (limit_key) DO UPDATE SET
			failures = CASE WHEN `+over+` THEN 1 ELSE signin_limits.failures + 1 END,
			window_start = CASE WHEN `+over+` THEN excluded.window_start ELSE signin_limits.window_start END,
			locked_until = CASE WHEN `+over+` THEN NULL ELSE signin_limits.locked_until END
		RETURNING failures, window_start, locked_until`,
		key, now, now.Add(-window)).Scan(&l.Failures, timeCol{&l.WindowStart}, nullTimeCol{&l.LockedUntil})
	if err != nil {
		return nil, wrap("charge sign-in limit", err)
	}
	return &l, nil
}

// LockSignInLimit locks key out until now+lockout when its count has reached limit. A lockout in
// force at now is left as it is, not extended.
func (q *querier) LockSignInLimit(ctx context.Context, key string, limit int, now time.Time, lockout time.Duration) error {
	_, err := q.exec(ctx, `UPDATE signin_limits SET locked_until = $1
		WHERE limit_key = $2 AND failures >= $3 AND (locked_until IS NULL OR locked_until <= $4)`,
		now.Add(lockout), key, limit, now)
	return wrap("lock sign-in limit", err)
}

// RefundSignInLimit gives back one attempt charged to key in the window that began at windowStart. A
// charge made in a window since replaced is not taken from the new one's count.
func (q *querier) RefundSignInLimit(ctx context.Context, key string, windowStart time.Time) error {
	_, err := q.exec(ctx, `UPDATE signin_limits SET failures = failures - 1
		WHERE limit_key = $1 AND window_start = $2 AND failures > 0`, key, windowStart)
	return wrap("refund sign-in limit", err)
}

// ClearSignInLimit forgets key's count and lockout.
func (q *querier) ClearSignInLimit(ctx context.Context, key string) error {
	_, err := q.exec(ctx, `DELETE FROM signin_limits WHERE limit_key = $1`, key)
	return wrap("clear sign-in limit", err)
}

// PruneSignInLimits deletes the keys whose window began before now-window and that are not locked out
// at now: the next attempt would start them afresh anyway. It returns how many it deleted.
func (q *querier) PruneSignInLimits(ctx context.Context, now time.Time, window time.Duration) (int64, error) {
	res, err := q.exec(ctx, `DELETE FROM signin_limits
		WHERE window_start < $1 AND (locked_until IS NULL OR locked_until <= $2)`, now.Add(-window), now)
	if err != nil {
		return 0, wrap("prune sign-in limits", err)
	}
	n, err := res.RowsAffected()
	return n, wrap("prune sign-in limits", err)
}
