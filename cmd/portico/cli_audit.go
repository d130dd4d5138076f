package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
)

var auditColumns = []column[portico.AuditEvent]{
	{"SEQ", func(e portico.AuditEvent) string { return strconv.FormatInt(e.Seq, 10) }},
	{"TIME", func(e portico.AuditEvent) string { return formatTime(&e.At) }},
	{"ACTOR", func(e portico.AuditEvent) string {
		if e.ActorName != "" {
			return e.ActorName
		}
		return e.ActorType
	}},
	{"ACTION", func(e portico.AuditEvent) string { return string(e.Action) }},
	{"TARGET", func(e portico.AuditEvent) string { return scopeString(portico.ScopeType(e.TargetType), e.TargetID) }},
	{"OUTCOME", func(e portico.AuditEvent) string { return string(e.Outcome) }},
	{"DETAIL", func(e portico.AuditEvent) string { return e.Detail }},
}

// parseTimeFlag reads an optional RFC 3339 time flag.
func parseTimeFlag(name, v string) (time.Time, error) {
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, fmt.Errorf("--%s must be an RFC 3339 time such as 2025-01-31T12:00:00Z, not %q", name, v)
	}
	return t, nil
}

func auditResource() resource {
	return resource{name: "audit", summary: "The account's tamper-evident audit log.", verbs: []verb{
		{name: "events", summary: "List audit events, newest first", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 100)
			user := fs.String("user", "", "only this actor's id")
			act := fs.String("action", "", "only this action, such as user.create")
			targetType := fs.String("target-type", "", "only targets of this type, such as device")
			targetID := fs.String("target-id", "", "only this target's id")
			outcome := fs.String("outcome", "", "success, denied or failed")
			since := fs.String("since", "", "only events at or after this RFC 3339 time")
			until := fs.String("until", "", "only events before this RFC 3339 time")
			return func(ctx context.Context, c *cli, _ []string) error {
				if err := oneOf("outcome", *outcome, "success", "denied", "failed"); err != nil {
					return err
				}
				q := apiclient.AuditQuery{ListOptions: l.options(), UserID: *user, Action: *act, TargetType: *targetType,
					TargetID: *targetID, Outcome: portico.Outcome(*outcome)}
				var err error
				if q.Since, err = parseTimeFlag("since", *since); err != nil {
					return err
				}
				if q.Until, err = parseTimeFlag("until", *until); err != nil {
					return err
				}
				items, err := collect(&l, c.api.AllAuditEvents(ctx, q))
				if err != nil {
					return err
				}
				return writeList(c, items, auditColumns)
			}
		}},
		{name: "export", summary: "Write audit events as JSON lines (one event per line, as the API answers them), oldest first, for a SIEM or an archive", setup: func(fs *flag.FlagSet) action {
			user := fs.String("user", "", "only this actor's id")
			act := fs.String("action", "", "only this action, such as user.create")
			outcome := fs.String("outcome", "", "success, denied or failed")
			since := fs.String("since", "", "only events at or after this RFC 3339 time")
			until := fs.String("until", "", "only events before this RFC 3339 time")
			return func(ctx context.Context, c *cli, _ []string) error {
				if err := oneOf("outcome", *outcome, "success", "denied", "failed"); err != nil {
					return err
				}
				q := apiclient.AuditQuery{UserID: *user, Action: *act, Outcome: portico.Outcome(*outcome)}
				var err error
				if q.Since, err = parseTimeFlag("since", *since); err != nil {
					return err
				}
				if q.Until, err = parseTimeFlag("until", *until); err != nil {
					return err
				}
				body, err := c.api.ExportAuditEvents(ctx, q)
				if err != nil {
					return err
				}
				defer body.Close()
				// The lines go out as the server sends them: the export may be larger than memory.
				if _, err := io.Copy(c.stdout, body); err != nil {
					return fmt.Errorf("export the audit log: %w", err)
				}
				return nil
			}
		}},
		{name: "verify", summary: "Check the audit log's hash chain through the API (with --server; with --data or --database-url: every account's, in the database); exits 3 if it is broken", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				v, err := c.api.VerifyAuditLog(ctx)
				if err != nil {
					return err
				}
				if c.output == "json" {
					if err := c.writeJSON(v); err != nil {
						return err
					}
				} else if v.Problem != nil {
					fmt.Fprintf(c.stdout, "BROKEN at entry %d (%s): %s\n", v.Problem.Seq, v.Problem.EventID, v.Problem.Reason)
				} else {
					fmt.Fprintf(c.stdout, "ok, %d entries\n", v.Entries)
				}
				if !v.OK {
					return exitCode(3) // as the offline check does
				}
				return nil
			}
		}},
	}}
}

// auditVerifyAsksServer reports whether `audit verify` was given --server, which asks the API
// rather than the database (--data, --database-url) as it always has.
func auditVerifyAsksServer(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if strings.HasPrefix(a, "-") && name == "server" {
			return true
		}
	}
	return false
}
