package api

import (
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/app"
)

func listRoles(c *call) (*Page[portico.Role], error) {
	return paginate(c, func() ([]portico.Role, error) { return c.app().ListRoles(c.ctx(), c.ac) })
}

type createRoleRequest struct {
	Name        string               `json:"name" openapi:"required"`
	Description string               `json:"description,omitempty"`
	Purpose     portico.Purpose      `json:"purpose" openapi:"required"`
	Permissions []portico.Permission `json:"permissions"`
}

func createRole(c *call, in *createRoleRequest) (*portico.Role, error) {
	ri := app.RoleInput{Name: &in.Name, Description: &in.Description, Purpose: &in.Purpose}
	if in.Permissions != nil {
		ri.Permissions = &in.Permissions
	}
	return c.app().CreateRole(c.ctx(), c.ac, ri)
}

func getRole(c *call) (*portico.Role, error) { return c.app().GetRole(c.ctx(), c.ac, c.id()) }

type updateRoleRequest struct {
	Name        *string               `json:"name,omitempty"`
	Description *string               `json:"description,omitempty"`
	Purpose     *portico.Purpose      `json:"purpose,omitempty"`
	Permissions *[]portico.Permission `json:"permissions,omitempty"`
}

func updateRole(c *call, in *updateRoleRequest) (*portico.Role, error) {
	return c.app().UpdateRole(c.ctx(), c.ac, c.id(), app.RoleInput{Name: in.Name, Description: in.Description,
		Purpose: in.Purpose, Permissions: in.Permissions})
}

func deleteRole(c *call) (noContent, error) {
	return noContent{}, c.app().DeleteRole(c.ctx(), c.ac, c.id())
}

type cloneRoleRequest struct {
	// Name defaults to "Copy of <role>".
	Name string `json:"name,omitempty"`
}

func cloneRole(c *call, in *cloneRoleRequest) (*portico.Role, error) {
	return c.app().CloneRole(c.ctx(), c.ac, c.id(), in.Name)
}

func listRoleDependents(c *call) (*Page[portico.Assignment], error) {
	return paginate(c, func() ([]portico.Assignment, error) { return c.app().RoleDependents(c.ctx(), c.ac, c.id()) })
}

func listRoleAssignments(c *call) (*Page[portico.Assignment], error) {
	q := c.r.URL.Query()
	pt, err := c.queryOneOf("principal_type", string(portico.PrincipalUser), string(portico.PrincipalUserGroup))
	if err != nil {
		return nil, err
	}
	st, err := c.queryOneOf("scope_type", string(portico.ScopeTypeAccount), string(portico.ScopeTypeDeviceGroup),
		string(portico.ScopeTypeDevice), string(portico.ScopeTypeSection))
	if err != nil {
		return nil, err
	}
	f := portico.AssignmentFilter{PrincipalType: portico.PrincipalType(pt), PrincipalID: q.Get("principal_id"),
		RoleID: q.Get("role_id"), ScopeType: portico.ScopeType(st), ScopeID: q.Get("scope_id")}
	return paginate(c, func() ([]portico.Assignment, error) { return c.app().ListAssignments(c.ctx(), c.ac, f) })
}

type createAssignmentRequest struct {
	PrincipalType portico.PrincipalType `json:"principal_type" openapi:"required"`
	PrincipalID   string                `json:"principal_id" openapi:"required"`
	RoleID        string                `json:"role_id" openapi:"required"`
	ScopeType     portico.ScopeType     `json:"scope_type" openapi:"required"`
	ScopeID       string                `json:"scope_id,omitempty"`
	ExpiresAt     *time.Time            `json:"expires_at,omitempty"`
}

func createRoleAssignment(c *call, in *createAssignmentRequest) (*portico.Assignment, error) {
	return c.app().CreateAssignment(c.ctx(), c.ac, app.AssignmentInput{PrincipalType: in.PrincipalType,
		PrincipalID: in.PrincipalID, RoleID: in.RoleID, ScopeType: in.ScopeType, ScopeID: in.ScopeID, ExpiresAt: in.ExpiresAt})
}

func deleteRoleAssignment(c *call) (noContent, error) {
	return noContent{}, c.app().DeleteAssignment(c.ctx(), c.ac, c.id())
}

type explainRequest struct {
	// UserID defaults to the caller.
	UserID        string             `json:"user_id,omitempty"`
	Permission    portico.Permission `json:"permission" openapi:"required"`
	DeviceID      string             `json:"device_id,omitempty"`
	DeviceGroupID string             `json:"device_group_id,omitempty"`
}

func explainAccess(c *call, in *explainRequest) (*authz.Explanation, error) {
	return c.app().Explain(c.ctx(), c.ac, app.ExplainInput{UserID: in.UserID, Permission: in.Permission,
		DeviceID: in.DeviceID, DeviceGroupID: in.DeviceGroupID})
}

type whoCanRequest struct {
	Permission    portico.Permission `json:"permission" openapi:"required"`
	DeviceID      string             `json:"device_id,omitempty"`
	DeviceGroupID string             `json:"device_group_id,omitempty"`
}

// whoCanResponse lists the users allowed, each with the grants that allow them.
func whoCan(c *call, in *whoCanRequest) (*Page[authz.WhoCanEntry], error) {
	return paginate(c, func() ([]authz.WhoCanEntry, error) {
		return c.app().WhoCan(c.ctx(), c.ac, app.ExplainInput{Permission: in.Permission, DeviceID: in.DeviceID,
			DeviceGroupID: in.DeviceGroupID})
	})
}
