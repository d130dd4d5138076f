package portal

import (
	"bufio"
	"context"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestAdminAuditShowsTitles: the audit log shows each action by its title in the user's language, its
// id beneath, and its action filter lists the catalogue by title, in the language's alphabetical order.
func TestAdminAuditShowsTitles(t *testing.T) {
	e := newTestEnv(t)
	adminGroup(t, e, "Madrid")
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.get("/audit")
	wantStatus(t, "audit", code, http.StatusOK, body)
	for _, want := range []string{"Device group created <code>device_group.create</code>",
		`<option value="device_group.create" >Device group created</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the English page lacks %q", want)
		}
	}

	b.post("/preferences", url.Values{"lang": {"de"}})
	_, body, _ = b.get("/audit")
	for _, want := range []string{"Gerätegruppe erstellt <code>device_group.create</code>",
		`<option value="device_group.create" >Gerätegruppe erstellt</option>`} {
		if !strings.Contains(body, want) {
			t.Errorf("the German page lacks %q", want)
		}
	}
	// German order puts Ä with A, where byte order would put it after Z.
	if a, z := strings.Index(body, ">Änderung (Rechte inzwischen geändert)<"), strings.Index(body, ">Zuweisungsregel erstellt<"); a < 0 || z < 0 || a > z {
		t.Errorf("the action filter is not in German alphabetical order (Änderung at %d, Zuweisungsregel at %d)", a, z)
	}
	_, body, _ = b.get("/audit?action=device_group.create")
	if !strings.Contains(body, `<option value="device_group.create" selected>`) || strings.Contains(body, "<code>account.create</code>") {
		t.Errorf("filtered by device_group.create:\n%s", body)
	}
	_, body, _ = b.get("/audit?action=device_group.")
	if !strings.Contains(body, `<option value="device_group." selected>Beginnend mit „device_group.“</option>`) ||
		!strings.Contains(body, "<code>device_group.create</code>") {
		t.Errorf("filtered by the prefix device_group.:\n%s", body)
	}
	_, body, h := b.get("/audit?format=csv")
	if !strings.Contains(body, "Gerätegruppe erstellt (device_group.create)") {
		t.Errorf("the CSV export lacks the action's title and id: %s\n%s", h.Get("Content-Type"), body)
	}
}

// auditLines fetches the audit page's JSON Lines export and decodes it.
func auditLines(t *testing.T, b *browser, query string) []portico.AuditEvent {
	t.Helper()
	res, err := b.c.Get(b.base + "/audit?" + query)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK || res.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("jsonl export ?%s: %d %s", query, res.StatusCode, res.Header.Get("Content-Type"))
	}
	if _, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || !strings.HasSuffix(params["filename"], ".jsonl") {
		t.Errorf("jsonl export: Content-Disposition %q", res.Header.Get("Content-Disposition"))
	}
	var out []portico.AuditEvent
	sc := bufio.NewScanner(res.Body)
	for sc.Scan() {
		var ev portico.AuditEvent
		dec := json.NewDecoder(strings.NewReader(sc.Text()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %d is not an audit event: %v\n%s", len(out)+1, err, sc.Text())
		}
		if _, ok := portico.LookupAuditAction(ev.Action); !ok {
			t.Errorf("line %d: %q is not an action of the catalogue", len(out)+1, ev.Action)
		}
		out = append(out, ev)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestAdminAuditJSONLines: the audit page exports, as JSON Lines, the entries its filters select and
// only the account's own; whoever may not see the log gets no export.
func TestAdminAuditJSONLines(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	adminGroup(t, e, "Madrid")
	adminGroup(t, e, "Lisbon")
	b := e.browser()
	b.signIn("owner@example.test")

	all := auditLines(t, b, "format=jsonl")
	stored, err := e.app.ListAudit(ctx, e.owner, portico.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(stored) {
		t.Fatalf("the export has %d entries, the log %d", len(all), len(stored))
	}
	for i := range all {
		if all[i].ID != stored[i].ID || all[i].Hash != stored[i].Hash || all[i].AccountID != e.acc.Account.ID {
			t.Fatalf("entry %d: exported %+v, stored %+v", i+1, all[i], stored[i])
		}
	}
	for query, want := range map[string]func(portico.AuditEvent) bool{
		"format=jsonl&action=device_group.create": func(ev portico.AuditEvent) bool { return ev.Action == portico.ActionDeviceGroupCreate },
		"format=jsonl&action=device_group.":       func(ev portico.AuditEvent) bool { return strings.HasPrefix(string(ev.Action), "device_group.") },
		"format=jsonl&outcome=success&actor=" + e.owner.UserID: func(ev portico.AuditEvent) bool {
			return ev.Outcome == portico.OutcomeSuccess && ev.ActorID == e.owner.UserID
		},
	} {
		got := auditLines(t, b, query)
		if len(got) < 2 {
			t.Errorf("?%s: %d entries", query, len(got))
		}
		for _, ev := range got {
			if !want(ev) {
				t.Errorf("?%s exports %s %s by %s", query, ev.Action, ev.Outcome, ev.ActorID)
			}
		}
	}

	// Another account's owner exports only their own log.
	if _, err := e.app.CreateAccount(ctx, app.NewAccount{Company: "Other Ltd", OwnerEmail: "other@example.test",
		OwnerName: "Otto Other", OwnerPassword: testPassword}); err != nil {
		t.Fatal(err)
	}
	ob := e.browser()
	ob.signIn("other@example.test")
	for _, ev := range auditLines(t, ob, "format=jsonl") {
		if ev.AccountID == e.acc.Account.ID {
			t.Fatalf("the other account exports %s of this one", ev.ID)
		}
	}

	adminUserWithRole(t, e, "viewer@example.test", portico.PurposeAdministration, portico.PermUsersView)
	vb := e.browser()
	vb.signIn("viewer@example.test")
	if code, body, h := vb.get("/audit?format=jsonl"); code != http.StatusForbidden || h.Get("Content-Type") == "application/x-ndjson" {
		t.Fatalf("export without audit.view: %d %s\n%s", code, h.Get("Content-Type"), body)
	}
}
