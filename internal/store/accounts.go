package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portico-dev/portico"
)

// CreateAccount stores a new account. Its CreatedAt is normalised to what the database keeps.
func (q *querier) CreateAccount(ctx context.Context, a *portico.Account) error {
	a.CreatedAt = normTime(a.CreatedAt)
	settings, err := toJSON(a.Settings)
	if err != nil {
		return fmt.Errorf("create account: %w", err)
	}
	_, err = q.exec(ctx, `INSERT INTO accounts (id, name, settings, created_at) VALUES ($1, $2, $3, $4)`,
		a.ID, a.Name, settings, a.CreatedAt)
	if kind, _ := constraintViolation(err); kind == "unique" {
		return fmt.Errorf("create account: %w", conflict("id", "an account with this id already exists"))
	}
	return wrap("create account", err)
}

// GetAccount returns an account.
func (q *querier) GetAccount(ctx context.Context, id string) (*portico.Account, error) {
	// Settings added since the account was stored take their defaults.
	a := portico.Account{Settings: portico.DefaultAccountSettings()}
	err := q.queryRow(ctx, `SELECT id, name, settings, created_at FROM accounts WHERE id = $1`, id).
		Scan(&a.ID, &a.Name, jsonCol{&a.Settings}, timeCol{&a.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("account")
	}
	if err != nil {
		return nil, fmt.Errorf("get account: %w", err)
	}
	return &a, nil
}

// UpdateAccount stores an account's name and settings.
func (q *querier) UpdateAccount(ctx context.Context, a *portico.Account) error {
	settings, err := toJSON(a.Settings)
	if err != nil {
		return fmt.Errorf("update account: %w", err)
	}
	return wrap("update account", q.execOne(ctx, "account",
		`UPDATE accounts SET name = $2, settings = $3 WHERE id = $1`, a.ID, a.Name, settings))
}

// ListAccountIDs returns the id of every account, sorted.
func (q *querier) ListAccountIDs(ctx context.Context) ([]string, error) {
	rows, err := q.query(ctx, `SELECT id FROM accounts ORDER BY `+q.textOrder("id"))
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	return ids, nil
}

// scanStrings reads a one-column result and closes rows.
func scanStrings(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	out := []string{}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface {
	Scan(dest ...any) error
}

// scanAll reads every row with scan and closes rows.
func scanAll[T any](rows *sql.Rows, scan func(scanner) (T, error)) ([]T, error) {
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
