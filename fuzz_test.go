package portico_test

import (
	"encoding/json"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/portico-dev/portico"
)

// Rule conditions arrive from the API: validation never panics, and a value it accepts has no white
// space, is valid UTF-8 and at most 250 characters. A refusal for spaces shows each one as '*'.
func FuzzValidateCondition(f *testing.F) {
	f.Add("os_name", "equals", "Windows")
	f.Add("os_name", "equals", "Windows 10")
	f.Add("hostname", "contains", " a\tb\u00a0c\u3000")
	f.Add("ip_address", "matches_cidr", "10.0.0.0/8")
	f.Add("ip_address", "matches_cidr", "fe80::/10")
	f.Add("hostname", "matches_cidr", "10.0.0.0/8")
	f.Add("directory_group", "not_contains", "CN=Sales")
	f.Add("bogus", "like", "")
	f.Add("device_name", "ends_with", "\xff\xfe")
	f.Add("manufacturer", "starts_with", strings.Repeat("é", 251))
	f.Fuzz(func(t *testing.T, prop, op, value string) {
		c := portico.RuleCondition{Property: portico.RuleProperty(prop), Operator: portico.RuleOperator(op), Value: value}
		errs := fieldErrors(func(v *portico.Validation) { portico.ValidateCondition(v, "c", c) })
		valueErrs, refused := errs["c.value"]
		if !refused {
			if value == "" || !utf8.ValidString(value) || utf8.RuneCountInString(value) > 250 {
				t.Fatalf("accepted value %q", value)
			}
			if strings.ContainsFunc(value, unicode.IsSpace) {
				t.Fatalf("accepted value %q, which contains white space", value)
			}
			if c.Operator == portico.OpCIDR {
				if _, err := netip.ParsePrefix(value); err != nil {
					t.Fatalf("accepted CIDR %q that does not parse: %v", value, err)
				}
			}
		}
		if pos := portico.SpacePositions(value); len(pos) > 0 && utf8.ValidString(value) && utf8.RuneCountInString(value) <= 250 {
			msg := strings.Join(valueErrs, "|")
			if !refused || !strings.Contains(msg, portico.ShowSpaces(value)) {
				t.Fatalf("value %q with spaces at %v: message %q does not show them", value, pos, msg)
			}
		}
		if len(errs) == 0 {
			if !slices.Contains(portico.RuleProperties, c.Property) || !slices.Contains(portico.RuleOperators, c.Operator) {
				t.Fatalf("accepted %+v", c)
			}
		}
		// Matching never panics, valid or not.
		d := ruleDevice
		_ = c.Matches(&d)
	})
}

// ShowSpaces keeps the length in characters and marks exactly the positions SpacePositions reports.
func FuzzShowSpaces(f *testing.F) {
	for _, s := range []string{"", "Windows 10", " \t\n", "日本 語", "a\u0085b", "\xff x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			return
		}
		shown := []rune(portico.ShowSpaces(s))
		orig := []rune(s)
		if len(shown) != len(orig) {
			t.Fatalf("ShowSpaces(%q) = %q changes the length", s, string(shown))
		}
		pos := portico.SpacePositions(s)
		var want []int
		for i, r := range orig {
			if unicode.IsSpace(r) {
				want = append(want, i+1)
				if shown[i] != '*' {
					t.Fatalf("ShowSpaces(%q): position %d not shown as *", s, i+1)
				}
			} else if shown[i] != r {
				t.Fatalf("ShowSpaces(%q) changed a non-space at %d", s, i+1)
			}
		}
		if !slices.Equal(pos, want) {
			t.Fatalf("SpacePositions(%q) = %v, want %v", s, pos, want)
		}
	})
}

