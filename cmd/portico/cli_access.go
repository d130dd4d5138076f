package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
)

var roleColumns = []column[portico.Role]{
	{"ID", func(r portico.Role) string { return r.ID }},
	{"NAME", func(r portico.Role) string { return r.Name }},
	{"PURPOSE", func(r portico.Role) string { return string(r.Purpose) }},
	{"SYSTEM", func(r portico.Role) string { return yesNo(r.System) }},
	{"PERMISSIONS", func(r portico.Role) string { return strconv.Itoa(len(r.Permissions)) }},
}

// permissionList converts a flag's values to permission ids.
func permissionList(vs []string) []portico.Permission {
	out := make([]portico.Permission, len(vs))
	for i, v := range vs {
		out[i] = portico.Permission(v)
	}
	return out
}

func rolesResource() resource {
	return resource{name: "roles", summary: "Roles: named sets of permissions, given to users at a scope by assignments.", verbs: []verb{
		{name: "list", summary: "List roles, system roles first", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllRoles(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, roleColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show a role", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				r, err := c.api.GetRole(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *r, roleColumns)
			}
		}},
		{name: "create", summary: "Create a role", setup: func(fs *flag.FlagSet) action {
			name := fs.String("name", "", "the role's name (required)")
			desc := fs.String("description", "", "a description")
			purpose := fs.String("purpose", "", "devices, on_demand, administration or general (required; fixed from then on)")
			var perms stringList
			fs.Var(&perms, "permissions", "permission ids, comma-separated or repeated (see the portal or /api/v1/permissions)")
			return func(ctx context.Context, c *cli, _ []string) error {
				r, err := c.api.CreateRole(ctx, apiclient.CreateRoleRequest{Name: *name, Description: *desc,
					Purpose: portico.Purpose(*purpose), Permissions: permissionList(perms)})
				if err != nil {
					return err
				}
				return writeOne(c, *r, roleColumns)
			}
		}},
		{name: "update", args: "ID", summary: "Edit a role (only the flags given change; --permissions replaces the list)", setup: func(fs *flag.FlagSet) action {
			fs.String("name", "", "the new name")
			fs.String("description", "", "the new description")
			var perms stringList
			fs.Var(&perms, "permissions", "the role's permission ids, comma-separated or repeated")
			return func(ctx context.Context, c *cli, args []string) error {
				in := apiclient.UpdateRoleRequest{Name: optional(fs, "name"), Description: optional(fs, "description")}
				if flagGiven(fs, "permissions") {
					p := permissionList(perms)
					in.Permissions = &p
				}
				if in == (apiclient.UpdateRoleRequest{}) {
					return errors.New("nothing to change: give --name, --description or --permissions")
				}
				r, err := c.api.UpdateRole(ctx, args[0], in)
				if err != nil {
					return err
				}
				return writeOne(c, *r, roleColumns)
			}
		}},
		{name: "delete", args: "ID", summary: "Delete a role and every assignment that uses it", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.DeleteRole(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted role %s", args[0])
			}
		}},
		{name: "clone", args: "ID", summary: "Copy a role under a new name", setup: func(fs *flag.FlagSet) action {
			name := fs.String("name", "", `the copy's name (default "Copy of <role>")`)
			return func(ctx context.Context, c *cli, args []string) error {
				r, err := c.api.CloneRole(ctx, args[0], *name)
				if err != nil {
					return err
				}
				return writeOne(c, *r, roleColumns)
			}
		}},
		{name: "dependents", args: "ID", summary: "List the assignments deleting the role would remove", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, args []string) error {
				items, err := collect(&l, c.api.AllRoleDependents(ctx, args[0], l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, assignmentColumns)
			}
		}},
	}}
}

var assignmentColumns = []column[portico.Assignment]{
	{"ID", func(a portico.Assignment) string { return a.ID }},
	{"PRINCIPAL", func(a portico.Assignment) string { return string(a.PrincipalType) + ":" + a.PrincipalID }},
	{"ROLE", func(a portico.Assignment) string { return a.RoleID }},
	{"SCOPE", func(a portico.Assignment) string { return scopeString(a.ScopeType, a.ScopeID) }},
	{"EXPIRES", func(a portico.Assignment) string { return formatTime(a.ExpiresAt) }},
}

func scopeString(t portico.ScopeType, id string) string {
	if id == "" {
		return string(t)
	}
	return string(t) + ":" + id
}

