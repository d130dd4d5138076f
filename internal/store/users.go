package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/portico-dev/portico"
)

const userCols = `id, account_id, email, name, owner, state, status, disabled_reason, language, theme,
	password_hash, created_at, activated_at`

func scanUser(s scanner) (portico.User, error) {
	var u portico.User
	err := s.Scan(&u.ID, &u.AccountID, &u.Email, &u.Name, &u.Owner, &u.State, &u.Status, &u.DisabledReason,
		&u.Language, &u.Theme, &u.PasswordHash, timeCol{&u.CreatedAt}, nullTimeCol{&u.ActivatedAt})
	return u, err
}

// userConflict names the field a unique violation on users is about.
func userConflict(err error) error {
	kind, name := constraintViolation(err)
	if kind != "unique" {
		return err
	}
	if strings.Contains(name, "email") {
		return conflict("email", "is already in use")
	}
	if strings.Contains(name, "owner") || strings.Contains(name, "users.account_id") {
		return conflict("owner", "the account already has an owner")
	}
	return conflict("id", "a user with this id already exists")
}

// CreateUser stores a new user. The email must be unused on the whole server (sign-in is by email).
func (q *querier) CreateUser(ctx context.Context, u *portico.User) error {
	u.CreatedAt = normTime(u.CreatedAt)
	u.ActivatedAt = normTimePtr(u.ActivatedAt)
	_, err := q.exec(ctx, `INSERT INTO users (`+userCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
		u.ID, u.AccountID, u.Email, u.Name, u.Owner, u.State, u.Status, u.DisabledReason, u.Language, u.Theme,
		u.PasswordHash, u.CreatedAt, u.ActivatedAt)
	return wrap("create user", userConflict(err))
}

// GetUser returns a user of the account.
func (q *querier) GetUser(ctx context.Context, accountID, id string) (*portico.User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get user: %w", err)
	}
	return &u, nil
}

// GetUserByEmail returns the user with this email, in whichever account (for sign-in). Emails are kept
// as the application normalised them (lower case).
func (q *querier) GetUserByEmail(ctx context.Context, email string) (*portico.User, error) {
	u, err := scanUser(q.queryRow(ctx, `SELECT `+userCols+` FROM users WHERE email = $1`, email))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user")
	}
	if err != nil {
		return nil, fmt.Errorf("get user by email: %w", err)
	}
	return &u, nil
}

