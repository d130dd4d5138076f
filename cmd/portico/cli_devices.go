package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
)

var deviceColumns = []column[apiclient.Device]{
	{"ID", func(d apiclient.Device) string { return d.ID }},
	{"NAME", func(d apiclient.Device) string { return d.Name }},
	{"GROUP", func(d apiclient.Device) string {
		if d.Unassigned() {
			return "Unassigned"
		}
		return d.GroupName
	}},
	{"STATUS", func(d apiclient.Device) string { return string(d.Status) }},
	{"HOSTNAME", func(d apiclient.Device) string { return d.Hostname }},
	{"OS", func(d apiclient.Device) string { return strings.TrimSpace(d.OSName + " " + d.OSVersion) }},
	{"LAST SEEN", func(d apiclient.Device) string { return formatTime(d.LastSeen) }},
}

func devicesResource() resource {
	return resource{name: "devices", summary: "Devices with an enrolled agent.", verbs: []verb{
		{name: "list", summary: "List the devices you may view", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			group := fs.String("group", "", "only this device group's devices (an id, or unassigned)")
			recursive := fs.Bool("recursive", false, "with --group, include its sub-groups' devices")
			search := fs.String("search", "", "text in the name, hostname or IP address")
			status := fs.String("status", "", "unavailable, available or in_session")
			favourites := fs.Bool("favourites", false, "only your favourites")
			return func(ctx context.Context, c *cli, _ []string) error {
				if err := oneOf("status", *status, "unavailable", "available", "in_session"); err != nil {
					return err
				}
				q := apiclient.DeviceQuery{ListOptions: l.options(), GroupID: *group, Recursive: *recursive, Q: *search,
					Status: portico.DeviceStatus(*status), Favourites: *favourites}
				items, err := collect(&l, c.api.AllDevices(ctx, q))
				if err != nil {
					return err
				}
				return writeList(c, items, deviceColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show a device", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				d, err := c.api.GetDevice(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *d, deviceColumns)
			}
		}},
		{name: "update", args: "ID", summary: "Rename a device", setup: func(fs *flag.FlagSet) action {
			fs.String("name", "", "the new name")
			return func(ctx context.Context, c *cli, args []string) error {
				in := apiclient.UpdateDeviceRequest{Name: optional(fs, "name")}
				if in.Name == nil {
					return errors.New("nothing to change: give --name")
				}
				d, err := c.api.UpdateDevice(ctx, args[0], in)
				if err != nil {
					return err
				}
				return writeOne(c, *d, deviceColumns)
			}
		}},
		{name: "move", args: "ID...", summary: "Move devices to a device group (or unassigned), all or none", setup: func(fs *flag.FlagSet) action {
			group := fs.String("group", "", "the target device group's id, or unassigned (required)")
			return func(ctx context.Context, c *cli, args []string) error {
				if *group == "" {
					return errors.New("--group is required")
				}
				if err := c.api.MoveDevices(ctx, *group, args...); err != nil {
					return err
				}
				return c.done("moved %d device(s) to %s", len(args), *group)
			}
		}},
		{name: "delete", args: "ID...", summary: "Delete devices, all or none; their agents are told to stop", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				var err error
				if len(args) == 1 {
					err = c.api.DeleteDevice(ctx, args[0])
				} else {
					err = c.api.DeleteDevices(ctx, args...)
				}
				if err != nil {
					return err
				}
				return c.done("deleted %d device(s)", len(args))
			}
		}},
		{name: "history", args: "ID", summary: "Show a device's history, newest first", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 100)
			act := fs.String("action", "", "only this action")
			return func(ctx context.Context, c *cli, args []string) error {
				items, err := collect(&l, c.api.AllDeviceHistory(ctx, args[0], apiclient.HistoryQuery{ListOptions: l.options(), Action: *act}))
				if err != nil {
					return err
				}
				return writeList(c, items, []column[portico.HistoryEntry]{
					{"TIME", func(h portico.HistoryEntry) string { return formatTime(&h.At) }},
					{"ACTOR", func(h portico.HistoryEntry) string { return h.ActorName }},
					{"ACTION", func(h portico.HistoryEntry) string { return h.Action }},
					{"DETAIL", func(h portico.HistoryEntry) string { return h.Detail }},
				})
			}
		}},
		{name: "favourite", args: "ID", summary: "Mark a device as one of your favourites (devices list --favourites)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.AddFavourite(ctx, args[0]); err != nil {
					return err
				}
				return c.done("device %s is one of your favourites", args[0])
			}
		}},
		{name: "unfavourite", args: "ID", summary: "Remove a device from your favourites", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.RemoveFavourite(ctx, args[0]); err != nil {
					return err
				}
				return c.done("device %s is no longer one of your favourites", args[0])
			}
		}},
		{name: "inventory", args: "ID", summary: "Show a device's latest inventory, as its agent reported it (JSON)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				inv, err := c.api.GetDeviceInventory(ctx, args[0])
				if err != nil {
					return err
				}
				return c.writeJSON(inv) // a nested document: no table does it justice
			}
		}},
	}}
}

