package portico

import (
	"fmt"
	"math/bits"
	"slices"
	"strings"
)

// Permission is the stable id of one entry in the permission catalogue, such as "device.chat".
type Permission string

// PermissionScope says where an assignment makes a permission effective.
type PermissionScope string

// Permission scopes (docs/authorization.md §1).
const (
	// ScopeAccountOnly permissions count only from account-level assignments.
	ScopeAccountOnly PermissionScope = "account"
	// ScopeTree permissions count from account, device-group and device assignments for that subtree.
	ScopeTree PermissionScope = "tree"
	// ScopeOnDemand permissions count from account-level or On-demand section assignments.
	ScopeOnDemand PermissionScope = "on_demand"
)

// Category groups permissions for display.
type Category string

// Permission categories, in the order the role manager shows them.
const (
	CatAccount        Category = "account"
	CatAudit          Category = "audit"
	CatUsers          Category = "users"
	CatUserGroups     Category = "user_groups"
	CatRoles          Category = "roles"
	CatDeviceGroups   Category = "device_groups"
	CatManagedDevices Category = "managed_devices"
	CatOnDemand       Category = "on_demand"
)

// PermissionInfo describes one permission of the catalogue.
type PermissionInfo struct {
	ID       Permission      `json:"id"`
	Category Category        `json:"category"`
	Scope    PermissionScope `json:"scope"`
	Title    string          `json:"title"`
	// Prerequisites must also be in a role that holds this permission, or the role is refused at save.
	Prerequisites []Permission `json:"prerequisites"`
	// Implies lists permissions that holding this one grants as well (Manage implies View).
	Implies []Permission `json:"implies"`
	// GatedBy is the group setting that, switched off, removes this permission for everyone.
	GatedBy Feature `json:"gated_by,omitempty"`
	// Remote permissions act on the device itself: they need a licensed device (not in Unassigned)
	// and, when used, an online one.
	Remote bool `json:"remote"`

	index int
}

// deviceActions are the remote actions shared by managed (device.*) and on-demand (on_demand.*)
// permissions, with the group setting that gates each.
var remoteActions = []struct {
	name     string
	title    string
	gate     Feature
	onDemand bool
	managed  bool
}{
	{"screen_view", "Screen view", FeatureView, true, true},
	{"remote_control", "Remote control", FeatureView, true, true},
	{"screenshot", "Screenshot", "", true, true},
	{"file_transfer", "File transfer", FeatureFileTransfer, true, true},
	{"terminal", "PowerShell / terminal", FeatureTerminal, true, true},
	{"registry", "Registry editor", FeatureRegistry, true, true},
	{"task_manager", "Task manager", FeatureTaskManager, true, true},
	{"chat", "Chat", FeatureChat, true, true},
	{"message", "Message", FeatureMessage, true, true},
	{"clipboard", "Clipboard", "", true, true},
	{"blank_screen", "Blank the screen", "", true, true},
	{"ctrl_alt_del", "Send Ctrl+Alt+Del", "", true, true},
	{"wake", "Wake-on-LAN", "", false, true},
	{"reboot", "Reboot", "", true, true},
	{"lock", "Lock", "", false, true},
	{"calls", "Calls", "", true, true},
	{"screen_preview", "Screen preview", FeatureView, true, true},
}

