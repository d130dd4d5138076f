package portal

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// Bulk rule delete is all or nothing: with an unknown id among the ticked rules, none is deleted and
// the list says which id was wrong.
func TestRulesBulkDeleteAllOrNothing(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	g := adminGroup(t, e, "Lyon")
	a, b, c := adminRule(t, e, "alpha", g), adminRule(t, e, "bravo", g), adminRule(t, e, "charlie", g)
	count := func() int {
		rules, err := e.app.ListRules(ctx, e.owner)
		if err != nil {
			t.Fatal(err)
		}
		return len(rules)
	}
	br := e.browser()
	br.signIn("owner@example.test")
	code, body, _ := br.post("/device-assignment/delete", url.Values{"id": {a, "rul_nosuch", b}})
	wantStatus(t, "bulk delete with an unknown id", code, http.StatusNotFound, body)
	if n := count(); n != 3 {
		t.Fatalf("a refused bulk delete left %d of 3 rules", n)
	}
	if !strings.Contains(body, "Nothing was deleted") || !strings.Contains(body, "rul_nosuch") || !strings.Contains(body, `role="alert"`) {
		t.Errorf("the refusal is not shown on the rules page:\n%s", body)
	}
	code, body, _ = br.post("/device-assignment/delete", url.Values{"id": {a, c}})
	wantStatus(t, "bulk delete", code, http.StatusSeeOther, body)
	if rules, _ := e.app.ListRules(ctx, e.owner); len(rules) != 1 || rules[0].ID != b {
		t.Fatalf("after deleting alpha and charlie: %+v", rules)
	}
}

// Device statuses read Available / Unavailable / In session (as the product names them), in the portal and in its CSV
// export, and no language calls them online or offline.
func TestDeviceStatusWording(t *testing.T) {
	e := newTestEnv(t)
	gid := e.acc.DefaultGroup.ID
	up := e.devicesSeed(gid, "up", 1, portico.DeviceAvailable)[0]
	down := e.devicesSeed(gid, "down", 1, portico.DeviceUnavailable)[0]
	b := e.browser()
	b.signIn("owner@example.test")
	for id, want := range map[string]string{up: ">Available<", down: ">Unavailable<"} {
		_, body, _ := b.get("/devices/" + id)
		if !strings.Contains(body, want) {
			t.Errorf("device page of %s lacks %s", id, want)
		}
	}
	_, body, _ := b.get("/groups/" + gid + "?format=csv")
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(body, "\ufeff"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var statuses []string
	for _, r := range rows[1:] {
		statuses = append(statuses, r[0])
	}
	if got := strings.Join(statuses, ","); !strings.Contains(got, "Available") || !strings.Contains(got, "Unavailable") {
		t.Errorf("csv statuses: %s", got)
	}

	cat, err := loadCatalog(files)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][2]string{"en-GB": {"Available", "Unavailable"}, "de": {"Verfügbar", "Nicht verfügbar"},
		"es": {"Disponible", "No disponible"}, "fr": {"Disponible", "Indisponible"}, "it": {"Disponibile", "Non disponibile"}}
	for lang, w := range want {
		for i, key := range []string{"status.available", "status.unavailable"} {
			if got := cat.text(lang, key); got != w[i] {
				t.Errorf("%s %s = %q, want %q", lang, key, got, w[i])
			}
		}
	}
	for _, l := range languages {
		for _, key := range []string{"status.available", "status.unavailable", "status.in_session"} {
			if got := strings.ToLower(cat.text(l.tag, key)); strings.Contains(got, "online") ||
				strings.Contains(got, "offline") || strings.Contains(got, "ligne") || strings.Contains(got, "línea") ||
				strings.Contains(got, "conexión") {
				t.Errorf("%s %s = %q: a status is Available / Unavailable / In session, not online / offline", l.tag, key, got)
			}
		}
	}
}

// Every language's name of a special folder is refused as a device group name, so the list in the
// app and the portal's locales stay in step.
func TestSpecialFolderNamesCoverEveryLocale(t *testing.T) {
	files, err := filepath.Glob("locales/*/*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("locale files: %v %v", files, err)
	}
	seen := 0
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, key := range []string{"menu.unassigned", "menu.favourites", "menu.in_session"} {
			if name, ok := m[key]; ok {
				seen++
				if !app.SpecialFolderName(name) {
					t.Errorf("%s: %s %q may name a device group", f, key, name)
				}
			}
		}
	}
	if seen < 3 {
		t.Fatalf("found only %d special folder names in the locales", seen)
	}
}

// The group forms refuse a special folder's name on the name field.
func TestGroupFormRefusesSpecialFolderName(t *testing.T) {
	e := newTestEnv(t)
	gid := e.acc.DefaultGroup.ID
	b := e.browser()
	b.signIn("owner@example.test")
	code, body, _ := b.post("/groups/new", url.Values{"name": {"Unassigned"}, "colour": {"#123456"}})
	wantStatus(t, "create Unassigned", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="name-error"`) || !strings.Contains(body, "special folder") {
		t.Errorf("no error on the name field:\n%s", body)
	}
	code, body, _ = b.post("/groups/"+gid+"/edit", url.Values{"name": {"in session"}, "colour": {"#123456"}, "description": {""}})
	wantStatus(t, "rename to In session", code, http.StatusUnprocessableEntity, body)
	if !strings.Contains(body, `id="name-error"`) {
		t.Errorf("no error on the name field:\n%s", body)
	}
}
