package client

import (
	"encoding/json"
	"time"

	"github.com/portico-dev/portico"
)

// The API answers mostly with the root package's types (portico.User, portico.DeviceGroup…). The
// types here are the shapes that live in the server's own packages, written out again so that the
// client links no server code; TestShapesMatchOpenAPI holds their fields to the OpenAPI document.

// Me is the caller, their account and their effective account-level permissions.
type Me struct {
	User        *portico.User        `json:"user"`
	Account     *portico.Account     `json:"account"`
	Permissions []portico.Permission `json:"permissions"`
}

// Licences is the plan's usage: managed-agent licences and technician seats.
type Licences struct {
	ManagedUsed  int `json:"managed_used"`
	ManagedLimit int `json:"managed_limit"`
	SeatsUsed    int `json:"seats_used"`
	SeatsLimit   int `json:"seats_limit"`
}

// CreatedUser is a new (or re-invited) user with what is shown only now: the invitation link.
type CreatedUser struct {
	portico.User
	InvitationLink      string     `json:"invitation_link,omitempty"`
	InvitationID        string     `json:"invitation_id,omitempty"`
	InvitationExpiresAt *time.Time `json:"invitation_expires_at,omitempty"`
	// EmailStatus is sent, queued (EmailError says why; it is retried) or not_configured.
	EmailStatus string `json:"email_status,omitempty"`
	EmailError  string `json:"email_error,omitempty"`
}

// TwoFactorStatus is the caller's two-factor authentication.
type TwoFactorStatus struct {
	Enabled           bool       `json:"enabled"`
	Pending           bool       `json:"pending"`
	Required          bool       `json:"required"`
	RecoveryCodesLeft int        `json:"recovery_codes_left"`
	EnabledAt         *time.Time `json:"enabled_at,omitempty"`
}

// TwoFactorEnrolment is a new TOTP secret, not in force until confirmed.
type TwoFactorEnrolment struct {
	Secret string `json:"secret"`
	URL    string `json:"otpauth_url"`
	// QRCode is a PNG data URL of URL.
	QRCode string `json:"qr_code"`
}

// RecoveryCodes are single-use codes, shown once.
type RecoveryCodes struct {
	Codes []string `json:"recovery_codes"`
}

// DirectoryConfig configures directory import (LDAP / Active Directory), as PUT /api/v1/directory
// takes it.
type DirectoryConfig struct {
	// Kind is openldap or active_directory.
	Kind               string `json:"kind,omitempty"`
	URL                string `json:"url"`
	StartTLS           bool   `json:"start_tls,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
	BindDN             string `json:"bind_dn,omitempty"`
	// BindPassword, when nil, keeps the stored one; it is never read back.
	BindPassword  *string `json:"bind_password,omitempty"`
	BaseDN        string  `json:"base_dn"`
	UserFilter    string  `json:"user_filter,omitempty"`
	GroupFilter   string  `json:"group_filter,omitempty"`
	LoginAttr     string  `json:"login_attr,omitempty"`
	EmailAttr     string  `json:"email_attr,omitempty"`
	NameAttr      string  `json:"name_attr,omitempty"`
	GroupNameAttr string  `json:"group_name_attr,omitempty"`
	MemberAttr    string  `json:"member_attr,omitempty"`
	PageSize      int     `json:"page_size,omitempty"`
}

// DirectorySettings is the account's directory configuration (never the bind password).
type DirectorySettings struct {
	Kind               string `json:"kind"`
	URL                string `json:"url"`
	StartTLS           bool   `json:"start_tls"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify"`
	BindDN             string `json:"bind_dn"`
	BaseDN             string `json:"base_dn"`
	UserFilter         string `json:"user_filter"`
	GroupFilter        string `json:"group_filter"`
	LoginAttr          string `json:"login_attr"`
	EmailAttr          string `json:"email_attr"`
	NameAttr           string `json:"name_attr"`
	GroupNameAttr      string `json:"group_name_attr"`
	MemberAttr         string `json:"member_attr"`
	ComputerFilter     string `json:"computer_filter"`
	ComputerNameAttr   string `json:"computer_name_attr"`
	PageSize           int    `json:"page_size"`
	BindPasswordSet    bool   `json:"bind_password_set"`
	// Configured is false until a configuration has been saved.
	Configured bool `json:"configured"`
}

// DirectoryPlan is what an import would do, changing nothing.
type DirectoryPlan struct {
	UsersCreate     int                 `json:"users_create"`
	UsersUpdate     int                 `json:"users_update"`
	UsersUnchanged  int                 `json:"users_unchanged"`
	GroupsCreate    int                 `json:"groups_create"`
	GroupsUpdate    int                 `json:"groups_update"`
	GroupsUnchanged int                 `json:"groups_unchanged"`
	MembersAdd      int                 `json:"memberships_add"`
	MembersRemove   int                 `json:"memberships_remove"`
	SeatsFree       int                 `json:"seats_free"`
	BeyondSeats     int                 `json:"beyond_seats"`
	Removed         []DirectoryPlanItem `json:"removed"`
	Skipped         []DirectorySkip     `json:"skipped"`
	Sample          []DirectoryPlanItem `json:"sample"`
}

