package api

// examples are a request body for every operation that takes one, shown in the OpenAPI document.
// The ids are placeholders of the right form; a test sends each example, with the placeholders
// replaced by real ids, to a real server and expects the operation's success (examples_test.go).
var examples = map[string]any{
	"signIn":           map[string]any{"email": "owner@example.com", "password": "correct horse battery staple"},
	"acceptInvitation": map[string]any{"token": "inv_3f9k2m7q1x8d4w6z", "name": "Ann Lee", "password": "correct horse battery staple"},
	"updateAccount":    map[string]any{"name": "Example Ltd"},
	"createUser": map[string]any{"email": "ann.lee@example.com", "name": "Ann Lee",
		"password": "correct horse battery staple"},
	"updateUser":              map[string]any{"name": "Ann Lee-Smith", "language": "en-GB"},
	"confirmTwoFactor":        map[string]any{"totp": "492039"},
	"disableTwoFactor":        map[string]any{"totp": "492039"},
	"regenerateRecoveryCodes": map[string]any{"totp": "492039"},
	"createUserGroup": map[string]any{"name": "Field support", "description": "Technicians on site",
		"member_ids": []string{exampleUser}},
	"updateUserGroup":     map[string]any{"name": "Field support team"},
	"setUserGroupMembers": map[string]any{"user_ids": []string{exampleUser}},
	"putDirectory": map[string]any{"kind": "active_directory", "url": "ldaps://dc1.example.com:636",
		"bind_dn": "CN=portico,OU=Service,DC=example,DC=com", "bind_password": "s3rvice-pass", "base_dn": "DC=example,DC=com"},
	"putSSO": map[string]any{"enabled": true, "idp_metadata_url": "https://idp.example.com/saml/metadata", "email_attribute": "email"},
	"createRole": map[string]any{"name": "Field technician", "description": "Remote help on site devices",
		"purpose": "devices", "permissions": []string{"device.view", "device.terminal", "device.file_transfer"}},
	"updateRole": map[string]any{"permissions": []string{"device.view", "device.terminal"}},
	"cloneRole":  map[string]any{"name": "Field technician (night shift)"},
	"createRoleAssignment": map[string]any{"principal_type": "user", "principal_id": exampleUser, "role_id": exampleRole,
		"scope_type": "device_group", "scope_id": exampleSubGroup},
	"explainAccess":          map[string]any{"user_id": exampleUser, "permission": "device.view", "device_id": exampleDevice},
	"whoCan":                 map[string]any{"permission": "device.terminal", "device_group_id": exampleGroup},
	"createDeviceGroup":      map[string]any{"name": "Lyon", "colour": "#336699", "description": "Office devices", "parent_id": exampleGroup},
	"updateDeviceGroup":      map[string]any{"name": "Munich office"},
	"putDeviceGroupSettings": map[string]any{"own": map[string]any{"chat": false, "terminal": nil}},
	"moveDevices":            map[string]any{"device_ids": []string{exampleDevice}, "group_id": exampleGroup},
	"deleteDevices":          map[string]any{"device_ids": []string{exampleDevice}},
	"updateDevice":           map[string]any{"name": "Reception PC"},
	"createAssignmentRule":   exampleRule,
	"updateAssignmentRule":   exampleRule,
	"reorderAssignmentRules": map[string]any{"rule_ids": []string{exampleRuleID}},
	"deleteAssignmentRules":  map[string]any{"rule_ids": []string{exampleRuleID}},
	"createAPIKey":           map[string]any{"name": "Inventory sync", "permissions": []string{"devices.list", "device.view", "device.inventory"}},
	"setIPAllowlist": map[string]any{"entries": []map[string]string{{"cidr": "203.0.113.0/24", "description": "Head office"}},
		"i_understand": true},
	"setPasswordPolicy": map[string]any{"min_length": 12, "require_mix": true},
	"setLegal": map[string]any{"terms": map[string]any{"version": "2026-01", "url": "https://example.com/terms"},
		"privacy": map[string]any{"version": "2026-01", "url": "https://example.com/privacy"}},
	"createEnrollmentToken": map[string]any{"device_group_id": exampleGroup},
	"createOnDemandSession": map[string]any{"customer_name": "Ann Lee", "note": "Printer will not print", "language": "en-GB"},
	"setOnDemandSettings": map[string]any{"code_minutes": 20, "actions": []string{"screen_view", "remote_control", "file_transfer",
		"terminal", "chat"}, "require_approval": true},
	"redeemOnDemandCode": map[string]any{"code": exampleCode, "hostname": "anns-laptop", "os_name": "Windows 11 Pro",
		"os_version": "24H2", "logged_in_user": "ann"},
	"enrollDevice": map[string]any{"token": exampleToken, "hostname": "muc-lt-042", "name": "MUC-LT-042",
		"os_name": "Windows 11 Pro", "os_version": "24H2", "device_type": "Laptop", "manufacturer": "Contoso",
		"ip_addresses": []string{"10.20.1.42"}},
}

// The placeholders of the examples.
const (
	exampleUser     = "usr_7k2m9q4x1d8w3z6p"
	exampleRole     = "rol_4n8c2v6b1m9x3k7q"
	exampleGroup    = "grp_2x7kq9m4ph3nd5vs"
	exampleSubGroup = "grp_8d3m1q6w9z2k4x7c"
	exampleDevice   = "dev_5q1w8e3r6t9y2u4i"
	exampleRuleID   = "rul_6y3u8i1o4p7a2s5d"
	exampleToken    = "enr_9f2k6m3q8x1d5w7z4c8v2b6n"
	exampleCode     = "483 920 176"
)

var exampleRule = map[string]any{"name": "Munich laptops", "description": "Laptops named MUC- go to Munich",
	"enabled": true, "match": "all", "target_group_id": exampleGroup,
	"conditions": []map[string]string{{"property": "hostname", "operator": "starts_with", "value": "MUC-"}}}
