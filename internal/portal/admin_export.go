package portal

import (
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
		t.Rows = append(t.Rows, []string{q.p.locales.number(q.lang, e.Seq), formatDate(q.lang, e.At, false), actor, e.Action,
			target, tr("admin.outcome." + string(e.Outcome)), e.SourceIP, e.Detail})
	}
	return q.sendTable(t, format)
}