// parseScope reads account, device_group:ID, device:ID or section:NAME.
func parseScope(s string) (portico.ScopeType, string, error) {
	t, id, _ := strings.Cut(s, ":")
	switch st := portico.ScopeType(t); {
	case st == portico.ScopeTypeAccount && id == "":
		return st, "", nil
	case (st == portico.ScopeTypeDeviceGroup || st == portico.ScopeTypeDevice || st == portico.ScopeTypeSection) && id != "":
		return st, id, nil
	}
	return "", "", fmt.Errorf("--scope must be account, device_group:ID, device:ID or section:NAME, not %q", s)
}

// principalFlags choose a user or a user group.
type principalFlags struct{ user, userGroup string }

func (p *principalFlags) register(fs *flag.FlagSet, what string) {
	fs.StringVar(&p.user, "user", "", what+" user's id")
	fs.StringVar(&p.userGroup, "user-group", "", what+" user group's id")
}

func (p *principalFlags) get(required bool) (portico.PrincipalType, string, error) {
	switch {
	case p.user != "" && p.userGroup != "":
		return "", "", errors.New("give --user or --user-group, not both")
	case p.user != "":
		return portico.PrincipalUser, p.user, nil
	case p.userGroup != "":
		return portico.PrincipalUserGroup, p.userGroup, nil
	case required:
		return "", "", errors.New("--user or --user-group is required")
	}
	return "", "", nil
}

// parseExpiry reads an RFC 3339 time or a duration from now ("72h").
func parseExpiry(s string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return &t, nil
	}
	if d, err := time.ParseDuration(s); err == nil && d > 0 {
		t := time.Now().Add(d).UTC().Truncate(time.Second)
		return &t, nil
	}
	return nil, fmt.Errorf("--expires must be an RFC 3339 time (2025-01-31T12:00:00Z) or a duration (72h), not %q", s)
}

func assignmentsResource() resource {
	return resource{name: "assignments", summary: "Role assignments: a role given to a user or user group at a scope.", verbs: []verb{
		{name: "list", summary: "List role assignments", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			var p principalFlags
			p.register(fs, "only this")
			role := fs.String("role", "", "only this role's id")
			scope := fs.String("scope", "", "only this scope: account, device_group:ID, device:ID or section:NAME")
			return func(ctx context.Context, c *cli, _ []string) error {
				pt, pid, err := p.get(false)
				if err != nil {
					return err
				}
				q := apiclient.AssignmentQuery{ListOptions: l.options(), PrincipalType: pt, PrincipalID: pid, RoleID: *role}
				if *scope != "" {
					if q.ScopeType, q.ScopeID, err = parseScope(*scope); err != nil {
						return err
					}
				}
				items, err := collect(&l, c.api.AllRoleAssignments(ctx, q))
				if err != nil {
					return err
				}
				return writeList(c, items, assignmentColumns)
			}
		}},
		{name: "create", summary: "Give a user or user group a role at a scope", setup: func(fs *flag.FlagSet) action {
			var p principalFlags
			p.register(fs, "the")
			role := fs.String("role", "", "the role's id (required)")
			scope := fs.String("scope", "account", "account, device_group:ID, device:ID or section:NAME")
			expires := fs.String("expires", "", "when it ends: an RFC 3339 time or a duration from now (72h); default never")
			return func(ctx context.Context, c *cli, _ []string) error {
				pt, pid, err := p.get(true)
				if err != nil {
					return err
				}
				st, sid, err := parseScope(*scope)
				if err != nil {
					return err
				}
				exp, err := parseExpiry(*expires)
				if err != nil {
					return err
				}
				a, err := c.api.CreateRoleAssignment(ctx, apiclient.CreateRoleAssignmentRequest{PrincipalType: pt, PrincipalID: pid,
					RoleID: *role, ScopeType: st, ScopeID: sid, ExpiresAt: exp})
				if err != nil {
					return err
				}
				return writeOne(c, *a, assignmentColumns)
			}
		}},
		{name: "delete", args: "ID", summary: "Remove a role assignment", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.DeleteRoleAssignment(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted assignment %s", args[0])
			}
		}},
	}}
}

// targetFlags choose a device or a device group.
type targetFlags struct{ device, group string }

func (tf *targetFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&tf.device, "device", "", "the device's id")
	fs.StringVar(&tf.group, "group", "", "the device group's id")
}

var grantColumns = []column[apiclient.Grant]{
	{"ASSIGNMENT", func(g apiclient.Grant) string { return g.AssignmentID }},
	{"PRINCIPAL", func(g apiclient.Grant) string { return g.PrincipalName }},
	{"VIA GROUP", func(g apiclient.Grant) string { return g.ViaUserGroupID }},
	{"ROLE", func(g apiclient.Grant) string { return g.RoleName }},
	{"SCOPE", func(g apiclient.Grant) string {
		if g.ScopeName != "" {
			return string(g.ScopeType) + ":" + g.ScopeName
		}
		return scopeString(g.ScopeType, g.ScopeID)
	}},
}

