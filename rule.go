package portico

import (
	"fmt"
	"net/netip"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// RuleProperty is a device property an assignment rule can test.
type RuleProperty string

// Rule properties.
const (
	PropDeviceName     RuleProperty = "device_name"
	PropHostname       RuleProperty = "hostname"
	PropOSName         RuleProperty = "os_name"
	PropOSVersion      RuleProperty = "os_version"
	PropDeviceType     RuleProperty = "device_type"
	PropIPAddress      RuleProperty = "ip_address"
	PropLoggedInUser   RuleProperty = "logged_in_user"
	PropManufacturer   RuleProperty = "manufacturer"
	PropDirectoryGroup RuleProperty = "directory_group"
)

// RuleOperator compares a property with a rule's value.
type RuleOperator string

// Rule operators.
const (
	OpEquals      RuleOperator = "equals"
	OpNotEquals   RuleOperator = "not_equals"
	OpContains    RuleOperator = "contains"
	OpNotContains RuleOperator = "not_contains"
	OpStartsWith  RuleOperator = "starts_with"
	OpEndsWith    RuleOperator = "ends_with"
	OpCIDR        RuleOperator = "matches_cidr"
)

// RuleProperties and RuleOperators list the valid values, for validation and the portal.
var (
	RuleProperties = []RuleProperty{PropDeviceName, PropHostname, PropOSName, PropOSVersion, PropDeviceType,
		PropIPAddress, PropLoggedInUser, PropManufacturer, PropDirectoryGroup}
	RuleOperators = []RuleOperator{OpEquals, OpNotEquals, OpContains, OpNotContains, OpStartsWith, OpEndsWith, OpCIDR}
)

// RuleMatch says whether all or any of a rule's conditions must hold.
type RuleMatch string

// Match types.
const (
	MatchAll RuleMatch = "all"
	MatchAny RuleMatch = "any"
)

// RuleCondition is one test of a rule.
type RuleCondition struct {
	Property RuleProperty `json:"property"`
	Operator RuleOperator `json:"operator"`
	Value    string       `json:"value"`
}

// AssignmentRule moves matching new devices out of Unassigned into a target group.
type AssignmentRule struct {
	ID            string          `json:"id"`
	AccountID     string          `json:"account_id"`
	Name          string          `json:"name"`
	Description   string          `json:"description"`
	Enabled       bool            `json:"enabled"`
	Match         RuleMatch       `json:"match"`
	TargetGroupID string          `json:"target_group_id"`
	Conditions    []RuleCondition `json:"conditions"`
	Position      int             `json:"position"`
	CreatedAt     time.Time       `json:"created_at"`
}

// Validate checks the rule's own fields (the target group's existence is checked by the caller).
// A value with spaces is refused with the positions of the spaces, and the value shown with each
// space as '*', as the portal shows it while typing.
func (r *AssignmentRule) Validate(v *Validation) {
	ValidateName(v, "name", r.Name, 100)
	validateText(v, "description", r.Description, 250)
	if r.Match != MatchAll && r.Match != MatchAny {
		v.Add("match", "must be all or any")
	}
	if r.TargetGroupID == "" || r.TargetGroupID == UnassignedGroupID {
		v.Add("target_group_id", "must name a device group")
	}
	if len(r.Conditions) == 0 {
		v.Add("conditions", "must have at least one condition")
	}
	if len(r.Conditions) > 50 {
		v.Add("conditions", "must have at most 50 conditions")
	}
	for i, c := range r.Conditions {
		ValidateCondition(v, fmt.Sprintf("conditions[%d]", i), c)
	}
}

// ValidateCondition checks one condition; field is the prefix for error fields.
func ValidateCondition(v *Validation, field string, c RuleCondition) {
	if !contains(RuleProperties, c.Property) {
		v.Add(field+".property", "%q is not a rule property", c.Property)
	}
	if !contains(RuleOperators, c.Operator) {
		v.Add(field+".operator", "%q is not a rule operator", c.Operator)
	}
	val := field + ".value"
	switch {
	case c.Value == "":
		v.Add(val, "is required")
	case !utf8.ValidString(c.Value):
		v.Add(val, "must be valid UTF-8")
	case utf8.RuneCountInString(c.Value) > 250:
		v.Add(val, "must be at most 250 characters")
	default:
		if pos := SpacePositions(c.Value); len(pos) > 0 {
			v.Add(val, "must not contain spaces: found at position%s %s (%s)", plural(len(pos)), joinInts(pos), ShowSpaces(c.Value))
		} else if strings.ContainsFunc(c.Value, unicode.IsControl) {
			v.Add(val, "must not contain control characters")
		} else if c.Operator == OpCIDR {
			if _, err := netip.ParsePrefix(c.Value); err != nil {
				v.Add(val, "must be a network in CIDR form such as 10.1.0.0/16")
			}
			if c.Property != PropIPAddress {
				v.Add(field+".operator", "matches_cidr only applies to ip_address")
			}
		}
	}
}

// SpacePositions returns the 1-based character positions of every white-space character in s.
func SpacePositions(s string) []int {
	var out []int
	i := 0
	for _, r := range s {
		i++
		if unicode.IsSpace(r) {
			out = append(out, i)
		}
	}
	return out
}

// ShowSpaces returns s with each white-space character shown as '*'.
func ShowSpaces(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return '*'
		}
		return r
	}, s)
}

// Matches reports whether the device satisfies the rule. A disabled rule matches nothing.
func (r *AssignmentRule) Matches(d *Device) bool {
	if !r.Enabled || len(r.Conditions) == 0 {
		return false
	}
	for _, c := range r.Conditions {
		ok := c.Matches(d)
		if r.Match == MatchAny && ok {
			return true
		}
		if r.Match == MatchAll && !ok {
			return false
		}
	}
	return r.Match == MatchAll
}

// Matches tests the condition against the device. Text comparisons ignore case; a property with
// several values (IP addresses, directory groups) matches when any value does, and a negative operator
// holds only when no value matches.
func (c RuleCondition) Matches(d *Device) bool {
	var values []string
	switch c.Property {
	case PropDeviceName:
		values = []string{d.Name}
	case PropHostname:
		values = []string{d.Hostname}
	case PropOSName:
		values = []string{d.OSName}
	case PropOSVersion:
		values = []string{d.OSVersion}
	case PropDeviceType:
		values = []string{d.DeviceType}
	case PropIPAddress:
		values = d.IPAddresses
	case PropLoggedInUser:
		values = []string{d.LoggedInUser}
	case PropManufacturer:
		values = []string{d.Manufacturer}
	case PropDirectoryGroup:
		values = d.DirectoryGroups
	}
	negative := c.Operator == OpNotEquals || c.Operator == OpNotContains
	want := strings.ToLower(c.Value)
	any := false
	for _, raw := range values {
		x := strings.ToLower(raw)
		var hit bool
		switch c.Operator {
		case OpEquals, OpNotEquals:
			hit = x == want
		case OpContains, OpNotContains:
			hit = strings.Contains(x, want)
		case OpStartsWith:
			hit = strings.HasPrefix(x, want)
		case OpEndsWith:
			hit = strings.HasSuffix(x, want)
		case OpCIDR:
			p, err1 := netip.ParsePrefix(c.Value)
			a, err2 := netip.ParseAddr(raw)
			hit = err1 == nil && err2 == nil && p.Contains(a.Unmap())
		}
		if hit {
			any = true
			break
		}
	}
	if negative {
		return !any
	}
	return any
}

func contains[T comparable](xs []T, x T) bool {
	for _, y := range xs {
		if x == y {
			return true
		}
	}
	return false
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, ", ")
}
