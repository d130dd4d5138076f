package portico_test

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// Free-text descriptions (groups, user groups, roles, rules) may span lines and hold tabs; any other
// control character is refused on the description field, saying where it is.
func TestDescriptionControlCharacters(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // message fragments; nil means valid
	}{
		{"plain", "Front office PCs", nil},
		{"newline and tab", "line one\nline\ttwo", nil},
		{"CR LF from a text area", "line one\r\nline two\r\n", nil},
		{"emoji", "Café ☕", nil},
		{"NUL", "line\x00x", []string{"control", "U+0000", "position 5"}},
		{"lone CR", "a\rb", []string{"control", "U+000D"}},
		{"CR at the end", "a\r", []string{"control", "U+000D"}},
		{"escape", "\x1b[31mred", []string{"control", "U+001B", "position 1"}},
		{"DEL", "a\x7f", []string{"control"}},
		{"C1 control", "a\u0085b", []string{"control"}},
		{"position counts characters", "日本\x00", []string{"position 3"}},
		{"too long wins", strings.Repeat("d", 251), []string{"at most 250"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want map[string][]string
			if tt.want != nil {
				want = map[string][]string{"description": tt.want}
			}
			g := portico.DeviceGroup{Name: "G", Colour: "#123456", Description: tt.in}
			checkFields(t, fieldErrors(g.Validate), want)
			r := portico.AssignmentRule{Name: "R", Description: tt.in, Match: portico.MatchAll, TargetGroupID: "grp_1",
				Conditions: []portico.RuleCondition{{Property: portico.PropDeviceName, Operator: portico.OpEquals, Value: "x"}}}
			checkFields(t, fieldErrors(r.Validate), want)
		})
	}
}

// A rule condition's value refuses control characters (a NUL could not be stored on PostgreSQL).
func TestConditionValueControlCharacters(t *testing.T) {
	c := portico.RuleCondition{Property: portico.PropDeviceName, Operator: portico.OpEquals, Value: "PC\x00"}
	checkFields(t, fieldErrors(func(v *portico.Validation) { portico.ValidateCondition(v, "c", c) }),
		map[string][]string{"c.value": {"control"}})
}
