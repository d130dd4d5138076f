package portal

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// adminAuditPageSize is how many entries one page of the audit log shows.
const adminAuditPageSize = 50

// adminAuditScanLimit bounds how many entries an action-prefix search reads, so that a search over
// a huge log stays quick (the store filters exact actions itself).
const adminAuditScanLimit = 20000

// adminAuditExportLimit is the most entries one export holds.
const adminAuditExportLimit = 10000

// adminAuditPage is the audit log with its filters, one page of entries and the chain's state.
type adminAuditPage struct {
	Events  []portico.AuditEvent
	Filters adminAuditFilters
	// Actions are the catalogue's actions for the action filter, by title in the user's language.
	Actions []auditActionOption
	// ActionPrefix is an action filter that names no action of the catalogue: it keeps the actions
	// that begin with it ("user." finds every user action).
	ActionPrefix string
	Page         int
	HasNext      bool
	// PrevPage and NextPage are the neighbouring page numbers, for the pager's links.
	PrevPage, NextPage int
	// Query is the filters as a query string, for paging and export links.
	Query  string
	Verify *app.AuditVerification
	Users  []portico.User
	// BadDate names a date filter that did not parse.
	BadDate string
	// FilterErrors say which filters could not be used, and why, in the user's language.
	FilterErrors []string
}

// auditActionOption is one action of the action filter.
type auditActionOption struct {
	ID    portico.AuditAction
	Title string
}

// auditActionOptions lists the catalogue's actions sorted by their titles in lang.
func auditActionOptions(lang string) []auditActionOption {
	var out []auditActionOption
	for _, a := range portico.AuditActions() {
		out = append(out, auditActionOption{a.ID, a.TitleIn(lang)})
	}
	c := collate.New(language.Make(lang))
	slices.SortFunc(out, func(a, b auditActionOption) int { return c.CompareString(a.Title, b.Title) })
	return out
}

// adminAuditFilters are the filters as typed.
type adminAuditFilters struct {
	Actor   string
	Action  string
	Target  string
	Outcome string
	From    string
	To      string
}

// adminAuditQuery reads the filters and returns them with the action prefix to filter on, if any:
// an action of the catalogue is matched exactly, anything else as the beginning of one ("user." finds
// every user action).
func (q *request) adminAuditQuery(pg *adminAuditPage) (portico.AuditFilter, string) {
	v := q.r.URL.Query()
	f := adminAuditFilters{Actor: v.Get("actor"), Action: strings.TrimSpace(v.Get("action")),
		Target: strings.TrimSpace(v.Get("target")), Outcome: v.Get("outcome"), From: v.Get("from"), To: v.Get("to")}
	pg.Filters = f
	sf := portico.AuditFilter{ActorID: f.Actor, TargetID: f.Target}
	if _, ok := portico.LookupAuditAction(portico.AuditAction(f.Action)); ok {
		sf.Action = portico.AuditAction(f.Action)
	} else {
		pg.ActionPrefix = f.Action
	}
	switch portico.Outcome(f.Outcome) {
	case portico.OutcomeSuccess, portico.OutcomeDenied, portico.OutcomeFailed:
		sf.Outcome = portico.Outcome(f.Outcome)
	case "":
	default:
		pg.Filters.Outcome = ""
		pg.FilterErrors = append(pg.FilterErrors, q.p.locales.text(q.lang, "admin.audit.bad_outcome",
			q.p.locales.text(q.lang, "admin.audit.outcome"), f.Outcome))
	}
	if f.From != "" {
		if t, err := time.ParseInLocation("2006-01-02", f.From, time.Local); err == nil {
			sf.Since = &t
		} else {
			pg.BadDate = "from"
			pg.FilterErrors = append(pg.FilterErrors, q.p.locales.text(q.lang, "admin.audit.bad_date",
				q.p.locales.text(q.lang, "admin.audit.from")))
		}
	}
	if f.To != "" {
		if t, err := time.ParseInLocation("2006-01-02", f.To, time.Local); err == nil {
			end := t.AddDate(0, 0, 1) // the whole day "to" names
			sf.Until = &end
		} else {
			pg.BadDate = "to"
			pg.FilterErrors = append(pg.FilterErrors, q.p.locales.text(q.lang, "admin.audit.bad_date",
				q.p.locales.text(q.lang, "admin.audit.to")))
		}
	}
	if sf.Since != nil && sf.Until != nil && !sf.Since.Before(*sf.Until) {
		pg.BadDate = "to"
		pg.FilterErrors = append(pg.FilterErrors, q.p.locales.text(q.lang, "admin.audit.bad_range",
			q.p.locales.text(q.lang, "admin.audit.from"), f.From, q.p.locales.text(q.lang, "admin.audit.to"), f.To))
	}
	qv := url.Values{}
	for k, val := range map[string]string{"actor": pg.Filters.Actor, "action": f.Action, "target": f.Target,
		"outcome": pg.Filters.Outcome, "from": f.From, "to": f.To} {
		if val != "" {
			qv.Set(k, val)
		}
	}
	pg.Query = qv.Encode()
	return sf, pg.ActionPrefix
}

