package client

// The JSON bodies that methods build from their arguments, named for the external tests that hold
// them to the OpenAPI document.
type (
	TwoFactorCodeBody       = twoFactorCode
	UserGroupMembersBody    = userGroupMembers
	CloneRoleBody           = cloneRole
	GroupSettingsUpdateBody = groupSettingsUpdate
	MoveDevicesBody         = moveDevices
	DeviceIDsBody           = deviceIDs
	RuleIDsBody             = ruleIDs
)

// ErrNoID is errNoID, for the external tests.
var ErrNoID = errNoID
