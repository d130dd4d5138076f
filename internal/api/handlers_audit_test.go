package api_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"mime"
	"net/url"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// exportLines asks for the audit log's JSON Lines export and returns its lines.
func exportLines(t *testing.T, c *client, query string) [][]byte {
	t.Helper()
	res := c.Do("GET", "/api/v1/audit-events/export"+query, nil)
	if res.Status != 200 {
		t.Fatalf("export%s: %d %s", query, res.Status, res.Body)
	}
	if ct := res.Header.Get("Content-Type"); ct != "application/x-ndjson" {
		t.Errorf("export Content-Type %q", ct)
	}
	if _, params, err := mime.ParseMediaType(res.Header.Get("Content-Disposition")); err != nil || !strings.HasSuffix(params["filename"], ".jsonl") {
		t.Errorf("export Content-Disposition %q: want a .jsonl attachment", res.Header.Get("Content-Disposition"))
	}
	if len(res.Body) == 0 {
		return nil
	}
	if !bytes.HasSuffix(res.Body, []byte("\n")) {
		t.Errorf("the export does not end with a line end")
	}
	return bytes.Split(bytes.TrimSuffix(res.Body, []byte("\n")), []byte("\n"))
}

// listItems returns the list's answer for the query, each event exactly as the list wrote it.
func listItems(t *testing.T, c *client, query string) []json.RawMessage {
	t.Helper()
	res := c.Do("GET", "/api/v1/audit-events?limit=500&"+strings.TrimPrefix(query, "?"), nil)
	if res.Status != 200 {
		t.Fatalf("list %s: %d %s", query, res.Status, res.Body)
	}
	var page struct {
		Items []json.RawMessage `json:"items"`
	}
	res.Decode(t, &page)
	return page.Items
}

// lineHash recomputes an exported event's hash from its line alone, as docs/audit.md §3 says.
func lineHash(t *testing.T, line []byte) string {
	t.Helper()
	var m map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		t.Fatal(err)
	}
	s := func(k string) string { v, _ := m[k].(string); return v }
	content := struct {
		ID, AccountID                                             string
		Seq                                                       json.Number
		At, ActorType, ActorID, ActorName, Action                 string
		TargetType, TargetID, SourceIP, Detail, Outcome, PrevHash string
	}{s("id"), s("account_id"), m["seq"].(json.Number), s("at"), s("actor_type"), s("actor_id"), s("actor_name"), s("action"),
		s("target_type"), s("target_id"), s("source_ip"), s("detail"), s("outcome"), s("prev_hash")}
	b, err := json.Marshal(content)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// TestAuditExport: GET /api/v1/audit-events/export streams, one per line, exactly the events the list
// answers for the same filters and as the list writes them, each with an action of the catalogue and
// what it takes to check the hash chain; an account exports only its own log.
func TestAuditExport(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	nobody := e.signIn(e.activeUser(f, nil).Email)
	if res := nobody.Do("GET", "/api/v1/audit-events/export", nil); res.Status != 403 {
		t.Fatalf("export without audit.view: %d %s", res.Status, res.Body)
	} else if p := res.Problem(t); !strings.HasSuffix(p.Type, "/forbidden") {
		t.Fatalf("export without audit.view: %+v", p)
	}

	lines := exportLines(t, owner, "")
	items := listItems(t, owner, "")
	if len(lines) < 10 || len(lines) != len(items) {
		t.Fatalf("the export has %d lines, the list %d events", len(lines), len(items))
	}
	ids := map[string]bool{}
	for i, line := range lines {
		if !bytes.Equal(line, items[i]) {
			t.Errorf("line %d differs from the list's event:\n%s\n%s", i+1, line, items[i])
		}
		var ev portico.AuditEvent
		dec := json.NewDecoder(bytes.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %d is not an audit event: %v\n%s", i+1, err, line)
		}
		if _, ok := portico.LookupAuditAction(ev.Action); !ok {
			t.Errorf("line %d: action %q is not in the catalogue", i+1, ev.Action)
		}
		if ev.AccountID != f.acc.Account.ID {
			t.Errorf("line %d is of account %s", i+1, ev.AccountID)
		}
		if got := lineHash(t, line); got != ev.Hash {
			t.Errorf("line %d: its hash recomputed from the line is %s, not %s", i+1, got, ev.Hash)
		}
		// Newest first, and unfiltered: each line is chained to the next.
		if i+1 < len(lines) {
			var next portico.AuditEvent
			must(t, json.Unmarshal(lines[i+1], &next))
			if next.Seq != ev.Seq-1 || ev.PrevHash != next.Hash {
				t.Errorf("line %d (seq %d) is not chained to the next (seq %d)", i+1, ev.Seq, next.Seq)
			}
		} else if ev.Seq != 1 || ev.PrevHash != "" {
			t.Errorf("the last line is seq %d, prev_hash %q: want the first entry", ev.Seq, ev.PrevHash)
		}
		ids[ev.ID] = true
	}

	// The filters are the list's.
	for _, q := range []string{"?action=device_group.create&outcome=success", "?outcome=denied",
		"?user_id=" + f.acc.Owner.ID, "?target_type=device_group&target_id=" + f.group.ID} {
		lines := exportLines(t, owner, q)
		items := listItems(t, owner, q)
		if len(lines) == 0 || len(lines) != len(items) {
			t.Errorf("export%s: %d lines, the list %d events", q, len(lines), len(items))
			continue
		}
		for i := range lines {
			if !bytes.Equal(lines[i], items[i]) {
				t.Errorf("export%s line %d differs from the list's event", q, i+1)
			}
		}
	}
	var newest portico.AuditEvent
	must(t, json.Unmarshal(lines[0], &newest))
	since := url.QueryEscape(newest.At.Format("2006-01-02T15:04:05.999999999Z07:00"))
	if got := exportLines(t, owner, "?since="+since); len(got) == 0 || len(got) == len(lines) {
		t.Errorf("since the newest entry: %d lines of %d", len(got), len(lines))
	}
	if got := exportLines(t, owner, "?action=no.such_action"); len(got) != 0 {
		t.Errorf("an action nobody wrote: %d lines", len(got))
	}
	for _, q := range []string{"?outcome=bogus", "?since=yesterday"} {
		if res := owner.Do("GET", "/api/v1/audit-events/export"+q, nil); res.Status != 400 {
			t.Errorf("export%s: %d, want 400: %s", q, res.Status, res.Body)
		}
	}

	// A key narrowed to audit.view, as docs/audit.md suggests for a SIEM, exports the same.
	_, secret, err := e.app.CreateAPIKey(t.Context(), f.ownerAct, "SIEM", []portico.Permission{portico.PermAuditView})
	must(t, err)
	if got := exportLines(t, e.bearer(secret), "?action=device_group.create"); len(got) != 2 {
		t.Errorf("the SIEM key exports %d device_group.create lines, want 2", len(got))
	}

	// Another account's owner exports only their own account's log.
	other := exportLines(t, e.signIn(e.B.acc.Owner.Email), "")
	if len(other) == 0 {
		t.Fatal("the other account exports nothing")
	}
	for _, line := range other {
		var ev portico.AuditEvent
		must(t, json.Unmarshal(line, &ev))
		if ev.AccountID != e.B.acc.Account.ID || ids[ev.ID] {
			t.Fatalf("the other account's export holds %s of account %s", ev.ID, ev.AccountID)
		}
	}
}
