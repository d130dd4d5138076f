package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
)

var userColumns = []column[portico.User]{
	{"ID", func(u portico.User) string { return u.ID }},
	{"EMAIL", func(u portico.User) string { return u.Email }},
	{"NAME", func(u portico.User) string { return u.Name }},
	{"STATE", func(u portico.User) string { return string(u.State) }},
	{"STATUS", func(u portico.User) string { return string(u.Status) }},
	{"OWNER", func(u portico.User) string { return yesNo(u.Owner) }},
}

// createdUserColumns show a new or re-invited user with what is shown only now: the invitation link.
var createdUserColumns = []column[apiclient.CreatedUser]{
	{"ID", func(u apiclient.CreatedUser) string { return u.ID }},
	{"EMAIL", func(u apiclient.CreatedUser) string { return u.Email }},
	{"STATE", func(u apiclient.CreatedUser) string { return string(u.State) }},
	{"INVITATION LINK", func(u apiclient.CreatedUser) string { return u.InvitationLink }},
	{"EMAIL STATUS", func(u apiclient.CreatedUser) string { return u.EmailStatus }},
}

func usersResource() resource {
	return resource{name: "users", summary: "The account's users (technicians and administrators).\n" +
		"Resetting a user's two-factor authentication is done signed in, in the portal: the server refuses it to an API key.", verbs: []verb{
		{name: "list", summary: "List users", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			state := fs.String("state", "", "invited or activated")
			status := fs.String("status", "", "active or disabled")
			search := fs.String("search", "", "text in the name or email")
			return func(ctx context.Context, c *cli, _ []string) error {
				if err := errors.Join(oneOf("state", *state, "invited", "activated"), oneOf("status", *status, "active", "disabled")); err != nil {
					return err
				}
				items, err := collect(&l, c.api.AllUsers(ctx, apiclient.UserQuery{ListOptions: l.options(),
					State: portico.UserState(*state), Status: portico.UserStatus(*status), Q: *search}))
				if err != nil {
					return err
				}
				return writeList(c, items, userColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show a user", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				u, err := c.api.GetUser(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *u, userColumns)
			}
		}},
		{name: "create", summary: "Invite a user (or, with --password-file, create them active)", setup: func(fs *flag.FlagSet) action {
			email := fs.String("email", "", "the user's email (required)")
			name := fs.String("name", "", "the user's name (required)")
			pwFile := fs.String("password-file", "", "a file holding a password, - for standard input: the user is active at once instead of invited")
			lang := fs.String("language", "", "the portal's language for them: en-GB, en-US, de, es, fr, it")
			return func(ctx context.Context, c *cli, _ []string) error {
				in := apiclient.CreateUserRequest{Email: *email, Name: *name, Language: *lang}
				if *pwFile != "" {
					pw, err := readSecretFile(*pwFile)
					if err != nil {
						return err
					}
					in.Password = pw
				}
				u, err := c.api.CreateUser(ctx, in)
				if err != nil {
					return err
				}
				return writeOne(c, *u, createdUserColumns)
			}
		}},
		{name: "update", args: "ID", summary: "Edit a user's profile (only the flags given change)", setup: func(fs *flag.FlagSet) action {
			fs.String("name", "", "the new name")
			fs.String("language", "", "the portal's language: en-GB, en-US, de, es, fr, it")
			fs.String("theme", "", "system, dark or light")
			return func(ctx context.Context, c *cli, args []string) error {
				in := apiclient.UpdateUserRequest{Name: optional(fs, "name"), Language: optional(fs, "language"), Theme: optional(fs, "theme")}
				if in == (apiclient.UpdateUserRequest{}) {
					return errors.New("nothing to change: give --name, --language or --theme")
				}
				u, err := c.api.UpdateUser(ctx, args[0], in)
				if err != nil {
					return err
				}
				return writeOne(c, *u, userColumns)
			}
		}},
		{name: "delete", args: "ID", summary: "Delete a user", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.DeleteUser(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted user %s", args[0])
			}
		}},
		{name: "disable", args: "ID", summary: "Disable a user; their sessions end at once", setup: func(fs *flag.FlagSet) action {
			return userAction((*apiclient.Client).DisableUser)
		}},
		{name: "enable", args: "ID", summary: "Enable a disabled user, within the seat limit", setup: func(fs *flag.FlagSet) action {
			return userAction((*apiclient.Client).EnableUser)
		}},
		{name: "invitation", args: "ID", summary: "Show an invited user's pending invitation (never its link)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				inv, err := c.api.GetInvitation(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *inv, []column[portico.Invitation]{
					{"ID", func(i portico.Invitation) string { return i.ID }},
					{"USER", func(i portico.Invitation) string { return i.UserID }},
					{"CREATED", func(i portico.Invitation) string { return formatTime(&i.CreatedAt) }},
					{"EXPIRES", func(i portico.Invitation) string { return formatTime(&i.ExpiresAt) }},
				})
			}
		}},
		{name: "resend-invitation", args: "ID", summary: "Replace an invited user's link with a new one, shown this once, and email it again", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				u, err := c.api.ResendInvitation(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *u, createdUserColumns)
			}
		}},
		{name: "revoke-invitation", args: "ID", summary: "Revoke an invited user's link; the user stays and can be invited again", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.RevokeInvitation(ctx, args[0]); err != nil {
					return err
				}
				return c.done("revoked the invitation of user %s", args[0])
			}
		}},
	}}
}

