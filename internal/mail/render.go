package mail

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"path"
	"strings"
	texttemplate "text/template"
	"time"
)

// Kind names a message Portico sends.
type Kind string

// Message kinds. The notices tell a user of a change to their own account's security.
const (
	KindInvitation        Kind = "invitation"
	KindPasswordChanged   Kind = "password_changed"
	KindTwoFactorReset    Kind = "2fa_reset"
	KindTwoFactorDisabled Kind = "2fa_disabled"
	KindAPIKeyCreated     Kind = "api_key_created"
	KindAccountDisabled   Kind = "account_disabled"
	KindAccountEnabled    Kind = "account_enabled"
)

// Kinds lists every kind, for tests of the catalogues.
var Kinds = []Kind{KindInvitation, KindPasswordChanged, KindTwoFactorReset, KindTwoFactorDisabled,
	KindAPIKeyCreated, KindAccountDisabled, KindAccountEnabled}

// Languages are the languages messages are written in; others fall back to DefaultLanguage.
var Languages = []string{"en-GB", "en-US", "de", "es", "fr", "it"}

// DefaultLanguage is used for a user whose language has no catalogue.
const DefaultLanguage = "en-GB"

// Data fills a message's placeholders.
type Data struct {
	Company   string    // the account's company name
	Recipient string    // the recipient's name
	ActorName string    // who did it: the inviter, or the administrator who changed the account
	Link      string    // the action's link (the invitation's "Join the team")
	Detail    string    // kind-specific: the API key's name
	At        time.Time // when it happened
	ExpiresAt time.Time // when the link stops working
}

//go:embed locales/*.json templates/*
var files embed.FS

// catalogue is one language's strings: the layout's (greeting, footer…) and, per kind, subject,
// lines and the action button's label. Strings are templates over Data plus .When and .Expires.
type catalogue struct {
	Greeting     string                  `json:"greeting"`
	Footer       string                  `json:"footer"`
	TimeFormat   string                  `json:"time_format"`
	Messages     map[Kind]messageStrings `json:"messages"`
	fallbackFrom string
}

type messageStrings struct {
	Subject string   `json:"subject"`
	Lines   []string `json:"lines"`
	Action  string   `json:"action,omitempty"`
}

var (
	catalogues = map[string]*catalogue{}
	textLayout *texttemplate.Template
	htmlLayout *htmltemplate.Template
)

func init() {
	entries, err := fs.Glob(files, "locales/*.json")
	if err != nil {
		panic(err)
	}
	for _, e := range entries {
		b, err := files.ReadFile(e)
		if err != nil {
			panic(err)
		}
		var c catalogue
		if err := json.Unmarshal(b, &c); err != nil {
			panic(fmt.Sprintf("mail catalogue %s: %v", e, err))
		}
		catalogues[strings.TrimSuffix(path.Base(e), ".json")] = &c
	}
	textLayout = texttemplate.Must(texttemplate.ParseFS(files, "templates/message.txt"))
	htmlLayout = htmltemplate.Must(htmltemplate.ParseFS(files, "templates/message.html"))
}

// lookup returns the catalogue for lang: the exact tag, then its base language, then the default.
// en-US only overrides what it spells or formats differently, so missing strings come from en-GB.
func lookup(lang string) (*catalogue, string) {
	if c, ok := catalogues[lang]; ok {
		return c, lang
	}
	if i := strings.IndexByte(lang, '-'); i > 0 {
		if c, ok := catalogues[lang[:i]]; ok {
			return c, lang[:i]
		}
	}
	return catalogues[DefaultLanguage], DefaultLanguage
}

func strs(lang string, kind Kind) (greeting, footer, timeFormat string, m messageStrings, ok bool) {
	c, _ := lookup(lang)
	def := catalogues[DefaultLanguage]
	greeting, footer, timeFormat = c.Greeting, c.Footer, c.TimeFormat
	if greeting == "" {
		greeting = def.Greeting
	}
	if footer == "" {
		footer = def.Footer
	}
	if timeFormat == "" {
		timeFormat = def.TimeFormat
	}
	m, ok = c.Messages[kind]
	if !ok {
		m, ok = def.Messages[kind]
	}
	return
}

// view is what the strings and layouts are executed with.
type view struct {
	Data
	When, Expires string
}

type rendered struct {
	Greeting string
	Lines    []string
	Action   string
	Link     string
	Footer   string
}

type renderedHTML struct {
	Greeting htmltemplate.HTML
	Lines    []htmltemplate.HTML
	Action   htmltemplate.HTML
	Link     string
	Footer   htmltemplate.HTML
}

// Render writes the message of kind in lang (falling back to en-GB) for d.
func Render(kind Kind, lang string, d Data) (subject, text, html string, err error) {
	greeting, footer, tf, m, ok := strs(lang, kind)
	if !ok {
		return "", "", "", fmt.Errorf("render mail: unknown kind %q", kind)
	}
	v := view{Data: d}
	if !d.At.IsZero() {
		v.When = d.At.UTC().Format(tf)
	}
	if !d.ExpiresAt.IsZero() {
		v.Expires = d.ExpiresAt.UTC().Format(tf)
	}
	t := func(s string) (string, error) { return execText(s, v) }
	h := func(s string) (htmltemplate.HTML, error) { return execHTML(s, v) }
	if subject, err = t(m.Subject); err != nil {
		return "", "", "", err
	}
	var r rendered
	var rh renderedHTML
	r.Link, rh.Link = d.Link, d.Link
	if r.Greeting, err = t(greeting); err != nil {
		return "", "", "", err
	}
	if rh.Greeting, err = h(greeting); err != nil {
		return "", "", "", err
	}
	for _, l := range m.Lines {
		s, err := t(l)
		if err != nil {
			return "", "", "", err
		}
		r.Lines = append(r.Lines, s)
		hs, err := h(l)
		if err != nil {
			return "", "", "", err
		}
		rh.Lines = append(rh.Lines, hs)
	}
	if m.Action != "" && d.Link != "" {
		if r.Action, err = t(m.Action); err != nil {
			return "", "", "", err
		}
		if rh.Action, err = h(m.Action); err != nil {
			return "", "", "", err
		}
	}
	if r.Footer, err = t(footer); err != nil {
		return "", "", "", err
	}
	if rh.Footer, err = h(footer); err != nil {
		return "", "", "", err
	}
	var tb, hb bytes.Buffer
	if err := textLayout.Execute(&tb, r); err != nil {
		return "", "", "", fmt.Errorf("render mail text: %w", err)
	}
	if err := htmlLayout.Execute(&hb, rh); err != nil {
		return "", "", "", fmt.Errorf("render mail html: %w", err)
	}
	return strings.TrimSpace(subject), tb.String(), hb.String(), nil
}

func execText(s string, v view) (string, error) {
	t, err := texttemplate.New("s").Option("missingkey=error").Parse(s)
	if err != nil {
		return "", fmt.Errorf("render mail: %q: %w", s, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("render mail: %q: %w", s, err)
	}
	return b.String(), nil
}

// execHTML executes a catalogue string with html/template, so the data (a company or user name) is
// escaped while the string itself is trusted text from the catalogue.
func execHTML(s string, v view) (htmltemplate.HTML, error) {
	t, err := htmltemplate.New("s").Option("missingkey=error").Parse(s)
	if err != nil {
		return "", fmt.Errorf("render mail: %q: %w", s, err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, v); err != nil {
		return "", fmt.Errorf("render mail: %q: %w", s, err)
	}
	return htmltemplate.HTML(b.String()), nil //nolint:gosec // escaped by html/template above
}
