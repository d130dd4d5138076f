package portal

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Languages the portal speaks, in menu order. The first is the default and the fallback for a
// missing string; English (US) lists only the strings that differ from English (UK).
var languages = []struct {
	tag  string
	name string // in its own language
}{
	{"en-GB", "English (UK)"},
	{"en-US", "English (US)"},
	{"de", "Deutsch"},
	{"es", "Español"},
	{"fr", "Français"},
	{"it", "Italiano"},
}

// LanguageCookie remembers the language chosen before signing in.
const LanguageCookie = "portico_lang"

type languageOption struct {
	Tag  string
	Name string
}

// catalog holds every string of the portal in every language.
type catalog struct {
	strings  map[string]map[string]string // language → key → text
	printers map[string]*message.Printer
	matcher  language.Matcher
}

// loadCatalog reads locales/<language>/<area>.json: flat objects of key → text. Text is a format for
// fmt (with %s, %d, %[1]s…), printed with the language's number formatting.
func loadCatalog(fsys fs.FS) (*catalog, error) {
	c := &catalog{strings: map[string]map[string]string{}, printers: map[string]*message.Printer{}}
	var tags []language.Tag
	for _, l := range languages {
		tag := language.MustParse(l.tag)
		tags = append(tags, tag)
		c.printers[l.tag] = message.NewPrinter(tag)
		c.strings[l.tag] = map[string]string{}
		names, _ := fs.Glob(fsys, "locales/"+l.tag+"/*.json")
		for _, name := range names {
			b, err := fs.ReadFile(fsys, name)
			if err != nil {
				return nil, err
			}
			var m map[string]string
			if err := json.Unmarshal(b, &m); err != nil {
				return nil, fmt.Errorf("locale file %s: %w", name, err)
			}
			for k, v := range m {
				if _, dup := c.strings[l.tag][k]; dup {
					return nil, fmt.Errorf("locale file %s: key %q is also defined in another file of %s", name, k, path.Dir(name))
				}
				c.strings[l.tag][k] = v
			}
		}
	}
	c.matcher = language.NewMatcher(tags)
	return c, nil
}

// choose picks the request's language: the user's own setting, else the language cookie, else the
// browser's Accept-Language.
func (c *catalog) choose(q *request) string {
	if q.me != nil && c.known(q.me.User.Language) {
		return q.me.User.Language
	}
	if ck, err := q.r.Cookie(LanguageCookie); err == nil && c.known(ck.Value) {
		return ck.Value
	}
	tags, _, _ := language.ParseAcceptLanguage(q.r.Header.Get("Accept-Language"))
	_, i, conf := c.matcher.Match(tags...)
	if conf == language.No {
		return languages[0].tag
	}
	return languages[i].tag
}

// has reports whether the default language defines key.
func (c *catalog) has(key string) bool {
	_, ok := c.strings[languages[0].tag][key]
	return ok
}

func (c *catalog) known(tag string) bool {
	_, ok := c.strings[tag]
	return ok
}

func (c *catalog) options() []languageOption {
	out := make([]languageOption, len(languages))
	for i, l := range languages {
		out[i] = languageOption{l.tag, l.name}
	}
	return out
}

// lookup returns the text of key in lang, falling back to the default language; a key missing
// everywhere shows as itself, which the catalogue test forbids.
func (c *catalog) lookup(lang, key string) string {
	if s, ok := c.strings[lang][key]; ok {
		return s
	}
	if s, ok := c.strings[languages[0].tag][key]; ok {
		return s
	}
	return key
}

// text formats the string key in lang.
func (c *catalog) text(lang, key string, args ...any) string {
	s := c.lookup(lang, key)
	if len(args) == 0 {
		return s
	}
	p, ok := c.printers[lang]
	if !ok {
		p = c.printers[languages[0].tag]
	}
	return p.Sprintf(s, args...)
}

// number formats n with the language's digit grouping (10,000 in English, 10.000 in German).
func (c *catalog) number(lang string, n any) string {
	p, ok := c.printers[lang]
	if !ok {
		p = c.printers[languages[0].tag]
	}
	return p.Sprint(n)
}

// dateLayouts are the date and time formats per language: day first except in the US.
var dateLayouts = map[string][2]string{
	"en-GB": {"2 Jan 2006", "15:04"},
	"en-US": {"Jan 2, 2006", "3:04 PM"},
	"de":    {"02.01.2006", "15:04"},
	"es":    {"02/01/2006", "15:04"},
	"fr":    {"02/01/2006", "15:04"},
	"it":    {"02/01/2006", "15:04"},
}

func formatDate(lang string, t time.Time, dayOnly bool) string {
	l, ok := dateLayouts[lang]
	if !ok {
		l = dateLayouts[languages[0].tag]
	}
	t = t.Local()
	if dayOnly {
		return t.Format(l[0])
	}
	return t.Format(l[0]) + " " + strings.TrimSpace(t.Format(l[1]))
}
