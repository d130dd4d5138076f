package api

import (
	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

func listDeviceGroups(c *call) (*Page[portico.DeviceGroup], error) {
	return paginate(c, func() ([]portico.DeviceGroup, error) { return c.app().ListDeviceGroups(c.ctx(), c.ac) })
}

type createDeviceGroupRequest struct {
	Name        string `json:"name" openapi:"required"`
	Colour      string `json:"colour"`
	Description string `json:"description,omitempty"`
	// ParentID is empty for a top-level group.
	ParentID string `json:"parent_id,omitempty"`
}

func createDeviceGroup(c *call, in *createDeviceGroupRequest) (*portico.DeviceGroup, error) {
	return c.app().CreateDeviceGroup(c.ctx(), c.ac, app.GroupInput{Name: in.Name, Colour: in.Colour,
		Description: in.Description, ParentID: in.ParentID})
}

func getDeviceGroup(c *call) (*portico.DeviceGroup, error) {
	return c.app().GetDeviceGroup(c.ctx(), c.ac, c.id())
}

type updateDeviceGroupRequest struct {
	Name        *string `json:"name,omitempty"`
	Colour      *string `json:"colour,omitempty"`
	Description *string `json:"description,omitempty"`
	// ParentID moves the group; "" makes it top-level.
	ParentID *string `json:"parent_id,omitempty"`
}

func updateDeviceGroup(c *call, in *updateDeviceGroupRequest) (*portico.DeviceGroup, error) {
	return c.app().UpdateDeviceGroup(c.ctx(), c.ac, c.id(), app.GroupUpdate{Name: in.Name, Colour: in.Colour,
		Description: in.Description, ParentID: in.ParentID})
}

func deleteDeviceGroup(c *call) (noContent, error) {
	return noContent{}, c.app().DeleteDeviceGroup(c.ctx(), c.ac, c.id())
}

func getDeviceGroupSettings(c *call) (*app.GroupSettingsView, error) {
	return c.app().GetGroupSettings(c.ctx(), c.ac, c.id())
}

// putGroupSettingsRequest replaces the settings a group sets itself: the "own" of what GET answers.
type putGroupSettingsRequest struct {
	// Own maps a feature to on or off; a feature left out, or given as null, is inherited from the
	// parent.
	Own map[portico.Feature]*bool `json:"own" jsonstrict:"null-values" openapi:"required"`
}

func putDeviceGroupSettings(c *call, in *putGroupSettingsRequest) (*app.GroupSettingsView, error) {
	if in.Own == nil {
		return nil, required("own", `send {"own": {}} to inherit every setting`)
	}
	// A null would otherwise decode as false and switch the feature off.
	own := make(portico.GroupSettings, len(in.Own))
	for f, on := range in.Own {
		switch _, known := portico.LookupFeature(f); {
		case on != nil:
			own[f] = *on
		case !known:
			own[f] = false // for the app to refuse by name, as it refuses any unknown feature
		}
	}
	return c.app().PutGroupSettings(c.ctx(), c.ac, c.id(), own)
}

func enableAllSettings(c *call) (*app.GroupSettingsView, error) {
	return c.app().SetAllGroupSettings(c.ctx(), c.ac, c.id(), true)
}

func disableAllSettings(c *call) (*app.GroupSettingsView, error) {
	return c.app().SetAllGroupSettings(c.ctx(), c.ac, c.id(), false)
}

func listDevices(c *call) (*Page[app.DeviceView], error) {
	limit, offset, err := c.pageParams()
	if err != nil {
		return nil, err
	}
	status, err := c.queryOneOf("status", string(portico.DeviceUnavailable), string(portico.DeviceAvailable), string(portico.DeviceInSession))
	if err != nil {
		return nil, err
	}
	recursive, err := c.queryBool("recursive")
	if err != nil {
		return nil, err
	}
	favourites, err := c.queryBool("favourites")
	if err != nil {
		return nil, err
	}
	q := c.r.URL.Query()
	res, err := c.app().ListDevices(c.ctx(), c.ac, app.DeviceQuery{GroupID: q.Get("group_id"), Recursive: recursive,
		Q: q.Get("q"), Status: portico.DeviceStatus(status), FavouritesOnly: favourites,
		Page: portico.Page{Limit: limit, Offset: offset}})
	if err != nil {
		return nil, err
	}
	items := res.Devices
	if items == nil {
		items = []app.DeviceView{}
	}
	return &Page[app.DeviceView]{Items: items, Total: res.Total, Limit: limit, Offset: offset}, nil
}

func getDevice(c *call) (*app.DeviceView, error) { return c.app().GetDevice(c.ctx(), c.ac, c.id()) }

type updateDeviceRequest struct {
	Name *string `json:"name,omitempty"`
}

func updateDevice(c *call, in *updateDeviceRequest) (*app.DeviceView, error) {
	return c.app().UpdateDevice(c.ctx(), c.ac, c.id(), app.DeviceUpdate{Name: in.Name})
}

func deleteDevice(c *call) (noContent, error) {
	return noContent{}, c.app().DeleteDevices(c.ctx(), c.ac, []string{c.id()})
}

type deviceIDsRequest struct {
	DeviceIDs []string `json:"device_ids" openapi:"required"`
}

func deleteDevices(c *call, in *deviceIDsRequest) (noContent, error) {
	return noContent{}, c.app().DeleteDevices(c.ctx(), c.ac, in.DeviceIDs)
}

type moveDevicesRequest struct {
	DeviceIDs []string `json:"device_ids" openapi:"required"`
	// GroupID is the target group, or "unassigned".
	GroupID string `json:"group_id" openapi:"required"`
}

func moveDevices(c *call, in *moveDevicesRequest) (noContent, error) {
	return noContent{}, c.app().MoveDevices(c.ctx(), c.ac, in.DeviceIDs, in.GroupID)
}

func addFavourite(c *call) (noContent, error) {
	return noContent{}, c.app().SetFavourite(c.ctx(), c.ac, c.id(), true)
}

func removeFavourite(c *call) (noContent, error) {
	return noContent{}, c.app().SetFavourite(c.ctx(), c.ac, c.id(), false)
}

func getDeviceHistory(c *call) (*Page[portico.HistoryEntry], error) {
	limit, offset, err := c.pageParams()
	if err != nil {
		return nil, err
	}
	since, err := c.queryTime("since")
	if err != nil {
		return nil, err
	}
	until, err := c.queryTime("until")
	if err != nil {
		return nil, err
	}
	items, total, err := c.app().DeviceHistory(c.ctx(), c.ac, c.id(), portico.HistoryFilter{
		Action: c.r.URL.Query().Get("action"), Since: since, Until: until, Page: portico.Page{Limit: limit, Offset: offset}})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []portico.HistoryEntry{}
	}
	return &Page[portico.HistoryEntry]{Items: items, Total: total, Limit: limit, Offset: offset}, nil
}

