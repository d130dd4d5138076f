package app

import (
	"context"
	"fmt"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// Licences are the plan's limits and their use, as the dashboard shows them.
type Licences struct {
	// ManagedUsed counts the devices outside Unassigned; ManagedLimit is the plan's managed-agent licences.
	ManagedUsed  int `json:"managed_used"`
	ManagedLimit int `json:"managed_limit"`
	// SeatsUsed counts the activated, active technicians besides the owner; SeatsLimit is the plan's seats.
	SeatsUsed  int `json:"seats_used"`
	SeatsLimit int `json:"seats_limit"`
}

// GetLicences returns the licence figures (account.view or billing.view).
func (a *App) GetLicences(ctx context.Context, ac *Actor) (*Licences, error) {
	if !a.can(ctx, ac, portico.PermAccountView, authz.Account()) {
		if err := a.authorize(ctx, ac, portico.ActionLicencesView, portico.PermBillingView, authz.Account()); err != nil {
			return nil, err
		}
	}
	acc, err := a.store.GetAccount(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("licences: %w", err)
	}
	managed, err := a.store.CountLicensedDevices(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("licences: %w", err)
	}
	seats, err := a.store.CountActiveTechnicians(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("licences: %w", err)
	}
	return &Licences{ManagedUsed: managed, ManagedLimit: acc.Settings.ManagedLicences,
		SeatsUsed: seats, SeatsLimit: acc.Settings.SeatLimit}, nil
}
