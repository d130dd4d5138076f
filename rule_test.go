package portico_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

var ruleDevice = portico.Device{
	Name:            "Reception-PC",
	Hostname:        "RECEPTION01.corp.example",
	OSName:          "Windows",
	OSVersion:       "11.23H2",
	DeviceType:      "Desktop",
	IPAddresses:     []string{"192.168.10.25", "fe80::1", "::ffff:10.1.2.3"},
	LoggedInUser:    `CORP\ann`,
	Manufacturer:    "Dell",
	DirectoryGroups: []string{"CN=Sales,OU=Munich", "Laptops"},
}

func TestConditionMatches(t *testing.T) {
	type tc struct {
		prop  portico.RuleProperty
		op    portico.RuleOperator
		value string
		want  bool
	}
	tests := []tc{
		// device_name
		{portico.PropDeviceName, portico.OpEquals, "Reception-PC", true},
		{portico.PropDeviceName, portico.OpEquals, "reception-pc", true}, // case-insensitive
		{portico.PropDeviceName, portico.OpEquals, "Reception", false},
		{portico.PropDeviceName, portico.OpNotEquals, "Reception", true},
		{portico.PropDeviceName, portico.OpNotEquals, "RECEPTION-PC", false},
		{portico.PropDeviceName, portico.OpContains, "ption-p", true},
		{portico.PropDeviceName, portico.OpContains, "kitchen", false},
		{portico.PropDeviceName, portico.OpNotContains, "kitchen", true},
		{portico.PropDeviceName, portico.OpNotContains, "PTION", false},
		{portico.PropDeviceName, portico.OpStartsWith, "recep", true},
		{portico.PropDeviceName, portico.OpStartsWith, "PC", false},
		{portico.PropDeviceName, portico.OpEndsWith, "-pc", true},
		{portico.PropDeviceName, portico.OpEndsWith, "recep", false},
		// hostname
		{portico.PropHostname, portico.OpEndsWith, ".CORP.EXAMPLE", true},
		{portico.PropHostname, portico.OpStartsWith, "reception01", true},
		{portico.PropHostname, portico.OpEquals, "reception01", false},
		// os_name, os_version, device_type
		{portico.PropOSName, portico.OpEquals, "windows", true},
		{portico.PropOSName, portico.OpNotEquals, "macOS", true},
		{portico.PropOSVersion, portico.OpStartsWith, "11.", true},
		{portico.PropOSVersion, portico.OpContains, "23h2", true},
		{portico.PropOSVersion, portico.OpStartsWith, "10.", false},
		{portico.PropDeviceType, portico.OpEquals, "DESKTOP", true},
		{portico.PropDeviceType, portico.OpEquals, "Laptop", false},
		// logged_in_user, manufacturer
		{portico.PropLoggedInUser, portico.OpEndsWith, `\ANN`, true},
		{portico.PropLoggedInUser, portico.OpStartsWith, `corp\`, true},
		{portico.PropLoggedInUser, portico.OpEquals, "ann", false},
		{portico.PropManufacturer, portico.OpEquals, "dell", true},
		{portico.PropManufacturer, portico.OpNotContains, "lenovo", true},
		// ip_address: several values, a match on any one counts
		{portico.PropIPAddress, portico.OpEquals, "192.168.10.25", true},
		{portico.PropIPAddress, portico.OpEquals, "FE80::1", true},
		{portico.PropIPAddress, portico.OpStartsWith, "192.168.", true},
		{portico.PropIPAddress, portico.OpNotEquals, "192.168.10.25", false}, // one address equals
		{portico.PropIPAddress, portico.OpNotEquals, "10.0.0.1", true},
		{portico.PropIPAddress, portico.OpNotContains, "192.168", false},
		{portico.PropIPAddress, portico.OpCIDR, "192.168.0.0/16", true},
		{portico.PropIPAddress, portico.OpCIDR, "192.168.10.25/32", true},
		{portico.PropIPAddress, portico.OpCIDR, "192.168.11.0/24", false},
		{portico.PropIPAddress, portico.OpCIDR, "192.168.10.1/24", true}, // host bits set in the prefix
		{portico.PropIPAddress, portico.OpCIDR, "10.0.0.0/8", true},      // IPv4-mapped IPv6 address
		{portico.PropIPAddress, portico.OpCIDR, "FE80::/10", true},       // upper-case IPv6
		{portico.PropIPAddress, portico.OpCIDR, "fe80::/10", true},
		{portico.PropIPAddress, portico.OpCIDR, "2001:db8::/32", false},
		{portico.PropIPAddress, portico.OpCIDR, "0.0.0.0/0", true},
		{portico.PropIPAddress, portico.OpCIDR, "not-a-network", false},
		{portico.PropIPAddress, portico.OpCIDR, "192.168.10.25", false}, // no prefix length
		// directory_group: several values
		{portico.PropDirectoryGroup, portico.OpEquals, "laptops", true},
		{portico.PropDirectoryGroup, portico.OpContains, "ou=munich", true},
		{portico.PropDirectoryGroup, portico.OpNotEquals, "Laptops", false},
		{portico.PropDirectoryGroup, portico.OpNotEquals, "Desktops", true},
		{portico.PropDirectoryGroup, portico.OpStartsWith, "cn=", true},
		// matches_cidr on a text property never matches
		{portico.PropHostname, portico.OpCIDR, "0.0.0.0/0", false},
		// unknown property or operator never matches positively
		{"serial", portico.OpEquals, "x", false},
		{portico.PropDeviceName, "like", "Reception-PC", false},
	}
	covered := map[portico.RuleProperty]bool{}
	ops := map[portico.RuleOperator]bool{}
	for _, tt := range tests {
		covered[tt.prop], ops[tt.op] = true, true
		c := portico.RuleCondition{Property: tt.prop, Operator: tt.op, Value: tt.value}
		t.Run(string(tt.prop)+"/"+string(tt.op)+"/"+tt.value, func(t *testing.T) {
			d := ruleDevice
			if got := c.Matches(&d); got != tt.want {
				t.Errorf("%+v.Matches = %v, want %v", c, got, tt.want)
			}
		})
	}
	for _, p := range portico.RuleProperties {
		if !covered[p] {
			t.Errorf("property %s not tested", p)
		}
	}
	for _, o := range portico.RuleOperators {
		if !ops[o] {
			t.Errorf("operator %s not tested", o)
		}
	}
}

// A device with no value for a multi-valued property: positive operators fail, negative ones hold.
func TestConditionMatchesNoValues(t *testing.T) {
	d := portico.Device{Name: "x"}
	for _, tt := range []struct {
		c    portico.RuleCondition
		want bool
	}{
		{portico.RuleCondition{Property: portico.PropIPAddress, Operator: portico.OpCIDR, Value: "0.0.0.0/0"}, false},
		{portico.RuleCondition{Property: portico.PropIPAddress, Operator: portico.OpEquals, Value: "1.2.3.4"}, false},
		{portico.RuleCondition{Property: portico.PropIPAddress, Operator: portico.OpNotEquals, Value: "1.2.3.4"}, true},
		{portico.RuleCondition{Property: portico.PropDirectoryGroup, Operator: portico.OpNotContains, Value: "x"}, true},
		{portico.RuleCondition{Property: portico.PropDirectoryGroup, Operator: portico.OpContains, Value: "x"}, false},
		{portico.RuleCondition{Property: portico.PropManufacturer, Operator: portico.OpEquals, Value: "dell"}, false},
		{portico.RuleCondition{Property: portico.PropManufacturer, Operator: portico.OpNotEquals, Value: "dell"}, true},
	} {
		if got := tt.c.Matches(&d); got != tt.want {
			t.Errorf("%+v.Matches(empty device) = %v, want %v", tt.c, got, tt.want)
		}
	}
	// Unparseable addresses reported by an agent are skipped, not matched.
	d.IPAddresses = []string{"garbage", "10.0.0.1%eth0", ""}
	c := portico.RuleCondition{Property: portico.PropIPAddress, Operator: portico.OpCIDR, Value: "0.0.0.0/0"}
	if c.Matches(&d) {
		t.Errorf("matches_cidr matched an unparseable address")
	}
}

func TestRuleMatches(t *testing.T) {
	yes := portico.RuleCondition{Property: portico.PropOSName, Operator: portico.OpEquals, Value: "windows"}
	no := portico.RuleCondition{Property: portico.PropOSName, Operator: portico.OpEquals, Value: "linux"}
	tests := []struct {
		name    string
		enabled bool
		match   portico.RuleMatch
		conds   []portico.RuleCondition
		want    bool
	}{
		{"all, all hold", true, portico.MatchAll, []portico.RuleCondition{yes, yes}, true},
		{"all, one fails", true, portico.MatchAll, []portico.RuleCondition{yes, no}, false},
		{"all, first fails", true, portico.MatchAll, []portico.RuleCondition{no, yes}, false},
		{"any, one holds", true, portico.MatchAny, []portico.RuleCondition{no, yes}, true},
		{"any, none holds", true, portico.MatchAny, []portico.RuleCondition{no, no}, false},
		{"all, single", true, portico.MatchAll, []portico.RuleCondition{yes}, true},
		{"disabled", false, portico.MatchAll, []portico.RuleCondition{yes}, false},
		{"disabled any", false, portico.MatchAny, []portico.RuleCondition{yes}, false},
		{"no conditions, all", true, portico.MatchAll, nil, false},
		{"no conditions, any", true, portico.MatchAny, nil, false},
		{"bad match type", true, "most", []portico.RuleCondition{yes}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := portico.AssignmentRule{Enabled: tt.enabled, Match: tt.match, Conditions: tt.conds}
			d := ruleDevice
			if got := r.Matches(&d); got != tt.want {
				t.Errorf("Matches = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSpacePositionsAndShowSpaces(t *testing.T) {
	tests := []struct {
		in   string
		pos  []int
		show string
	}{
		{"Windows10", nil, "Windows10"},
		{"Windows 10", []int{8}, "Windows*10"},
		{"Windows 10 ", []int{8, 11}, "Windows*10*"},
		{" lead", []int{1}, "*lead"},
		{"a\tb\nc", []int{2, 4}, "a*b*c"},
		{"ü ü", []int{2}, "ü*ü"},      // positions count characters, not bytes
		{"日本 語", []int{3}, "日本*語"},    // three-byte runes
		{"a\u00a0b", []int{2}, "a*b"}, // no-break space
		{"a\u3000b", []int{2}, "a*b"}, // ideographic space
		{"a\u2003b\u0085", []int{2, 4}, "a*b*"},
		{"", nil, ""},
		{"**", nil, "**"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := portico.SpacePositions(tt.in); !slices.Equal(got, tt.pos) {
				t.Errorf("SpacePositions(%q) = %v, want %v", tt.in, got, tt.pos)
			}
			if got := portico.ShowSpaces(tt.in); got != tt.show {
				t.Errorf("ShowSpaces(%q) = %q, want %q", tt.in, got, tt.show)
			}
		})
	}
}

func TestValidateCondition(t *testing.T) {
	c := func(p portico.RuleProperty, o portico.RuleOperator, v string) portico.RuleCondition {
		return portico.RuleCondition{Property: p, Operator: o, Value: v}
	}
	tests := []struct {
		name string
		c    portico.RuleCondition
		want map[string][]string
	}{
		{"valid", c(portico.PropOSName, portico.OpEquals, "Windows"), nil},
		{"every property valid", c(portico.PropDirectoryGroup, portico.OpNotContains, "Sales"), nil},
		{"cidr v4", c(portico.PropIPAddress, portico.OpCIDR, "10.1.0.0/16"), nil},
		{"cidr v6", c(portico.PropIPAddress, portico.OpCIDR, "2001:DB8::/32"), nil},
		{"one space", c(portico.PropOSName, portico.OpEquals, "Windows 10"),
			map[string][]string{"c.value": {"spaces", "position 8 ", "(Windows*10)"}}},
		{"several spaces", c(portico.PropOSName, portico.OpEquals, " Windows 10 "),
			map[string][]string{"c.value": {"positions 1, 9, 12", "(*Windows*10*)"}}},
		{"tab", c(portico.PropHostname, portico.OpContains, "a\tb"),
			map[string][]string{"c.value": {"position 2", "(a*b)"}}},
		{"no-break space", c(portico.PropHostname, portico.OpContains, "a\u00a0b"),
			map[string][]string{"c.value": {"position 2", "(a*b)"}}},
		{"only spaces", c(portico.PropHostname, portico.OpContains, "  "),
			map[string][]string{"c.value": {"positions 1, 2", "(**)"}}},
		{"empty value", c(portico.PropOSName, portico.OpEquals, ""), map[string][]string{"c.value": {"required"}}},
		{"invalid utf-8", c(portico.PropOSName, portico.OpEquals, "\xff"), map[string][]string{"c.value": {"UTF-8"}}},
		{"250 runes", c(portico.PropOSName, portico.OpEquals, strings.Repeat("é", 250)), nil},
		{"251 runes", c(portico.PropOSName, portico.OpEquals, strings.Repeat("é", 251)), map[string][]string{"c.value": {"250"}}},
		{"unknown property", c("serial", portico.OpEquals, "x"), map[string][]string{"c.property": {`"serial"`}}},
		{"unknown operator", c(portico.PropOSName, "like", "x"), map[string][]string{"c.operator": {`"like"`}}},
		{"property case", c("OS_Name", portico.OpEquals, "x"), map[string][]string{"c.property": nil}},
		{"bad cidr", c(portico.PropIPAddress, portico.OpCIDR, "10.1.0.0"), map[string][]string{"c.value": {"CIDR"}}},
		{"bad cidr bits", c(portico.PropIPAddress, portico.OpCIDR, "10.1.0.0/33"), map[string][]string{"c.value": {"CIDR"}}},
		{"cidr on hostname", c(portico.PropHostname, portico.OpCIDR, "10.0.0.0/8"),
			map[string][]string{"c.operator": {"ip_address"}}},
		{"cidr with space", c(portico.PropIPAddress, portico.OpCIDR, "10.0.0.0/ 8"),
			map[string][]string{"c.value": {"position 10", "(10.0.0.0/*8)"}}},
		{"ip equals needs no cidr", c(portico.PropIPAddress, portico.OpEquals, "10.0.0.1"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFields(t, fieldErrors(func(v *portico.Validation) { portico.ValidateCondition(v, "c", tt.c) }), tt.want)
		})
	}
}

func TestAssignmentRuleValidate(t *testing.T) {
	cond := portico.RuleCondition{Property: portico.PropOSName, Operator: portico.OpEquals, Value: "Windows"}
	base := func(f func(*portico.AssignmentRule)) portico.AssignmentRule {
		r := portico.AssignmentRule{Name: "Windows to Munich", Enabled: true, Match: portico.MatchAll,
			TargetGroupID: "grp_1", Conditions: []portico.RuleCondition{cond}}
		if f != nil {
			f(&r)
		}
		return r
	}
	tests := []struct {
		name string
		r    portico.AssignmentRule
		want map[string][]string
	}{
		{"valid", base(nil), nil},
		{"any", base(func(r *portico.AssignmentRule) { r.Match = portico.MatchAny }), nil},
		{"disabled rule still validated", base(func(r *portico.AssignmentRule) { r.Enabled = false; r.Name = "" }),
			map[string][]string{"name": {"required"}}},
		{"name 100 runes", base(func(r *portico.AssignmentRule) { r.Name = strings.Repeat("ł", 100) }), nil},
		{"name 101 runes", base(func(r *portico.AssignmentRule) { r.Name = strings.Repeat("ł", 101) }), map[string][]string{"name": {"100"}}},
		{"description 251", base(func(r *portico.AssignmentRule) { r.Description = strings.Repeat("ł", 251) }), map[string][]string{"description": {"250"}}},
		{"bad match", base(func(r *portico.AssignmentRule) { r.Match = "" }), map[string][]string{"match": {"all or any"}}},
		{"no target", base(func(r *portico.AssignmentRule) { r.TargetGroupID = "" }), map[string][]string{"target_group_id": {"device group"}}},
		{"target unassigned", base(func(r *portico.AssignmentRule) { r.TargetGroupID = portico.UnassignedGroupID }),
			map[string][]string{"target_group_id": {"device group"}}},
		{"no conditions", base(func(r *portico.AssignmentRule) { r.Conditions = nil }), map[string][]string{"conditions": {"at least one"}}},
		{"50 conditions", base(func(r *portico.AssignmentRule) { r.Conditions = slices.Repeat([]portico.RuleCondition{cond}, 50) }), nil},
		{"51 conditions", base(func(r *portico.AssignmentRule) { r.Conditions = slices.Repeat([]portico.RuleCondition{cond}, 51) }),
			map[string][]string{"conditions": {"at most 50"}}},
		{"condition fields indexed", base(func(r *portico.AssignmentRule) {
			r.Conditions = []portico.RuleCondition{cond, cond, {Property: portico.PropOSName, Operator: portico.OpEquals, Value: "Windows 11"}}
		}), map[string][]string{"conditions[2].value": {"position 8", "Windows*11"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkFields(t, fieldErrors(tt.r.Validate), tt.want) })
	}
}