func listRules(c *call) (*Page[portico.AssignmentRule], error) {
	return paginate(c, func() ([]portico.AssignmentRule, error) { return c.app().ListRules(c.ctx(), c.ac) })
}

type ruleRequest struct {
	Name        string `json:"name" openapi:"required"`
	Description string `json:"description,omitempty"`
	// Enabled defaults to true.
	Enabled       *bool                   `json:"enabled,omitempty"`
	Match         portico.RuleMatch       `json:"match" openapi:"required"`
	TargetGroupID string                  `json:"target_group_id" openapi:"required"`
	Conditions    []portico.RuleCondition `json:"conditions" openapi:"required"`
}

func (in *ruleRequest) input() app.RuleInput {
	return app.RuleInput{Name: in.Name, Description: in.Description, Enabled: in.Enabled, Match: in.Match,
		TargetGroupID: in.TargetGroupID, Conditions: in.Conditions}
}

func createRule(c *call, in *ruleRequest) (*portico.AssignmentRule, error) {
	return c.app().CreateRule(c.ctx(), c.ac, in.input())
}

func getRule(c *call) (*portico.AssignmentRule, error) { return c.app().GetRule(c.ctx(), c.ac, c.id()) }

func updateRule(c *call, in *ruleRequest) (*portico.AssignmentRule, error) {
	return c.app().UpdateRule(c.ctx(), c.ac, c.id(), in.input())
}