// The permissions other code names directly.
const (
	PermAccountView           Permission = "account.view"
	PermAccountManage         Permission = "account.manage"
	PermBillingView           Permission = "billing.view"
	PermBillingManage         Permission = "billing.manage"
	PermLegalManage           Permission = "legal.manage"
	PermBrandingManage        Permission = "branding.manage"
	PermAPIKeysView           Permission = "api_keys.view"
	PermAPIKeysManage         Permission = "api_keys.manage"
	PermIPAllowlistView       Permission = "ip_allowlist.view"
	PermIPAllowlistManage     Permission = "ip_allowlist.manage"
	PermInstallersAccess      Permission = "installers.access"
	PermOnDemandSettings      Permission = "on_demand.settings"
	PermAuditView             Permission = "audit.view"
	PermUsersView             Permission = "users.view"
	PermUsersInvite           Permission = "users.invite"
	PermUsersEdit             Permission = "users.edit"
	PermUsersDelete           Permission = "users.delete"
	PermUsersManage2FA        Permission = "users.manage_2fa"
	PermUserGroupsView        Permission = "user_groups.view"
	PermUserGroupsManage      Permission = "user_groups.manage"
	PermUserGroupsDelete      Permission = "user_groups.delete"
	PermRolesView             Permission = "roles.view"
	PermRolesManage           Permission = "roles.manage"
	PermRolesDelete           Permission = "roles.delete"
	PermRoleAssignmentsManage Permission = "role_assignments.manage"
	PermDeviceGroupsView      Permission = "device_groups.view"
	PermDeviceGroupsManage    Permission = "device_groups.manage"
	PermDeviceGroupsDelete    Permission = "device_groups.delete"
	PermDeviceGroupsSettings  Permission = "device_groups.settings"
	PermAssignmentRulesManage Permission = "assignment_rules.manage"
	PermDevicesList           Permission = "devices.list"
	PermDeviceView            Permission = "device.view"
	PermDeviceEdit            Permission = "device.edit"
	PermDeviceDelete          Permission = "device.delete"
	PermDeviceMove            Permission = "device.move"
	PermDeviceHistory         Permission = "device.history"
	PermDeviceInventory       Permission = "device.inventory"
	PermDeviceScreenView      Permission = "device.screen_view"
	PermDeviceRemoteControl   Permission = "device.remote_control"
	PermDeviceTerminal        Permission = "device.terminal"
	PermDeviceChat            Permission = "device.chat"
	PermDeviceMessage         Permission = "device.message"
	PermDeviceFileTransfer    Permission = "device.file_transfer"
	PermDeviceTaskManager     Permission = "device.task_manager"
	PermDeviceScreenshot      Permission = "device.screenshot"
	PermDeviceRegistry        Permission = "device.registry"
	PermOnDemandOwn           Permission = "on_demand.own"
	PermOnDemandAll           Permission = "on_demand.all"
)

var (
	catalogue []PermissionInfo
	byID      map[Permission]*PermissionInfo
)

