package portal

// adminRoutes are the pages of the Account section and the audit log. Each page is behind the
// permission the app enforces; the side menu hides what the user may not open.
func (p *Portal) adminRoutes() []route {
	return []route{
		{pattern: "GET /installers", handle: (*request).installersPage},
		{pattern: "POST /installers", handle: (*request).createToken},
		{pattern: "POST /installers/{id}/revoke", handle: (*request).revokeToken},

		{pattern: "GET /users", handle: (*request).usersPage},
		{pattern: "POST /users", handle: (*request).createUser},
		{pattern: "GET /users/{id}", handle: (*request).userPage},
		{pattern: "POST /users/{id}", handle: (*request).updateUser},
		{pattern: "POST /users/{id}/disable", handle: adminSetUserEnabled(false)},
		{pattern: "POST /users/{id}/enable", handle: adminSetUserEnabled(true)},
		{pattern: "POST /users/{id}/delete", handle: (*request).deleteUser},

		{pattern: "GET /api-keys", handle: (*request).apiKeysPage},
		{pattern: "POST /api-keys", handle: (*request).createAPIKey},
		{pattern: "POST /api-keys/{id}/revoke", handle: (*request).revokeAPIKey},

		{pattern: "GET /directory", handle: (*request).directoryPage},
		{pattern: "POST /directory", handle: (*request).saveDirectory},
		{pattern: "POST /directory/preview", handle: (*request).previewDirectory},
		{pattern: "POST /directory/import", handle: (*request).importDirectory},
		{pattern: "GET /directory/jobs/{id}", handle: (*request).directoryJob},

		{pattern: "GET /profile", handle: (*request).profilePage},
		{pattern: "POST /profile", handle: (*request).saveProfile},
		{pattern: "POST /profile/password", handle: (*request).changePassword},

		{pattern: "GET /user-groups", handle: (*request).userGroupsPage},
		{pattern: "POST /user-groups", handle: (*request).createUserGroup},
		{pattern: "GET /user-groups/{id}", handle: (*request).userGroupPage},
		{pattern: "POST /user-groups/{id}", handle: (*request).updateUserGroup},
		{pattern: "POST /user-groups/{id}/members/{op}", handle: (*request).changeMembers},
		{pattern: "POST /user-groups/{id}/delete", handle: (*request).deleteUserGroup},

		{pattern: "GET /roles", handle: (*request).rolesPage},
		{pattern: "GET /roles/new", handle: (*request).newRolePage},
		{pattern: "POST /roles", handle: (*request).createRole},
		{pattern: "GET /roles/{id}", handle: (*request).rolePage},
		{pattern: "POST /roles/{id}", handle: (*request).updateRole},
		{pattern: "POST /roles/{id}/clone", handle: (*request).cloneRole},
		{pattern: "POST /roles/{id}/delete", handle: (*request).deleteRole},
		{pattern: "GET /roles/{id}/assign", handle: (*request).rolePage},
		{pattern: "POST /roles/{id}/assign", handle: (*request).assignRole},
		{pattern: "POST /roles/{id}/assignments/{aid}/delete", handle: (*request).unassignRole},

		{pattern: "GET /device-assignment", handle: (*request).rulesPage},
		{pattern: "GET /device-assignment/new", handle: (*request).newRulePage},
		{pattern: "POST /device-assignment", handle: (*request).saveRule},
		{pattern: "POST /device-assignment/order", handle: (*request).reorderRules},
		{pattern: "POST /device-assignment/apply", handle: (*request).applyRules},
		{pattern: "POST /device-assignment/delete", handle: (*request).deleteRules},
		{pattern: "GET /device-assignment/{id}", handle: (*request).rulePage},
		{pattern: "POST /device-assignment/{id}", handle: (*request).saveRule},
		{pattern: "POST /device-assignment/{id}/enabled", handle: (*request).toggleRule},
		{pattern: "POST /device-assignment/{id}/delete", handle: (*request).deleteRules},

		{pattern: "GET /audit", handle: (*request).auditPage},

		{pattern: "GET /settings", handle: (*request).settingsPage},
		{pattern: "GET /settings/ip-allowlist", handle: (*request).ipAllowlistPage},
		{pattern: "POST /settings/ip-allowlist", handle: (*request).saveIPAllowlist},
		{pattern: "POST /settings", handle: (*request).saveSettings},
		{pattern: "GET /billing", handle: (*request).billingPage},
		{pattern: "POST /billing", handle: (*request).saveBilling},
	}
}