var sessionColumns = []column[apiclient.Session]{
	{"ID", func(s apiclient.Session) string { return s.ID }},
	{"DEVICE", func(s apiclient.Session) string { return s.DeviceName }},
	{"USER", func(s apiclient.Session) string { return s.UserName }},
	{"STATE", func(s apiclient.Session) string { return s.State }},
	{"ACTIONS", func(s apiclient.Session) string { return strings.Join(s.Actions, ",") }},
	{"STARTED", func(s apiclient.Session) string { return formatTime(&s.StartedAt) }},
	{"ENDED", func(s apiclient.Session) string { return formatTime(s.EndedAt) }},
}

func sessionsResource() resource {
	return resource{name: "sessions", summary: "Remote sessions (opened in the portal or over the session WebSocket, not here).", verbs: []verb{
		{name: "list", summary: "List the live remote sessions you may see", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllSessions(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, sessionColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show a remote session, live or ended", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				s, err := c.api.GetSession(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *s, sessionColumns)
			}
		}},
		{name: "end", args: "ID", summary: "End a remote session; the technician and the device are told", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.EndSession(ctx, args[0]); err != nil {
					return err
				}
				return c.done("ended session %s", args[0])
			}
		}},
	}}
}

var groupColumns = []column[portico.DeviceGroup]{
	{"ID", func(g portico.DeviceGroup) string { return g.ID }},
	{"NAME", func(g portico.DeviceGroup) string { return g.Name }},
	{"PARENT", func(g portico.DeviceGroup) string { return g.ParentID }},
	{"COLOUR", func(g portico.DeviceGroup) string { return g.Colour }},
	{"DESCRIPTION", func(g portico.DeviceGroup) string { return g.Description }},
}

// defaultColour is a new group's colour when none is given.
const defaultColour = "#607d8b"

func groupsResource() resource {
	return resource{name: "groups", summary: "Device groups: the tree devices are organised in.", verbs: []verb{
		{name: "list", summary: "List the device groups you may see", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllDeviceGroups(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, groupColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show a device group", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				g, err := c.api.GetDeviceGroup(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *g, groupColumns)
			}
		}},
		{name: "create", summary: "Create a device group", setup: func(fs *flag.FlagSet) action {
			name := fs.String("name", "", "the group's name (required)")
			colour := fs.String("colour", defaultColour, "its colour, #rrggbb")
			desc := fs.String("description", "", "a description")
			parent := fs.String("parent", "", "the parent group's id (default: top-level)")
			return func(ctx context.Context, c *cli, _ []string) error {
				g, err := c.api.CreateDeviceGroup(ctx, apiclient.CreateDeviceGroupRequest{Name: *name, Colour: *colour,
					Description: *desc, ParentID: *parent})
				if err != nil {
					return err
				}
				return writeOne(c, *g, groupColumns)
			}
		}},
		{name: "update", args: "ID", summary: "Edit or move a device group (only the flags given change)", setup: func(fs *flag.FlagSet) action {
			fs.String("name", "", "the new name")
			fs.String("colour", "", "the new colour, #rrggbb")
			fs.String("description", "", "the new description")
			fs.String("parent", "", `the new parent group's id ("" makes it top-level)`)
			return func(ctx context.Context, c *cli, args []string) error {
				in := apiclient.UpdateDeviceGroupRequest{Name: optional(fs, "name"), Colour: optional(fs, "colour"),
					Description: optional(fs, "description"), ParentID: optional(fs, "parent")}
				if in == (apiclient.UpdateDeviceGroupRequest{}) {
					return errors.New("nothing to change: give --name, --colour, --description or --parent")
				}
				g, err := c.api.UpdateDeviceGroup(ctx, args[0], in)
				if err != nil {
					return err
				}
				return writeOne(c, *g, groupColumns)
			}
		}},
		{name: "delete", args: "ID", summary: "Delete an empty device group", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.DeleteDeviceGroup(ctx, args[0]); err != nil {
					return err
				}
				return c.done("deleted device group %s", args[0])
			}
		}},
		{name: "settings", args: "ID [FEATURE=on|off|inherit...]", summary: "Show a group's settings, or change some and show them", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				id, changes := args[0], args[1:]
				s, err := c.api.GetDeviceGroupSettings(ctx, id)
				if err != nil {
					return err
				}
				if len(changes) > 0 {
					own, err := applySettingChanges(s.Own, changes)
					if err != nil {
						return err
					}
					if s, err = c.api.PutDeviceGroupSettings(ctx, id, own); err != nil {
						return err
					}
				}
				return writeSettings(c, s)
			}
		}},
		{name: "enable-all-settings", args: "ID", summary: "Switch every setting of a group on", setup: func(fs *flag.FlagSet) action {
			return groupSettingsAction((*apiclient.Client).EnableAllDeviceGroupSettings)
		}},
		{name: "disable-all-settings", args: "ID", summary: "Switch every setting of a group off", setup: func(fs *flag.FlagSet) action {
			return groupSettingsAction((*apiclient.Client).DisableAllDeviceGroupSettings)
		}},
	}}
}