// matches_cidr parses a prefix from a rule and addresses from an agent: it never panics and agrees
// with net/netip.
func FuzzMatchesCIDR(f *testing.F) {
	f.Add("10.0.0.0/8", "10.1.2.3")
	f.Add("10.0.0.0/8", "::ffff:10.1.2.3")
	f.Add("192.168.1.1/24", "192.168.1.200")
	f.Add("FE80::/10", "fe80::1%eth0")
	f.Add("::/0", "1.2.3.4")
	f.Add("0.0.0.0/0", "")
	f.Add("1.2.3.4/33", "1.2.3.4")
	f.Add("garbage", "garbage")
	f.Fuzz(func(t *testing.T, prefix, addr string) {
		c := portico.RuleCondition{Property: portico.PropIPAddress, Operator: portico.OpCIDR, Value: prefix}
		d := portico.Device{IPAddresses: []string{addr}}
		got := c.Matches(&d)
		p, err1 := netip.ParsePrefix(prefix)
		a, err2 := netip.ParseAddr(addr)
		want := err1 == nil && err2 == nil && p.Contains(a.Unmap())
		if got != want {
			t.Fatalf("Matches(%q, %q) = %v, want %v", prefix, addr, got, want)
		}
		valid := len(fieldErrors(func(v *portico.Validation) { portico.ValidateCondition(v, "c", c) })) == 0
		if valid && err1 != nil {
			t.Fatalf("ValidateCondition accepted %q, which does not parse", prefix)
		}
		if !valid && err1 == nil && !strings.ContainsFunc(prefix, unicode.IsSpace) {
			t.Fatalf("ValidateCondition refused %q, a valid prefix", prefix)
		}
		if got && !valid {
			t.Fatalf("a refused rule value %q matches %q", prefix, addr)
		}
	})
}

// Colours come from the API: exactly "#" and six hex digits are accepted.
func FuzzValidateColour(f *testing.F) {
	for _, s := range []string{"#4a90d9", "red", "#12345", "#GGGGGG", "#4a90d9\n", "", "#ABCDEF", "#ａbcdef"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := len(fieldErrors(func(v *portico.Validation) { portico.ValidateColour(v, "colour", s) })) == 0
		want := len(s) == 7 && s[0] == '#' && strings.Trim(s[1:], "0123456789abcdefABCDEF") == ""
		if ok != want {
			t.Fatalf("ValidateColour(%q) ok = %v, want %v", s, ok, want)
		}
	})
}

// Permission ids come from the API: LookupPermission never panics, finds exactly the catalogue's ids,
// and whatever it finds is safe to use with the panicking helpers.
func FuzzLookupPermission(f *testing.F) {
	for _, p := range portico.Catalogue() {
		f.Add(string(p.ID))
	}
	for _, s := range []string{"", "device", "device.", "Device.View", "device.view ", "on_demand.*", "\x00"} {
		f.Add(s)
	}
	known := map[portico.Permission]bool{}
	for _, p := range portico.Catalogue() {
		known[p.ID] = true
	}
	f.Fuzz(func(t *testing.T, s string) {
		id := portico.Permission(s)
		info, ok := portico.LookupPermission(id)
		if ok != known[id] {
			t.Fatalf("LookupPermission(%q) ok = %v, want %v", s, ok, known[id])
		}
		if !ok {
			if info.ID != "" {
				t.Fatalf("LookupPermission(%q) returned %+v with ok=false", s, info)
			}
			return
		}
		if info.ID != id {
			t.Fatalf("LookupPermission(%q).ID = %q", s, info.ID)
		}
		if set := portico.NewPermissionSet(id); !set.Has(id) || set.Len() != 1 {
			t.Fatalf("set of %q wrong", s)
		}
	})
}

