package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

const deviceCols = `id, account_id, group_id, name, hostname, ip_addresses, logged_in_user, os_name, os_version,
	device_type, manufacturer, asset_id, agent_version, directory_groups, status, last_seen, created_at,
	left_unassigned_at, rule_applied, credential_hash`

func scanDevice(s scanner) (portico.Device, error) {
	var d portico.Device
	var group sql.NullString
	err := s.Scan(&d.ID, &d.AccountID, &group, &d.Name, &d.Hostname, jsonCol{&d.IPAddresses}, &d.LoggedInUser,
		&d.OSName, &d.OSVersion, &d.DeviceType, &d.Manufacturer, &d.AssetID, &d.AgentVersion,
		jsonCol{&d.DirectoryGroups}, &d.Status, nullTimeCol{&d.LastSeen}, timeCol{&d.CreatedAt},
		nullTimeCol{&d.LeftUnassignedAt}, &d.RuleApplied, &d.CredentialHash)
	d.GroupID = groupFromDB(group)
	return d, err
}

// Devices in Unassigned are stored with group_id NULL: Unassigned is a folder, not a group row.
func groupFromDB(g sql.NullString) string {
	if !g.Valid {
		return portico.UnassignedGroupID
	}
	return g.String
}

func groupToDB(id string) any {
	if id == "" || id == portico.UnassignedGroupID {
		return nil
	}
	return id
}

func deviceGroupMissing(err error) error {
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return notFound("device group")
	}
	return err
}

func normDeviceTimes(d *portico.Device) {
	d.CreatedAt = normTime(d.CreatedAt)
	d.LastSeen = normTimePtr(d.LastSeen)
	d.LeftUnassignedAt = normTimePtr(d.LeftUnassignedAt)
}

// CreateDevice stores a new device. An empty GroupID means Unassigned (and is returned as such).
func (q *querier) CreateDevice(ctx context.Context, d *portico.Device) error {
	normDeviceTimes(d)
	if d.GroupID == "" {
		d.GroupID = portico.UnassignedGroupID
	}
	_, err := q.exec(ctx, `INSERT INTO devices (`+deviceCols+`, search_name, search_hostname, search_ips, search_user)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
		$21, $22, $23, $24)`,
		d.ID, d.AccountID, groupToDB(d.GroupID), d.Name, d.Hostname, jsonList(d.IPAddresses), d.LoggedInUser,
		d.OSName, d.OSVersion, d.DeviceType, d.Manufacturer, d.AssetID, d.AgentVersion, jsonList(d.DirectoryGroups),
		d.Status, d.LastSeen, d.CreatedAt, d.LeftUnassignedAt, d.RuleApplied, d.CredentialHash,
		searchFold(d.Name), searchFold(d.Hostname), searchIPs(d.IPAddresses), searchFold(d.LoggedInUser))
	if kind, _ := constraintViolation(err); kind == "unique" {
		return fmt.Errorf("create device: %w", conflict("id", "a device with this id already exists"))
	}
	return wrap("create device", deviceGroupMissing(err))
}

// GetDevice returns a device of the account.
func (q *querier) GetDevice(ctx context.Context, accountID, id string) (*portico.Device, error) {
	d, err := scanDevice(q.queryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE account_id = $1 AND id = $2`, accountID, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("device")
	}
	if err != nil {
		return nil, fmt.Errorf("get device: %w", err)
	}
	return &d, nil
}

// GetDeviceAnyAccount returns a device whatever its account, for authenticating its agent (the caller
// then works in the device's account).
func (q *querier) GetDeviceAnyAccount(ctx context.Context, id string) (*portico.Device, error) {
	d, err := scanDevice(q.queryRow(ctx, `SELECT `+deviceCols+` FROM devices WHERE id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("device")
	}
	if err != nil {
		return nil, fmt.Errorf("get device: %w", err)
	}
	return &d, nil
}

// ListDevices returns one page of the account's devices matching f, by name then id, and how many
// match in all (-1 with f.NoTotal).
func (q *querier) ListDevices(ctx context.Context, accountID string, f portico.DeviceFilter) ([]portico.Device, int, error) {
	var w where
	w.add("account_id = ?", accountID)
	if f.GroupIDs != nil {
		var named []string
		unassigned := false
		for _, g := range f.GroupIDs {
			if g == portico.UnassignedGroupID {
				unassigned = true
			} else {
				named = append(named, g)
			}
		}
		cond := q.inJSON("group_id", w.next())
		w.args = append(w.args, jsonList(named))
		if unassigned {
			cond = "(group_id IS NULL OR " + cond + ")"
		}
		w.conds = append(w.conds, cond)
	}
	if f.IDs != nil {
		w.conds = append(w.conds, q.inJSON("id", w.next()))
		w.args = append(w.args, jsonList(f.IDs))
	}
	if f.Status != "" {
		w.add("status = ?", f.Status)
	}
	if f.Q != "" {
		if err := q.deviceTextCond(ctx, &w, f.Q); err != nil {
			return nil, 0, fmt.Errorf("list devices: %w", err)
		}
	}
	total := -1
	if !f.NoTotal {
		if err := q.queryRow(ctx, `SELECT COUNT(*) FROM devices`+w.sql(), w.args...).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("count devices: %w", err)
		}
		if total == 0 {
			return []portico.Device{}, 0, nil
		}
	}
	// Build the statement before passing w.args: limit appends to them.
	stmt := `SELECT ` + deviceCols + ` FROM devices` + w.sql() + ` ORDER BY ` + q.textOrder("name") + `, ` +
		q.textOrder("id") + w.limit(f.Page)
	rows, err := q.query(ctx, stmt, w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list devices: %w", err)
	}
	ds, err := scanAll(rows, scanDevice)
	if err != nil {
		return nil, 0, fmt.Errorf("list devices: %w", err)
	}
	return ds, total, nil
}