func deleteRule(c *call) (noContent, error) {
	return noContent{}, c.app().DeleteRule(c.ctx(), c.ac, c.id())
}

type reorderRulesRequest struct {
	RuleIDs []string `json:"rule_ids" openapi:"required"`
}

func reorderRules(c *call, in *reorderRulesRequest) (noContent, error) {
	if in.RuleIDs == nil {
		return noContent{}, required("rule_ids", "list every rule id in the new order")
	}
	return noContent{}, c.app().ReorderRules(c.ctx(), c.ac, in.RuleIDs)
}

// dryRunRule lists the Unassigned devices the rule would move, and where.
func dryRunRule(c *call) (*Page[app.DryRunMatch], error) {
	return paginate(c, func() ([]app.DryRunMatch, error) {
		r, err := c.app().DryRun(c.ctx(), c.ac, c.id())
		if err != nil {
			return nil, err
		}
		return r.Matches, nil
	})
}

type applyRulesResponse struct {
	// Moved counts the devices the rules moved out of Unassigned.
	Moved int `json:"moved"`
}

func applyRules(c *call) (*applyRulesResponse, error) {
	n, err := c.app().ApplyRules(c.ctx(), c.ac)
	if err != nil {
		return nil, err
	}
	return &applyRulesResponse{Moved: n}, nil
}

func listEnrollmentTokens(c *call) (*Page[portico.EnrollmentToken], error) {
	return paginate(c, func() ([]portico.EnrollmentToken, error) { return c.app().ListEnrollmentTokens(c.ctx(), c.ac) })
}

type createTokenRequest struct {
	// DeviceGroupID binds the token to a group (installer group assignment).
	DeviceGroupID string `json:"device_group_id,omitempty"`
}

// tokenCreated carries the token's secret, shown this once.
type tokenCreated struct {
	*portico.EnrollmentToken
	// Secret is the token itself, shown this once.
	Secret string `json:"secret"`
}

func createEnrollmentToken(c *call, in *createTokenRequest) (*tokenCreated, error) {
	t, secret, err := c.app().CreateEnrollmentToken(c.ctx(), c.ac, in.DeviceGroupID)
	if err != nil {
		return nil, err
	}
	return &tokenCreated{EnrollmentToken: t, Secret: secret}, nil
}

func revokeEnrollmentToken(c *call) (noContent, error) {
	return noContent{}, c.app().RevokeEnrollmentToken(c.ctx(), c.ac, c.id())
}

type enrollRequest struct {
	Token        string   `json:"token"`
	Hostname     string   `json:"hostname"`
	Name         string   `json:"name,omitempty"`
	OSName       string   `json:"os_name,omitempty"`
	OSVersion    string   `json:"os_version,omitempty"`
	DeviceType   string   `json:"device_type,omitempty"`
	Manufacturer string   `json:"manufacturer,omitempty"`
	AssetID      string   `json:"asset_id,omitempty"`
	AgentVersion string   `json:"agent_version,omitempty"`
	LoggedInUser string   `json:"logged_in_user,omitempty"`
	IPAddresses  []string `json:"ip_addresses,omitempty"`
}

// enrollResponse gives the agent its device id and the credential it connects with from now on.
type enrollResponse struct {
	DeviceID   string `json:"device_id"`
	Credential string `json:"credential"`
}

func enroll(c *call, in *enrollRequest) (*enrollResponse, error) {
	c.ac.MarkDecided() // the enrollment token is the credential; the app checks it
	id, cred, err := c.app().Enroll(c.ctx(), app.EnrollInput{Token: in.Token, Hostname: in.Hostname, Name: in.Name,
		OSName: in.OSName, OSVersion: in.OSVersion, DeviceType: in.DeviceType, Manufacturer: in.Manufacturer,
		AssetID: in.AssetID, AgentVersion: in.AgentVersion, LoggedInUser: in.LoggedInUser,
		IPAddresses: in.IPAddresses, SourceIP: c.ip})
	if err != nil {
		return nil, err
	}
	return &enrollResponse{DeviceID: id, Credential: cred}, nil
}
