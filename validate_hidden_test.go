package portico_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// hiddenRunes are the characters that show as nothing, or change how the text around them shows, so
// that a name could pass for another: every name, description and email refuses each of them.
var hiddenRunes = []struct {
	r    rune
	kind string
}{
	{'\u202a', "bidirectional"}, {'\u202b', "bidirectional"}, {'\u202c', "bidirectional"},
	{'\u202d', "bidirectional"}, {'\u202e', "bidirectional"}, {'\u2066', "bidirectional"},
	{'\u2067', "bidirectional"}, {'\u2068', "bidirectional"}, {'\u2069', "bidirectional"},
	{'\u200e', "bidirectional"}, {'\u200f', "bidirectional"}, {'\u061c', "bidirectional"},
	{'\u200b', "invisible"}, {'\u200c', "invisible"}, {'\u200d', "invisible"}, {'\u2060', "invisible"},
	{'\ufeff', "invisible"}, {'\u00ad', "invisible"}, {'\U000e0041', "invisible"},
	{'\x00', "control"}, {'\x1b', "control"}, {'\x7f', "control"}, {'\u0085', "control"}, {'\u009b', "control"},
}

// TestHiddenCharacters checks every kind of name, description and email against every hidden
// character: each is refused on its own field, naming the character as U+XXXX and where it is.
func TestHiddenCharacters(t *testing.T) {
	cond := []portico.RuleCondition{{Property: portico.PropDeviceName, Operator: portico.OpEquals, Value: "x"}}
	checks := []struct {
		what  string
		field string
		check func(v *portico.Validation, s string)
	}{
		{"account name", "company", func(v *portico.Validation, s string) { portico.ValidateAccountName(v, "company", s) }},
		{"user name", "name", func(v *portico.Validation, s string) { (&portico.User{Name: s}).Validate(v) }},
		{"user group name", "name", func(v *portico.Validation, s string) { (&portico.UserGroup{Name: s}).Validate(v) }},
		{"user group description", "description", func(v *portico.Validation, s string) {
			(&portico.UserGroup{Name: "G", Description: s}).Validate(v)
		}},
		{"device group name", "name", func(v *portico.Validation, s string) {
			(&portico.DeviceGroup{Name: s, Colour: "#123456"}).Validate(v)
		}},
		{"device group description", "description", func(v *portico.Validation, s string) {
			(&portico.DeviceGroup{Name: "G", Colour: "#123456", Description: s}).Validate(v)
		}},
		{"device name", "name", func(v *portico.Validation, s string) { (&portico.Device{Name: s}).ValidateEdit(v) }},
		{"role name", "name", func(v *portico.Validation, s string) {
			(&portico.Role{Name: s, Purpose: portico.PurposeGeneral}).Validate(v)
		}},
		{"role description", "description", func(v *portico.Validation, s string) {
			(&portico.Role{Name: "R", Purpose: portico.PurposeGeneral, Description: s}).Validate(v)
		}},
		{"rule name", "name", func(v *portico.Validation, s string) {
			(&portico.AssignmentRule{Name: s, Match: portico.MatchAll, TargetGroupID: "grp_1", Conditions: cond}).Validate(v)
		}},
		{"rule description", "description", func(v *portico.Validation, s string) {
			(&portico.AssignmentRule{Name: "R", Description: s, Match: portico.MatchAll, TargetGroupID: "grp_1", Conditions: cond}).Validate(v)
		}},
		{"API key name", "name", func(v *portico.Validation, s string) { portico.ValidateName(v, "name", s, 100) }},
		{"technician display name", "technician_display_name", func(v *portico.Validation, s string) {
			st := portico.DefaultAccountSettings()
			st.TechnicianDisplayName = s
			st.Validate(v)
		}},
		{"email", "email", func(v *portico.Validation, s string) { portico.ValidateEmail(v, "email", "ann"+s+"@example.com") }},
	}
	for _, c := range checks {
		for _, h := range hiddenRunes {
			t.Run(fmt.Sprintf("%s/%U", c.what, h.r), func(t *testing.T) {
				in := "ab" + string(h.r) + "c"
				want := []string{h.kind, fmt.Sprintf("%U", h.r), "position 3"}
				if c.field == "email" {
					want[2] = "position 6" // after "ann"
				}
				checkFields(t, fieldErrors(func(v *portico.Validation) { c.check(v, in) }), map[string][]string{c.field: want})
			})
		}
		t.Run(c.what+"/plain", func(t *testing.T) {
			plain := "Zoë Ünal-Øster 日本 ☕"
			if c.field == "email" {
				plain = "abc"
			}
			checkFields(t, fieldErrors(func(v *portico.Validation) { c.check(v, plain) }), nil)
		})
	}
}

// What descriptions allowed before still passes; names keep refusing line breaks and tabs.
func TestHiddenCharactersKeepLineBreaks(t *testing.T) {
	desc := func(s string) map[string][]string {
		return fieldErrors((&portico.DeviceGroup{Name: "G", Colour: "#123456", Description: s}).Validate)
	}
	name := func(s string) map[string][]string {
		return fieldErrors((&portico.DeviceGroup{Name: s, Colour: "#123456"}).Validate)
	}
	for _, s := range []string{"one\ntwo", "one\r\ntwo", "a\tb", "Ελληνικά", "עברית", "العربية", "emoji 👍🏽"} {
		checkFields(t, desc(s), nil)
	}
	checkFields(t, desc("a\rb"), map[string][]string{"description": {"other than line breaks and tabs", "U+000D"}})
	for _, s := range []string{"עברית", "العربية", "emoji 👍🏽"} {
		checkFields(t, name(s), nil)
	}
	for _, s := range []string{"a\nb", "a\tb"} {
		checkFields(t, name(s), map[string][]string{"name": {"control characters (U+00"}})
	}
	// Only the first hidden character is named, so a message stays short.
	got := desc(strings.Repeat("\u200b", 50))
	if msgs := got["description"]; len(msgs) != 1 || !strings.Contains(msgs[0], "position 1") {
		t.Errorf("50 zero-width spaces: %v", got)
	}
}
