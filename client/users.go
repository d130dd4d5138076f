package client

import (
	"context"
	"iter"

	"github.com/portico-dev/portico"
)

// UserQuery filters ListUsers.
type UserQuery struct {
	ListOptions
	State  portico.UserState  // invited or activated
	Status portico.UserStatus // active or disabled
	Q      string             // text in the name or email
}

// ListUsers returns a page of the account's users.
func (c *Client) ListUsers(ctx context.Context, q UserQuery) (*Page[portico.User], error) {
	v := q.values()
	setString(v, "state", string(q.State))
	setString(v, "status", string(q.Status))
	setString(v, "q", q.Q)
	return call[Page[portico.User]](ctx, c, request{method: "GET", path: "/api/v1/users", query: v})
}

// AllUsers iterates over every user that q matches.
func (c *Client) AllUsers(ctx context.Context, q UserQuery) iter.Seq2[portico.User, error] {
	return all(ctx, q.ListOptions, func(ctx context.Context, o ListOptions) (*Page[portico.User], error) {
		q.ListOptions = o
		return c.ListUsers(ctx, q)
	})
}

// CreateUserRequest creates a user: with a password the user is active at once, without one invited.
type CreateUserRequest struct {
	Email    string `json:"email"`
	Name     string `json:"name"`
	Password string `json:"password,omitempty"`
	Language string `json:"language,omitempty"`
}

// CreateUser creates or invites a user; an invited user's answer carries the invitation link.
func (c *Client) CreateUser(ctx context.Context, in CreateUserRequest) (*CreatedUser, error) {
	return call[CreatedUser](ctx, c, request{method: "POST", path: "/api/v1/users", body: in})
}

// GetUser returns a user.
func (c *Client) GetUser(ctx context.Context, id string) (*portico.User, error) {
	return call[portico.User](ctx, c, request{method: "GET", path: "/api/v1/users/{id}", id: id})
}

// UpdateUserRequest changes the fields it sets. Only a user may change their own password, giving
// the current one.
type UpdateUserRequest struct {
	Name            *string `json:"name,omitempty"`
	Language        *string `json:"language,omitempty"`
	Theme           *string `json:"theme,omitempty"`
	Password        *string `json:"password,omitempty"`
	CurrentPassword *string `json:"current_password,omitempty"`
}

// UpdateUser edits a user's profile.
func (c *Client) UpdateUser(ctx context.Context, id string, in UpdateUserRequest) (*portico.User, error) {
	return call[portico.User](ctx, c, request{method: "PATCH", path: "/api/v1/users/{id}", id: id, body: in})
}

// DeleteUser deletes a user.
func (c *Client) DeleteUser(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/users/{id}", id: id})
}

// DisableUser disables a user; their sessions end at once.
func (c *Client) DisableUser(ctx context.Context, id string) (*portico.User, error) {
	return call[portico.User](ctx, c, request{method: "POST", path: "/api/v1/users/{id}/disable", id: id})
}

// EnableUser enables a disabled user, within the seat limit.
func (c *Client) EnableUser(ctx context.Context, id string) (*portico.User, error) {
	return call[portico.User](ctx, c, request{method: "POST", path: "/api/v1/users/{id}/enable", id: id})
}

// GetInvitation returns an invited user's pending invitation.
func (c *Client) GetInvitation(ctx context.Context, userID string) (*portico.Invitation, error) {
	return call[portico.Invitation](ctx, c, request{method: "GET", path: "/api/v1/users/{id}/invitation", id: userID})
}

// ResendInvitation replaces an invited user's link with a new one and emails it again.
func (c *Client) ResendInvitation(ctx context.Context, userID string) (*CreatedUser, error) {
	return call[CreatedUser](ctx, c, request{method: "POST", path: "/api/v1/users/{id}/invitation/resend", id: userID})
}

// RevokeInvitation revokes an invited user's link; the user stays and can be invited again.
func (c *Client) RevokeInvitation(ctx context.Context, userID string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/users/{id}/invitation", id: userID})
}

// ResetTwoFactor removes a user's two-factor authentication; their sessions end.
func (c *Client) ResetTwoFactor(ctx context.Context, userID string) error {
	return c.exec(ctx, request{method: "POST", path: "/api/v1/users/{id}/reset-2fa", id: userID})
}

// ListUserGroups returns a page of user groups with their members.
func (c *Client) ListUserGroups(ctx context.Context, opts ListOptions) (*Page[portico.UserGroup], error) {
	return call[Page[portico.UserGroup]](ctx, c, request{method: "GET", path: "/api/v1/user-groups", query: opts.values()})
}

// AllUserGroups iterates over every user group.
func (c *Client) AllUserGroups(ctx context.Context, opts ListOptions) iter.Seq2[portico.UserGroup, error] {
	return all(ctx, opts, c.ListUserGroups)
}

// CreateUserGroupRequest creates a user group, optionally with members.
type CreateUserGroupRequest struct {
	Name        string   `json:"name"`
	Description string   `json:"description,omitempty"`
	MemberIDs   []string `json:"member_ids,omitempty"`
}

// CreateUserGroup creates a user group.
func (c *Client) CreateUserGroup(ctx context.Context, in CreateUserGroupRequest) (*portico.UserGroup, error) {
	return call[portico.UserGroup](ctx, c, request{method: "POST", path: "/api/v1/user-groups", body: in})
}

// GetUserGroup returns a user group.
func (c *Client) GetUserGroup(ctx context.Context, id string) (*portico.UserGroup, error) {
	return call[portico.UserGroup](ctx, c, request{method: "GET", path: "/api/v1/user-groups/{id}", id: id})
}

// UpdateUserGroupRequest renames or describes a user group; members are replaced with
// SetUserGroupMembers.
type UpdateUserGroupRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

// UpdateUserGroup renames or describes a user group.
func (c *Client) UpdateUserGroup(ctx context.Context, id string, in UpdateUserGroupRequest) (*portico.UserGroup, error) {
	return call[portico.UserGroup](ctx, c, request{method: "PATCH", path: "/api/v1/user-groups/{id}", id: id, body: in})
}

// DeleteUserGroup deletes a user group and the access rights given to it.
func (c *Client) DeleteUserGroup(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/user-groups/{id}", id: id})
}

// userGroupMembers replaces a user group's members.
type userGroupMembers struct {
	UserIDs []string `json:"user_ids"`
}

// SetUserGroupMembers replaces a user group's members with userIDs (none: an empty group).
func (c *Client) SetUserGroupMembers(ctx context.Context, id string, userIDs []string) (*portico.UserGroup, error) {
	if userIDs == nil {
		userIDs = []string{} // the server refuses a missing list, lest a typo empty the group
	}
	return call[portico.UserGroup](ctx, c, request{method: "PUT", path: "/api/v1/user-groups/{id}/members", id: id,
		body: userGroupMembers{userIDs}})
}