// DirectoryPlanItem is one change of a directory import.
type DirectoryPlanItem struct {
	// Action is create, update, link or unchanged; Kind is user or group.
	Action  string `json:"action"`
	Kind    string `json:"kind"`
	DN      string `json:"dn"`
	Name    string `json:"name"`
	Email   string `json:"email,omitempty"`
	Members int    `json:"members,omitempty"`
}

// DirectorySkip is a directory entry an import leaves out, and why.
type DirectorySkip struct {
	DN     string `json:"dn"`
	Reason string `json:"reason"`
}

// DirectoryJob is a directory import and its progress.
type DirectoryJob struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	StartedBy string `json:"started_by"`
	// State is running, succeeded or failed; Phase what a running job does now.
	State     string `json:"state"`
	Phase     string `json:"phase"`
	Processed int    `json:"processed"`
	Total     int    `json:"total"`
	// Result is the DirectoryPlan carried out, once the job succeeded.
	Result     json.RawMessage `json:"result,omitempty"`
	Error      string          `json:"error,omitempty"`
	CreatedAt  time.Time       `json:"created_at"`
	UpdatedAt  time.Time       `json:"updated_at"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// SSOConfig configures SAML single sign-on, as PUT /api/v1/sso takes it.
type SSOConfig struct {
	Enabled bool `json:"enabled"`
	// IdPMetadataURL, when set, is fetched; otherwise IdPMetadataXML is used.
	IdPMetadataURL string `json:"idp_metadata_url,omitempty"`
	IdPMetadataXML string `json:"idp_metadata_xml,omitempty"`
	EmailAttribute string `json:"email_attribute,omitempty"`
	Enforce        bool   `json:"enforce,omitempty"`
	CreateUsers    bool   `json:"create_users,omitempty"`
}

// SSOSettings is the account's SAML configuration and the service provider's side to give the IdP.
type SSOSettings struct {
	Enabled        bool       `json:"enabled"`
	IdPMetadataURL string     `json:"idp_metadata_url"`
	IdPMetadataXML string     `json:"idp_metadata_xml"`
	IdPEntityID    string     `json:"idp_entity_id"`
	EmailAttribute string     `json:"email_attribute"`
	Enforce        bool       `json:"enforce"`
	CreateUsers    bool       `json:"create_users"`
	SPEntityID     string     `json:"sp_entity_id"`
	SPMetadataURL  string     `json:"sp_metadata_url"`
	ACSURL         string     `json:"acs_url"`
	LoginURL       string     `json:"login_url"`
	SPCertificate  string     `json:"sp_certificate"`
	UpdatedAt      *time.Time `json:"updated_at,omitempty"`
}

// Grant is one role assignment that grants a permission on a target.
type Grant struct {
	AssignmentID   string                `json:"assignment_id"`
	PrincipalType  portico.PrincipalType `json:"principal_type"`
	PrincipalID    string                `json:"principal_id"`
	PrincipalName  string                `json:"principal_name"`
	ViaUserGroupID string                `json:"via_user_group_id,omitempty"`
	RoleID         string                `json:"role_id"`
	RoleName       string                `json:"role_name"`
	ScopeType      portico.ScopeType     `json:"scope_type"`
	ScopeID        string                `json:"scope_id,omitempty"`
	ScopeName      string                `json:"scope_name,omitempty"`
	// Path lists the device group ids from the assignment's group down to the target's group.
	Path      []string   `json:"path,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Explanation is an access decision with its reasons.
type Explanation struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// Message is a sentence for people.
	Message          string          `json:"message"`
	Grants           []Grant         `json:"grants"`
	Feature          portico.Feature `json:"feature,omitempty"`
	SettingGroupID   string          `json:"setting_group_id,omitempty"`
	SettingGroupName string          `json:"setting_group_name,omitempty"`
}

// WhoCanEntry is a user allowed a permission, with the grants that allow them.
type WhoCanEntry struct {
	UserID   string  `json:"user_id"`
	UserName string  `json:"user_name"`
	Email    string  `json:"email"`
	Owner    bool    `json:"owner"`
	Grants   []Grant `json:"grants"`
}

// DeviceGroupSettings are a group's own settings and the effective ones, with where each comes from.
type DeviceGroupSettings struct {
	GroupID   string                               `json:"group_id"`
	Own       portico.GroupSettings                `json:"own"`
	Effective map[portico.Feature]EffectiveSetting `json:"effective"`
}

// EffectiveSetting is a setting in force and the group it is inherited from ("" for the group itself
// or the default).
type EffectiveSetting struct {
	Enabled     bool   `json:"enabled"`
	FromGroupID string `json:"from_group_id,omitempty"`
}

