package portico_test

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func TestAccountName(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string // message fragments; nil means valid
	}{
		{"plain", "Acme Ltd", nil},
		{"100 runes, 300 bytes", strings.Repeat("日", 100), nil},
		{"101 runes", strings.Repeat("日", 101), []string{"at most 100", "got 101"}},
		{"101 ascii", strings.Repeat("a", 101), []string{"at most 100"}},
		{"empty", "", []string{"required"}},
		{"spaces only", "   ", []string{"required"}},
		{"newline only", "\n", []string{"required"}},
		{"invalid utf-8", "Acme \xff", []string{"UTF-8"}},
		{"control character", "Acme\x07", []string{"control"}},
		{"tab inside", "Acme\tLtd", []string{"control"}},
		{"emoji", "Café ☕", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var want map[string][]string
			if tt.want != nil {
				want = map[string][]string{"company": tt.want}
			}
			checkFields(t, fieldErrors(func(v *portico.Validation) { portico.ValidateAccountName(v, "company", tt.in) }), want)
		})
	}
}

func TestAccountSettings(t *testing.T) {
	d := portico.DefaultAccountSettings()
	if d.IdleTimeoutMinutes != 15 {
		t.Errorf("default idle timeout = %d minutes, want 15 (the product's default)", d.IdleTimeoutMinutes)
	}
	if d.Require2FA || d.InstallerGroupAssignment {
		t.Errorf("defaults switch on 2FA or installer group assignment: %+v", d)
	}
	mod := func(f func(*portico.AccountSettings)) portico.AccountSettings {
		s := portico.DefaultAccountSettings()
		f(&s)
		return s
	}
	tests := []struct {
		name string
		s    portico.AccountSettings
		want map[string][]string
	}{
		{"defaults", d, nil},
		{"idle 3", mod(func(s *portico.AccountSettings) { s.IdleTimeoutMinutes = 3 }), nil},
		{"idle 1440", mod(func(s *portico.AccountSettings) { s.IdleTimeoutMinutes = 1440 }), nil},
		// The warning comes 2 minutes before: a timeout of 2 or less leaves no time to answer it.
		{"idle 2", mod(func(s *portico.AccountSettings) { s.IdleTimeoutMinutes = 2 }), map[string][]string{"idle_timeout_minutes": {"between"}}},
		{"idle 0", mod(func(s *portico.AccountSettings) { s.IdleTimeoutMinutes = 0 }), map[string][]string{"idle_timeout_minutes": {"between"}}},
		{"idle 1441", mod(func(s *portico.AccountSettings) { s.IdleTimeoutMinutes = 1441 }), map[string][]string{"idle_timeout_minutes": {"between"}}},
		{"negative licences", mod(func(s *portico.AccountSettings) { s.ManagedLicences = -1 }), map[string][]string{"managed_licences": {"negative"}}},
		{"zero licences", mod(func(s *portico.AccountSettings) { s.ManagedLicences = 0 }), nil},
		{"negative seats", mod(func(s *portico.AccountSettings) { s.SeatLimit = -1 }), map[string][]string{"seat_limit": {"negative"}}},
		{"display name 100 runes", mod(func(s *portico.AccountSettings) { s.TechnicianDisplayName = strings.Repeat("ß", 100) }), nil},
		{"display name 101 runes", mod(func(s *portico.AccountSettings) { s.TechnicianDisplayName = strings.Repeat("ß", 101) }),
			map[string][]string{"technician_display_name": {"100"}}},
		{"password 7", mod(func(s *portico.AccountSettings) { s.PasswordMinLength = 7 }), map[string][]string{"password_min_length": {"between"}}},
		{"password 8", mod(func(s *portico.AccountSettings) { s.PasswordMinLength = 8 }), nil},
		{"password 129", mod(func(s *portico.AccountSettings) { s.PasswordMinLength = 129 }), map[string][]string{"password_min_length": {"between"}}},
		{"zero value", portico.AccountSettings{}, map[string][]string{"idle_timeout_minutes": nil, "password_min_length": nil}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkFields(t, fieldErrors(tt.s.Validate), tt.want) })
	}
}