// adminAuditEvents returns up to limit entries after skipping offset, keeping only actions that
// start with prefix. Without a prefix the store pages itself; with one, pages are read and filtered
// here, up to adminAuditScanLimit entries.
func (q *request) adminAuditEvents(f portico.AuditFilter, prefix string, offset, limit int) ([]portico.AuditEvent, error) {
	if prefix == "" {
		f.Page = portico.Page{Limit: limit, Offset: offset}
		return q.p.app.ListAudit(q.ctx, q.actor, f)
	}
	const chunk = 500
	var out []portico.AuditEvent
	skipped := 0
	for read := 0; read < adminAuditScanLimit; read += chunk {
		f.Page = portico.Page{Limit: chunk, Offset: read}
		evs, err := q.p.app.ListAudit(q.ctx, q.actor, f)
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			if !strings.HasPrefix(string(e.Action), prefix) {
				continue
			}
			if skipped < offset {
				skipped++
				continue
			}
			out = append(out, e)
			if len(out) == limit {
				return out, nil
			}
		}
		if len(evs) < chunk {
			break
		}
	}
	return out, nil
}

func (q *request) auditPage() error {
	q.active = "audit"
	q.crumb(q.p.locales.text(q.lang, "menu.audit"), "")
	pg := &adminAuditPage{}
	f, prefix := q.adminAuditQuery(pg)
	switch format := q.exportFormat(); format {
	case "":
	case "jsonl":
		return q.exportAuditLines(f, prefix)
	default:
		evs, err := q.adminAuditEvents(f, prefix, 0, adminAuditExportLimit)
		if err != nil {
			return err
		}
		return q.exportAudit(evs, format)
	}
	pg.Actions = auditActionOptions(q.lang)
	pg.Page, _ = strconv.Atoi(q.r.URL.Query().Get("page"))
	if pg.Page < 1 {
		pg.Page = 1
	}
	evs, err := q.adminAuditEvents(f, prefix, (pg.Page-1)*adminAuditPageSize, adminAuditPageSize+1)
	if err != nil {
		return err
	}
	if len(evs) > adminAuditPageSize {
		pg.HasNext, evs = true, evs[:adminAuditPageSize]
	}
	pg.Events, pg.PrevPage, pg.NextPage = evs, pg.Page-1, pg.Page+1
	if pg.Verify, err = q.p.app.VerifyAudit(q.ctx, q.actor); err != nil {
		return err
	}
	if q.can(portico.PermUsersView) {
		if pg.Users, err = q.p.app.ListUsers(q.ctx, q.actor, portico.UserFilter{}); err != nil {
			return err
		}
	}
	status := http.StatusOK
	if len(pg.FilterErrors) > 0 {
		status = http.StatusUnprocessableEntity
	}
	return q.render(status, "admin/audit", pg)
}
