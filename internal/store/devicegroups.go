package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/portico-dev/portico"
)

const deviceGroupCols = `id, account_id, parent_id, name, colour, description, settings, created_at`

func scanDeviceGroup(s scanner) (portico.DeviceGroup, error) {
	var g portico.DeviceGroup
	var parent sql.NullString
	err := s.Scan(&g.ID, &g.AccountID, &parent, &g.Name, &g.Colour, &g.Description, jsonCol{&g.Settings},
		timeCol{&g.CreatedAt})
	g.ParentID = parent.String
	if g.Settings == nil {
		g.Settings = portico.GroupSettings{}
	}
	return g, err
}

// deviceGroupConflict names the field a constraint violation on device_groups is about.
func deviceGroupConflict(err error) error {
	switch kind, _ := constraintViolation(err); kind {
	case "unique":
		return conflict("name", "a device group with this name already exists at this level")
	case "foreign_key":
		return notFound("parent device group")
	}
	return err
}

// CreateDeviceGroup stores a new device group. Sibling names must differ; ParentID, when set, must be a
// group of the same account.
func (q *querier) CreateDeviceGroup(ctx context.Context, g *portico.DeviceGroup) error {
	if g.ID == portico.UnassignedGroupID {
		return fmt.Errorf("create device group: %w", conflict("id", "%q is reserved", g.ID))
	}
	g.CreatedAt = normTime(g.CreatedAt)
	settings, err := toJSON(settingsOrEmpty(g.Settings))
	if err != nil {
		return fmt.Errorf("create device group: %w", err)
	}
	_, err = q.exec(ctx, `INSERT INTO device_groups (`+deviceGroupCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		g.ID, g.AccountID, nullStr(g.ParentID), g.Name, g.Colour, g.Description, settings, g.CreatedAt)
	return wrap("create device group", deviceGroupConflict(err))
}

func settingsOrEmpty(s portico.GroupSettings) portico.GroupSettings {
	if s == nil {
		return portico.GroupSettings{}
	}
	return s
}

// GetDeviceGroup returns a device group. Unassigned is not a stored group: asking for it is NotFound.
func (q *querier) GetDeviceGroup(ctx context.Context, accountID, id string) (*portico.DeviceGroup, error) {
	g, err := scanDeviceGroup(q.queryRow(ctx, `SELECT `+deviceGroupCols+` FROM device_groups
		WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("device group")
	}
	if err != nil {
		return nil, fmt.Errorf("get device group: %w", err)
	}
	return &g, nil
}

// ListDeviceGroups lists every device group of the account (the whole tree), by name.
func (q *querier) ListDeviceGroups(ctx context.Context, accountID string) ([]portico.DeviceGroup, error) {
	rows, err := q.query(ctx, `SELECT `+deviceGroupCols+` FROM device_groups WHERE account_id = $1
		ORDER BY `+q.textOrder("name")+`, id`, accountID)
	if err != nil {
		return nil, fmt.Errorf("list device groups: %w", err)
	}
	gs, err := scanAll(rows, scanDeviceGroup)
	if err != nil {
		return nil, fmt.Errorf("list device groups: %w", err)
	}
	return gs, nil
}

// UpdateDeviceGroup stores a group's parent, name, colour, description and settings. The caller
// checks that the new parent is not inside the group itself.
func (q *querier) UpdateDeviceGroup(ctx context.Context, g *portico.DeviceGroup) error {
	if g.ParentID == g.ID {
		return fmt.Errorf("update device group: %w", conflict("parent_id", "a group cannot be its own parent"))
	}
	settings, err := toJSON(settingsOrEmpty(g.Settings))
	if err != nil {
		return fmt.Errorf("update device group: %w", err)
	}
	err = q.execOne(ctx, "device group", `UPDATE device_groups SET parent_id = $3, name = $4, colour = $5,
		description = $6, settings = $7 WHERE account_id = $1 AND id = $2`,
		g.AccountID, g.ID, nullStr(g.ParentID), g.Name, g.Colour, g.Description, settings)
	return wrap("update device group", deviceGroupConflict(err))
}

// DeleteDeviceGroup deletes an empty device group (no sub-groups, no devices, no rule targeting it:
// the caller checks, the foreign keys refuse otherwise) with the access rights scoped to it. Enrollment
// tokens bound to it become account-wide: their devices land in Unassigned, which grants nothing.
func (q *querier) DeleteDeviceGroup(ctx context.Context, accountID, id string) error {
	return wrap("delete device group", q.atomic(ctx, func(q *querier) error {
		if err := q.deleteScopeAssignments(ctx, accountID, portico.ScopeTypeDeviceGroup, []string{id}); err != nil {
			return err
		}
		if _, err := q.exec(ctx, `UPDATE enrollment_tokens SET group_id = NULL WHERE account_id = $1 AND group_id = $2`,
			accountID, id); err != nil {
			return err
		}
		err := q.execOne(ctx, "device group", `DELETE FROM device_groups WHERE account_id = $1 AND id = $2`, accountID, id)
		if kind, _ := constraintViolation(err); kind == "foreign_key" {
			return portico.Errorf(portico.KindConflict, "the device group still holds sub-groups or devices, or is the target of an assignment rule")
		}
		return err
	}))
}

// CountGroupChildren counts a group's direct sub-groups and direct devices. For Unassigned it counts
// the devices there (Unassigned has no sub-groups).
func (q *querier) CountGroupChildren(ctx context.Context, accountID, groupID string) (groups int, devices int, err error) {
	if groupID == portico.UnassignedGroupID {
		err = q.queryRow(ctx, `SELECT COUNT(*) FROM devices WHERE account_id = $1 AND group_id IS NULL`, accountID).Scan(&devices)
		return 0, devices, wrap("count group children", err)
	}
	err = q.queryRow(ctx, `SELECT
		(SELECT COUNT(*) FROM device_groups WHERE account_id = $1 AND parent_id = $2),
		(SELECT COUNT(*) FROM devices WHERE account_id = $1 AND group_id = $2)`, accountID, groupID).Scan(&groups, &devices)
	if err != nil {
		return 0, 0, fmt.Errorf("count group children: %w", err)
	}
	return groups, devices, nil
}