func TestUserValidate(t *testing.T) {
	tests := []struct {
		name string
		u    portico.User
		want map[string][]string
	}{
		{"minimal", portico.User{Name: "Ann"}, nil},
		{"full", portico.User{Name: "Ann", Language: "en-GB", Theme: "dark"}, nil},
		{"every language", portico.User{Name: "Ann", Language: "it"}, nil},
		{"every theme", portico.User{Name: "Ann", Theme: "system"}, nil},
		{"no name", portico.User{}, map[string][]string{"name": {"required"}}},
		{"long name by runes", portico.User{Name: strings.Repeat("ñ", 101)}, map[string][]string{"name": {"100"}}},
		{"name of 100 two-byte runes", portico.User{Name: strings.Repeat("ñ", 100)}, nil},
		{"unknown language", portico.User{Name: "Ann", Language: "nl"}, map[string][]string{"language": {"en-GB"}}},
		{"language case", portico.User{Name: "Ann", Language: "en-gb"}, map[string][]string{"language": nil}},
		{"bad theme", portico.User{Name: "Ann", Theme: "blue"}, map[string][]string{"theme": {"system, dark or light"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkFields(t, fieldErrors(tt.u.Validate), tt.want) })
	}
	if len(portico.Languages) != 6 {
		t.Errorf("%d languages, want 6 (English UK and US, German, Spanish, French, Italian)", len(portico.Languages))
	}
}

func TestUserCanAct(t *testing.T) {
	tests := []struct {
		state  portico.UserState
		status portico.UserStatus
		want   bool
	}{
		{portico.StateActivated, portico.StatusActive, true},
		{portico.StateActivated, portico.StatusDisabled, false},
		{portico.StateInvited, portico.StatusActive, false},
		{portico.StateInvited, portico.StatusDisabled, false},
		{portico.StateInvited, "", false},
		{"", portico.StatusActive, false},
	}
	for _, tt := range tests {
		u := portico.User{State: tt.state, Status: tt.status}
		if got := u.CanAct(); got != tt.want {
			t.Errorf("CanAct(%q, %q) = %v, want %v", tt.state, tt.status, got, tt.want)
		}
	}
}

func TestUserGroupValidate(t *testing.T) {
	tests := []struct {
		name string
		g    portico.UserGroup
		want map[string][]string
	}{
		{"valid", portico.UserGroup{Name: "Support", Description: "First line"}, nil},
		{"empty name", portico.UserGroup{Name: ""}, map[string][]string{"name": {"required"}}},
		{"long name", portico.UserGroup{Name: strings.Repeat("x", 101)}, map[string][]string{"name": {"100"}}},
		{"100 runes", portico.UserGroup{Name: strings.Repeat("€", 100)}, nil},
		{"250 rune description", portico.UserGroup{Name: "g", Description: strings.Repeat("€", 250)}, nil},
		{"251 rune description", portico.UserGroup{Name: "g", Description: strings.Repeat("€", 251)},
			map[string][]string{"description": {"250", "251"}}},
		{"invalid utf-8 description", portico.UserGroup{Name: "g", Description: "\xc3"}, map[string][]string{"description": {"UTF-8"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkFields(t, fieldErrors(tt.g.Validate), tt.want) })
	}
}

func TestColour(t *testing.T) {
	tests := []struct {
		in string
		ok bool
	}{
		{"#4a90d9", true},
		{"#4A90D9", true},
		{"#000000", true},
		{"#ffffff", true},
		{"red", false},
		{"#12345", false},
		{"#1234567", false},
		{"#GGGGGG", false},
		{"4a90d9", false},
		{"#4a90d", false},
		{"", false},
		{"#4a90d9\n", false},
		{"\n#4a90d9", false},
		{" #4a90d9", false},
		{"#4a90d9 ", false},
		{"##4a90d9", false},
		{"#fff", false},
		{"#４a90d9", false}, // full-width digit
		{"rgb(1,2,3)", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			errs := fieldErrors(func(v *portico.Validation) { portico.ValidateColour(v, "colour", tt.in) })
			if got := len(errs) == 0; got != tt.ok {
				t.Errorf("ValidateColour(%q) ok = %v, want %v (%v)", tt.in, got, tt.ok, errs)
			}
			if !tt.ok && !strings.Contains(strings.Join(errs["colour"], ""), "#rrggbb") {
				t.Errorf("message %v does not show the expected form", errs)
			}
		})
	}
}

func TestEmail(t *testing.T) {
	tests := []struct {
		in   string
		want string // normalised; "" means refused
		frag string
	}{
		{"ann@example.com", "ann@example.com", ""},
		{"Ann.Smith@Example.COM", "ann.smith@example.com", ""},
		{"  ann@example.com  ", "ann@example.com", ""},
		{"ann+tag@sub.example.co.uk", "ann+tag@sub.example.co.uk", ""},
		{"", "", "required"},
		{"   ", "", "required"},
		{"ann", "", "plain email"},
		{"ann@", "", "plain email"},
		{"@example.com", "", "plain email"},
		{"Ann <ann@example.com>", "", "plain email"},
		{"<ann@example.com>", "", "plain email"},
		{"ann@example.com, bob@example.com", "", "plain email"},
		{"ann@exa mple.com", "", "plain email"},
		{"ann@example.com (Ann)", "", "plain email"},
		{strings.Repeat("a", 64) + "@" + strings.Repeat("b", 190) + ".com", "", "plain email"}, // 259 > 254
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var got string
			errs := fieldErrors(func(v *portico.Validation) { got = portico.ValidateEmail(v, "email", tt.in) })
			if got != tt.want {
				t.Errorf("ValidateEmail(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if tt.want == "" {
				checkFields(t, errs, map[string][]string{"email": {tt.frag}})
			} else {
				checkFields(t, errs, nil)
			}
		})
	}
}

