package portal

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// parsePages parses every page template (templates/<area>/<name>.html, named "<area>/<name>")
// together with the layout and the shared partials (templates/partials/*.html). The functions are
// placeholders replaced per request (see funcs), so that a page can write {{t "key"}}.
func parsePages(fsys fs.FS) (map[string]*template.Template, error) {
	base := template.New("layout").Funcs(funcs(nil))
	if _, err := base.ParseFS(fsys, "templates/layout.html"); err != nil {
		return nil, fmt.Errorf("parse layout: %w", err)
	}
	if partials, _ := fs.Glob(fsys, "templates/partials/*.html"); len(partials) > 0 {
		if _, err := base.ParseFS(fsys, partials...); err != nil {
			return nil, fmt.Errorf("parse partials: %w", err)
		}
	}
	pages := map[string]*template.Template{}
	areas, err := fs.ReadDir(fsys, "templates")
	if err != nil {
		return nil, err
	}
	for _, area := range areas {
		if !area.IsDir() || area.Name() == "partials" {
			continue
		}
		names, _ := fs.Glob(fsys, "templates/"+area.Name()+"/*.html")
		for _, name := range names {
			t, err := base.Clone()
			if err != nil {
				return nil, err
			}
			if _, err := t.ParseFS(fsys, name); err != nil {
				return nil, fmt.Errorf("parse %s: %w", name, err)
			}
			pages[area.Name()+"/"+strings.TrimSuffix(path.Base(name), ".html")] = t
		}
	}
	return pages, nil
}

// funcs are the template functions. With a nil request they are placeholders for parsing.
//
//	t KEY ARGS…       the string KEY in the user's language, formatted with ARGS (numbers localised)
//	date TIME         a date and time in the user's language; "" for the zero time
//	day TIME          a date alone
//	num N             a number with the language's digit grouping
//	action ID         the title of the audit action ID in the user's language (portico.AuditActions)
//	can PERM          whether the user holds PERM at account level
//	canGroup PERM ID  whether the user holds PERM on the device group ID
//	canDevice PERM ID whether the user holds PERM on the device ID
//	has LIST ITEM     whether a string slice holds ITEM
//	list A B…         a string slice, for ranging over literals
//	dict K V…         a map, for passing several values to a sub-template
func funcs(q *request) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string {
			if q == nil {
				return key
			}
			return q.p.locales.text(q.lang, key, args...)
		},
		"date": func(t any) string { return formatTime(q, t, false) },
		"day":  func(t any) string { return formatTime(q, t, true) },
		"num": func(n any) string {
			if q == nil {
				return fmt.Sprint(n)
			}
			return q.p.locales.number(q.lang, n)
		},
		"action": func(id portico.AuditAction) string {
			if q == nil {
				return string(id)
			}
			return id.Title(q.lang)
		},
		"can": func(perm string) bool { return q != nil && q.can(portico.Permission(perm)) },
		"canGroup": func(perm, id string) bool {
			return q != nil && q.canOn(portico.Permission(perm), authz.Group(id))
		},
		"canDevice": func(perm, id string) bool {
			return q != nil && q.canOn(portico.Permission(perm), authz.Device(id))
		},
		// field names an app field (an error's) as the page would: see request.fieldLabel.
		"field": func(name string) string {
			if q == nil {
				return name
			}
			return q.fieldLabel(name, nil)
		},
		"has":  func(list []string, item string) bool { return slices.Contains(list, item) },
		"list": func(items ...string) []string { return items },
		"dict": func(kv ...any) map[string]any {
			m := map[string]any{}
			for i := 0; i+1 < len(kv); i += 2 {
				m[fmt.Sprint(kv[i])] = kv[i+1]
			}
			return m
		},
	}
}

func formatTime(q *request, v any, dayOnly bool) string {
	var t time.Time
	switch x := v.(type) {
	case time.Time:
		t = x
	case *time.Time:
		if x == nil {
			return ""
		}
		t = *x
	default:
		return ""
	}
	if t.IsZero() {
		return ""
	}
	lang := "en-GB"
	if q != nil {
		lang = q.lang
	}
	return formatDate(lang, t, dayOnly)
}

// view is what the layout needs besides the page's own data.
type view struct {
	Lang      string
	Languages []languageOption
	Theme     string
	User      *portico.User
	Account   *portico.Account
	Crumbs    []crumb
	Active    string
	Menu      *menu
	// IdleSeconds is the account's idle timeout, for the warning script; 0 on public pages.
	IdleSeconds int
	Path        string
	// HasLogo makes the top bar show the account's logo (served at /branding/logo) instead of the
	// product name.
	HasLogo bool
}

// page is the data every page template receives: the layout's view and the page's own data.
type page struct {
	V *view
	P any
}

// render writes a whole page: the layout around the page template's "content".
func (q *request) render(status int, name string, data any) error {
	return q.execute(status, name, "layout", data)
}

// fragment writes one named template of a page alone, for htmx requests that swap part of a page.
func (q *request) fragment(name, block string, data any) error {
	return q.execute(http.StatusOK, name, block, data)
}

func (q *request) execute(status int, name, block string, data any) error {
	// A page built on decisions that could not be made (this node cannot confirm its copy of the
	// access rights is current) is not shown: the request fails instead.
	if q.actor != nil && name != "core/error" {
		if f := q.actor.Failure(); f != nil {
			return f
		}
	}
	base, ok := q.p.pages[name]
	if !ok {
		return fmt.Errorf("portal: no page template %q", name)
	}
	t, err := base.Clone()
	if err != nil {
		return err
	}
	t.Funcs(funcs(q))
	v, err := q.view(block == "layout")
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, block, page{V: v, P: data}); err != nil {
		return fmt.Errorf("render %s: %w", name, err)
	}
	h := q.w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", q.lang)
	q.w.WriteHeader(status)
	_, err = buf.WriteTo(q.w)
	return err
}

// view builds the layout's data; the side menu (which lists the visible groups) only for whole pages,
// not for the fragments htmx swaps in.
func (q *request) view(withMenu bool) (*view, error) {
	v := &view{Lang: q.lang, Languages: q.p.locales.options(), Theme: q.theme, Crumbs: q.crumbs, Active: q.active,
		Path: q.r.URL.Path}
	if q.me != nil {
		v.User, v.Account = q.me.User, q.me.Account
		v.IdleSeconds = q.me.Account.Settings.IdleTimeoutMinutes * 60
		v.HasLogo = q.p.app.AccountHasLogo(q.ctx, q.me.Account.ID) // branding: logo in the top bar
	}
	if q.me != nil && withMenu {
		m, err := q.menu()
		if err != nil {
			return nil, err
		}
		v.Menu = m
	}
	return v, nil
}