// Device is a device as the caller sees it.
type Device struct {
	portico.Device
	Favourite bool   `json:"favourite"`
	GroupName string `json:"group_name"`
}

// Inventory is a device's latest hardware and software inventory, as its agent reported it.
type Inventory struct {
	DeviceID   string     `json:"device_id"`
	ReportedAt *time.Time `json:"reported_at,omitempty"`
	// Inventory is the agent's report (internal/protocol's Inventory).
	Inventory json.RawMessage `json:"inventory"`
}

// Session is a remote session, live or ended.
type Session struct {
	ID         string   `json:"id"`
	AccountID  string   `json:"account_id"`
	DeviceID   string   `json:"device_id"`
	DeviceName string   `json:"device_name"`
	UserID     string   `json:"user_id"`
	UserName   string   `json:"user_name"`
	Actions    []string `json:"actions"`
	// State is connecting, active or ended.
	State     string     `json:"state"`
	StartedAt time.Time  `json:"started_at"`
	EndedAt   *time.Time `json:"ended_at,omitempty"`
	EndedBy   string     `json:"ended_by,omitempty"`
	EndReason string     `json:"end_reason,omitempty"`
	NodeID    string     `json:"node_id,omitempty"`
	// OnDemand marks a session on an on-demand session's computer (DeviceID names the on-demand session).
	OnDemand  bool   `json:"on_demand,omitempty"`
	GroupID   string `json:"group_id,omitempty"`
	GroupName string `json:"group_name,omitempty"`
}

// DryRunMatch is a device in Unassigned that a rule would move, and where.
type DryRunMatch struct {
	DeviceID      string `json:"device_id"`
	DeviceName    string `json:"device_name"`
	RuleID        string `json:"rule_id"`
	RuleName      string `json:"rule_name"`
	TargetGroupID string `json:"target_group_id"`
}

// AppliedRules says how many devices the assignment rules moved out of Unassigned.
type AppliedRules struct {
	Moved int `json:"moved"`
}

// AuditVerification says whether the audit log's hash chain is intact.
type AuditVerification struct {
	OK bool `json:"ok"`
	// Entries counts the entries checked.
	Entries int                   `json:"entries"`
	Problem *portico.ChainProblem `json:"problem,omitempty"`
}

// CreatedAPIKey is a new API key with its secret, shown this once.
type CreatedAPIKey struct {
	portico.APIKey
	Secret string `json:"secret"`
}

// CreatedEnrollmentToken is a new enrollment token with its secret, shown this once.
type CreatedEnrollmentToken struct {
	portico.EnrollmentToken
	Secret string `json:"secret"`
}

// Enrollment is what enrolling a device answers: its id and the credential its agent connects with.
type Enrollment struct {
	DeviceID   string `json:"device_id"`
	Credential string `json:"credential"`
}

// IPAllowEntry is one network of the IP allow list.
type IPAllowEntry struct {
	CIDR        string `json:"cidr"`
	Description string `json:"description"`
}

// IPAllowlist is the account's IP allow list and the caller's address as the server sees it.
type IPAllowlist struct {
	Entries            []IPAllowEntry `json:"entries"`
	YourAddress        string         `json:"your_address"`
	YourAddressAllowed bool           `json:"your_address_allowed"`
}

// IPAllowlistUpdate replaces the IP allow list; one that excludes the caller needs IUnderstand.
type IPAllowlistUpdate struct {
	Entries     []IPAllowEntry `json:"entries"`
	IUnderstand bool           `json:"i_understand"`
}

// PasswordPolicy is what new passwords must be.
type PasswordPolicy struct {
	MinLength  int  `json:"min_length"`
	RequireMix bool `json:"require_mix"`
}

// LegalDocument is one version of the terms of service or the privacy policy: a text or a URL.
type LegalDocument struct {
	Version   string     `json:"version"`
	Text      string     `json:"text,omitempty"`
	URL       string     `json:"url,omitempty"`
	UpdatedAt *time.Time `json:"updated_at,omitempty"`
}

// Legal is the current legal documents and whether the caller accepted them.
type Legal struct {
	Terms      LegalDocument `json:"terms"`
	Privacy    LegalDocument `json:"privacy"`
	Required   bool          `json:"required"`
	Accepted   bool          `json:"accepted"`
	AcceptedAt *time.Time    `json:"accepted_at,omitempty"`
}

// LegalUpdate sets the current version of each legal document.
type LegalUpdate struct {
	Terms   LegalDocument `json:"terms"`
	Privacy LegalDocument `json:"privacy"`
}

// Branding is whether the account has a logo, and its type and size.
type Branding struct {
	HasLogo   bool   `json:"has_logo"`
	MediaType string `json:"media_type,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	Bytes     int    `json:"bytes,omitempty"`
}

// Health is the answer of /healthz and /readyz.
type Health struct {
	Status string `json:"status"`
}
