package app

import (
	"fmt"
	"testing"

	"github.com/portico-dev/portico"
)

// TestExportAudit reads a log longer than two pages while it grows: every matching entry once, newest
// first, none appended after the export began. A right revoked between pages stops the export with
// the refusal, which is audited.
func TestExportAudit(t *testing.T) {
	e := newEnv(t)
	appendDenied := func(n int) {
		for i := range n {
			ev := &portico.AuditEvent{AccountID: e.acc.Account.ID, At: e.now, ActorType: "user", ActorID: e.owner.UserID,
				Action: portico.ActionDeviceView, TargetType: "device", TargetID: "dev_x", Outcome: portico.OutcomeDenied,
				Detail: fmt.Sprint("filler ", i)}
			if err := e.a.store.AppendAudit(e.ctx, ev); err != nil {
				t.Fatal(err)
			}
		}
	}
	appendDenied(2*auditExportPage + 10)
	f := portico.AuditFilter{Action: portico.ActionDeviceView, Page: portico.Page{Limit: 3}} // the page is ignored
	total, err := e.a.store.CountAudit(e.ctx, e.acc.Account.ID, f)
	if err != nil {
		t.Fatal(err)
	}
	events, err := e.a.ExportAudit(e.ctx, e.owner, f)
	if err != nil {
		t.Fatal(err)
	}
	var seqs []int64
	for ev, err := range events {
		if err != nil {
			t.Fatal(err)
		}
		if len(seqs) == 10 {
			appendDenied(5)
		}
		if ev.Action != portico.ActionDeviceView {
			t.Fatalf("the export holds %s, outside its filter", ev.Action)
		}
		if len(seqs) > 0 && ev.Seq >= seqs[len(seqs)-1] {
			t.Fatalf("entry %d after entry %d: want each once, newest first", ev.Seq, seqs[len(seqs)-1])
		}
		seqs = append(seqs, ev.Seq)
	}
	if len(seqs) != total {
		t.Fatalf("exported %d entries, want the %d there were when it began", len(seqs), total)
	}

	reader := e.user("reader@example.test", grant{roleID: e.role("Log reader", portico.PermAuditView), scopeType: portico.ScopeTypeAccount})
	nobody := e.user("nobody@example.test")
	if _, err := e.a.ExportAudit(e.ctx, nobody, portico.AuditFilter{}); !portico.IsKind(err, portico.KindForbidden) {
		t.Fatalf("export without audit.view: %v", err)
	}
	events, err = e.a.ExportAudit(e.ctx, reader, portico.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	read := 0
	var stop error
	for _, err := range events {
		if err != nil {
			stop = err
			break
		}
		if read++; read == 1 {
			as, err := e.a.ListAssignments(e.ctx, e.owner, portico.AssignmentFilter{PrincipalID: reader.UserID})
			if err != nil || len(as) != 1 {
				t.Fatalf("the reader's assignments: %v, %v", as, err)
			}
			if err := e.a.DeleteAssignment(e.ctx, e.owner, as[0].ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if read != auditExportPage || !portico.IsKind(stop, portico.KindForbidden) {
		t.Fatalf("after the revocation: read %d entries, then %v; want one page, then a refusal", read, stop)
	}
	denied, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{ActorID: reader.UserID,
		Action: portico.ActionAuditExport, Outcome: portico.OutcomeDenied})
	if err != nil || len(denied) != 1 {
		t.Fatalf("the stopped export's audit entries: %+v, %v", denied, err)
	}
}
