package portico

import "time"

// PrincipalType says who an assignment gives rights to.
type PrincipalType string

// Principal types.
const (
	PrincipalUser      PrincipalType = "user"
	PrincipalUserGroup PrincipalType = "user_group"
)

// ScopeType says where an assignment applies.
type ScopeType string

// Assignment scopes.
const (
	ScopeTypeAccount     ScopeType = "account"
	ScopeTypeDeviceGroup ScopeType = "device_group"
	ScopeTypeDevice      ScopeType = "device"
	ScopeTypeSection     ScopeType = "section"
)

// Sections that can be assigned a role.
const (
	SectionOnDemand = "on_demand"
	SectionTeam     = "team"
)

// Assignment gives a principal a role at a scope, optionally until a time.
type Assignment struct {
	ID            string        `json:"id"`
	AccountID     string        `json:"account_id"`
	PrincipalType PrincipalType `json:"principal_type"`
	PrincipalID   string        `json:"principal_id"`
	RoleID        string        `json:"role_id"`
	ScopeType     ScopeType     `json:"scope_type"`
	// ScopeID is the device group, device or section; empty for the account.
	ScopeID   string     `json:"scope_id,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
}

// ActiveAt reports whether the assignment has not expired at t.
func (a *Assignment) ActiveAt(t time.Time) bool { return a.ExpiresAt == nil || t.Before(*a.ExpiresAt) }

// ValidateShape checks the fields that need no lookup (the referenced objects are checked by the
// caller, inside the transaction that stores the assignment).
func (a *Assignment) ValidateShape(v *Validation, now time.Time) {
	switch a.PrincipalType {
	case PrincipalUser, PrincipalUserGroup:
	default:
		v.Add("principal_type", "must be user or user_group")
	}
	if a.PrincipalID == "" {
		v.Add("principal_id", "is required")
	}
	if a.RoleID == "" {
		v.Add("role_id", "is required")
	}
	switch a.ScopeType {
	case ScopeTypeAccount:
		if a.ScopeID != "" {
			v.Add("scope_id", "must be empty for an account-level assignment")
		}
	case ScopeTypeDeviceGroup, ScopeTypeDevice:
		if a.ScopeID == "" {
			v.Add("scope_id", "is required for scope_type %s", a.ScopeType)
		}
	case ScopeTypeSection:
		if a.ScopeID != SectionOnDemand && a.ScopeID != SectionTeam {
			v.Add("scope_id", "must be on_demand or team for a section")
		}
	default:
		v.Add("scope_type", "must be account, device_group, device or section")
	}
	if a.ExpiresAt != nil && !a.ExpiresAt.After(now) {
		v.Add("expires_at", "must be in the future")
	}
}
