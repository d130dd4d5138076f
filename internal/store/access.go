package store

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/portico-dev/portico"
)

// Access is everything the authorization engine needs about one account, loaded at once.
type Access struct {
	Users        []portico.User
	UserGroups   []portico.UserGroup // with MemberIDs
	Roles        []portico.Role
	Assignments  []portico.Assignment
	DeviceGroups []portico.DeviceGroup
	Devices      []DeviceRef
	// Revision is the account's access revision this graph reflects (read in the same snapshot).
	Revision int64
}

// DeviceRef is the part of a device that decides access: where it sits in the tree.
type DeviceRef struct {
	ID      string
	GroupID string // portico.UnassignedGroupID in Unassigned
	Name    string
}

// LoadAccess loads an account's access graph from one consistent snapshot, with one query per table
// (an account may hold 100,000 devices). The account must exist.
func (q *querier) LoadAccess(ctx context.Context, accountID string) (*Access, error) {
	var out Access
	err := q.snapshot(ctx, func(q *querier) error {
		var n int
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM accounts WHERE id = $1`, accountID).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return notFound("account")
		}
		var err error
		if out.Revision, err = q.Revision(ctx, accountID); err != nil {
			return err
		}
		if out.Users, err = loadAll(ctx, q, scanUser, `SELECT `+userCols+` FROM users WHERE account_id = $1
			ORDER BY `+q.textOrder("name")+`, id`, accountID); err != nil {
			return fmt.Errorf("users: %w", err)
		}
		if out.UserGroups, err = loadAll(ctx, q, func(s scanner) (portico.UserGroup, error) {
			var g portico.UserGroup
			err := s.Scan(&g.ID, &g.AccountID, &g.Name, &g.Description, timeCol{&g.CreatedAt})
			return g, err
		}, `SELECT id, account_id, name, description, created_at FROM user_groups WHERE account_id = $1
			ORDER BY `+q.textOrder("name")+`, id`, accountID); err != nil {
			return fmt.Errorf("user groups: %w", err)
		}
		if err := fillMembers(ctx, q.query, accountID, out.UserGroups); err != nil {
			return err
		}
		if out.Roles, err = loadAll(ctx, q, scanRole, `SELECT `+roleCols+` FROM roles WHERE account_id = $1
			ORDER BY `+q.textOrder("name")+`, id`, accountID); err != nil {
			return fmt.Errorf("roles: %w", err)
		}
		if out.Assignments, err = loadAll(ctx, q, scanAssignment, `SELECT `+assignmentCols+` FROM assignments
			WHERE account_id = $1 ORDER BY created_at, id`, accountID); err != nil {
			return fmt.Errorf("assignments: %w", err)
		}
		if out.DeviceGroups, err = loadAll(ctx, q, scanDeviceGroup, `SELECT `+deviceGroupCols+` FROM device_groups
			WHERE account_id = $1 ORDER BY `+q.textOrder("name")+`, id`, accountID); err != nil {
			return fmt.Errorf("device groups: %w", err)
		}
		if out.Devices, err = loadAll(ctx, q, func(s scanner) (DeviceRef, error) {
			var d DeviceRef
			var group sql.NullString
			err := s.Scan(&d.ID, &group, &d.Name)
			d.GroupID = groupFromDB(group)
			return d, err
		}, `SELECT id, group_id, name FROM devices WHERE account_id = $1`, accountID); err != nil {
			return fmt.Errorf("devices: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("load access: %w", err)
	}
	return &out, nil
}

func loadAll[T any](ctx context.Context, q *querier, scan func(scanner) (T, error), query string, args ...any) ([]T, error) {
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return scanAll(rows, scan)
}
