package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

// SetDeviceStatus stores a device's live status and, when lastSeen is not nil, when it was last seen.
func (q *querier) SetDeviceStatus(ctx context.Context, accountID, deviceID string, status portico.DeviceStatus, lastSeen *time.Time) error {
	if lastSeen != nil {
		return wrap("set device status", q.execOne(ctx, "device",
			`UPDATE devices SET status = $3, last_seen = $4 WHERE account_id = $1 AND id = $2`,
			accountID, deviceID, status, normTime(*lastSeen)))
	}
	return wrap("set device status", q.execOne(ctx, "device",
		`UPDATE devices SET status = $3 WHERE account_id = $1 AND id = $2`, accountID, deviceID, status))
}

// TouchDevices records when each device was last seen, all in one transaction: heartbeats are
// collected and written in batches, so that many agents do not mean as many writes. A device that no
// longer exists is skipped.
func (q *querier) TouchDevices(ctx context.Context, seen []portico.DeviceSeen) error {
	if len(seen) == 0 {
		return nil
	}
	return wrap("touch devices", q.atomic(ctx, func(q *querier) error {
		for _, s := range seen {
			if _, err := q.exec(ctx, `UPDATE devices SET last_seen = $3 WHERE account_id = $1 AND id = $2`,
				s.AccountID, s.DeviceID, normTime(s.At)); err != nil {
				return err
			}
		}
		return nil
	}))
}

// PutInventory stores the latest inventory a device reported (a JSON document), replacing the
// previous one.
func (q *querier) PutInventory(ctx context.Context, accountID, deviceID string, inventory json.RawMessage, at time.Time) error {
	if !json.Valid(inventory) {
		return fmt.Errorf("put inventory: %w", portico.Errorf(portico.KindInvalid, "the inventory is not valid JSON"))
	}
	res, err := q.exec(ctx, `INSERT INTO device_inventory (device_id, account_id, inventory, updated_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (device_id) DO UPDATE SET inventory = excluded.inventory, updated_at = excluded.updated_at
		WHERE device_inventory.account_id = excluded.account_id`,
		deviceID, accountID, string(inventory), at)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("put inventory: %w", notFound("device"))
	}
	if err != nil {
		return wrap("put inventory", err)
	}
	// A device id of another account conflicts on the key and updates nothing: not found, as always.
	if n, err := res.RowsAffected(); err != nil {
		return wrap("put inventory", err)
	} else if n == 0 {
		return fmt.Errorf("put inventory: %w", notFound("device"))
	}
	return nil
}

// GetInventory returns the latest inventory of a device of the account and when it was reported.
// A device that never reported one is NotFound("inventory").
func (q *querier) GetInventory(ctx context.Context, accountID, deviceID string) (json.RawMessage, time.Time, error) {
	var raw string
	var at time.Time
	err := q.queryRow(ctx, `SELECT inventory, updated_at FROM device_inventory WHERE account_id = $1 AND device_id = $2`,
		accountID, deviceID).Scan(&raw, timeCol{&at})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, time.Time{}, notFound("inventory")
	}
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("get inventory: %w", err)
	}
	return json.RawMessage(raw), at, nil
}