func init() {
	add := func(id Permission, cat Category, scope PermissionScope, title string) *PermissionInfo {
		catalogue = append(catalogue, PermissionInfo{ID: id, Category: cat, Scope: scope, Title: title})
		return &catalogue[len(catalogue)-1]
	}
	A, G, O := ScopeAccountOnly, ScopeTree, ScopeOnDemand
	add(PermAccountView, CatAccount, A, "View account settings")
	add(PermAccountManage, CatAccount, A, "Manage account settings")
	add(PermBillingView, CatAccount, A, "View billing")
	add(PermBillingManage, CatAccount, A, "Manage billing details")
	add(PermLegalManage, CatAccount, A, "Manage legal agreements")
	add(PermBrandingManage, CatAccount, A, "Manage branding")
	add(PermAPIKeysView, CatAccount, A, "View API keys")
	add(PermAPIKeysManage, CatAccount, A, "Manage API keys")
	add(PermIPAllowlistView, CatAccount, A, "View IP allow list")
	add(PermIPAllowlistManage, CatAccount, A, "Manage IP allow list")
	add(PermInstallersAccess, CatAccount, G, "Access installers")
	add(PermOnDemandSettings, CatAccount, A, "Manage on-demand settings")
	add(PermAuditView, CatAudit, A, "View audit log")
	add(PermUsersView, CatUsers, A, "View users")
	add(PermUsersInvite, CatUsers, A, "Invite users")
	add(PermUsersEdit, CatUsers, A, "Edit users")
	add(PermUsersDelete, CatUsers, A, "Delete users")
	add(PermUsersManage2FA, CatUsers, A, "Manage user 2FA")
	add(PermUserGroupsView, CatUserGroups, A, "View user groups")
	add(PermUserGroupsManage, CatUserGroups, A, "Manage user groups")
	add(PermUserGroupsDelete, CatUserGroups, A, "Delete user groups")
	add(PermRolesView, CatRoles, A, "View roles")
	add(PermRolesManage, CatRoles, A, "Manage roles")
	add(PermRolesDelete, CatRoles, A, "Delete roles")
	add(PermRoleAssignmentsManage, CatRoles, G, "Manage role assignments")
	add(PermDeviceGroupsView, CatDeviceGroups, G, "View device groups")
	add(PermDeviceGroupsManage, CatDeviceGroups, G, "Manage device groups")
	add(PermDeviceGroupsDelete, CatDeviceGroups, G, "Delete device groups")
	add(PermDeviceGroupsSettings, CatDeviceGroups, G, "Manage device group settings")
	add(PermAssignmentRulesManage, CatDeviceGroups, A, "Manage device assignment rules")
	add(PermDevicesList, CatManagedDevices, A, "Access the managed devices section")
	add(PermDeviceView, CatManagedDevices, G, "View devices")
	add(PermDeviceEdit, CatManagedDevices, G, "Edit device details")
	add(PermDeviceDelete, CatManagedDevices, G, "Delete devices")
	add(PermDeviceMove, CatManagedDevices, G, "Move devices")
	add(PermDeviceHistory, CatManagedDevices, G, "Device history")
	add(PermDeviceInventory, CatManagedDevices, G, "Software inventory")
	add("device.notifications", CatManagedDevices, G, "Modify notifications")
	add("device.recordings.view", CatManagedDevices, G, "View recordings")
	add("device.recordings.delete", CatManagedDevices, G, "Delete recordings")
	for _, a := range remoteActions {
		p := add(Permission("device."+a.name), CatManagedDevices, G, a.title)
		p.GatedBy, p.Remote = a.gate, true
	}
	add(PermOnDemandOwn, CatOnDemand, O, "Own invitations")
	add(PermOnDemandAll, CatOnDemand, O, "All invitations")
	for _, a := range remoteActions {
		if a.onDemand {
			p := add(Permission("on_demand."+a.name), CatOnDemand, O, a.title)
			p.GatedBy = a.gate
		}
	}
	add("on_demand.recordings.view", CatOnDemand, O, "View recordings")
	add("on_demand.recordings.delete", CatOnDemand, O, "Delete recordings")
	add("on_demand.elevate", CatOnDemand, O, "Elevate sessions")
	add("on_demand.install_request", CatOnDemand, O, "Request managed agent installation")

	byID = make(map[Permission]*PermissionInfo, len(catalogue))
	for i := range catalogue {
		catalogue[i].index = i
		byID[catalogue[i].ID] = &catalogue[i]
	}
	if len(catalogue) > 128 {
		panic("permission catalogue outgrew PermissionSet")
	}

	implies := func(p Permission, q ...Permission) { byID[p].Implies = append(byID[p].Implies, q...) }
	needs := func(p Permission, q ...Permission) { byID[p].Prerequisites = append(byID[p].Prerequisites, q...) }
	implies(PermAccountManage, PermAccountView)
	implies(PermBillingManage, PermBillingView)
	implies(PermAPIKeysManage, PermAPIKeysView)
	implies(PermIPAllowlistManage, PermIPAllowlistView)
	implies(PermUserGroupsManage, PermUserGroupsView)
	implies(PermUserGroupsDelete, PermUserGroupsView)
	implies(PermRolesManage, PermRolesView)
	implies(PermRolesDelete, PermRolesView)
	implies(PermDeviceGroupsManage, PermDeviceGroupsView)
	implies(PermDeviceGroupsDelete, PermDeviceGroupsView)
	implies(PermDeviceGroupsSettings, PermDeviceGroupsView)
	for i := range catalogue {
		p := &catalogue[i]
		if strings.HasPrefix(string(p.ID), "device.") && p.ID != PermDeviceView {
			p.Implies = append(p.Implies, PermDeviceView)
		}
	}
	implies(PermDeviceRemoteControl, PermDeviceScreenView)
	implies("device.recordings.delete", "device.recordings.view")
	implies(PermOnDemandAll, PermOnDemandOwn)
	implies("on_demand.remote_control", "on_demand.screen_view")
	implies("on_demand.recordings.delete", "on_demand.recordings.view")

	needs(PermUsersInvite, PermUsersView)
	needs(PermUsersEdit, PermUsersView)
	needs(PermUsersDelete, PermUsersView)
	needs(PermUsersManage2FA, PermUsersView)
	needs(PermUserGroupsManage, PermUsersView)
	needs(PermRoleAssignmentsManage, PermRolesView, PermUsersView, PermUserGroupsView)
	needs(PermAssignmentRulesManage, PermDeviceGroupsView)
	for i := range catalogue {
		if catalogue[i].Implies == nil {
			catalogue[i].Implies = []Permission{}
		}
		if catalogue[i].Prerequisites == nil {
			catalogue[i].Prerequisites = []Permission{}
		}
	}
}

// Catalogue returns every permission, in display order. The slice and the lists in it are copies.
func Catalogue() []PermissionInfo {
	out := make([]PermissionInfo, len(catalogue))
	for i := range catalogue {
		out[i] = catalogue[i].clone()
	}
	return out
}

// LookupPermission returns (a copy of) the catalogue entry for id.
func LookupPermission(id Permission) (PermissionInfo, bool) {
	p, ok := byID[id]
	if !ok {
		return PermissionInfo{}, false
	}
	return p.clone(), true
}