// Roles arrive as JSON: decoding then validating never panics, and a role that validates holds only
// known permissions of its purpose, each once, with every prerequisite.
func FuzzRoleJSONValidate(f *testing.F) {
	f.Add([]byte(`{"name":"Helpdesk","purpose":"devices","permissions":["device.view","device.remote_control"]}`))
	f.Add([]byte(`{"name":"Admins","purpose":"administration","permissions":["users.invite"]}`))
	f.Add([]byte(`{"name":"x","purpose":"general","permissions":["bogus","device.view","device.view"]}`))
	f.Add([]byte(`{"name":"","purpose":"","permissions":null}`))
	f.Add([]byte(`{"name":"r","purpose":"on_demand","permissions":["on_demand.all","device.chat"]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r portico.Role
		if json.Unmarshal(b, &r) != nil {
			return
		}
		errs := fieldErrors(r.Validate)
		if len(errs) != 0 {
			return
		}
		allowed, ok := portico.PurposePermissions(r.Purpose)
		if !ok {
			t.Fatalf("accepted purpose %q", r.Purpose)
		}
		seen := map[portico.Permission]bool{}
		for _, p := range r.Permissions {
			if _, known := portico.LookupPermission(p); !known || !allowed.Has(p) || seen[p] {
				t.Fatalf("accepted permission %q in a %s role (known %v, repeated %v)", p, r.Purpose, known, seen[p])
			}
			seen[p] = true
		}
		if m := r.PermissionSet().MissingPrerequisites(); len(m) != 0 {
			t.Fatalf("accepted a role missing %v", m)
		}
		if strings.TrimSpace(r.Name) == "" || utf8.RuneCountInString(r.Name) > 100 {
			t.Fatalf("accepted name %q", r.Name)
		}
	})
}

// Group settings arrive as JSON objects: only known features validate.
func FuzzGroupSettingsJSON(f *testing.F) {
	f.Add([]byte(`{"chat":false,"view":true}`))
	f.Add([]byte(`{"teleport":false}`))
	f.Add([]byte(`{"Chat":false}`))
	f.Add([]byte(`{}`))
	f.Add([]byte(`null`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var s portico.GroupSettings
		if json.Unmarshal(b, &s) != nil {
			return
		}
		errs := fieldErrors(func(v *portico.Validation) { s.Validate(v, "settings") })
		unknown := 0
		for feat := range s {
			if _, ok := portico.LookupFeature(feat); !ok {
				unknown++
				if _, ok := errs["settings."+string(feat)]; !ok {
					t.Fatalf("unknown setting %q accepted", feat)
				}
			}
		}
		if len(errs) != unknown {
			t.Fatalf("%d errors for %d unknown settings: %v", len(errs), unknown, errs)
		}
	})
}

// Names arrive from the API: the length limit counts characters, not bytes.
func FuzzValidateName(f *testing.F) {
	for _, s := range []string{"Acme", "", " ", strings.Repeat("日", 100), strings.Repeat("日", 101), "a\x00", "\xff", "a\u202eb", "\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ok := len(fieldErrors(func(v *portico.Validation) { portico.ValidateAccountName(v, "name", s) })) == 0
		want := strings.TrimSpace(s) != "" && utf8.ValidString(s) && utf8.RuneCountInString(s) <= 100 &&
			!strings.ContainsFunc(s, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) })
		if ok != want {
			t.Fatalf("ValidateAccountName(%q) ok = %v, want %v", s, ok, want)
		}
	})
}

// Emails arrive from the API: an accepted address comes back trimmed and lower-cased, and validates
// again unchanged.
func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"ann@example.com", " Ann@Example.COM ", "Ann <ann@example.com>", "", "a@b", `"a b"@example.com`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var v portico.Validation
		got := portico.ValidateEmail(&v, "email", s)
		if (got == "") != (len(v.Fields) > 0) {
			t.Fatalf("ValidateEmail(%q) = %q with errors %v", s, got, v.Fields)
		}
		if got == "" {
			return
		}
		if got != strings.ToLower(strings.TrimSpace(s)) {
			t.Fatalf("ValidateEmail(%q) = %q", s, got)
		}
		if !strings.Contains(got, "@") || len(got) > 254 {
			t.Fatalf("accepted %q", got)
		}
		var v2 portico.Validation
		if again := portico.ValidateEmail(&v2, "email", got); again != got {
			t.Fatalf("ValidateEmail(%q) = %q, but its result %q does not validate unchanged (%v)", s, got, again, v2.Fields)
		}
	})
}
