package portico

// Feature is a device-group setting: a feature that can be switched off for everyone on a group's
// devices, whatever their permissions.
type Feature string

// Group settings (docs/authorization.md §1).
const (
	FeatureChat            Feature = "chat"
	FeatureMessage         Feature = "message"
	FeatureTerminal        Feature = "terminal"
	FeatureRegistry        Feature = "registry"
	FeatureTaskManager     Feature = "task_manager"
	FeatureFileTransfer    Feature = "file_transfer"
	FeatureView            Feature = "view"
	FeatureRequireAck      Feature = "require_acknowledgement"
	FeatureShowAgentWindow Feature = "show_agent_window"
)

// FeatureInfo describes one group setting.
type FeatureInfo struct {
	Feature Feature `json:"feature"`
	Title   string  `json:"title"`
	// Default is the value a root group has when it sets nothing.
	Default bool `json:"default"`
}

// Features lists the group settings in display order.
var Features = []FeatureInfo{
	{FeatureChat, "Chat to devices", true},
	{FeatureMessage, "Message to devices", true},
	{FeatureTerminal, "PowerShell / terminal", true},
	{FeatureRegistry, "Registry editor", true},
	{FeatureRequireAck, "Require user acknowledgement", false},
	{FeatureShowAgentWindow, "Show agent window on connection", true},
	{FeatureTaskManager, "Task manager", true},
	{FeatureFileTransfer, "Transfer files to devices", true},
	{FeatureView, "View devices", true},
}

// LookupFeature returns the setting's description.
func LookupFeature(f Feature) (FeatureInfo, bool) {
	for _, fi := range Features {
		if fi.Feature == f {
			return fi, true
		}
	}
	return FeatureInfo{}, false
}

// GatedPermissions returns the permissions that f, switched off, removes.
func GatedPermissions(f Feature) PermissionSet {
	var s PermissionSet
	for i := range catalogue {
		if catalogue[i].GatedBy == f {
			s[i/64] |= 1 << (i % 64)
		}
	}
	return s
}

// GroupSettings holds the settings a group sets itself; a feature absent from the map is inherited
// from the parent group (or takes its default at a root group).
type GroupSettings map[Feature]bool

// Validate checks that every key is a known feature.
func (s GroupSettings) Validate(v *Validation, field string) {
	for f := range s {
		if _, ok := LookupFeature(f); !ok {
			v.Add(field+"."+string(f), "is not a known setting")
		}
	}
}