func accessResource() resource {
	return resource{name: "access", summary: "Why someone can or cannot do something, and who can.", verbs: []verb{
		{name: "explain", summary: "Why a user can or cannot use a permission on a device, a group or the account", setup: func(fs *flag.FlagSet) action {
			user := fs.String("user", "", "the user's id (default: you)")
			perm := fs.String("permission", "", "the permission's id, such as device.remote_control (required)")
			var tf targetFlags
			tf.register(fs)
			return func(ctx context.Context, c *cli, _ []string) error {
				ex, err := c.api.ExplainAccess(ctx, apiclient.ExplainRequest{UserID: *user, Permission: portico.Permission(*perm),
					DeviceID: tf.device, DeviceGroupID: tf.group})
				if err != nil {
					return err
				}
				if c.output == "json" {
					return c.writeJSON(ex)
				}
				if err := writeList(c, []apiclient.Explanation{*ex}, []column[apiclient.Explanation]{
					{"ALLOWED", func(e apiclient.Explanation) string { return yesNo(e.Allowed) }},
					{"REASON", func(e apiclient.Explanation) string { return e.Reason }},
					{"MESSAGE", func(e apiclient.Explanation) string { return e.Message }},
				}); err != nil {
					return err
				}
				if len(ex.Grants) == 0 {
					return nil
				}
				fmt.Fprintln(c.stdout)
				return writeList(c, ex.Grants, grantColumns)
			}
		}},
		{name: "who-can", summary: "The users allowed a permission on a device or group, with the grants that allow them", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			perm := fs.String("permission", "", "the permission's id, such as device.remote_control (required)")
			var tf targetFlags
			tf.register(fs)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllWhoCan(ctx, apiclient.WhoCanRequest{Permission: portico.Permission(*perm),
					DeviceID: tf.device, DeviceGroupID: tf.group}, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, []column[apiclient.WhoCanEntry]{
					{"USER", func(w apiclient.WhoCanEntry) string { return w.UserID }},
					{"NAME", func(w apiclient.WhoCanEntry) string { return w.UserName }},
					{"EMAIL", func(w apiclient.WhoCanEntry) string { return w.Email }},
					{"OWNER", func(w apiclient.WhoCanEntry) string { return yesNo(w.Owner) }},
					{"ROLES", func(w apiclient.WhoCanEntry) string {
						var roles []string
						for _, g := range w.Grants {
							roles = append(roles, g.RoleName)
						}
						return strings.Join(roles, ",")
					}},
				})
			}
		}},
	}}
}

var apiKeyColumns = []column[portico.APIKey]{
	{"ID", func(k portico.APIKey) string { return k.ID }},
	{"NAME", func(k portico.APIKey) string { return k.Name }},
	{"PERMISSIONS", func(k portico.APIKey) string {
		if len(k.Permissions) == 0 {
			return "all of its owner's"
		}
		return join(k.Permissions)
	}},
	{"CREATED", func(k portico.APIKey) string { return formatTime(&k.CreatedAt) }},
	{"LAST USED", func(k portico.APIKey) string { return formatTime(k.LastUsedAt) }},
	{"REVOKED", func(k portico.APIKey) string { return formatTime(k.RevokedAt) }},
}

func apiKeysResource() resource {
	return resource{name: "api-keys", summary: "API keys: they act as the user who made them, optionally narrowed.", verbs: []verb{
		{name: "list", summary: "List API keys (never their secrets)", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllAPIKeys(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, apiKeyColumns)
			}
		}},
		{name: "create", summary: "Create an API key acting as you; its secret is shown this once", setup: func(fs *flag.FlagSet) action {
			name := fs.String("name", "", "the key's name (required)")
			var perms stringList
			fs.Var(&perms, "permissions", "narrow the key to these permission ids, comma-separated or repeated (default: all of yours)")
			return func(ctx context.Context, c *cli, _ []string) error {
				k, err := c.api.CreateAPIKey(ctx, apiclient.CreateAPIKeyRequest{Name: *name, Permissions: permissionList(perms)})
				if err != nil {
					return err
				}
				return writeOne(c, *k, []column[apiclient.CreatedAPIKey]{
					{"ID", func(k apiclient.CreatedAPIKey) string { return k.ID }},
					{"NAME", func(k apiclient.CreatedAPIKey) string { return k.Name }},
					{"SECRET", func(k apiclient.CreatedAPIKey) string { return k.Secret }},
				})
			}
		}},
		{name: "revoke", args: "ID", summary: "Revoke an API key", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.RevokeAPIKey(ctx, args[0]); err != nil {
					return err
				}
				return c.done("revoked API key %s", args[0])
			}
		}},
	}}
}