func TestDeviceGroupValidate(t *testing.T) {
	ok := func(f func(*portico.DeviceGroup)) portico.DeviceGroup {
		g := portico.DeviceGroup{Name: "Munich", Colour: "#4a90d9", Description: "Office"}
		if f != nil {
			f(&g)
		}
		return g
	}
	tests := []struct {
		name string
		g    portico.DeviceGroup
		want map[string][]string
	}{
		{"valid", ok(nil), nil},
		{"one character", ok(func(g *portico.DeviceGroup) { g.Name = "M" }), nil},
		{"100 runes", ok(func(g *portico.DeviceGroup) { g.Name = strings.Repeat("ö", 100) }), nil},
		{"101 runes", ok(func(g *portico.DeviceGroup) { g.Name = strings.Repeat("ö", 101) }), map[string][]string{"name": {"100"}}},
		{"empty name", ok(func(g *portico.DeviceGroup) { g.Name = "" }), map[string][]string{"name": {"required"}}},
		{"colour red", ok(func(g *portico.DeviceGroup) { g.Colour = "red" }), map[string][]string{"colour": {"#rrggbb"}}},
		{"colour #12345", ok(func(g *portico.DeviceGroup) { g.Colour = "#12345" }), map[string][]string{"colour": {"#rrggbb"}}},
		{"colour #GGGGGG", ok(func(g *portico.DeviceGroup) { g.Colour = "#GGGGGG" }), map[string][]string{"colour": {"#rrggbb"}}},
		{"no colour", ok(func(g *portico.DeviceGroup) { g.Colour = "" }), map[string][]string{"colour": nil}},
		{"description 250", ok(func(g *portico.DeviceGroup) { g.Description = strings.Repeat("ä", 250) }), nil},
		{"description 251", ok(func(g *portico.DeviceGroup) { g.Description = strings.Repeat("ä", 251) }), map[string][]string{"description": {"250"}}},
		{"known settings", ok(func(g *portico.DeviceGroup) {
			g.Settings = portico.GroupSettings{portico.FeatureChat: false, portico.FeatureRequireAck: true}
		}), nil},
		{"unknown setting", ok(func(g *portico.DeviceGroup) { g.Settings = portico.GroupSettings{"teleport": false} }),
			map[string][]string{"settings.teleport": {"not a known setting"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { checkFields(t, fieldErrors(tt.g.Validate), tt.want) })
	}
}

func TestDeviceValidateEdit(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string][]string
	}{
		{"ok", "Reception PC", nil},
		{"empty", "", map[string][]string{"name": {"required"}}},
		{"long", strings.Repeat("ř", 101), map[string][]string{"name": {"100"}}},
		{"100", strings.Repeat("ř", 100), nil},
	}
	for _, tt := range tests {
		d := portico.Device{Name: tt.in}
		t.Run(tt.name, func(t *testing.T) { checkFields(t, fieldErrors(d.ValidateEdit), tt.want) })
	}
}

func TestDeviceUnassigned(t *testing.T) {
	if !(&portico.Device{GroupID: portico.UnassignedGroupID}).Unassigned() {
		t.Errorf("device in Unassigned not reported")
	}
	if (&portico.Device{GroupID: "grp_1"}).Unassigned() {
		t.Errorf("device in a group reported Unassigned")
	}
}

func TestCanReturnToUnassigned(t *testing.T) {
	left := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		berlin = time.FixedZone("CET", 3600)
	}
	tests := []struct {
		name string
		left *time.Time
		now  time.Time
		want bool
	}{
		{"never left", nil, left, true},
		{"just left", &left, left, false},
		{"89 days", &left, left.Add(89 * day), false},
		{"90 days less a nanosecond", &left, left.Add(90*day - 1), false},
		{"90 days", &left, left.Add(90 * day), true},
		{"91 days", &left, left.Add(91 * day), true},
		{"89 days, other zone", &left, left.Add(89 * day).In(berlin), false},
		{"90 days, other zone", &left, left.Add(90 * day).In(berlin), true},
		// A calendar date 90 days on across a daylight-saving change is still 90×24h of elapsed time.
		{"90 days, wall clock", &left, left.Add(90 * day).Round(0), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := portico.Device{LeftUnassignedAt: tt.left}
			if got := d.CanReturnToUnassigned(tt.now); got != tt.want {
				t.Errorf("CanReturnToUnassigned = %v, want %v", got, tt.want)
			}
		})
	}
	if portico.UnassignedLockout != 90*day {
		t.Errorf("UnassignedLockout = %v, want 90 days", portico.UnassignedLockout)
	}
	// With a monotonic reading on now.
	now := time.Now()
	early := now.Add(-89 * day)
	if (&portico.Device{LeftUnassignedAt: &early}).CanReturnToUnassigned(now) {
		t.Errorf("89 days (monotonic) allowed")
	}
	late := now.Add(-90 * day)
	if !(&portico.Device{LeftUnassignedAt: &late}).CanReturnToUnassigned(now) {
		t.Errorf("90 days (monotonic) refused")
	}
}

