package app

import (
	"context"
	"iter"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// ListAudit lists audit events, newest first (audit.view).
func (a *App) ListAudit(ctx context.Context, ac *Actor, f portico.AuditFilter) ([]portico.AuditEvent, error) {
	if err := a.authorize(ctx, ac, portico.ActionAuditList, portico.PermAuditView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.ListAudit(ctx, ac.AccountID, f)
}

// AuditPage returns one page of the audit events matching f and how many match in all (audit.view).
func (a *App) AuditPage(ctx context.Context, ac *Actor, f portico.AuditFilter) ([]portico.AuditEvent, int, error) {
	events, err := a.ListAudit(ctx, ac, f)
	if err != nil {
		return nil, 0, err
	}
	total, err := a.store.CountAudit(ctx, ac.AccountID, f)
	if err != nil {
		return nil, 0, err
	}
	return events, total, nil
}

// auditExportPage is how many events an export reads from the store at a time.
const auditExportPage = 500

// ExportAudit returns every audit event matching f, newest first, whatever f.Page says (audit.view).
// The events are read a page at a time as the sequence is consumed, so that exporting a long log
// holds one page in memory. The right is checked before each page: a revocation stops an export in
// progress, and the sequence then yields the refusal.
func (a *App) ExportAudit(ctx context.Context, ac *Actor, f portico.AuditFilter) (iter.Seq2[portico.AuditEvent, error], error) {
	if err := a.authorize(ctx, ac, portico.ActionAuditExport, portico.PermAuditView, authz.Account()); err != nil {
		return nil, err
	}
	f.Page = portico.Page{Limit: auditExportPage}
	return func(yield func(portico.AuditEvent, error) bool) {
		for {
			events, err := a.store.ListAudit(ctx, ac.AccountID, f)
			if err != nil {
				yield(portico.AuditEvent{}, err)
				return
			}
			for _, e := range events {
				if !yield(e, nil) {
					return
				}
			}
			if len(events) < auditExportPage {
				return
			}
			// The cursor is the last seq read rather than an offset, so that entries appended
			// meanwhile shift nothing.
			f.BeforeSeq = events[len(events)-1].Seq
			if err := a.authorize(ctx, ac, portico.ActionAuditExport, portico.PermAuditView, authz.Account()); err != nil {
				yield(portico.AuditEvent{}, err)
				return
			}
		}
	}, nil
}

// AuditVerification is the result of checking an account's audit chain.
type AuditVerification struct {
	OK      bool                  `json:"ok"`
	Checked int                   `json:"checked"`
	Problem *portico.ChainProblem `json:"problem,omitempty"`
}

// VerifyAudit checks the account's hash chain and names the first bad entry (audit.view).
func (a *App) VerifyAudit(ctx context.Context, ac *Actor) (*AuditVerification, error) {
	if err := a.authorize(ctx, ac, portico.ActionAuditVerify, portico.PermAuditView, authz.Account()); err != nil {
		return nil, err
	}
	p, n, err := a.store.VerifyAudit(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	return &AuditVerification{OK: p == nil, Checked: n, Problem: p}, nil
}
