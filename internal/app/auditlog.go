package app

import (
	"context"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// ListAudit lists audit events, newest first (audit.view).
func (a *App) ListAudit(ctx context.Context, ac *Actor, f portico.AuditFilter) ([]portico.AuditEvent, error) {
	if err := a.authorize(ctx, ac, "audit.list", portico.PermAuditView, authz.Account()); err != nil {
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

// AuditVerification is the result of checking an account's audit chain.
type AuditVerification struct {
	OK      bool                  `json:"ok"`
	Checked int                   `json:"checked"`
	Problem *portico.ChainProblem `json:"problem,omitempty"`
}

// VerifyAudit checks the account's hash chain and names the first bad entry (audit.view).
func (a *App) VerifyAudit(ctx context.Context, ac *Actor) (*AuditVerification, error) {
	if err := a.authorize(ctx, ac, "audit.verify", portico.PermAuditView, authz.Account()); err != nil {
		return nil, err
	}
	p, n, err := a.store.VerifyAudit(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	return &AuditVerification{OK: p == nil, Checked: n, Problem: p}, nil
}
