package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portico-dev/portico"
)

const roleCols = `id, account_id, name, description, purpose, permissions, system, system_key, created_at`

func scanRole(s scanner) (portico.Role, error) {
	var r portico.Role
	err := s.Scan(&r.ID, &r.AccountID, &r.Name, &r.Description, &r.Purpose, jsonCol{&r.Permissions}, &r.System,
		&r.SystemKey, timeCol{&r.CreatedAt})
	if r.Permissions == nil {
		r.Permissions = []portico.Permission{}
	}
	return r, err
}

func roleConflict(err error) error {
	if kind, _ := constraintViolation(err); kind == "unique" {
		return conflict("name", "a role with this name already exists")
	}
	return err
}

// CreateRole stores a new role; its permissions are kept as a JSON list of ids.
func (q *querier) CreateRole(ctx context.Context, r *portico.Role) error {
	r.CreatedAt = normTime(r.CreatedAt)
	_, err := q.exec(ctx, `INSERT INTO roles (`+roleCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		r.ID, r.AccountID, r.Name, r.Description, r.Purpose, jsonList(r.Permissions), r.System, r.SystemKey, r.CreatedAt)
	return wrap("create role", roleConflict(err))
}

// GetRole returns a role.
func (q *querier) GetRole(ctx context.Context, accountID, id string) (*portico.Role, error) {
	r, err := scanRole(q.queryRow(ctx, `SELECT `+roleCols+` FROM roles WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("role")
	}
	if err != nil {
		return nil, fmt.Errorf("get role: %w", err)
	}
	return &r, nil
}

// ListRoles lists the account's roles: system roles first, then by name.
func (q *querier) ListRoles(ctx context.Context, accountID string) ([]portico.Role, error) {
	rows, err := q.query(ctx, `SELECT `+roleCols+` FROM roles WHERE account_id = $1
		ORDER BY system DESC, `+q.textOrder("name")+`, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	roles, err := scanAll(rows, scanRole)
	if err != nil {
		return nil, fmt.Errorf("list roles: %w", err)
	}
	return roles, nil
}

// UpdateRole stores a role's name, description and permissions (purpose and system flag are fixed).
func (q *querier) UpdateRole(ctx context.Context, r *portico.Role) error {
	err := q.execOne(ctx, "role", `UPDATE roles SET name = $3, description = $4, permissions = $5
		WHERE account_id = $1 AND id = $2`, r.AccountID, r.ID, r.Name, r.Description, jsonList(r.Permissions))
	return wrap("update role", roleConflict(err))
}

// DeleteRole deletes a role and, by foreign-key cascade, every assignment that uses it.
func (q *querier) DeleteRole(ctx context.Context, accountID, id string) error {
	return wrap("delete role", q.execOne(ctx, "role", `DELETE FROM roles WHERE account_id = $1 AND id = $2`, accountID, id))
}

const assignmentCols = `id, account_id, principal_type, principal_id, role_id, scope_type, scope_id, expires_at, created_at`

func scanAssignment(s scanner) (portico.Assignment, error) {
	var a portico.Assignment
	err := s.Scan(&a.ID, &a.AccountID, &a.PrincipalType, &a.PrincipalID, &a.RoleID, &a.ScopeType, &a.ScopeID,
		nullTimeCol{&a.ExpiresAt}, timeCol{&a.CreatedAt})
	return a, err
}

// CreateAssignment stores an assignment. Its role must be of the same account; the principal and scope
// are checked by the caller in the same transaction (they point at different tables by type).
func (q *querier) CreateAssignment(ctx context.Context, a *portico.Assignment) error {
	a.CreatedAt, a.ExpiresAt = normTime(a.CreatedAt), normTimePtr(a.ExpiresAt)
	_, err := q.exec(ctx, `INSERT INTO assignments (`+assignmentCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		a.ID, a.AccountID, a.PrincipalType, a.PrincipalID, a.RoleID, a.ScopeType, a.ScopeID, a.ExpiresAt, a.CreatedAt)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("create assignment: %w", notFound("role"))
	}
	return wrap("create assignment", err)
}

// assignmentLockClass is the first key of the PostgreSQL advisory locks taken by LockAssignments (the
// second is the account's): "asg" in ASCII. Two-key advisory locks never collide with the one-key
// migration lock.
const assignmentLockClass = 0x617367

// LockAssignments holds, until the transaction ends, the account's lock on creating assignments, so
// that a check of what exists (an identical assignment) and the insert that follows are one step for
// every node. On PostgreSQL it is a transaction-level advisory lock; on SQLite the single writer
// already serialises write transactions and it does nothing.
func (q *querier) LockAssignments(ctx context.Context, accountID string) error {
	if q.sqlite() {
		return nil
	}
	if q.tx == nil {
		return errors.New("lock assignments: needs a transaction")
	}
	_, err := q.exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext($2))`, int32(assignmentLockClass), accountID)
	return wrap("lock assignments", err)
}

// GetAssignment returns an assignment.
func (q *querier) GetAssignment(ctx context.Context, accountID, id string) (*portico.Assignment, error) {
	a, err := scanAssignment(q.queryRow(ctx, `SELECT `+assignmentCols+` FROM assignments WHERE account_id = $1 AND id = $2`,
		accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("assignment")
	}
	if err != nil {
		return nil, fmt.Errorf("get assignment: %w", err)
	}
	return &a, nil
}

// ListAssignments lists the account's assignments matching f, oldest first.
func (q *querier) ListAssignments(ctx context.Context, accountID string, f portico.AssignmentFilter) ([]portico.Assignment, error) {
	var w where
	w.add("account_id = ?", accountID)
	if f.RoleID != "" {
		w.add("role_id = ?", f.RoleID)
	}
	if f.PrincipalType != "" {
		w.add("principal_type = ?", f.PrincipalType)
	}
	if f.PrincipalID != "" {
		w.add("principal_id = ?", f.PrincipalID)
	}
	if f.ScopeType != "" {
		w.add("scope_type = ?", f.ScopeType)
	}
	if f.ScopeID != "" {
		w.add("scope_id = ?", f.ScopeID)
	}
	rows, err := q.query(ctx, `SELECT `+assignmentCols+` FROM assignments`+w.sql()+` ORDER BY created_at, id`, w.args...)
	if err != nil {
		return nil, fmt.Errorf("list assignments: %w", err)
	}
	as, err := scanAll(rows, scanAssignment)
	if err != nil {
		return nil, fmt.Errorf("list assignments: %w", err)
	}
	return as, nil
}

// DeleteAssignment deletes an assignment.
func (q *querier) DeleteAssignment(ctx context.Context, accountID, id string) error {
	return wrap("delete assignment", q.execOne(ctx, "assignment",
		`DELETE FROM assignments WHERE account_id = $1 AND id = $2`, accountID, id))
}

// deleteScopeAssignments deletes the assignments whose scope is the given device group or device.
func (q *querier) deleteScopeAssignments(ctx context.Context, accountID string, st portico.ScopeType, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := q.exec(ctx, `DELETE FROM assignments WHERE account_id = $1 AND scope_type = $2 AND `+q.inJSON("scope_id", 3),
		accountID, st, jsonList(ids))
	return err
}
