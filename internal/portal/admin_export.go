package portal

import (
	"mime"
	"net/http"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/export"
)

// exportUsers sends the filtered user list as CSV or PDF, with the columns of the page.
func (q *request) exportUsers(f portico.UserFilter, format string) error {
	users, err := q.p.app.ListUsers(q.ctx, q.actor, f)
	if err != nil {
		return err
	}
	tr := func(key string, args ...any) string { return q.p.locales.text(q.lang, key, args...) }
	t := export.Table{Title: tr("menu.users"), Columns: []string{tr("admin.users.name"), tr("admin.users.email"),
		tr("admin.users.state"), tr("admin.users.status"), tr("admin.users.disabled_reason"), tr("admin.users.created"),
		tr("admin.users.activated")}}
	for _, u := range users {
		reason := ""
		if u.DisabledReason != "" {
			reason = tr("admin.reason." + string(u.DisabledReason))
		}
		status := ""
		if u.State == portico.StateActivated {
			status = tr("admin.status." + string(u.Status))
		}
		t.Rows = append(t.Rows, []string{u.Name, u.Email, tr("admin.state." + string(u.State)), status, reason,
			formatDate(q.lang, u.CreatedAt, false), formatTime(q, u.ActivatedAt, false)})
	}
	return q.sendTable(t, format)
}

// exportAudit sends audit entries as CSV or PDF.
func (q *request) exportAudit(evs []portico.AuditEvent, format string) error {
	tr := func(key string, args ...any) string { return q.p.locales.text(q.lang, key, args...) }
	t := export.Table{Title: tr("menu.audit"), Columns: []string{tr("admin.audit.seq"), tr("admin.audit.at"),
		tr("admin.audit.actor"), tr("admin.audit.action"), tr("admin.audit.target"), tr("admin.audit.outcome"),
		tr("admin.audit.source_ip"), tr("admin.audit.detail")}}
	for _, e := range evs {
		actor := e.ActorName
		if actor == "" {
			actor = e.ActorType
		}
		target := e.TargetType
		if e.TargetID != "" {
			target += " " + e.TargetID
		}
		action := e.Action.Title(q.lang)
		if action != string(e.Action) {
			action += " (" + string(e.Action) + ")"
		}
		t.Rows = append(t.Rows, []string{q.p.locales.number(q.lang, e.Seq), formatDate(q.lang, e.At, false), actor, action,
			target, tr("admin.outcome." + string(e.Outcome)), e.SourceIP, e.Detail})
	}
	return q.sendTable(t, format)
}

// exportAuditLines streams the audit entries f selects, those whose action begins with prefix, as
// JSON Lines: each entry as the API's audit events give it, for a SIEM or an archive. Unlike the CSV
// and PDF exports it holds no more than a page of entries, so it has no limit.
func (q *request) exportAuditLines(f portico.AuditFilter, prefix string) error {
	events, err := q.p.app.ExportAudit(q.ctx, q.actor, f)
	if err != nil {
		return err
	}
	matching := func(yield func(portico.AuditEvent, error) bool) {
		for e, err := range events {
			if err == nil && !strings.HasPrefix(string(e.Action), prefix) {
				continue
			}
			if !yield(e, err) {
				return
			}
		}
	}
	name := export.Filename(export.Table{Title: q.p.locales.text(q.lang, "menu.audit"), Generated: time.Now()}, "jsonl")
	h := q.w.Header()
	h.Set("Content-Type", export.JSONLinesType)
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	h.Set("Cache-Control", "no-store")
	q.w.WriteHeader(http.StatusOK)
	if err := export.JSONLines(q.w, matching); err != nil {
		q.p.log.Info("export not delivered", "path", q.r.URL.Path, "err", err)
		// Abort rather than end the answer normally, so that the browser reports a failed download
		// instead of keeping a file that looks complete.
		panic(http.ErrAbortHandler)
	}
	return nil
}