func TestAssignmentActiveAt(t *testing.T) {
	exp := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		exp  *time.Time
		at   time.Time
		want bool
	}{
		{"no expiry", nil, exp.Add(1000 * time.Hour), true},
		{"before expiry", &exp, exp.Add(-time.Nanosecond), true},
		{"at expiry", &exp, exp, false},
		{"after expiry", &exp, exp.Add(time.Second), false},
		{"at expiry in another zone", &exp, exp.In(time.FixedZone("X", -7*3600)), false},
		{"before expiry in another zone", &exp, exp.Add(-time.Minute).In(time.FixedZone("X", 9*3600)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := portico.Assignment{ExpiresAt: tt.exp}
			if got := a.ActiveAt(tt.at); got != tt.want {
				t.Errorf("ActiveAt = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAssignmentValidateShape(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	past, future := now.Add(-time.Hour), now.Add(time.Hour)
	base := func(f func(*portico.Assignment)) portico.Assignment {
		a := portico.Assignment{PrincipalType: portico.PrincipalUser, PrincipalID: "usr_1", RoleID: "rol_1",
			ScopeType: portico.ScopeTypeAccount}
		if f != nil {
			f(&a)
		}
		return a
	}
	tests := []struct {
		name string
		a    portico.Assignment
		want map[string][]string
	}{
		{"account", base(nil), nil},
		{"user group at device group", base(func(a *portico.Assignment) {
			a.PrincipalType, a.ScopeType, a.ScopeID = portico.PrincipalUserGroup, portico.ScopeTypeDeviceGroup, "grp_1"
		}), nil},
		{"device", base(func(a *portico.Assignment) { a.ScopeType, a.ScopeID = portico.ScopeTypeDevice, "dev_1" }), nil},
		{"section on_demand", base(func(a *portico.Assignment) { a.ScopeType, a.ScopeID = portico.ScopeTypeSection, "on_demand" }), nil},
		{"section team", base(func(a *portico.Assignment) { a.ScopeType, a.ScopeID = portico.ScopeTypeSection, "team" }), nil},
		{"future expiry", base(func(a *portico.Assignment) { a.ExpiresAt = &future }), nil},
		{"past expiry", base(func(a *portico.Assignment) { a.ExpiresAt = &past }), map[string][]string{"expires_at": {"future"}}},
		{"expiry now", base(func(a *portico.Assignment) { a.ExpiresAt = &now }), map[string][]string{"expires_at": {"future"}}},
		{"bad principal type", base(func(a *portico.Assignment) { a.PrincipalType = "group" }), map[string][]string{"principal_type": {"user or user_group"}}},
		{"no principal", base(func(a *portico.Assignment) { a.PrincipalID = "" }), map[string][]string{"principal_id": {"required"}}},
		{"no role", base(func(a *portico.Assignment) { a.RoleID = "" }), map[string][]string{"role_id": {"required"}}},
		{"account with id", base(func(a *portico.Assignment) { a.ScopeID = "grp_1" }), map[string][]string{"scope_id": {"empty"}}},
		{"device group without id", base(func(a *portico.Assignment) { a.ScopeType = portico.ScopeTypeDeviceGroup }), map[string][]string{"scope_id": {"required", "device_group"}}},
		{"device without id", base(func(a *portico.Assignment) { a.ScopeType = portico.ScopeTypeDevice }), map[string][]string{"scope_id": {"required"}}},
		{"unknown section", base(func(a *portico.Assignment) { a.ScopeType, a.ScopeID = portico.ScopeTypeSection, "billing" }), map[string][]string{"scope_id": {"on_demand or team"}}},
		{"bad scope type", base(func(a *portico.Assignment) { a.ScopeType = "galaxy" }), map[string][]string{"scope_type": {"account, device_group, device or section"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkFields(t, fieldErrors(func(v *portico.Validation) { tt.a.ValidateShape(v, now) }), tt.want)
		})
	}
}