// clone copies p with its own Prerequisites and Implies, so that no caller can change the catalogue.
func (p *PermissionInfo) clone() PermissionInfo {
	c := *p
	c.Prerequisites = slices.Clone(p.Prerequisites)
	c.Implies = slices.Clone(p.Implies)
	return c
}

// Index is the permission's position in the catalogue, used for bit sets. It panics on an unknown id,
// which only a programming error can produce: input is checked with LookupPermission first.
func (p Permission) Index() int {
	info, ok := byID[p]
	if !ok {
		panic(fmt.Sprintf("unknown permission %q", p))
	}
	return info.index
}

// Info returns the catalogue entry; it panics on an unknown id, as Index does.
func (p Permission) Info() *PermissionInfo {
	info, ok := byID[p]
	if !ok {
		panic(fmt.Sprintf("unknown permission %q", p))
	}
	return info
}

// PermissionSet is a set of permissions, one bit per catalogue entry. The zero value is empty.
type PermissionSet [2]uint64

// NewPermissionSet returns the set of the given permissions (which must be known ids).
func NewPermissionSet(ps ...Permission) PermissionSet {
	var s PermissionSet
	for _, p := range ps {
		s = s.With(p)
	}
	return s
}

// AllPermissions is the set of every permission in the catalogue.
func AllPermissions() PermissionSet {
	var s PermissionSet
	for i := range catalogue {
		s[i/64] |= 1 << (i % 64)
	}
	return s
}

// With returns s plus p.
func (s PermissionSet) With(p Permission) PermissionSet {
	i := p.Index()
	s[i/64] |= 1 << (i % 64)
	return s
}

// Has reports whether p is in s.
func (s PermissionSet) Has(p Permission) bool {
	i := p.Index()
	return s[i/64]&(1<<(i%64)) != 0
}

// HasIndex reports whether the permission at catalogue index i is in s.
func (s PermissionSet) HasIndex(i int) bool { return s[i/64]&(1<<(i%64)) != 0 }

// Union returns s ∪ t.
func (s PermissionSet) Union(t PermissionSet) PermissionSet {
	return PermissionSet{s[0] | t[0], s[1] | t[1]}
}

// Minus returns s \ t.
func (s PermissionSet) Minus(t PermissionSet) PermissionSet {
	return PermissionSet{s[0] &^ t[0], s[1] &^ t[1]}
}

// Intersect returns s ∩ t.
func (s PermissionSet) Intersect(t PermissionSet) PermissionSet {
	return PermissionSet{s[0] & t[0], s[1] & t[1]}
}

// IsEmpty reports whether s has no permission.
func (s PermissionSet) IsEmpty() bool { return s[0] == 0 && s[1] == 0 }

// Len is the number of permissions in s.
func (s PermissionSet) Len() int { return bits.OnesCount64(s[0]) + bits.OnesCount64(s[1]) }

// List returns the permissions of s in catalogue order.
func (s PermissionSet) List() []Permission {
	out := make([]Permission, 0, s.Len())
	for i := range catalogue {
		if s.HasIndex(i) {
			out = append(out, catalogue[i].ID)
		}
	}
	return out
}

// Expand returns s with every implication followed to its end.
func (s PermissionSet) Expand() PermissionSet {
	for {
		next := s
		for i := range catalogue {
			if s.HasIndex(i) {
				for _, q := range catalogue[i].Implies {
					next = next.With(q)
				}
			}
		}
		if next == s {
			return s
		}
		s = next
	}
}

// MissingPrerequisites returns, for a role holding s, every prerequisite that s (with its
// implications) lacks, in catalogue order.
func (s PermissionSet) MissingPrerequisites() []Permission {
	have := s.Expand()
	var missing PermissionSet
	for i := range catalogue {
		if !s.HasIndex(i) {
			continue
		}
		for _, q := range catalogue[i].Prerequisites {
			if !have.Has(q) {
				missing = missing.With(q)
			}
		}
	}
	return missing.List()
}

// ScopeSet returns the permissions of the catalogue that have the given scope.
func ScopeSet(scope PermissionScope) PermissionSet {
	var s PermissionSet
	for i := range catalogue {
		if catalogue[i].Scope == scope {
			s[i/64] |= 1 << (i % 64)
		}
	}
	return s
}

// RemoteSet returns the permissions that act on the device itself and so need a licensed device.
func RemoteSet() PermissionSet {
	var s PermissionSet
	for i := range catalogue {
		if catalogue[i].Remote {
			s[i/64] |= 1 << (i % 64)
		}
	}
	return s
}
