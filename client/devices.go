package client

import (
	"context"
	"iter"
	"time"

	"github.com/portico-dev/portico"
)

// ListDeviceGroups returns a page of the device groups the caller may see.
func (c *Client) ListDeviceGroups(ctx context.Context, opts ListOptions) (*Page[portico.DeviceGroup], error) {
	return call[Page[portico.DeviceGroup]](ctx, c, request{method: "GET", path: "/api/v1/device-groups", query: opts.values()})
}

// AllDeviceGroups iterates over every device group the caller may see.
func (c *Client) AllDeviceGroups(ctx context.Context, opts ListOptions) iter.Seq2[portico.DeviceGroup, error] {
	return all(ctx, opts, c.ListDeviceGroups)
}

// CreateDeviceGroupRequest creates a device group.
type CreateDeviceGroupRequest struct {
	Name string `json:"name"`
	// Colour is #rrggbb.
	Colour      string `json:"colour"`
	Description string `json:"description,omitempty"`
	// ParentID is empty for a top-level group.
	ParentID string `json:"parent_id,omitempty"`
}

// CreateDeviceGroup creates a device group.
func (c *Client) CreateDeviceGroup(ctx context.Context, in CreateDeviceGroupRequest) (*portico.DeviceGroup, error) {
	return call[portico.DeviceGroup](ctx, c, request{method: "POST", path: "/api/v1/device-groups", body: in})
}

// GetDeviceGroup returns a device group.
func (c *Client) GetDeviceGroup(ctx context.Context, id string) (*portico.DeviceGroup, error) {
	return call[portico.DeviceGroup](ctx, c, request{method: "GET", path: "/api/v1/device-groups/{id}", id: id})
}

// UpdateDeviceGroupRequest changes the fields it sets.
type UpdateDeviceGroupRequest struct {
	Name        *string `json:"name,omitempty"`
	Colour      *string `json:"colour,omitempty"`
	Description *string `json:"description,omitempty"`
	// ParentID moves the group; "" makes it top-level.
	ParentID *string `json:"parent_id,omitempty"`
}

// UpdateDeviceGroup edits or moves a device group.
func (c *Client) UpdateDeviceGroup(ctx context.Context, id string, in UpdateDeviceGroupRequest) (*portico.DeviceGroup, error) {
	return call[portico.DeviceGroup](ctx, c, request{method: "PATCH", path: "/api/v1/device-groups/{id}", id: id, body: in})
}

// DeleteDeviceGroup deletes an empty device group.
func (c *Client) DeleteDeviceGroup(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/device-groups/{id}", id: id})
}

// GetDeviceGroupSettings returns a group's own settings and the effective ones.
func (c *Client) GetDeviceGroupSettings(ctx context.Context, id string) (*DeviceGroupSettings, error) {
	return call[DeviceGroupSettings](ctx, c, request{method: "GET", path: "/api/v1/device-groups/{id}/settings", id: id})
}

// groupSettingsUpdate replaces the settings a group sets itself.
type groupSettingsUpdate struct {
	Own portico.GroupSettings `json:"own"`
}

// PutDeviceGroupSettings replaces the settings a group sets itself; the features own leaves out are
// inherited from the parent.
func (c *Client) PutDeviceGroupSettings(ctx context.Context, id string, own portico.GroupSettings) (*DeviceGroupSettings, error) {
	if own == nil {
		own = portico.GroupSettings{} // inherit everything; the server refuses a missing map
	}
	return call[DeviceGroupSettings](ctx, c, request{method: "PUT", path: "/api/v1/device-groups/{id}/settings", id: id,
		body: groupSettingsUpdate{own}})
}

// EnableAllDeviceGroupSettings switches every setting of a group on.
func (c *Client) EnableAllDeviceGroupSettings(ctx context.Context, id string) (*DeviceGroupSettings, error) {
	return call[DeviceGroupSettings](ctx, c, request{method: "POST", path: "/api/v1/device-groups/{id}/settings/enable-all", id: id})
}

// DisableAllDeviceGroupSettings switches every setting of a group off.
func (c *Client) DisableAllDeviceGroupSettings(ctx context.Context, id string) (*DeviceGroupSettings, error) {
	return call[DeviceGroupSettings](ctx, c, request{method: "POST", path: "/api/v1/device-groups/{id}/settings/disable-all", id: id})
}

// DeviceQuery filters ListDevices.
type DeviceQuery struct {
	ListOptions
	// GroupID is a device group id, or portico.UnassignedGroupID.
	GroupID string
	// Recursive includes the devices of GroupID's sub-groups.
	Recursive bool
	// Q is text in the name, hostname or IP address.
	Q          string
	Status     portico.DeviceStatus
	Favourites bool
}

// ListDevices returns a page of the devices the caller may view.
func (c *Client) ListDevices(ctx context.Context, q DeviceQuery) (*Page[Device], error) {
	v := q.values()
	setString(v, "group_id", q.GroupID)
	setBool(v, "recursive", q.Recursive)
	setString(v, "q", q.Q)
	setString(v, "status", string(q.Status))
	setBool(v, "favourites", q.Favourites)
	return call[Page[Device]](ctx, c, request{method: "GET", path: "/api/v1/devices", query: v})
}