// UpdateDevice stores the fields of d that the account's people and rules manage: group, name,
// directory groups, LeftUnassignedAt and RuleApplied. Inventory (UpdateDeviceInventory), status and
// last seen (SetDeviceStatus, TouchDevices) have writers of their own, and the credential is set
// once at enrollment: a rename or a move written from a copy read earlier never undoes them.
func (q *querier) UpdateDevice(ctx context.Context, d *portico.Device) error {
	normDeviceTimes(d)
	if d.GroupID == "" {
		d.GroupID = portico.UnassignedGroupID
	}
	err := q.execOne(ctx, "device", `UPDATE devices SET group_id = $3, name = $4, directory_groups = $5,
		left_unassigned_at = $6, rule_applied = $7, search_name = $8
		WHERE account_id = $1 AND id = $2`,
		d.AccountID, d.ID, groupToDB(d.GroupID), d.Name, jsonList(d.DirectoryGroups), d.LeftUnassignedAt,
		d.RuleApplied, searchFold(d.Name))
	return wrap("update device", deviceGroupMissing(err))
}

// UpdateDeviceInventory stores the fields of d that its agent's inventory reports, and only those:
// hostname, IP addresses, logged-in user, OS name and version, device type, manufacturer, asset id and
// agent version. Everything else (group, name, status, last seen, rule applied, directory groups,
// credential…) is left as stored, so that a move, rename or status change committed since d was read
// is never undone by writing back d's stale copy of it.
func (q *querier) UpdateDeviceInventory(ctx context.Context, d *portico.Device) error {
	err := q.execOne(ctx, "device", `UPDATE devices SET hostname = $3, ip_addresses = $4, logged_in_user = $5,
		os_name = $6, os_version = $7, device_type = $8, manufacturer = $9, asset_id = $10, agent_version = $11,
		search_hostname = $12, search_ips = $13, search_user = $14
		WHERE account_id = $1 AND id = $2`,
		d.AccountID, d.ID, d.Hostname, jsonList(d.IPAddresses), d.LoggedInUser, d.OSName, d.OSVersion,
		d.DeviceType, d.Manufacturer, d.AssetID, d.AgentVersion,
		searchFold(d.Hostname), searchIPs(d.IPAddresses), searchFold(d.LoggedInUser))
	return wrap("update device inventory", err)
}

// MoveDevices puts the account's devices ids into groupID (portico.UnassignedGroupID for Unassigned).
// leftUnassignedAt, when not nil, is recorded as the time they left Unassigned. Every id must be a
// device of the account, else nothing moves and the error is NotFound.
func (q *querier) MoveDevices(ctx context.Context, accountID string, ids []string, groupID string, leftUnassignedAt *time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	return wrap("move devices", q.atomic(ctx, func(q *querier) error {
		var res sql.Result
		var err error
		if leftUnassignedAt != nil {
			res, err = q.exec(ctx, `UPDATE devices SET group_id = $2, left_unassigned_at = $3 WHERE account_id = $1 AND `+
				q.inJSON("id", 4), accountID, groupToDB(groupID), leftUnassignedAt, jsonList(ids))
		} else {
			res, err = q.exec(ctx, `UPDATE devices SET group_id = $2 WHERE account_id = $1 AND `+q.inJSON("id", 3),
				accountID, groupToDB(groupID), jsonList(ids))
		}
		if err != nil {
			return deviceGroupMissing(err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		if int(n) != len(distinct(ids)) {
			return notFound("device")
		}
		return nil
	}))
}

func distinct(xs []string) []string {
	seen := make(map[string]bool, len(xs))
	out := xs[:0:0]
	for _, x := range xs {
		if !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}

// DeleteDevice deletes a device with its history, favourite marks (by cascade) and the access rights
// scoped to it.
func (q *querier) DeleteDevice(ctx context.Context, accountID, id string) error {
	return wrap("delete device", q.atomic(ctx, func(q *querier) error {
		if err := q.deleteScopeAssignments(ctx, accountID, portico.ScopeTypeDevice, []string{id}); err != nil {
			return err
		}
		return q.execOne(ctx, "device", `DELETE FROM devices WHERE account_id = $1 AND id = $2`, accountID, id)
	}))
}

// CountDevices counts the account's devices.
func (q *querier) CountDevices(ctx context.Context, accountID string) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM devices WHERE account_id = $1`, accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count devices: %w", err)
	}
	return n, nil
}

// CountLicensedDevices counts the account's devices outside Unassigned: each uses a licence.
func (q *querier) CountLicensedDevices(ctx context.Context, accountID string) (int, error) {
	var n int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM devices WHERE account_id = $1 AND group_id IS NOT NULL`,
		accountID).Scan(&n); err != nil {
		return 0, fmt.Errorf("count licensed devices: %w", err)
	}
	return n, nil
}

// SetFavourite marks (on) or unmarks a device as one of a user's favourites; repeating either is a
// no-op. The user and device must be of the account.
func (q *querier) SetFavourite(ctx context.Context, accountID, userID, deviceID string, on bool) error {
	if !on {
		_, err := q.exec(ctx, `DELETE FROM favourites WHERE account_id = $1 AND user_id = $2 AND device_id = $3`,
			accountID, userID, deviceID)
		return wrap("unset favourite", err)
	}
	_, err := q.exec(ctx, `INSERT INTO favourites (account_id, user_id, device_id) VALUES ($1, $2, $3)
		ON CONFLICT (user_id, device_id) DO NOTHING`, accountID, userID, deviceID)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("set favourite: %w", notFound("device"))
	}
	return wrap("set favourite", err)
}

