package portico

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// validateName checks a required display name: not blank, at most max characters, no control characters.
func validateName(v *Validation, field, name string, max int) {
	switch {
	case strings.TrimSpace(name) == "":
		v.Add(field, "is required")
	case !utf8.ValidString(name):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(name) > max:
		v.Add(field, "must be at most %d characters (got %d)", max, utf8.RuneCountInString(name))
	case strings.ContainsFunc(name, unicode.IsControl):
		v.Add(field, "must not contain control characters")
	}
}

// validateText checks an optional free text of at most max characters. It may span lines and hold
// tabs; other control characters (NUL, which PostgreSQL cannot store, escape, a lone carriage return…)
// are refused. A carriage return is accepted only before a line feed: browsers send a text area's
// line breaks as CR LF.
func validateText(v *Validation, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "must be at most %d characters (got %d)", max, utf8.RuneCountInString(s))
	default:
		if i, r := textControl(s); i >= 0 {
			v.Add(field, "must not contain control characters other than line breaks and tabs (%U at position %d)",
				r, utf8.RuneCountInString(s[:i])+1)
		}
	}
}

// textControl returns the byte offset and value of the first control character in s that free text
// may not hold, or -1.
func textControl(s string) (int, rune) {
	for i, r := range s {
		switch {
		case r == '\n' || r == '\t':
		case r == '\r' && strings.HasPrefix(s[i+1:], "\n"):
		case unicode.IsControl(r):
			return i, r
		}
	}
	return -1, 0
}

// ValidateEmail checks an email address and returns it normalised to lower case.
func ValidateEmail(v *Validation, field, email string) string {
	email = strings.TrimSpace(email)
	a, err := mail.ParseAddress(email)
	if email == "" {
		v.Add(field, "is required")
		return ""
	}
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