// groupSettingsAction runs a call that takes a group's id and answers its settings.
func groupSettingsAction(fn func(*apiclient.Client, context.Context, string) (*apiclient.DeviceGroupSettings, error)) action {
	return func(ctx context.Context, c *cli, args []string) error {
		s, err := fn(c.api, ctx, args[0])
		if err != nil {
			return err
		}
		return writeSettings(c, s)
	}
}

// applySettingChanges returns own with each FEATURE=on|off|inherit applied.
func applySettingChanges(own portico.GroupSettings, changes []string) (portico.GroupSettings, error) {
	out := portico.GroupSettings{}
	for f, on := range own {
		out[f] = on
	}
	for _, ch := range changes {
		name, val, ok := strings.Cut(ch, "=")
		f := portico.Feature(name)
		if _, known := portico.LookupFeature(f); !ok || !known {
			var names []string
			for _, fi := range portico.Features {
				names = append(names, string(fi.Feature))
			}
			return nil, fmt.Errorf("%q: want FEATURE=on|off|inherit, FEATURE one of %s", ch, strings.Join(names, ", "))
		}
		switch val {
		case "on":
			out[f] = true
		case "off":
			out[f] = false
		case "inherit":
			delete(out, f)
		default:
			return nil, fmt.Errorf("%q: the value must be on, off or inherit", ch)
		}
	}
	return out, nil
}

// settingRow is one feature of a group's settings, as the table shows it.
type settingRow struct {
	feature   portico.Feature
	own       string
	effective bool
	from      string
}

func writeSettings(c *cli, s *apiclient.DeviceGroupSettings) error {
	if c.output == "json" {
		return c.writeJSON(s)
	}
	var rows []settingRow // in the portal's order
	for _, fi := range portico.Features {
		r := settingRow{feature: fi.Feature, own: "inherit", effective: s.Effective[fi.Feature].Enabled,
			from: s.Effective[fi.Feature].FromGroupID}
		if on, ok := s.Own[fi.Feature]; ok {
			r.own = map[bool]string{true: "on", false: "off"}[on]
		}
		rows = append(rows, r)
	}
	return writeList(c, rows, []column[settingRow]{
		{"FEATURE", func(r settingRow) string { return string(r.feature) }},
		{"OWN", func(r settingRow) string { return r.own }},
		{"EFFECTIVE", func(r settingRow) string { return map[bool]string{true: "on", false: "off"}[r.effective] }},
		{"FROM GROUP", func(r settingRow) string { return r.from }},
	})
}

var tokenColumns = []column[portico.EnrollmentToken]{
	{"ID", func(t portico.EnrollmentToken) string { return t.ID }},
	{"GROUP", func(t portico.EnrollmentToken) string { return t.GroupID }},
	{"CREATED", func(t portico.EnrollmentToken) string { return formatTime(&t.CreatedAt) }},
	{"REVOKED", func(t portico.EnrollmentToken) string { return formatTime(t.RevokedAt) }},
}

func enrollmentTokensResource() resource {
	return resource{name: "enrollment-tokens", summary: "Tokens with which agents enroll devices (portico-agent enroll --token).", verbs: []verb{
		{name: "list", summary: "List enrollment tokens (never their secrets)", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllEnrollmentTokens(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, tokenColumns)
			}
		}},
		{name: "create", summary: "Create an enrollment token; its secret is shown this once", setup: func(fs *flag.FlagSet) action {
			group := fs.String("group", "", "place enrolled devices in this device group (installer group assignment)")
			return func(ctx context.Context, c *cli, _ []string) error {
				t, err := c.api.CreateEnrollmentToken(ctx, apiclient.CreateEnrollmentTokenRequest{DeviceGroupID: *group})
				if err != nil {
					return err
				}
				return writeOne(c, *t, []column[apiclient.CreatedEnrollmentToken]{
					{"ID", func(t apiclient.CreatedEnrollmentToken) string { return t.ID }},
					{"GROUP", func(t apiclient.CreatedEnrollmentToken) string { return t.GroupID }},
					{"SECRET", func(t apiclient.CreatedEnrollmentToken) string { return t.Secret }},
				})
			}
		}},
		{name: "revoke", args: "ID", summary: "Revoke an enrollment token", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.RevokeEnrollmentToken(ctx, args[0]); err != nil {
					return err
				}
				return c.done("revoked enrollment token %s", args[0])
			}
		}},
	}}
}
