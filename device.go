package portico

import (
	"time"
)

// UnassignedGroupID is the id by which the API names the Unassigned folder, where new devices land.
// Devices there hold no licence and allow no remote action.
const UnassignedGroupID = "unassigned"

// UnassignedLockout is how long a device moved out of Unassigned cannot be moved back.
const UnassignedLockout = 90 * 24 * time.Hour

// DeviceGroup is a node of the account's device group tree.
type DeviceGroup struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	// ParentID is empty for a top-level group.
	ParentID    string        `json:"parent_id,omitempty"`
	Name        string        `json:"name"`
	Colour      string        `json:"colour"`
	Description string        `json:"description"`
	Settings    GroupSettings `json:"settings"`
	CreatedAt   time.Time     `json:"created_at"`
}

// Validate checks name, colour and description.
func (g *DeviceGroup) Validate(v *Validation) {
	ValidateName(v, "name", g.Name, 100)
	ValidateColour(v, "colour", g.Colour)
	validateText(v, "description", g.Description, 250)
	g.Settings.Validate(v, "settings")
}

// DeviceStatus is whether a device can be reached.
type DeviceStatus string

// Device statuses.
const (
	DeviceUnavailable DeviceStatus = "unavailable"
	DeviceAvailable   DeviceStatus = "available"
	DeviceInSession   DeviceStatus = "in_session"
)

// Device is a computer with an enrolled managed agent.
type Device struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	// GroupID is UnassignedGroupID while the device is in Unassigned.
	GroupID      string   `json:"group_id"`
	Name         string   `json:"name"`
	Hostname     string   `json:"hostname"`
	IPAddresses  []string `json:"ip_addresses"`
	LoggedInUser string   `json:"logged_in_user"`
	OSName       string   `json:"os_name"`
	OSVersion    string   `json:"os_version"`
	DeviceType   string   `json:"device_type"`
	Manufacturer string   `json:"manufacturer"`
	AssetID      string   `json:"asset_id"`
	AgentVersion string   `json:"agent_version"`
	// DirectoryGroups are the directory (LDAP/Entra) groups the device belongs to, for assignment rules.
	DirectoryGroups []string     `json:"directory_groups,omitempty"`
	Status          DeviceStatus `json:"status"`
	LastSeen        *time.Time   `json:"last_seen,omitempty"`
	CreatedAt       time.Time    `json:"created_at"`
	// LeftUnassignedAt is when the device last moved out of Unassigned; it starts the 90-day lockout.
	LeftUnassignedAt *time.Time `json:"left_unassigned_at,omitempty"`
	// RuleApplied records that the device has left Unassigned once (moved by a rule or by hand, or
	// enrolled into a group): assignment rules never move it again.
	RuleApplied bool `json:"rule_applied"`
	// CredentialHash is the hash of the agent's credential; never serialised.
	CredentialHash string `json:"-"`
}

// Unassigned reports whether the device is in the Unassigned folder.
func (d *Device) Unassigned() bool { return d.GroupID == UnassignedGroupID }

// ValidateEdit checks the fields a technician can edit.
func (d *Device) ValidateEdit(v *Validation) {
	ValidateName(v, "name", d.Name, 100)
}

// CanReturnToUnassigned reports whether the 90-day lockout has passed at now.
func (d *Device) CanReturnToUnassigned(now time.Time) bool {
	return d.LeftUnassignedAt == nil || now.Sub(*d.LeftUnassignedAt) >= UnassignedLockout
}

// HistoryEntry is one line of a device's history.
type HistoryEntry struct {
	ID        string    `json:"id"`
	AccountID string    `json:"account_id"`
	DeviceID  string    `json:"device_id"`
	At        time.Time `json:"at"`
	ActorID   string    `json:"actor_id,omitempty"`
	ActorName string    `json:"actor_name,omitempty"`
	Action    string    `json:"action"`
	Detail    string    `json:"detail,omitempty"`
}

// EnrollmentToken lets an agent enroll a device; only its hash is stored.
type EnrollmentToken struct {
	ID        string `json:"id"`
	AccountID string `json:"account_id"`
	// GroupID places enrolled devices in this group when installer group assignment is on.
	GroupID   string     `json:"device_group_id,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	CreatedBy string     `json:"created_by"`
	RevokedAt *time.Time `json:"revoked_at,omitempty"`
	// Hash is the SHA-256 of the secret; never serialised.
	Hash string `json:"-"`
}

// APIKey authenticates scripts as its owner, narrowed to Permissions when they are set.
type APIKey struct {
	ID          string       `json:"id"`
	AccountID   string       `json:"account_id"`
	UserID      string       `json:"user_id"`
	Name        string       `json:"name"`
	Permissions []Permission `json:"permissions,omitempty"`
	CreatedAt   time.Time    `json:"created_at"`
	LastUsedAt  *time.Time   `json:"last_used_at,omitempty"`
	RevokedAt   *time.Time   `json:"revoked_at,omitempty"`
	Hash        string       `json:"-"`
}
