// Package authz is Portico's authorization engine: an immutable snapshot of one account's access graph
// that answers Decide, Explain, WhoCan and ListDevices exactly as docs/authorization.md §2 says. It does no I/O; the
// application builds a snapshot from storage and replaces it, copy-on-write, after every change.
package authz

import (
	"time"

	"github.com/portico-dev/portico"
)

// Graph is the plain data of one account's access graph, as loaded from storage.
type Graph struct {
	AccountID   string
	Users       []UserNode
	UserGroups  []UserGroupNode
	Roles       []RoleNode
	Assignments []portico.Assignment
	Groups      []GroupNode
	Devices     []DeviceNode
}

// UserNode is what the engine needs of a user.
type UserNode struct {
	ID     string
	Name   string
	Email  string
	Owner  bool
	State  portico.UserState
	Status portico.UserStatus
}

// UserGroupNode is a user group and its members.
type UserGroupNode struct {
	ID        string
	Name      string
	MemberIDs []string
}

// RoleNode is a role's permissions as stored (implications are expanded by the engine).
type RoleNode struct {
	ID          string
	Name        string
	Permissions portico.PermissionSet
}

// GroupNode is a device group: its place in the tree and the settings it sets itself.
type GroupNode struct {
	ID       string
	ParentID string // "" for a top-level group
	Name     string
	Settings portico.GroupSettings
}

// DeviceNode is a device: its group (portico.UnassignedGroupID while unassigned) and its name, by
// which ListDevices sorts.
type DeviceNode struct {
	ID      string
	GroupID string
	Name    string
}

// TargetKind says what a decision is about.
type TargetKind uint8

// Target kinds.
const (
	TargetAccount TargetKind = iota
	TargetDeviceGroup
	TargetDevice
	TargetSection
)

// Target is the object a permission is asked for. A device group target may be
// portico.UnassignedGroupID; a section target is portico.SectionOnDemand or portico.SectionTeam.
type Target struct {
	Kind TargetKind
	ID   string
}

// Account, Group, Device and Section build targets.
func Account() Target            { return Target{Kind: TargetAccount} }
func Group(id string) Target     { return Target{Kind: TargetDeviceGroup, ID: id} }
func Device(id string) Target    { return Target{Kind: TargetDevice, ID: id} }
func Section(name string) Target { return Target{Kind: TargetSection, ID: name} }

// Query asks whether a user holds a permission on a target at a moment (assignments expire).
type Query struct {
	UserID     string
	Permission portico.Permission
	Target     Target
	At         time.Time
}

// Reason is why a decision came out as it did.
type Reason uint8

// Reasons. ReasonNotFound covers an unknown user, target or permission: a caller never learns
// whether an object exists in another account.
const (
	ReasonGranted      Reason = iota // a role assignment grants it
	ReasonOwner                      // the account owner holds every permission
	ReasonNotFound                   // unknown user, target or permission
	ReasonUserInactive               // the user is invited (not yet activated) or disabled
	ReasonSettingOff                 // a group setting switches the feature off
	ReasonUnlicensed                 // a remote action on a device in Unassigned
	ReasonNoGrant                    // no assignment reaching the target grants it
)

// String returns a stable name for the reason, used in API responses and the audit log.
func (r Reason) String() string {
	switch r {
	case ReasonGranted:
		return "granted"
	case ReasonOwner:
		return "owner"
	case ReasonNotFound:
		return "not_found"
	case ReasonUserInactive:
		return "user_inactive"
	case ReasonSettingOff:
		return "setting_off"
	case ReasonUnlicensed:
		return "unlicensed"
	case ReasonNoGrant:
		return "no_grant"
	}
	return "unknown"
}

// Decision is the answer to a Query. It carries no allocation so that Decide stays fast.
type Decision struct {
	Allowed bool
	Reason  Reason
}

// Grant is one assignment that grants a permission on a target, as Explain and WhoCan report it.
type Grant struct {
	AssignmentID  string                `json:"assignment_id"`
	PrincipalType portico.PrincipalType `json:"principal_type"`
	PrincipalID   string                `json:"principal_id"`
	PrincipalName string                `json:"principal_name"`
	// ViaUserGroupID is set when the user holds the grant through membership of a user group.
	ViaUserGroupID string            `json:"via_user_group_id,omitempty"`
	RoleID         string            `json:"role_id"`
	RoleName       string            `json:"role_name"`
	ScopeType      portico.ScopeType `json:"scope_type"`
	ScopeID        string            `json:"scope_id,omitempty"`
	ScopeName      string            `json:"scope_name,omitempty"`
	// Path lists the device group ids from the assignment's group down to the target's group.
	Path      []string   `json:"path,omitempty"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// Explanation is a decision with its reasons: the grants that allow it or the first rule that refuses.
type Explanation struct {
	Allowed bool   `json:"allowed"`
	Reason  string `json:"reason"`
	// Message is a sentence for people, e.g. `setting "chat" is off at group "Munich", inherited from
	// "Germany"`.
	Message string  `json:"message"`
	Grants  []Grant `json:"grants"`
	// For ReasonSettingOff: the feature, the target's group and the group that sets it off.
	Feature          portico.Feature `json:"feature,omitempty"`
	SettingGroupID   string          `json:"setting_group_id,omitempty"`
	SettingGroupName string          `json:"setting_group_name,omitempty"`
}

// WhoCanEntry is one user allowed to use a permission on a target, with the grants that allow it
// (none for the owner).
type WhoCanEntry struct {
	UserID   string  `json:"user_id"`
	UserName string  `json:"user_name"`
	Email    string  `json:"email"`
	Owner    bool    `json:"owner"`
	Grants   []Grant `json:"grants"`
}

// ListQuery asks which devices a user may use a permission on.
type ListQuery struct {
	UserID     string
	Permission portico.Permission
	// GroupID limits the answer to one group's devices ("" for the whole account; may be
	// portico.UnassignedGroupID). Recursive includes the devices of its sub-groups.
	GroupID   string
	Recursive bool
	At        time.Time
}

// Change is one edit applied to a snapshot by Snapshot.Apply. Exactly one field is set.
type Change struct {
	UpsertUser       *UserNode
	DeleteUser       string // also drops the user's assignments and memberships
	UpsertUserGroup  *UserGroupNode
	DeleteUserGroup  string // also drops the group's assignments
	UpsertRole       *RoleNode
	DeleteRole       string // also drops the role's assignments
	UpsertAssignment *portico.Assignment
	DeleteAssignment string
	UpsertGroup      *GroupNode
	DeleteGroup      string // also drops the group's assignments; the group must be empty
	UpsertDevice     *DeviceNode
	DeleteDevice     string // also drops the device's assignments
}