// ListUsers lists the account's users matching f, by name then email.
func (q *querier) ListUsers(ctx context.Context, accountID string, f portico.UserFilter) ([]portico.User, error) {
	var w where
	w.add("account_id = ?", accountID)
	if f.State != "" {
		w.add("state = ?", f.State)
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.IDs != nil {
		w.conds = append(w.conds, q.inJSON("id", w.next()))
		w.args = append(w.args, jsonList(f.IDs))
	}
	// An ASCII query is matched in SQL, where LOWER folds what it needs to. A query with other
	// letters is matched below with the Unicode case folding device search uses, since SQLite's
	// LOWER folds ASCII only and PostgreSQL's follows the database's locale; it reads the account's
	// users whole.
	foldInGo := false
	if f.Query != "" {
		if isASCII(f.Query) {
			p := likeSubstring(strings.ToLower(f.Query))
			w.add(`(LOWER(name) LIKE ? ESCAPE '\' OR LOWER(email) LIKE ? ESCAPE '\')`, p, p)
		} else {
			foldInGo = true
		}
	}
	limit := ""
	if f.Limit > 0 && !foldInGo {
		limit = fmt.Sprintf(" LIMIT %d", f.Limit)
	}
	rows, err := q.query(ctx, `SELECT `+userCols+` FROM users`+w.sql()+` ORDER BY `+
		q.textOrder("name")+`, `+q.textOrder("email")+`, id`+limit, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	us, err := scanAll(rows, scanUser)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	if foldInGo {
		query := searchFold(f.Query)
		kept := us[:0]
		for _, u := range us {
			if strings.Contains(searchFold(u.Name), query) || strings.Contains(searchFold(u.Email), query) {
				kept = append(kept, u)
			}
		}
		us = kept
		if f.Limit > 0 && len(us) > f.Limit {
			us = us[:f.Limit]
		}
	}
	return us, nil
}

// UpdateUser stores every mutable field of a user: email, name, state, status and its reason, language,
// theme, password hash and activation time.
func (q *querier) UpdateUser(ctx context.Context, u *portico.User) error {
	u.ActivatedAt = normTimePtr(u.ActivatedAt)
	err := q.execOne(ctx, "user", `UPDATE users SET email = $3, name = $4, state = $5, status = $6,
		disabled_reason = $7, language = $8, theme = $9, password_hash = $10, activated_at = $11
		WHERE account_id = $1 AND id = $2`,
		u.AccountID, u.ID, u.Email, u.Name, u.State, u.Status, u.DisabledReason, u.Language, u.Theme,
		u.PasswordHash, u.ActivatedAt)
	return wrap("update user", userConflict(err))
}

// DeleteUser deletes a user with everything that is only theirs: group memberships, favourites,
// sessions, invitations and API keys (by foreign-key cascade) and the access rights given to them.
func (q *querier) DeleteUser(ctx context.Context, accountID, id string) error {
	return wrap("delete user", q.atomic(ctx, func(q *querier) error {
		if _, err := q.exec(ctx, `DELETE FROM assignments WHERE account_id = $1 AND principal_type = $2 AND principal_id = $3`,
			accountID, portico.PrincipalUser, id); err != nil {
			return err
		}
		return q.execOne(ctx, "user", `DELETE FROM users WHERE account_id = $1 AND id = $2`, accountID, id)
	}))
}

// CountActiveTechnicians counts the account's users who use a seat: activated, active, not the owner.
func (q *querier) CountActiveTechnicians(ctx context.Context, accountID string) (int, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM users WHERE account_id = $1 AND state = $2 AND status = $3 AND NOT owner`,
		accountID, portico.StateActivated, portico.StatusActive).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("count active technicians: %w", err)
	}
	return n, nil
}

// CreateInvitation stores an invitation (its token's hash only).
func (q *querier) CreateInvitation(ctx context.Context, inv *portico.Invitation) error {
	inv.CreatedAt, inv.ExpiresAt, inv.UsedAt = normTime(inv.CreatedAt), normTime(inv.ExpiresAt), normTimePtr(inv.UsedAt)
	_, err := q.exec(ctx, `INSERT INTO invitations (id, account_id, user_id, hash, created_at, expires_at, used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		inv.ID, inv.AccountID, inv.UserID, inv.Hash, inv.CreatedAt, inv.ExpiresAt, inv.UsedAt)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("create invitation: %w", notFound("user"))
	}
	return wrap("create invitation", err)
}

// GetInvitationByHash returns the invitation whose token has this hash, in whichever account.
func (q *querier) GetInvitationByHash(ctx context.Context, hash string) (*portico.Invitation, error) {
	var inv portico.Invitation
	err := q.queryRow(ctx, `SELECT id, account_id, user_id, hash, created_at, expires_at, used_at
		FROM invitations WHERE hash = $1`, hash).
		Scan(&inv.ID, &inv.AccountID, &inv.UserID, &inv.Hash, timeCol{&inv.CreatedAt}, timeCol{&inv.ExpiresAt},
			nullTimeCol{&inv.UsedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("invitation")
	}
	if err != nil {
		return nil, fmt.Errorf("get invitation: %w", err)
	}
	return &inv, nil
}

// MarkInvitationUsed records that an invitation was used. An invitation is single-use: marking one
// already used is a conflict, so two registrations racing on one link cannot both succeed.
func (q *querier) MarkInvitationUsed(ctx context.Context, id string, at time.Time) error {
	res, err := q.exec(ctx, `UPDATE invitations SET used_at = $2 WHERE id = $1 AND used_at IS NULL`, id, at)
	if err != nil {
		return wrap("mark invitation used", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return wrap("mark invitation used", err)
	} else if n == 1 {
		return nil
	}
	var used int
	if err := q.queryRowW(ctx, `SELECT COUNT(*) FROM invitations WHERE id = $1`, id).Scan(&used); err != nil {
		return wrap("mark invitation used", err)
	}
	if used == 0 {
		return fmt.Errorf("mark invitation used: %w", notFound("invitation"))
	}
	return fmt.Errorf("mark invitation used: %w", portico.Errorf(portico.KindConflict, "this invitation link has already been used"))
}

// CreateWebSession stores a signed-in portal session.
func (q *querier) CreateWebSession(ctx context.Context, ws *portico.WebSession) error {
	ws.CreatedAt, ws.LastSeenAt = normTime(ws.CreatedAt), normTime(ws.LastSeenAt)
	if ws.Method == "" {
		ws.Method = portico.SessionPassword
	}
	_, err := q.exec(ctx, `INSERT INTO web_sessions (hash, account_id, user_id, created_at, last_seen_at, source_ip, method)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`, ws.Hash, ws.AccountID, ws.UserID, ws.CreatedAt, ws.LastSeenAt, ws.SourceIP, ws.Method)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("create web session: %w", notFound("user"))
	}
	return wrap("create web session", err)
}

// GetWebSession returns the session whose secret has this hash.
func (q *querier) GetWebSession(ctx context.Context, hash string) (*portico.WebSession, error) {
	var ws portico.WebSession
	err := q.queryRow(ctx, `SELECT hash, account_id, user_id, created_at, last_seen_at, source_ip, method
		FROM web_sessions WHERE hash = $1`, hash).
		Scan(&ws.Hash, &ws.AccountID, &ws.UserID, timeCol{&ws.CreatedAt}, timeCol{&ws.LastSeenAt}, &ws.SourceIP, &ws.Method)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("session")
	}
	if err != nil {
		return nil, fmt.Errorf("get web session: %w", err)
	}
	return &ws, nil
}

// TouchWebSession records activity on a session at the given time.
func (q *querier) TouchWebSession(ctx context.Context, hash string, at time.Time) error {
	return wrap("touch web session", q.execOne(ctx, "session",
		`UPDATE web_sessions SET last_seen_at = $2 WHERE hash = $1`, hash, at))
}

// DeleteWebSession ends a session; ending one that is already gone is not an error (signing out twice).
func (q *querier) DeleteWebSession(ctx context.Context, hash string) error {
	_, err := q.exec(ctx, `DELETE FROM web_sessions WHERE hash = $1`, hash)
	return wrap("delete web session", err)
}

// DeleteUserWebSessions ends every session of a user (disabled users are signed out at once).
func (q *querier) DeleteUserWebSessions(ctx context.Context, accountID, userID string) error {
	_, err := q.exec(ctx, `DELETE FROM web_sessions WHERE account_id = $1 AND user_id = $2`, accountID, userID)
	return wrap("delete user web sessions", err)
}

// DeleteOtherWebSessions signs a user out of every portal session but the one whose hash is keep.
func (q *querier) DeleteOtherWebSessions(ctx context.Context, accountID, userID, keep string) error {
	_, err := q.exec(ctx, `DELETE FROM web_sessions WHERE account_id = $1 AND user_id = $2 AND hash <> $3`, accountID, userID, keep)
	return wrap("delete other web sessions", err)
}
