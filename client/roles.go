package client

import (
	"context"
	"iter"
	"time"

	"github.com/portico-dev/portico"
)

// ListRoles returns a page of roles, system roles first.
func (c *Client) ListRoles(ctx context.Context, opts ListOptions) (*Page[portico.Role], error) {
	return call[Page[portico.Role]](ctx, c, request{method: "GET", path: "/api/v1/roles", query: opts.values()})
}

// AllRoles iterates over every role.
func (c *Client) AllRoles(ctx context.Context, opts ListOptions) iter.Seq2[portico.Role, error] {
	return all(ctx, opts, c.ListRoles)
}

// CreateRoleRequest creates a role; its purpose is fixed from then on.
type CreateRoleRequest struct {
	Name        string               `json:"name"`
	Description string               `json:"description,omitempty"`
	Purpose     portico.Purpose      `json:"purpose"`
	Permissions []portico.Permission `json:"permissions,omitempty"`
}

// CreateRole creates a role; a list lacking prerequisites is refused naming each.
func (c *Client) CreateRole(ctx context.Context, in CreateRoleRequest) (*portico.Role, error) {
	return call[portico.Role](ctx, c, request{method: "POST", path: "/api/v1/roles", body: in})
}

// GetRole returns a role.
func (c *Client) GetRole(ctx context.Context, id string) (*portico.Role, error) {
	return call[portico.Role](ctx, c, request{method: "GET", path: "/api/v1/roles/{id}", id: id})
}

// UpdateRoleRequest changes the fields it sets.
type UpdateRoleRequest struct {
	Name        *string               `json:"name,omitempty"`
	Description *string               `json:"description,omitempty"`
	Purpose     *portico.Purpose      `json:"purpose,omitempty"`
	Permissions *[]portico.Permission `json:"permissions,omitempty"`
}

// UpdateRole edits a role (not a system role).
func (c *Client) UpdateRole(ctx context.Context, id string, in UpdateRoleRequest) (*portico.Role, error) {
	return call[portico.Role](ctx, c, request{method: "PATCH", path: "/api/v1/roles/{id}", id: id, body: in})
}

// DeleteRole deletes a role and every assignment that uses it.
func (c *Client) DeleteRole(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/roles/{id}", id: id})
}

// cloneRole names a role's copy.
type cloneRole struct {
	Name string `json:"name,omitempty"`
}

// CloneRole copies a role under a new name ("": "Copy of <role>").
func (c *Client) CloneRole(ctx context.Context, id, name string) (*portico.Role, error) {
	return call[portico.Role](ctx, c, request{method: "POST", path: "/api/v1/roles/{id}/clone", id: id, body: cloneRole{name}})
}

// ListRoleDependents returns a page of the assignments deleting the role would remove.
func (c *Client) ListRoleDependents(ctx context.Context, id string, opts ListOptions) (*Page[portico.Assignment], error) {
	return call[Page[portico.Assignment]](ctx, c, request{method: "GET", path: "/api/v1/roles/{id}/dependents", id: id,
		query: opts.values()})
}

// AllRoleDependents iterates over the assignments deleting the role would remove.
func (c *Client) AllRoleDependents(ctx context.Context, id string, opts ListOptions) iter.Seq2[portico.Assignment, error] {
	return all(ctx, opts, func(ctx context.Context, o ListOptions) (*Page[portico.Assignment], error) {
		return c.ListRoleDependents(ctx, id, o)
	})
}

// AssignmentQuery filters ListRoleAssignments.
type AssignmentQuery struct {
	ListOptions
	PrincipalType portico.PrincipalType // user or user_group
	PrincipalID   string
	RoleID        string
	ScopeType     portico.ScopeType // account, device_group, device or section
	ScopeID       string
}

// ListRoleAssignments returns a page of role assignments.
func (c *Client) ListRoleAssignments(ctx context.Context, q AssignmentQuery) (*Page[portico.Assignment], error) {
	v := q.values()
	setString(v, "principal_type", string(q.PrincipalType))
	setString(v, "principal_id", q.PrincipalID)
	setString(v, "role_id", q.RoleID)
	setString(v, "scope_type", string(q.ScopeType))
	setString(v, "scope_id", q.ScopeID)
	return call[Page[portico.Assignment]](ctx, c, request{method: "GET", path: "/api/v1/role-assignments", query: v})
}

// AllRoleAssignments iterates over every role assignment that q matches.
func (c *Client) AllRoleAssignments(ctx context.Context, q AssignmentQuery) iter.Seq2[portico.Assignment, error] {
	return all(ctx, q.ListOptions, func(ctx context.Context, o ListOptions) (*Page[portico.Assignment], error) {
		q.ListOptions = o
		return c.ListRoleAssignments(ctx, q)
	})
}

// CreateRoleAssignmentRequest gives a user or user group a role at a scope, optionally until a time.
type CreateRoleAssignmentRequest struct {
	PrincipalType portico.PrincipalType `json:"principal_type"`
	PrincipalID   string                `json:"principal_id"`
	RoleID        string                `json:"role_id"`
	ScopeType     portico.ScopeType     `json:"scope_type"`
	// ScopeID is the device group, device or section; empty for the account.
	ScopeID   string     `json:"scope_id,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// CreateRoleAssignment gives a user or user group a role at a scope.
func (c *Client) CreateRoleAssignment(ctx context.Context, in CreateRoleAssignmentRequest) (*portico.Assignment, error) {
	return call[portico.Assignment](ctx, c, request{method: "POST", path: "/api/v1/role-assignments", body: in})
}

// DeleteRoleAssignment removes a role assignment.
func (c *Client) DeleteRoleAssignment(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/role-assignments/{id}", id: id})
}

// ExplainRequest asks why a user can or cannot use a permission on a device, a group (set one of
// them) or the account (set neither).
type ExplainRequest struct {
	// UserID defaults to the caller.
	UserID        string             `json:"user_id,omitempty"`
	Permission    portico.Permission `json:"permission"`
	DeviceID      string             `json:"device_id,omitempty"`
	DeviceGroupID string             `json:"device_group_id,omitempty"`
}

// ExplainAccess says why a user can or cannot use a permission.
func (c *Client) ExplainAccess(ctx context.Context, in ExplainRequest) (*Explanation, error) {
	return call[Explanation](ctx, c, request{method: "POST", path: "/api/v1/access/explain", body: in})
}

// WhoCanRequest asks who may use a permission on a device or a device group (set one of them).
type WhoCanRequest struct {
	Permission    portico.Permission `json:"permission"`
	DeviceID      string             `json:"device_id,omitempty"`
	DeviceGroupID string             `json:"device_group_id,omitempty"`
}

// WhoCan returns a page of the users allowed a permission on a device or group, each with the grants
// that allow them.
func (c *Client) WhoCan(ctx context.Context, in WhoCanRequest, opts ListOptions) (*Page[WhoCanEntry], error) {
	return call[Page[WhoCanEntry]](ctx, c, request{method: "POST", path: "/api/v1/access/who-can", body: in,
		query: opts.values()})
}

// AllWhoCan iterates over every user allowed a permission on a device or group.
func (c *Client) AllWhoCan(ctx context.Context, in WhoCanRequest, opts ListOptions) iter.Seq2[WhoCanEntry, error] {
	return all(ctx, opts, func(ctx context.Context, o ListOptions) (*Page[WhoCanEntry], error) {
		return c.WhoCan(ctx, in, o)
	})
}