// AllDevices iterates over every device that q matches.
func (c *Client) AllDevices(ctx context.Context, q DeviceQuery) iter.Seq2[Device, error] {
	return all(ctx, q.ListOptions, func(ctx context.Context, o ListOptions) (*Page[Device], error) {
		q.ListOptions = o
		return c.ListDevices(ctx, q)
	})
}

// moveDevices moves devices to a group.
type moveDevices struct {
	DeviceIDs []string `json:"device_ids"`
	GroupID   string   `json:"group_id"`
}

// MoveDevices moves devices to a group, or to portico.UnassignedGroupID (not within 90 days of
// leaving it); all or none.
func (c *Client) MoveDevices(ctx context.Context, groupID string, deviceIDs ...string) error {
	return c.exec(ctx, request{method: "POST", path: "/api/v1/devices/move", body: moveDevices{deviceIDs, groupID}})
}

// deviceIDs lists devices.
type deviceIDs struct {
	DeviceIDs []string `json:"device_ids"`
}

// DeleteDevices deletes several devices at once, all or none.
func (c *Client) DeleteDevices(ctx context.Context, ids ...string) error {
	return c.exec(ctx, request{method: "POST", path: "/api/v1/devices/delete", body: deviceIDs{ids}})
}

// GetDevice returns a device.
func (c *Client) GetDevice(ctx context.Context, id string) (*Device, error) {
	return call[Device](ctx, c, request{method: "GET", path: "/api/v1/devices/{id}", id: id})
}

// UpdateDeviceRequest changes the fields it sets.
type UpdateDeviceRequest struct {
	Name *string `json:"name,omitempty"`
}

// UpdateDevice renames a device.
func (c *Client) UpdateDevice(ctx context.Context, id string, in UpdateDeviceRequest) (*Device, error) {
	return call[Device](ctx, c, request{method: "PATCH", path: "/api/v1/devices/{id}", id: id, body: in})
}

// DeleteDevice deletes a device; its agent is told to stop.
func (c *Client) DeleteDevice(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/devices/{id}", id: id})
}

// AddFavourite marks a device as one of the caller's favourites.
func (c *Client) AddFavourite(ctx context.Context, deviceID string) error {
	return c.exec(ctx, request{method: "PUT", path: "/api/v1/devices/{id}/favourite", id: deviceID})
}

// RemoveFavourite removes a device from the caller's favourites.
func (c *Client) RemoveFavourite(ctx context.Context, deviceID string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/devices/{id}/favourite", id: deviceID})
}

// GetDeviceInventory returns the device's latest inventory.
func (c *Client) GetDeviceInventory(ctx context.Context, deviceID string) (*Inventory, error) {
	return call[Inventory](ctx, c, request{method: "GET", path: "/api/v1/devices/{id}/inventory", id: deviceID})
}

// HistoryQuery filters GetDeviceHistory.
type HistoryQuery struct {
	ListOptions
	Action string
	// Since and Until bound the entries' times when not zero.
	Since, Until time.Time
}

// GetDeviceHistory returns a page of a device's history, newest first.
func (c *Client) GetDeviceHistory(ctx context.Context, deviceID string, q HistoryQuery) (*Page[portico.HistoryEntry], error) {
	v := q.values()
	setString(v, "action", q.Action)
	setTime(v, "since", q.Since)
	setTime(v, "until", q.Until)
	return call[Page[portico.HistoryEntry]](ctx, c, request{method: "GET", path: "/api/v1/devices/{id}/history", id: deviceID, query: v})
}

// AllDeviceHistory iterates over a device's history, newest first.
func (c *Client) AllDeviceHistory(ctx context.Context, deviceID string, q HistoryQuery) iter.Seq2[portico.HistoryEntry, error] {
	return all(ctx, q.ListOptions, func(ctx context.Context, o ListOptions) (*Page[portico.HistoryEntry], error) {
		q.ListOptions = o
		return c.GetDeviceHistory(ctx, deviceID, q)
	})
}

// ListSessions returns a page of the live remote sessions.
func (c *Client) ListSessions(ctx context.Context, opts ListOptions) (*Page[Session], error) {
	return call[Page[Session]](ctx, c, request{method: "GET", path: "/api/v1/sessions", query: opts.values()})
}

// AllSessions iterates over the live remote sessions.
func (c *Client) AllSessions(ctx context.Context, opts ListOptions) iter.Seq2[Session, error] {
	return all(ctx, opts, c.ListSessions)
}

// GetSession returns a remote session, live or ended.
func (c *Client) GetSession(ctx context.Context, id string) (*Session, error) {
	return call[Session](ctx, c, request{method: "GET", path: "/api/v1/sessions/{id}", id: id})
}

// EndSession ends a remote session.
func (c *Client) EndSession(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/sessions/{id}", id: id})
}
