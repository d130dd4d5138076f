package main

import (
	"context"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
)

var onDemandColumns = []column[apiclient.OnDemandSession]{
	{"ID", func(o apiclient.OnDemandSession) string { return o.ID }},
	{"CODE", func(o apiclient.OnDemandSession) string { return portico.GroupOnDemandCode(o.Code) }},
	{"CUSTOMER", func(o apiclient.OnDemandSession) string { return o.CustomerName }},
	{"TECHNICIAN", func(o apiclient.OnDemandSession) string { return o.UserName }},
	{"STATE", func(o apiclient.OnDemandSession) string { return o.State }},
	{"COMPUTER", func(o apiclient.OnDemandSession) string { return o.ComputerName }},
	{"EXPIRES", func(o apiclient.OnDemandSession) string { return formatTime(&o.ExpiresAt) }},
	{"LINK", func(o apiclient.OnDemandSession) string { return o.Link }},
}

var onDemandSettingsColumns = []column[portico.OnDemandSettings]{
	{"CODE MINUTES", func(s portico.OnDemandSettings) string { return strconv.Itoa(s.CodeMinutes) }},
	{"ACTIONS", func(s portico.OnDemandSettings) string { return strings.Join(s.Actions, ",") }},
	{"APPROVAL", func(s portico.OnDemandSettings) string {
		return map[bool]string{true: "every request", false: "first request"}[s.RequireApproval]
	}},
}

func onDemandResource() resource {
	return resource{name: "on-demand", summary: "On-demand (quick support) sessions: a code for a person whose computer is not managed.", verbs: []verb{
		{name: "list", summary: "List on-demand sessions (yours, or every one with on_demand.all)", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			live := fs.Bool("live", false, "only those neither ended nor expired")
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllOnDemandSessions(ctx, apiclient.OnDemandListOptions{ListOptions: l.options(), Live: *live}))
				if err != nil {
					return err
				}
				return writeList(c, items, onDemandColumns)
			}
		}},
		{name: "create", summary: "Create an on-demand session: a code and a link to give the person", setup: func(fs *flag.FlagSet) action {
			customer := fs.String("customer", "", "the person's name")
			note := fs.String("note", "", "a note for the technicians")
			lang := fs.String("language", "", "the public page's language ("+strings.Join(portico.Languages, ", ")+")")
			return func(ctx context.Context, c *cli, _ []string) error {
				o, err := c.api.CreateOnDemandSession(ctx, portico.OnDemandInput{CustomerName: *customer, Note: *note, Language: *lang})
				if err != nil {
					return err
				}
				return writeOne(c, *o, onDemandColumns)
			}
		}},
		{name: "get", args: "ID", summary: "Show an on-demand session", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				o, err := c.api.GetOnDemandSession(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *o, onDemandColumns)
			}
		}},
		{name: "end", args: "ID", summary: "End an on-demand session; its support agent exits", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				if err := c.api.EndOnDemandSession(ctx, args[0]); err != nil {
					return err
				}
				return c.done("ended on-demand session %s", args[0])
			}
		}},
		{name: "history", args: "ID", summary: "Show an on-demand session's history, newest first", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				p, err := c.api.GetOnDemandHistory(ctx, args[0], apiclient.ListOptions{Limit: 500})
				if err != nil {
					return err
				}
				return writeList(c, p.Items, []column[portico.HistoryEntry]{
					{"TIME", func(h portico.HistoryEntry) string { return formatTime(&h.At) }},
					{"ACTOR", func(h portico.HistoryEntry) string { return h.ActorName }},
					{"ACTION", func(h portico.HistoryEntry) string { return h.Action }},
					{"DETAIL", func(h portico.HistoryEntry) string { return h.Detail }},
				})
			}
		}},
		{name: "settings", summary: "Show the account's on-demand settings", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				s, err := c.api.GetOnDemandSettings(ctx)
				if err != nil {
					return err
				}
				return writeOne(c, *s, onDemandSettingsColumns)
			}
		}},
		{name: "set-settings", summary: "Change the account's on-demand settings (unset flags keep their value)", setup: func(fs *flag.FlagSet) action {
			minutes := fs.Int("code-minutes", 0, "how long a new code may be redeemed (5 to 10080)")
			actions := fs.String("actions", "", "the actions offered, comma-separated ("+strings.Join(portico.OnDemandActions, ",")+"), or none")
			approval := fs.String("approval", "", "every or first: which requests the person must approve")
			return func(ctx context.Context, c *cli, _ []string) error {
				s, err := c.api.GetOnDemandSettings(ctx)
				if err != nil {
					return err
				}
				if *minutes != 0 {
					s.CodeMinutes = *minutes
				}
				switch *actions {
				case "":
				case "none":
					s.Actions = []string{}
				default:
					s.Actions = strings.Split(*actions, ",")
				}
				switch *approval {
				case "":
				case "every":
					s.RequireApproval = true
				case "first":
					s.RequireApproval = false
				default:
					return fmt.Errorf("--approval must be every or first, not %q", *approval)
				}
				s, err = c.api.SetOnDemandSettings(ctx, *s)
				if err != nil {
					return err
				}
				return writeOne(c, *s, onDemandSettingsColumns)
			}
		}},
	}}
}