// userAction runs a call that takes a user's id and answers the user.
func userAction(fn func(*apiclient.Client, context.Context, string) (*portico.User, error)) action {
	return func(ctx context.Context, c *cli, args []string) error {
		u, err := fn(c.api, ctx, args[0])
		if err != nil {
			return err
		}
		return writeOne(c, *u, userColumns)
	}
}

// readSecretFile reads a password from a file, or from standard input for "-", without its line end.
func readSecretFile(path string) (string, error) {
	var raw []byte
	var err error
	if path == "-" {
		raw, err = io.ReadAll(io.LimitReader(os.Stdin, 4096))
	} else {
		raw, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return strings.TrimRight(string(raw), "\r\n"), nil
}

var userGroupColumns = []column[portico.UserGroup]{
	{"ID", func(g portico.UserGroup) string { return g.ID }},
	{"NAME", func(g portico.UserGroup) string { return g.Name }},
	{"MEMBERS", func(g portico.UserGroup) string { return strconv.Itoa(len(g.MemberIDs)) }},
	{"DESCRIPTION", func(g portico.UserGroup) string { return g.Description }},
}

func userGroupsResource() resource {
	return resource{name: "user-groups", summary: "User groups (departments): rights given to one apply to every member.", verbs: []verb{
		{name: "list", summary: "List user groups", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllUserGroups(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, userGroupColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show a user group", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				g, err := c.api.GetUserGroup(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *g, userGroupColumns)
			}
		}},
		{name: "create", summary: "Create a user group", setup: func(fs *flag.FlagSet) action {
			name := fs.String("name", "", "the group's name (required)")
			desc := fs.String("description", "", "a description")
			var members stringList
			fs.Var(&members, "members", "member user ids, comma-separated or repeated")
			return func(ctx context.Context, c *cli, _ []string) error {
				g, err := c.api.CreateUserGroup(ctx, apiclient.CreateUserGroupRequest{Name: *name, Description: *desc, MemberIDs: members})
				if err != nil {
					return err
				}
				return writeOne(c, *g, userGroupColumns)
			}
		}},
		{name: "update", args: "ID", summary: "Rename or describe a user group (only the flags given change)", setup: func(fs *flag.FlagSet) action {
			fs.String("name", "", "the new name")
			fs.String("description", "", "the new description")
			return func(ctx context.Context, c *cli, args []string) error {
				in := apiclient.UpdateUserGroupRequest{Name: optional(fs, "name"), Description: optional(fs, "description")}
				if in == (apiclient.UpdateUserGroupRequest{}) {
					return errors.New("nothing to change: give --name or --description")
				}
				g, err := c.api.UpdateUserGroup(ctx, args[0], in)
				if err != nil {
					return err
				}
				return writeOne(c, *g, userGroupColumns)
			}
		}},
		{name: "delete", args: "ID", summary: "Delete a user group and the access rights given to it", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.DeleteUserGroup(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted user group %s", args[0])
			}
		}},
		{name: "set-members", args: "ID [USER_ID...]", summary: "Replace a user group's members (none: empty it)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				g, err := c.api.SetUserGroupMembers(ctx, args[0], args[1:])
				if err != nil {
					return err
				}
				return writeOne(c, *g, userGroupColumns)
			}
		}},
	}}
}
