package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portico-dev/portico"
)

func userGroupConflict(err error) error {
	if kind, _ := constraintViolation(err); kind == "unique" {
		return conflict("name", "a user group with this name already exists")
	}
	return err
}

// CreateUserGroup stores a new user group with its members (MemberIDs, users of the same account).
func (q *querier) CreateUserGroup(ctx context.Context, g *portico.UserGroup) error {
	g.CreatedAt = normTime(g.CreatedAt)
	return wrap("create user group", q.atomic(ctx, func(q *querier) error {
		_, err := q.exec(ctx, `INSERT INTO user_groups (id, account_id, name, description, created_at)
			VALUES ($1, $2, $3, $4, $5)`, g.ID, g.AccountID, g.Name, g.Description, g.CreatedAt)
		if err != nil {
			return userGroupConflict(err)
		}
		return q.insertMembers(ctx, g.AccountID, g.ID, g.MemberIDs)
	}))
}

func (q *querier) insertMembers(ctx context.Context, accountID, groupID string, userIDs []string) error {
	seen := map[string]bool{}
	for _, uid := range userIDs {
		if seen[uid] {
			continue
		}
		seen[uid] = true
		_, err := q.exec(ctx, `INSERT INTO user_group_members (account_id, group_id, user_id) VALUES ($1, $2, $3)`,
			accountID, groupID, uid)
		if kind, _ := constraintViolation(err); kind == "foreign_key" {
			return notFound("user")
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// GetUserGroup returns a user group with its MemberIDs.
func (q *querier) GetUserGroup(ctx context.Context, accountID, id string) (*portico.UserGroup, error) {
	var g portico.UserGroup
	err := q.queryRow(ctx, `SELECT id, account_id, name, description, created_at FROM user_groups
		WHERE account_id = $1 AND id = $2`, accountID, id).
		Scan(&g.ID, &g.AccountID, &g.Name, &g.Description, timeCol{&g.CreatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("user group")
	}
	if err != nil {
		return nil, fmt.Errorf("get user group: %w", err)
	}
	rows, err := q.query(ctx, `SELECT user_id FROM user_group_members WHERE group_id = $1 ORDER BY user_id`, id)
	if err != nil {
		return nil, fmt.Errorf("get user group members: %w", err)
	}
	if g.MemberIDs, err = scanStrings(rows); err != nil {
		return nil, fmt.Errorf("get user group members: %w", err)
	}
	return &g, nil
}

// ListUserGroups lists the account's user groups by name, each with its MemberIDs.
func (q *querier) ListUserGroups(ctx context.Context, accountID string) ([]portico.UserGroup, error) {
	rows, err := q.query(ctx, `SELECT id, account_id, name, description, created_at FROM user_groups
		WHERE account_id = $1 ORDER BY `+q.textOrder("name")+`, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list user groups: %w", err)
	}
	groups, err := scanAll(rows, func(s scanner) (portico.UserGroup, error) {
		g := portico.UserGroup{MemberIDs: []string{}}
		err := s.Scan(&g.ID, &g.AccountID, &g.Name, &g.Description, timeCol{&g.CreatedAt})
		return g, err
	})
	if err != nil {
		return nil, fmt.Errorf("list user groups: %w", err)
	}
	if err := fillMembers(ctx, q.query, accountID, groups); err != nil {
		return nil, err
	}
	return groups, nil
}

// queryFunc runs a read: querier.query, or a snapshot's.
type queryFunc func(ctx context.Context, query string, args ...any) (*sql.Rows, error)

// fillMembers sets MemberIDs of groups with one query for the whole account.
func fillMembers(ctx context.Context, query queryFunc, accountID string, groups []portico.UserGroup) error {
	idx := make(map[string]int, len(groups))
	for i := range groups {
		idx[groups[i].ID] = i
		if groups[i].MemberIDs == nil {
			groups[i].MemberIDs = []string{}
		}
	}
	rows, err := query(ctx, `SELECT group_id, user_id FROM user_group_members WHERE account_id = $1
		ORDER BY group_id, user_id`, accountID)
	if err != nil {
		return fmt.Errorf("list user group members: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var gid, uid string
		if err := rows.Scan(&gid, &uid); err != nil {
			return fmt.Errorf("list user group members: %w", err)
		}
		if i, ok := idx[gid]; ok {
			groups[i].MemberIDs = append(groups[i].MemberIDs, uid)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("list user group members: %w", err)
	}
	return nil
}

// UpdateUserGroup stores a user group's name and description (members: SetUserGroupMembers).
func (q *querier) UpdateUserGroup(ctx context.Context, g *portico.UserGroup) error {
	err := q.execOne(ctx, "user group", `UPDATE user_groups SET name = $3, description = $4
		WHERE account_id = $1 AND id = $2`, g.AccountID, g.ID, g.Name, g.Description)
	return wrap("update user group", userGroupConflict(err))
}

// SetUserGroupMembers replaces a user group's members with userIDs (users of the same account).
func (q *querier) SetUserGroupMembers(ctx context.Context, accountID, groupID string, userIDs []string) error {
	return wrap("set user group members", q.atomic(ctx, func(q *querier) error {
		var n int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM user_groups WHERE account_id = $1 AND id = $2`,
			accountID, groupID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("user group")
		}
		if _, err := q.exec(ctx, `DELETE FROM user_group_members WHERE group_id = $1`, groupID); err != nil {
			return err
		}
		return q.insertMembers(ctx, accountID, groupID, userIDs)
	}))
}

// DeleteUserGroup deletes a user group, its memberships and the access rights given to it.
func (q *querier) DeleteUserGroup(ctx context.Context, accountID, id string) error {
	return wrap("delete user group", q.atomic(ctx, func(q *querier) error {
		if _, err := q.exec(ctx, `DELETE FROM assignments WHERE account_id = $1 AND principal_type = $2 AND principal_id = $3`,
			accountID, portico.PrincipalUserGroup, id); err != nil {
			return err
		}
		return q.execOne(ctx, "user group", `DELETE FROM user_groups WHERE account_id = $1 AND id = $2`, accountID, id)
	}))
}
