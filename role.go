package portico

import (
	"strings"
	"time"
)

// Purpose is what a role is for; fixed when the role is created.
type Purpose string

// Role purposes.
const (
	PurposeDevices        Purpose = "devices"
	PurposeOnDemand       Purpose = "on_demand"
	PurposeAdministration Purpose = "administration"
	PurposeGeneral        Purpose = "general"
)

// PurposePermissions returns the permissions a role of the given purpose may hold.
func PurposePermissions(p Purpose) (PermissionSet, bool) {
	var cats []Category
	var extra []Permission
	switch p {
	case PurposeGeneral:
		return AllPermissions(), true
	case PurposeDevices:
		cats = []Category{CatManagedDevices, CatDeviceGroups}
		// Not role_assignments.manage: its prerequisites (roles, users, user groups view) are
		// administration permissions, so a devices role holding it could never be saved.
		extra = []Permission{PermInstallersAccess}
	case PurposeOnDemand:
		cats = []Category{CatOnDemand}
	case PurposeAdministration:
		cats = []Category{CatAccount, CatAudit, CatUsers, CatUserGroups, CatRoles, CatDeviceGroups}
		extra = []Permission{PermDevicesList}
	default:
		return PermissionSet{}, false
	}
	s := NewPermissionSet(extra...)
	for i := range catalogue {
		for _, c := range cats {
			if catalogue[i].Category == c {
				s[i/64] |= 1 << (i % 64)
			}
		}
	}
	return s, true
}

// Role is a named set of permissions.
type Role struct {
	ID          string       `json:"id"`
	AccountID   string       `json:"account_id"`
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Purpose     Purpose      `json:"purpose"`
	Permissions []Permission `json:"permissions"`
	// System roles ship with every account and cannot be changed or deleted; SystemKey names which.
	System    bool      `json:"system"`
	SystemKey string    `json:"system_key,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// PermissionSet returns the role's permissions as a set, without implications. Unknown ids (which
// validation keeps out of storage) are skipped.
func (r *Role) PermissionSet() PermissionSet {
	var s PermissionSet
	for _, p := range r.Permissions {
		if _, ok := byID[p]; ok {
			s = s.With(p)
		}
	}
	return s
}

// Validate checks name, purpose, that every permission exists and suits the purpose, and that no
// prerequisite is missing — naming every one, so the portal can offer to add them.
func (r *Role) Validate(v *Validation) {
	ValidateName(v, "name", r.Name, 100)
	validateText(v, "description", r.Description, 250)
	allowed, ok := PurposePermissions(r.Purpose)
	if !ok {
		v.Add("purpose", "must be one of devices, on_demand, administration, general")
	}
	seen := map[Permission]bool{}
	valid := true
	for i, p := range r.Permissions {
		field := "permissions[" + itoa(i) + "]"
		info, known := byID[p]
		switch {
		case !known:
			v.Add(field, "%q is not a known permission", p)
			valid = false
		case seen[p]:
			v.Add(field, "%q is listed twice", p)
		case ok && !allowed.Has(p):
			v.Add(field, "%q cannot be used in a role whose purpose is %s", p, r.Purpose)
		default:
			_ = info
		}
		seen[p] = true
	}
	if valid {
		if missing := r.PermissionSet().MissingPrerequisites(); len(missing) > 0 {
			names := make([]string, len(missing))
			for i, m := range missing {
				names[i] = string(m)
			}
			v.Add("permissions", "missing prerequisites: %s", strings.Join(names, ", "))
		}
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}

// SystemRole describes a role that every account has.
type SystemRole struct {
	Key         string
	Name        string
	Purpose     Purpose
	Permissions []Permission
}

// SystemRoles returns the system roles in display order.
func SystemRoles() []SystemRole {
	var deviceAll, onDemandActions []Permission
	for _, p := range catalogue {
		if p.Category == CatManagedDevices && p.ID != PermDevicesList {
			deviceAll = append(deviceAll, p.ID)
		}
		if p.Category == CatOnDemand && p.ID != PermOnDemandAll && p.ID != PermOnDemandOwn {
			onDemandActions = append(onDemandActions, p.ID)
		}
	}
	var all []Permission
	for _, p := range catalogue {
		all = append(all, p.ID)
	}
	with := func(base []Permission, extra ...Permission) []Permission {
		return append(append([]Permission{}, extra...), base...)
	}
	return []SystemRole{
		{"full_device_access", "Full device access", PurposeDevices, with(deviceAll)},
		{"device_connection", "Only device connection", PurposeDevices,
			[]Permission{PermDeviceView, PermDeviceScreenView, PermDeviceRemoteControl}},
		{"all_invitations", "All invitations", PurposeOnDemand, with(onDemandActions, PermOnDemandAll, PermOnDemandOwn)},
		{"own_invitations", "Own invitations", PurposeOnDemand, with(onDemandActions, PermOnDemandOwn)},
		{"team_administrator", "Team administrator", PurposeAdministration, []Permission{
			PermAccountView, PermAccountManage, PermUsersView, PermUsersInvite, PermUsersEdit, PermUsersDelete,
			PermUsersManage2FA, PermUserGroupsView, PermUserGroupsManage, PermUserGroupsDelete, PermRolesView,
			PermRolesManage, PermRolesDelete, PermRoleAssignmentsManage}},
		{"branding_administrator", "Branding administrator", PurposeAdministration, []Permission{PermBrandingManage}},
		{"billing_administrator", "Billing administrator", PurposeAdministration,
			[]Permission{PermBillingView, PermBillingManage}},
		{"auditor", "Auditor", PurposeAdministration, []Permission{PermAuditView}},
		{"devices_list", "Devices list", PurposeAdministration, []Permission{PermDevicesList}},
		{"administrator", "Administrator", PurposeGeneral, all},
	}
}
