package portico

import (
	"time"
)

// Account is a tenant. Everything belongs to exactly one account.
type Account struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	CreatedAt time.Time       `json:"created_at"`
	Settings  AccountSettings `json:"settings"`
}

// AccountSettings are the account-wide settings and plan limits.
type AccountSettings struct {
	Require2FA bool `json:"require_2fa"`
	// IdleTimeoutMinutes signs a portal session out after this much inactivity (warning 2 minutes before).
	IdleTimeoutMinutes int `json:"idle_timeout_minutes"`
	// InstallerGroupAssignment lets enrollment tokens place devices straight into a device group.
	InstallerGroupAssignment bool `json:"installer_group_assignment"`
	// ManagedLicences is how many devices may be outside Unassigned at once.
	ManagedLicences int `json:"managed_licences"`
	// SeatLimit is how many activated, active technicians (besides the owner) the plan allows.
	SeatLimit int `json:"seat_limit"`
	// TechnicianDisplayName is shown at the agent in place of the technician's own name when set.
	TechnicianDisplayName string `json:"technician_display_name"`
	PasswordMinLength     int    `json:"password_min_length"`
	// OnDemandSeats is how many technicians may be in on-demand sessions at once.
	OnDemandSeats int `json:"on_demand_seats"`
}

// DefaultAccountSettings are the settings of a new account.
func DefaultAccountSettings() AccountSettings {
	return AccountSettings{
		IdleTimeoutMinutes: 15,
		ManagedLicences:    100,
		SeatLimit:          25,
		PasswordMinLength:  10,
		OnDemandSeats:      5,
	}
}

// Validate checks the settings.
func (s AccountSettings) Validate(v *Validation) {
	if s.IdleTimeoutMinutes < 3 || s.IdleTimeoutMinutes > 24*60 {
		v.Add("idle_timeout_minutes", "must be between 3 and 1440")
	}
	if s.ManagedLicences < 0 {
		v.Add("managed_licences", "must not be negative")
	}
	if s.SeatLimit < 0 {
		v.Add("seat_limit", "must not be negative")
	}
	if s.OnDemandSeats < 0 {
		v.Add("on_demand_seats", "must not be negative")
	}
	validateOptionalName(v, "technician_display_name", s.TechnicianDisplayName, 100)
	if s.PasswordMinLength < 8 || s.PasswordMinLength > 128 {
		v.Add("password_min_length", "must be between 8 and 128")
	}
}

// ValidateAccountName checks a company name.
func ValidateAccountName(v *Validation, field, name string) {
	ValidateName(v, field, name, 100)
}
