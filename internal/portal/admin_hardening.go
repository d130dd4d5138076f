package portal

import (
	"fmt"
	"net/http"
	"sort"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// holdForAllowlist refuses, with an error page, a signed-in user whose address is outside the
// account's IP allow list; it reports whether it answered. The portal's request wrapper calls it for
// every route that is not public, before any other gate.
func (q *request) holdForAllowlist() bool {
	if q.actor == nil {
		return false
	}
	if err := q.p.app.IPAllowlistGate(q.ctx, q.actor); err != nil {
		q.fail(err)
		return true
	}
	return false
}

// hardeningAllowlistPage is the IP allow list page: one network per line, a description after it.
type hardeningAllowlistPage struct {
	adminForm
	List *app.IPAllowlist
	// Text is what the box shows: the stored list, or the posted text after a refusal.
	Text string
	// Lockout is set when the posted list would refuse the user's own address.
	Lockout bool
	Saved   bool
}

func (q *request) ipAllowlistPage() error {
	list, err := q.p.app.GetIPAllowlist(q.ctx, q.actor)
	if err != nil {
		return err
	}
	return q.renderAllowlist(http.StatusOK, &hardeningAllowlistPage{List: list, Text: hardeningAllowlistText(list.Entries),
		adminForm: adminForm{Errors: map[string]string{}}, Saved: q.r.URL.Query().Get("saved") == "1"})
}

func (q *request) renderAllowlist(status int, pg *hardeningAllowlistPage) error {
	q.active = "settings"
	q.crumb(q.p.locales.text(q.lang, "menu.settings"), "/settings")
	q.crumb(q.p.locales.text(q.lang, "hardening.allowlist.title"), "")
	return q.render(status, "admin/ip-allowlist", pg)
}

func (q *request) saveIPAllowlist() error {
	text := q.r.PostFormValue("entries")
	in := app.IPAllowlistUpdate{Entries: hardeningParseAllowlist(text), IUnderstand: q.r.PostFormValue("i_understand") == "on"}
	if _, err := q.p.app.SetIPAllowlist(q.ctx, q.actor, in); err != nil {
		form, err := adminFormError(err)
		if err != nil {
			return err
		}
		list, lerr := q.p.app.GetIPAllowlist(q.ctx, q.actor)
		if lerr != nil {
			return lerr
		}
		pg := &hardeningAllowlistPage{adminForm: form, List: list, Text: text}
		// Field messages name the line; the box shows them all together. The lock-out warning (a
		// message about the whole list, which the app words for the API's i_understand field) is
		// worded here for the page's checkbox.
		var msgs []string
		for field, msg := range form.Errors {
			if field == "entries" && strings.Contains(msg, "lock you out") {
				pg.Lockout = true
				msg = q.p.locales.text(q.lang, "hardening.allowlist.lockout", list.YourAddress,
					q.p.locales.text(q.lang, "hardening.allowlist.i_understand"))
			}
			msgs = append(msgs, hardeningLineLabel(q, field)+msg)
		}
		sort.Strings(msgs)
		if len(msgs) > 0 {
			pg.Errors = map[string]string{"entries": strings.Join(msgs, "; ")}
		}
		return q.renderAllowlist(http.StatusUnprocessableEntity, pg)
	}
	return q.redirect("/settings/ip-allowlist?saved=1")
}

// hardeningLineLabel turns "entries[2].cidr" into "line 3: " in the user's language.
func hardeningLineLabel(q *request, field string) string {
	var n int
	if _, err := fmt.Sscanf(field, "entries[%d]", &n); err != nil {
		return ""
	}
	return q.p.locales.text(q.lang, "hardening.allowlist.line", n+1) + ": "
}

// hardeningParseAllowlist reads one network per line; the rest of the line is its description.
func hardeningParseAllowlist(text string) []portico.IPAllowEntry {
	var out []portico.IPAllowEntry
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		cidr, desc, _ := strings.Cut(line, " ")
		out = append(out, portico.IPAllowEntry{CIDR: cidr, Description: strings.TrimSpace(desc)})
	}
	return out
}

func hardeningAllowlistText(entries []portico.IPAllowEntry) string {
	var b strings.Builder
	for _, e := range entries {
		b.WriteString(e.CIDR)
		if e.Description != "" {
			b.WriteString(" " + e.Description)
		}
		b.WriteString("\n")
	}
	return b.String()
}
