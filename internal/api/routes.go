package api

// routes is the route table. Each entry registers one mux pattern and one OpenAPI operation; the
// permission column is documentation (the app decides), and the tests hold every entry to it.
func routes() []Route {
	return withAccountGates(withTwoFactorGate(withLegalGate([]Route{
		// Session, invitations, the caller and the account.
		{Method: "POST", Path: "/api/v1/session", OperationID: "signIn", Summary: "Sign in with email, password and, for users with 2FA, totp (a current code or a recovery code; without it: 401 naming the field totp); sets the session cookie", Permission: "public", Status: ok, Public: true, ep: jsonBody(signInWithCode)},
		{Method: "DELETE", Path: "/api/v1/session", OperationID: "signOut", Summary: "Sign out: end the session of the cookie sent", Permission: "public", Status: noContnt, Public: true, ep: noBody(signOut)},
		{Method: "POST", Path: "/api/v1/invitations/accept", OperationID: "acceptInvitation", Summary: "Complete registration from an invitation link and sign in", Permission: "public (invitation token)", Status: ok, Public: true, ep: jsonBody(acceptInvitation)},
		{Method: "GET", Path: "/api/v1/me", OperationID: "getMe", Summary: "The signed-in user, their account and effective account-level permissions", Permission: "authenticated", Status: ok, ep: noBody(getMe)},
		{Method: "GET", Path: "/api/v1/account", OperationID: "getAccount", Summary: "The account and its settings", Permission: "account.view", Status: ok, ep: noBody(getAccount)},
		{Method: "PATCH", Path: "/api/v1/account", OperationID: "updateAccount", Summary: "Rename the account or replace its settings", Permission: "account.manage (licences and seats: billing.manage)", Status: ok, ep: jsonBody(updateAccount)},
		{Method: "GET", Path: "/api/v1/licences", OperationID: "getLicences", Summary: "Managed-agent licences and technician seats in use and available", Permission: "account.view or billing.view", Status: ok, ep: noBody(getLicences)},
		{Method: "GET", Path: "/api/v1/permissions", OperationID: "listPermissions", Summary: "The permission catalogue", Permission: "public", Status: ok, Public: true, Query: pageQuery, ep: noBody(listPermissions)},

		// Users.
		{Method: "GET", Path: "/api/v1/users", OperationID: "listUsers", Summary: "List users", Permission: "users.view", Status: ok, ep: noBody(listUsers), Query: withPages(
			Param{Name: "state", Description: "invited or activated"}, Param{Name: "status", Description: "active or disabled"},
			Param{Name: "q", Description: "text in the name or email"})},
		{Method: "POST", Path: "/api/v1/users", OperationID: "createUser", Summary: "Create a user with a password (active at once) or invite one (the response carries the invitation link)", Permission: "users.invite", Status: created, ep: jsonBody(createUser)},
		{Method: "GET", Path: "/api/v1/users/{id}", OperationID: "getUser", Summary: "Get a user", Permission: "users.view (or the user themself)", Status: ok, ep: noBody(getUser)},
		{Method: "PATCH", Path: "/api/v1/users/{id}", OperationID: "updateUser", Summary: "Edit a user's profile; only the user may change their password", Permission: "users.edit (or the user themself)", Status: ok, ep: jsonBody(updateUser)},
		{Method: "DELETE", Path: "/api/v1/users/{id}", OperationID: "deleteUser", Summary: "Delete a user", Permission: "users.delete", Status: noContnt, ep: noBody(deleteUser)},
		{Method: "POST", Path: "/api/v1/users/{id}/disable", OperationID: "disableUser", Summary: "Disable a user; their sessions end at once", Permission: "users.edit", Status: ok, ep: noBody(disableUser)},
		{Method: "POST", Path: "/api/v1/users/{id}/enable", OperationID: "enableUser", Summary: "Enable a disabled user, within the seat limit", Permission: "users.edit", Status: ok, ep: noBody(enableUser)},
		{Method: "GET", Path: "/api/v1/users/{id}/invitation", OperationID: "getInvitation", Summary: "An invited user's pending invitation and when it expires", Permission: "users.view", Status: ok, ep: noBody(getInvitation)},
		{Method: "POST", Path: "/api/v1/users/{id}/invitation/resend", OperationID: "resendInvitation", Summary: "Replace an invited user's link with a new one and email it again; the old link stops working", Permission: "users.invite", Status: ok, ep: noBody(resendInvitation)},
		{Method: "DELETE", Path: "/api/v1/users/{id}/invitation", OperationID: "revokeInvitation", Summary: "Revoke an invited user's link; the invited user stays and can be invited again", Permission: "users.invite", Status: noContnt, ep: noBody(revokeInvitation)},
		{Method: "POST", Path: "/api/v1/users/{id}/reset-2fa", OperationID: "resetTwoFactor", Summary: "Remove a user's two-factor authentication (they lost their device and recovery codes); their sessions end", Permission: "users.manage_2fa", Status: noContnt, ep: noBody(resetTwoFactor)},

		// The caller's own two-factor authentication (TOTP). In an account that requires 2FA, a user
		// without it can reach only these (and sign out) until enrolled.
		{Method: "GET", Path: "/api/v1/me/2fa", OperationID: "getTwoFactorStatus", Summary: "Whether the caller has 2FA, whether the account requires it, and how many recovery codes are left", Permission: "authenticated", Status: ok, ep: noBody(getTwoFactorStatus)},
		{Method: "POST", Path: "/api/v1/me/2fa", OperationID: "startTwoFactor", Summary: "Start enrolment: a new secret as an otpauth:// URL and a QR code (PNG data URL); not in force until confirmed", Permission: "authenticated (not an API key)", Status: ok, ep: noBody(startTwoFactor)},
		{Method: "POST", Path: "/api/v1/me/2fa/confirm", OperationID: "confirmTwoFactor", Summary: "Turn 2FA on with a current code; returns 10 single-use recovery codes, shown once", Permission: "authenticated (not an API key)", Status: ok, ep: jsonBody(confirmTwoFactor)},
		{Method: "POST", Path: "/api/v1/me/2fa/disable", OperationID: "disableTwoFactor", Summary: "Turn 2FA off; needs a current code or a recovery code", Permission: "authenticated (not an API key)", Status: noContnt, ep: jsonBody(disableTwoFactor)},
		{Method: "POST", Path: "/api/v1/me/2fa/recovery-codes", OperationID: "regenerateRecoveryCodes", Summary: "Replace the recovery codes (the old ones stop working); needs a current code or a recovery code", Permission: "authenticated (not an API key)", Status: ok, ep: jsonBody(regenerateRecoveryCodes)},

		// User groups.
		{Method: "GET", Path: "/api/v1/user-groups", OperationID: "listUserGroups", Summary: "List user groups with their members", Permission: "user_groups.view", Status: ok, Query: pageQuery, ep: noBody(listUserGroups)},
		{Method: "POST", Path: "/api/v1/user-groups", OperationID: "createUserGroup", Summary: "Create a user group", Permission: "user_groups.manage", Status: created, ep: jsonBody(createUserGroup)},
		{Method: "GET", Path: "/api/v1/user-groups/{id}", OperationID: "getUserGroup", Summary: "Get a user group", Permission: "user_groups.view", Status: ok, ep: noBody(getUserGroup)},
		{Method: "PATCH", Path: "/api/v1/user-groups/{id}", OperationID: "updateUserGroup", Summary: "Rename or describe a user group", Permission: "user_groups.manage", Status: ok, ep: jsonBody(updateUserGroup)},
		{Method: "DELETE", Path: "/api/v1/user-groups/{id}", OperationID: "deleteUserGroup", Summary: "Delete a user group and the access rights given to it", Permission: "user_groups.delete", Status: noContnt, ep: noBody(deleteUserGroup)},
		{Method: "PUT", Path: "/api/v1/user-groups/{id}/members", OperationID: "setUserGroupMembers", Summary: "Replace a user group's members", Permission: "user_groups.manage", Status: ok, ep: jsonBody(setUserGroupMembers)},

		// Directory import (LDAP / Active Directory).
		{Method: "GET", Path: "/api/v1/directory", OperationID: "getDirectory", Summary: "The account's directory configuration (never the bind password)", Permission: "users.invite and user_groups.manage", Status: ok, ep: noBody(getDirectory)},
		{Method: "PUT", Path: "/api/v1/directory", OperationID: "putDirectory", Summary: "Configure the directory; an absent bind_password keeps the stored one", Permission: "users.invite and user_groups.manage", Status: ok, ep: jsonBody(putDirectory)},
		{Method: "POST", Path: "/api/v1/directory/preview", OperationID: "previewDirectory", Summary: "Read the directory and tell what an import would create, update and report, changing nothing", Permission: "users.invite and user_groups.manage", Status: ok, ep: noBody(previewDirectory)},
		{Method: "POST", Path: "/api/v1/directory/import", OperationID: "importDirectory", Summary: "Start importing the directory's users (invited) and groups; returns the job to poll", Permission: "users.invite and user_groups.manage", Status: created, ep: noBody(importDirectory)},
		{Method: "GET", Path: "/api/v1/directory/jobs/{id}", OperationID: "getDirectoryJob", Summary: "An import job: its progress, then its result", Permission: "users.invite", Status: ok, ep: noBody(getDirectoryJob)},

		// SAML single sign-on. The SAML endpoints themselves (/saml/{account}/metadata, /login, /acs)
		// are the portal's.
		{Method: "GET", Path: "/api/v1/sso", OperationID: "getSSO", Summary: "The account's SAML single sign-on configuration and the service provider's URLs and certificate to give to the IdP (never its private key)", Permission: "account.manage", Status: ok, ep: noBody(getSSO)},
		{Method: "PUT", Path: "/api/v1/sso", OperationID: "putSSO", Summary: "Configure SAML single sign-on: IdP metadata (idp_metadata_url is fetched, else idp_metadata_xml), the email attribute, enforcement (password sign-in refused for all but the owner) and creation of unknown users within the seat limit; the first save generates the service provider's key pair", Permission: "account.manage", Status: ok, ep: jsonBody(putSSO)},

		// Roles.
		{Method: "GET", Path: "/api/v1/roles", OperationID: "listRoles", Summary: "List roles, system roles first", Permission: "roles.view", Status: ok, Query: pageQuery, ep: noBody(listRoles)},
		{Method: "POST", Path: "/api/v1/roles", OperationID: "createRole", Summary: "Create a role; a list lacking prerequisites is refused naming each", Permission: "roles.manage", Status: created, ep: jsonBody(createRole)},
		{Method: "GET", Path: "/api/v1/roles/{id}", OperationID: "getRole", Summary: "Get a role", Permission: "roles.view", Status: ok, ep: noBody(getRole)},
		{Method: "PATCH", Path: "/api/v1/roles/{id}", OperationID: "updateRole", Summary: "Edit a role (not a system role; the purpose is fixed)", Permission: "roles.manage", Status: ok, ep: jsonBody(updateRole)},
		{Method: "DELETE", Path: "/api/v1/roles/{id}", OperationID: "deleteRole", Summary: "Delete a role and every assignment that uses it", Permission: "roles.delete", Status: noContnt, ep: noBody(deleteRole)},
		{Method: "POST", Path: "/api/v1/roles/{id}/clone", OperationID: "cloneRole", Summary: "Copy a role under a new name", Permission: "roles.manage", Status: created, ep: jsonBody(cloneRole)},
		{Method: "GET", Path: "/api/v1/roles/{id}/dependents", OperationID: "listRoleDependents", Summary: "The assignments deleting the role would remove", Permission: "roles.view", Status: ok, Query: pageQuery, ep: noBody(listRoleDependents)},

		// Role assignments and explanations.
		{Method: "GET", Path: "/api/v1/role-assignments", OperationID: "listRoleAssignments", Summary: "List role assignments", Permission: "roles.view (otherwise only those at scopes where the caller holds role_assignments.manage)", Status: ok, ep: noBody(listRoleAssignments), Query: withPages(
			Param{Name: "principal_type", Description: "user or user_group"}, Param{Name: "principal_id"}, Param{Name: "role_id"},
			Param{Name: "scope_type", Description: "account, device_group, device or section"}, Param{Name: "scope_id"})},
		{Method: "POST", Path: "/api/v1/role-assignments", OperationID: "createRoleAssignment", Summary: "Give a user or user group a role at a scope", Permission: "role_assignments.manage at the scope (and every permission the role grants there)", Status: created, ep: jsonBody(createRoleAssignment)},
		{Method: "DELETE", Path: "/api/v1/role-assignments/{id}", OperationID: "deleteRoleAssignment", Summary: "Remove a role assignment", Permission: "role_assignments.manage at its scope", Status: noContnt, ep: noBody(deleteRoleAssignment)},
		{Method: "POST", Path: "/api/v1/access/explain", OperationID: "explainAccess", Summary: "Why a user can or cannot use a permission on a device, a group or the account", Permission: "authenticated (about another user: users.view)", Status: ok, ep: jsonBody(explainAccess)},
		{Method: "POST", Path: "/api/v1/access/who-can", OperationID: "whoCan", Summary: "The users allowed a permission on a device or group, each with the grant that allows them", Permission: "users.view, and device.view (device_groups.view) on the target", Status: ok, Query: pageQuery, ep: jsonBody(whoCan)},

		// Device groups.
		{Method: "GET", Path: "/api/v1/device-groups", OperationID: "listDeviceGroups", Summary: "List the device groups the caller may see", Permission: "device_groups.view", Status: ok, Query: pageQuery, ep: noBody(listDeviceGroups)},
		{Method: "POST", Path: "/api/v1/device-groups", OperationID: "createDeviceGroup", Summary: "Create a device group", Permission: "device_groups.manage (on the parent)", Status: created, ep: jsonBody(createDeviceGroup)},
		{Method: "GET", Path: "/api/v1/device-groups/{id}", OperationID: "getDeviceGroup", Summary: "Get a device group", Permission: "device_groups.view", Status: ok, ep: noBody(getDeviceGroup)},
		{Method: "PATCH", Path: "/api/v1/device-groups/{id}", OperationID: "updateDeviceGroup", Summary: "Edit or move a device group", Permission: "device_groups.manage", Status: ok, ep: jsonBody(updateDeviceGroup)},
		{Method: "DELETE", Path: "/api/v1/device-groups/{id}", OperationID: "deleteDeviceGroup", Summary: "Delete an empty device group", Permission: "device_groups.delete", Status: noContnt, ep: noBody(deleteDeviceGroup)},
		{Method: "GET", Path: "/api/v1/device-groups/{id}/settings", OperationID: "getDeviceGroupSettings", Summary: "A group's own settings and the effective ones, with where each comes from", Permission: "device_groups.view", Status: ok, ep: noBody(getDeviceGroupSettings)},
		{Method: "PUT", Path: "/api/v1/device-groups/{id}/settings", OperationID: "putDeviceGroupSettings", Summary: "Replace the settings a group sets itself (absent or null ones are inherited)", Permission: "device_groups.settings", Status: ok, ep: jsonBody(putDeviceGroupSettings)},
		{Method: "POST", Path: "/api/v1/device-groups/{id}/settings/enable-all", OperationID: "enableAllDeviceGroupSettings", Summary: "Switch every setting of a group on", Permission: "device_groups.settings", Status: ok, ep: noBody(enableAllSettings)},
		{Method: "POST", Path: "/api/v1/device-groups/{id}/settings/disable-all", OperationID: "disableAllDeviceGroupSettings", Summary: "Switch every setting of a group off", Permission: "device_groups.settings", Status: ok, ep: noBody(disableAllSettings)},

		// Devices.
		{Method: "GET", Path: "/api/v1/devices", OperationID: "listDevices", Summary: "List the devices the caller may view", Permission: "devices.list, and device.view on each device listed", Status: ok, ep: noBody(listDevices), Query: withPages(
			Param{Name: "group_id", Description: "a device group id, or unassigned"}, Param{Name: "recursive", Type: "boolean", Description: "include sub-groups' devices"},
			Param{Name: "q", Description: "text in the name, hostname or IP address"}, Param{Name: "status", Description: "unavailable, available or in_session"},
			Param{Name: "favourites", Type: "boolean", Description: "only the caller's favourites"})},
		{Method: "POST", Path: "/api/v1/devices/move", OperationID: "moveDevices", Summary: "Move devices to a group (or Unassigned, not within 90 days of leaving it)", Permission: "device.move on each device and on the target group", Status: noContnt, ep: jsonBody(moveDevices)},
		{Method: "POST", Path: "/api/v1/devices/delete", OperationID: "deleteDevices", Summary: "Delete several devices at once, all or none", Permission: "device.delete on each device", Status: noContnt, ep: jsonBody(deleteDevices)},
		{Method: "GET", Path: "/api/v1/devices/{id}", OperationID: "getDevice", Summary: "Get a device", Permission: "device.view", Status: ok, ep: noBody(getDevice)},
		{Method: "PATCH", Path: "/api/v1/devices/{id}", OperationID: "updateDevice", Summary: "Rename a device", Permission: "device.edit", Status: ok, ep: jsonBody(updateDevice)},
		{Method: "DELETE", Path: "/api/v1/devices/{id}", OperationID: "deleteDevice", Summary: "Delete a device; its agent is told to stop", Permission: "device.delete", Status: noContnt, ep: noBody(deleteDevice)},
		{Method: "PUT", Path: "/api/v1/devices/{id}/favourite", OperationID: "addFavourite", Summary: "Mark a device as one of the caller's favourites", Permission: "device.view", Status: noContnt, ep: noBody(addFavourite)},
		{Method: "DELETE", Path: "/api/v1/devices/{id}/favourite", OperationID: "removeFavourite", Summary: "Remove a device from the caller's favourites", Permission: "device.view", Status: noContnt, ep: noBody(removeFavourite)},
		{Method: "GET", Path: "/api/v1/devices/{id}/inventory", OperationID: "getDeviceInventory", Summary: "The device's latest hardware and software inventory, as its agent reported it", Permission: "device.inventory", Status: ok, ep: noBody(getDeviceInventory)},
		{Method: "GET", Path: "/api/v1/devices/{id}/session", OperationID: "openSession", Summary: "Open a remote session: a WebSocket carrying the technician protocol (docs/sessions.md); 409 when the device is offline", Permission: "device.<action> on the device for every action asked", Status: switching, Query: []Param{{Name: "actions", Description: "comma-separated actions: screen_view, remote_control, screenshot, file_transfer, terminal, registry, task_manager, chat, message, clipboard, blank_screen, ctrl_alt_del, wake, reboot, lock"}}, ep: noBody(openSession)},
		{Method: "GET", Path: "/api/v1/devices/{id}/history", OperationID: "getDeviceHistory", Summary: "A device's history, newest first", Permission: "device.history", Status: ok, ep: noBody(getDeviceHistory), Query: withPages(
			Param{Name: "action", Description: "only this action"}, Param{Name: "since", Description: "RFC 3339 time"}, Param{Name: "until", Description: "RFC 3339 time"})},

		// Remote sessions.
		{Method: "GET", Path: "/api/v1/sessions", OperationID: "listSessions", Summary: "The live remote sessions (In session): device, group, technician, actions, start time", Permission: "device.view on each session's device", Status: ok, Query: pageQuery, ep: noBody(listSessions)},
		{Method: "GET", Path: "/api/v1/sessions/{id}", OperationID: "getSession", Summary: "Get a remote session, live or ended", Permission: "device.view on its device", Status: ok, ep: noBody(getSession)},
		{Method: "DELETE", Path: "/api/v1/sessions/{id}", OperationID: "endSession", Summary: "End a remote session", Permission: "the session's own technician, or device.remote_control on its device", Status: noContnt, ep: noBody(endSession)},

		// On-demand (quick support) sessions (docs/on-demand.md).
		{Method: "GET", Path: "/api/v1/on-demand/sessions", OperationID: "listOnDemandSessions", Summary: "List on-demand sessions, newest first: the caller's own, or every one with on_demand.all", Permission: "on_demand.own (own) or on_demand.all", Status: ok, ep: noBody(listOnDemandSessions), Query: withPages(
			Param{Name: "live", Description: "true: only those neither ended nor expired"})},
		{Method: "POST", Path: "/api/v1/on-demand/sessions", OperationID: "createOnDemandSession", Summary: "Create an on-demand session: a single-use 9-digit code, its link and its expiry (the account's code lifetime)", Permission: "on_demand.own", Status: created, ep: jsonBody(createOnDemandSession)},
		{Method: "GET", Path: "/api/v1/on-demand/sessions/{id}", OperationID: "getOnDemandSession", Summary: "Get an on-demand session", Permission: "on_demand.own (own) or on_demand.all", Status: ok, ep: noBody(getOnDemandSession)},
		{Method: "DELETE", Path: "/api/v1/on-demand/sessions/{id}", OperationID: "endOnDemandSession", Summary: "End an on-demand session: its code and its support agent's credential stop working, its remote sessions end and its support agent exits", Permission: "on_demand.own (own) or on_demand.all", Status: noContnt, ep: noBody(endOnDemandSession)},
		{Method: "GET", Path: "/api/v1/on-demand/sessions/{id}/history", OperationID: "getOnDemandHistory", Summary: "An on-demand session's history, newest first", Permission: "on_demand.own (own) or on_demand.all", Status: ok, Query: pageQuery, ep: noBody(getOnDemandHistory)},
		{Method: "GET", Path: "/api/v1/on-demand/settings", OperationID: "getOnDemandSettings", Summary: "The account's on-demand settings: code lifetime, the actions offered, whether every request needs the person's approval", Permission: "on_demand.settings or on_demand.own", Status: ok, ep: noBody(getOnDemandSettings)},
		{Method: "PUT", Path: "/api/v1/on-demand/settings", OperationID: "setOnDemandSettings", Summary: "Replace the account's on-demand settings; an action switched off ends in live on-demand sessions at once", Permission: "on_demand.settings", Status: ok, ep: jsonBody(setOnDemandSettings)},
		{Method: "POST", Path: "/api/v1/on-demand/redeem", OperationID: "redeemOnDemandCode", Summary: "Redeem an on-demand code (the support agent's own endpoint): the credential it connects with from then on. A wrong, expired or used code is 404; 20 wrong codes from an address in 15 minutes lock it out for 15 minutes (429)", Permission: "public (on-demand code)", Status: created, Public: true, ep: jsonBody(redeemOnDemandCode)},

		// Device assignment rules.
		{Method: "GET", Path: "/api/v1/assignment-rules", OperationID: "listAssignmentRules", Summary: "List device assignment rules in order", Permission: "device_groups.view at account level (or assignment_rules.manage)", Status: ok, Query: pageQuery, ep: noBody(listRules)},
		{Method: "POST", Path: "/api/v1/assignment-rules", OperationID: "createAssignmentRule", Summary: "Create a rule (added last)", Permission: "assignment_rules.manage", Status: created, ep: jsonBody(createRule)},
		{Method: "PUT", Path: "/api/v1/assignment-rules/order", OperationID: "reorderAssignmentRules", Summary: "Set the order of every rule", Permission: "assignment_rules.manage", Status: noContnt, ep: jsonBody(reorderRules)},
		{Method: "POST", Path: "/api/v1/assignment-rules/apply", OperationID: "applyAssignmentRules", Summary: "Run the rules over the devices in Unassigned now", Permission: "assignment_rules.manage", Status: ok, ep: noBody(applyRules)},
		{Method: "POST", Path: "/api/v1/assignment-rules/delete", OperationID: "deleteAssignmentRules", Summary: "Delete several rules at once, all or none", Permission: "assignment_rules.manage", Status: noContnt, ep: jsonBody(deleteRules)},
		{Method: "GET", Path: "/api/v1/assignment-rules/{id}", OperationID: "getAssignmentRule", Summary: "Get a rule", Permission: "device_groups.view at account level (or assignment_rules.manage)", Status: ok, ep: noBody(getRule)},
		{Method: "PUT", Path: "/api/v1/assignment-rules/{id}", OperationID: "updateAssignmentRule", Summary: "Replace a rule", Permission: "assignment_rules.manage", Status: ok, ep: jsonBody(updateRule)},
		{Method: "DELETE", Path: "/api/v1/assignment-rules/{id}", OperationID: "deleteAssignmentRule", Summary: "Delete a rule", Permission: "assignment_rules.manage", Status: noContnt, ep: noBody(deleteRule)},
		{Method: "POST", Path: "/api/v1/assignment-rules/{id}/dry-run", OperationID: "dryRunAssignmentRule", Summary: "Show which devices in Unassigned the rule would move, moving none", Permission: "assignment_rules.manage", Status: ok, Query: pageQuery, ep: noBody(dryRunRule)},

		// Audit log.
		{Method: "GET", Path: "/api/v1/audit-events", OperationID: "listAuditEvents", Summary: "List audit events, newest first", Permission: "audit.view", Status: ok, ep: noBody(listAudit), Query: withPages(auditFilters...)},
		{Method: "GET", Path: "/api/v1/audit-events/export", OperationID: "exportAuditEvents", Summary: "Every audit event the filters select, newest first, as JSON Lines (application/x-ndjson): one event per line, as the list answers it, streamed; a transfer cut short means the export failed", Permission: "audit.view", Status: ok, ep: jsonLines("audit-log", exportAudit), Query: auditFilters},
		{Method: "GET", Path: "/api/v1/audit-events/verify", OperationID: "verifyAuditLog", Summary: "Check the audit log's hash chain and name the first bad entry", Permission: "audit.view", Status: ok, ep: noBody(verifyAudit)},

		// API keys.
		{Method: "GET", Path: "/api/v1/api-keys", OperationID: "listAPIKeys", Summary: "List API keys (never their secrets)", Permission: "api_keys.view", Status: ok, Query: pageQuery, ep: noBody(listAPIKeys)},
		{Method: "POST", Path: "/api/v1/api-keys", OperationID: "createAPIKey", Summary: "Create an API key acting as the caller, optionally narrowed; the secret is shown once", Permission: "api_keys.manage", Status: created, ep: jsonBody(createAPIKey)},
		{Method: "DELETE", Path: "/api/v1/api-keys/{id}", OperationID: "revokeAPIKey", Summary: "Revoke an API key", Permission: "api_keys.manage", Status: noContnt, ep: noBody(revokeAPIKey)},

		// Account hardening.
		{Method: "GET", Path: "/api/v1/ip-allowlist", OperationID: "getIPAllowlist", Summary: "The account's IP allow list (empty: every address) and the caller's own address as the server sees it", Permission: "ip_allowlist.view", Status: ok, ep: noBody(getIPAllowlist)},
		{Method: "PUT", Path: "/api/v1/ip-allowlist", OperationID: "setIPAllowlist", Summary: "Replace the IP allow list (IPv4/IPv6 CIDRs or addresses); a list that excludes the caller's own address needs i_understand: true. People outside a non-empty list are refused (403); agents are not subject to it", Permission: "ip_allowlist.manage", Status: ok, ep: jsonBody(setIPAllowlist)},
		{Method: "GET", Path: "/api/v1/password-policy", OperationID: "getPasswordPolicy", Summary: "What new passwords must be: minimum length and whether letters and digits are required (common passwords are always refused)", Permission: "account.view", Status: ok, ep: noBody(getPasswordPolicy)},
		{Method: "PUT", Path: "/api/v1/password-policy", OperationID: "setPasswordPolicy", Summary: "Replace the password policy; it applies wherever a password is set from then on", Permission: "account.manage", Status: ok, ep: jsonBody(setPasswordPolicy)},

		// Terms of service and privacy policy. While the account has versions a user has not accepted,
		// every other authenticated route but 2FA enrolment answers 403 naming the field "legal".
		{Method: "GET", Path: "/api/v1/legal", OperationID: "getLegal", Summary: "The current terms of service and privacy policy (version and text or url; an empty version asks for nothing) and whether the caller accepted them", Permission: "authenticated", Status: ok, ep: noBody(getLegal)},
		{Method: "PUT", Path: "/api/v1/legal", OperationID: "setLegal", Summary: "Set the current version of each document (a version label and either a text of at most 20,000 characters or an http(s) url); a new version makes every user accept again", Permission: "legal.manage", Status: ok, ep: jsonBody(setLegal)},
		{Method: "POST", Path: "/api/v1/legal/accept", OperationID: "acceptLegal", Summary: "Accept the current versions; recorded with the time and the caller's address", Permission: "authenticated", Status: ok, ep: noBody(acceptLegal)},

		// Branding.
		{Method: "GET", Path: "/api/v1/branding", OperationID: "getBranding", Summary: "Whether the account has a logo, and its type and size", Permission: "authenticated", Status: ok, ep: noBody(getBranding)},
		{Method: "POST", Path: "/api/v1/branding/logo", OperationID: "uploadLogo", Summary: "Replace the logo shown in the portal's top bar: the image as the raw body, or the part named logo of a multipart/form-data body; PNG or JPEG (read from the bytes, not the declared type), at most 512 KiB and 1024×1024 px; SVG and anything else are refused naming the field logo", Permission: "branding.manage", Status: ok, ep: noBody(uploadLogo)},
		{Method: "DELETE", Path: "/api/v1/branding/logo", OperationID: "deleteLogo", Summary: "Remove the logo; the portal shows the product name again", Permission: "branding.manage", Status: noContnt, ep: noBody(deleteLogo)},

		// Enrollment.
		{Method: "GET", Path: "/api/v1/enrollment-tokens", OperationID: "listEnrollmentTokens", Summary: "List enrollment tokens (never their secrets)", Permission: "installers.access (at account level: all; otherwise those of the groups where it is held)", Status: ok, Query: pageQuery, ep: noBody(listEnrollmentTokens)},
		{Method: "POST", Path: "/api/v1/enrollment-tokens", OperationID: "createEnrollmentToken", Summary: "Create an enrollment token, optionally bound to a device group; the secret is shown once", Permission: "installers.access (at the token's group, or account level)", Status: created, ep: jsonBody(createEnrollmentToken)},
		{Method: "POST", Path: "/api/v1/enrollment-tokens/{id}/revoke", OperationID: "revokeEnrollmentToken", Summary: "Revoke an enrollment token", Permission: "installers.access", Status: noContnt, ep: noBody(revokeEnrollmentToken)},
		{Method: "GET", Path: "/api/v1/agent/connect", OperationID: "connectAgent", Summary: "The agent's WebSocket (Authorization: Bearer <credential>, X-Portico-Device: <device id>); see internal/protocol", Permission: "public (device credential)", Status: switching, Public: true, ep: noBody(connectAgent)},
		{Method: "POST", Path: "/api/v1/agent/enroll", OperationID: "enrollDevice", Summary: "Enroll a device with an enrollment token (the agent's own endpoint)", Permission: "public (enrollment token)", Status: created, Public: true, ep: jsonBody(enroll)},

		// Operations.
		{Method: "GET", Path: "/api/v1/openapi.json", OperationID: "getOpenAPI", Summary: "This document", Permission: "public", Status: ok, Public: true, ep: noBody(getOpenAPI)},
		{Method: "GET", Path: "/healthz", OperationID: "health", Summary: "Liveness: 200 whenever the process serves", Permission: "public", Status: ok, Public: true, ep: noBody(health)},
		{Method: "GET", Path: "/readyz", OperationID: "ready", Summary: "Readiness: 200 when the database answers", Permission: "public", Status: ok, Public: true, ep: noBody(ready)},
		{Method: "GET", Path: "/metrics", OperationID: "metrics", Summary: "Prometheus metrics (text format)", Permission: "public", Status: ok, Public: true, ep: noBody(metricsHandler)},
	})))
}