// ListFavourites returns the ids of a user's favourite devices.
func (q *querier) ListFavourites(ctx context.Context, accountID, userID string) ([]string, error) {
	rows, err := q.query(ctx, `SELECT device_id FROM favourites WHERE account_id = $1 AND user_id = $2 ORDER BY device_id`,
		accountID, userID)
	if err != nil {
		return nil, fmt.Errorf("list favourites: %w", err)
	}
	ids, err := scanStrings(rows)
	if err != nil {
		return nil, fmt.Errorf("list favourites: %w", err)
	}
	return ids, nil
}

// AddHistory appends an entry to a device's history.
func (q *querier) AddHistory(ctx context.Context, h *portico.HistoryEntry) error {
	return q.addHistory(ctx, "device_history", "device_id", "device", h)
}

// AddOnDemandHistory appends an entry to an on-demand session's history (h.DeviceID names the session).
func (q *querier) AddOnDemandHistory(ctx context.Context, h *portico.HistoryEntry) error {
	return q.addHistory(ctx, "on_demand_history", "session_id", "on-demand session", h)
}

func (q *querier) addHistory(ctx context.Context, table, col, what string, h *portico.HistoryEntry) error {
	h.At = normTime(h.At)
	_, err := q.exec(ctx, `INSERT INTO `+table+` (id, account_id, `+col+`, at, actor_id, actor_name, action, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, h.ID, h.AccountID, h.DeviceID, h.At, h.ActorID, h.ActorName, h.Action, h.Detail)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("add history: %w", notFound(what))
	}
	return wrap("add history", err)
}

// ListHistory returns one page of a device's history, newest first, and how many entries match in all.
func (q *querier) ListHistory(ctx context.Context, accountID, deviceID string, f portico.HistoryFilter) ([]portico.HistoryEntry, int, error) {
	return q.listHistory(ctx, "device_history", "device_id", accountID, deviceID, f)
}

// ListOnDemandHistory returns one page of an on-demand session's history, as ListHistory.
func (q *querier) ListOnDemandHistory(ctx context.Context, accountID, sessionID string, f portico.HistoryFilter) ([]portico.HistoryEntry, int, error) {
	return q.listHistory(ctx, "on_demand_history", "session_id", accountID, sessionID, f)
}

func (q *querier) listHistory(ctx context.Context, table, col, accountID, id string, f portico.HistoryFilter) ([]portico.HistoryEntry, int, error) {
	var w where
	w.add("account_id = ?", accountID)
	w.add(col+" = ?", id)
	if f.Action != "" {
		w.add("action = ?", f.Action)
	}
	if f.Since != nil {
		w.add("at >= ?", *f.Since)
	}
	if f.Until != nil {
		w.add("at < ?", *f.Until)
	}
	var total int
	if err := q.queryRow(ctx, `SELECT COUNT(*) FROM `+table+w.sql(), w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count history: %w", err)
	}
	if total == 0 {
		return []portico.HistoryEntry{}, 0, nil
	}
	stmt := `SELECT id, account_id, ` + col + `, at, actor_id, actor_name, action, detail FROM ` + table +
		w.sql() + ` ORDER BY at DESC, seq DESC` + w.limit(f.Page)
	rows, err := q.query(ctx, stmt, w.args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list history: %w", err)
	}
	hs, err := scanAll(rows, func(s scanner) (portico.HistoryEntry, error) {
		var h portico.HistoryEntry
		err := s.Scan(&h.ID, &h.AccountID, &h.DeviceID, timeCol{&h.At}, &h.ActorID, &h.ActorName, &h.Action, &h.Detail)
		return h, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("list history: %w", err)
	}
	return hs, total, nil
}
