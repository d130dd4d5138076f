package portico

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateName checks a required name a person gives something (a user, group, device, role, rule,
// API key, company…): not blank, at most max characters, and nothing hidden (see hiddenRune).
func ValidateName(v *Validation, field, name string, max int) {
	if strings.TrimSpace(name) == "" {
		v.Add(field, "is required")
		return
	}
	validateOptionalName(v, field, name, max)
}

// validateOptionalName checks a name that may be left empty.
func validateOptionalName(v *Validation, field, name string, max int) {
	switch {
	case !utf8.ValidString(name):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(name) > max:
		v.Add(field, "must be at most %d characters (got %d)", max, utf8.RuneCountInString(name))
	default:
		checkHidden(v, field, name, false)
	}
}

// validateText checks an optional free text of at most max characters. It may span lines and hold
// tabs; other control characters (NUL, which PostgreSQL cannot store, escape, a lone carriage return…)
// and invisible ones are refused. A carriage return is accepted only before a line feed: browsers
// send a text area's line breaks as CR LF.
func validateText(v *Validation, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "must be at most %d characters (got %d)", max, utf8.RuneCountInString(s))
	default:
		checkHidden(v, field, s, true)
	}
}

// checkHidden refuses the first character of s that hiddenRune names, saying which and where it is,
// and reports whether it did; lines says whether s may hold line breaks and tabs.
func checkHidden(v *Validation, field, s string, lines bool) bool {
	for i, r := range s {
		if lines && (r == '\n' || r == '\t' || r == '\r' && strings.HasPrefix(s[i+1:], "\n")) {
			continue
		}
		what := hiddenRune(r)
		if what == "" {
			continue
		}
		if lines && what == "control characters" {
			what = "control characters other than line breaks and tabs"
		}
		v.Add(field, "must not contain %s (%U at position %d)", what, r, utf8.RuneCountInString(s[:i])+1)
		return true
	}
	return false
}

// hiddenRune names the sort of character r is when it may not appear in what a person names or
// describes, or returns "". These are characters that do not show as themselves but change how the
// text around them shows, so that a name could pass for another in the portal or the audit log:
// C0 and C1 controls, the bidirectional controls (an override can show "exe.pdf" for "fdp.exe") and
// the other invisible format characters (Unicode category Cf: zero-width space, joiner and non-joiner,
// word joiner, byte order mark, soft hyphen, tag characters…).
func hiddenRune(r rune) string {
	switch {
	case unicode.IsControl(r):
		return "control characters"
	case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069, r == 0x200e, r == 0x200f, r == 0x061c:
		return "bidirectional text controls"
	case unicode.Is(unicode.Cf, r):
		return "invisible formatting characters"
	}
	return ""
}

// ValidateEmail checks an email address and returns it normalised to lower case. It refuses the
// characters names may not hold, as an address is shown like a name.
func ValidateEmail(v *Validation, field, email string) string {
	email = strings.TrimSpace(email)
	if email == "" {
		v.Add(field, "is required")
		return ""
	}
	if checkHidden(v, field, email, false) {
		return ""
	}
	a, err := mail.ParseAddress(email)
	if err != nil || a.Address != email || len(email) > 254 {
		v.Add(field, "must be a plain email address such as name@example.com")
		return ""
	}
	return strings.ToLower(email)
}

var colourRE = regexp.MustCompile(`^#[0-9a-fA-F]{6}$`)

// ValidateColour checks an icon colour of the form #rrggbb.
func ValidateColour(v *Validation, field, c string) {
	if !colourRE.MatchString(c) {
		v.Add(field, "must be a colour of the form #rrggbb")
	}
}
