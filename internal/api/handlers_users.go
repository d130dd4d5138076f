package api

import (
	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

func listUsers(c *call) (*Page[portico.User], error) {
	state, err := c.queryOneOf("state", string(portico.StateInvited), string(portico.StateActivated))
	if err != nil {
		return nil, err
	}
	status, err := c.queryOneOf("status", string(portico.StatusActive), string(portico.StatusDisabled))
	if err != nil {
		return nil, err
	}
	f := portico.UserFilter{State: portico.UserState(state), Status: portico.UserStatus(status), Query: c.r.URL.Query().Get("q")}
	return paginate(c, func() ([]portico.User, error) { return c.app().ListUsers(c.ctx(), c.ac, f) })
}

type createUserRequest struct {
	Email string `json:"email" openapi:"required"`
	Name  string `json:"name" openapi:"required"`
	// Password, when set, creates the user active; without it the user is invited.
	Password string `json:"password,omitempty"`
	Language string `json:"language,omitempty"`
}

func createUser(c *call, in *createUserRequest) (*app.CreatedUser, error) {
	return c.app().CreateUser(c.ctx(), c.ac, app.NewUser{Email: in.Email, Name: in.Name, Password: in.Password, Language: in.Language})
}

func getUser(c *call) (*portico.User, error) { return c.app().GetUser(c.ctx(), c.ac, c.id()) }

type updateUserRequest struct {
	Name     *string `json:"name,omitempty"`
	Language *string `json:"language,omitempty"`
	Theme    *string `json:"theme,omitempty"`
	Password *string `json:"password,omitempty"`
	// CurrentPassword is required with a new password (your own; nobody sets another's).
	CurrentPassword *string `json:"current_password,omitempty"`
}

func updateUser(c *call, in *updateUserRequest) (*portico.User, error) {
	return c.app().UpdateUser(c.ctx(), c.ac, c.id(), app.UserUpdate{Name: in.Name, Language: in.Language, Theme: in.Theme, Password: in.Password, CurrentPassword: in.CurrentPassword})
}

func deleteUser(c *call) (noContent, error) {
	return noContent{}, c.app().DeleteUser(c.ctx(), c.ac, c.id())
}

func disableUser(c *call) (*portico.User, error) {
	return c.app().SetUserEnabled(c.ctx(), c.ac, c.id(), false)
}

func enableUser(c *call) (*portico.User, error) {
	return c.app().SetUserEnabled(c.ctx(), c.ac, c.id(), true)
}

func listUserGroups(c *call) (*Page[portico.UserGroup], error) {
	return paginate(c, func() ([]portico.UserGroup, error) { return c.app().ListUserGroups(c.ctx(), c.ac) })
}

type createUserGroupRequest struct {
	Name        string   `json:"name" openapi:"required"`
	Description string   `json:"description,omitempty"`
	MemberIDs   []string `json:"member_ids,omitempty"`
}

func createUserGroup(c *call, in *createUserGroupRequest) (*portico.UserGroup, error) {
	gi := app.UserGroupInput{Name: &in.Name, Description: &in.Description}
	if in.MemberIDs != nil {
		gi.MemberIDs = &in.MemberIDs
	}
	return c.app().CreateUserGroup(c.ctx(), c.ac, gi)
}

func getUserGroup(c *call) (*portico.UserGroup, error) {
	return c.app().GetUserGroup(c.ctx(), c.ac, c.id())
}

// updateUserGroupRequest edits a group's own fields; members are replaced with PUT …/members.
type updateUserGroupRequest struct {
	Name        *string `json:"name,omitempty"`
	Description *string `json:"description,omitempty"`
}

func updateUserGroup(c *call, in *updateUserGroupRequest) (*portico.UserGroup, error) {
	return c.app().UpdateUserGroup(c.ctx(), c.ac, c.id(), app.UserGroupInput{Name: in.Name, Description: in.Description})
}

func deleteUserGroup(c *call) (noContent, error) {
	return noContent{}, c.app().DeleteUserGroup(c.ctx(), c.ac, c.id())
}

type membersRequest struct {
	UserIDs []string `json:"user_ids" openapi:"required"`
}

func setUserGroupMembers(c *call, in *membersRequest) (*portico.UserGroup, error) {
	if in.UserIDs == nil {
		// Without this, a body that misspells or forgets user_ids would silently empty the group.
		return nil, required("user_ids", "list every member; send [] to remove them all")
	}
	return c.app().UpdateUserGroup(c.ctx(), c.ac, c.id(), app.UserGroupInput{MemberIDs: &in.UserIDs})
}

// required is an invalid-input error for a missing field, found before the app is called. It is an
// inputError, so the backstop does not expect a decision.
func required(field, hint string) error {
	return &inputError{status: 422, title: "Invalid input", detail: field + " is required",
		fields: []portico.FieldError{{Field: field, Message: "is required: " + hint}}}
}
