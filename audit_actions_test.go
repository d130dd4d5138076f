package portico

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

var auditActionID = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// TestAuditActionCatalogue holds every entry to what the portal and docs/audit.md need: ids in order
// and unique, a target kind, and a title in every language, none shared by two actions.
func TestAuditActionCatalogue(t *testing.T) {
	targets := []AuditTarget{AuditTargetAccount, AuditTargetUser, AuditTargetUserGroup, AuditTargetRole,
		AuditTargetRoleAssignment, AuditTargetDeviceGroup, AuditTargetDevice, AuditTargetAssignmentRule,
		AuditTargetAPIKey, AuditTargetEnrollmentToken, AuditTargetSession, AuditTargetMail, AuditTargetOnDemand}
	langs := []string{"en-GB", "en-US", "de", "es", "fr", "it"}
	seen := map[string]map[string]AuditAction{} // language → title → action
	cat := AuditActions()
	for i, a := range cat {
		if !auditActionID.MatchString(string(a.ID)) {
			t.Errorf("%q is not an action id (lower case words joined by dots)", a.ID)
		}
		if i > 0 && cat[i-1].ID >= a.ID {
			t.Errorf("%s comes after %s: keep the catalogue in id order, once each", a.ID, cat[i-1].ID)
		}
		if !slices.Contains(targets, a.Target) {
			t.Errorf("%s: target %q is none of the audit target kinds", a.ID, a.Target)
		}
		if got, ok := LookupAuditAction(a.ID); !ok || got.ID != a.ID {
			t.Errorf("LookupAuditAction(%s) = %v, %v", a.ID, got.ID, ok)
		}
		if a.Title.EnUS != "" && a.Title.EnUS == a.Title.EnGB {
			t.Errorf("%s: the English (US) title repeats the English (UK) one: leave it empty", a.ID)
		}
		for _, l := range langs {
			title := a.TitleIn(l)
			if title == "" || strings.TrimSpace(title) != title || strings.HasSuffix(title, ".") {
				t.Errorf("%s: %s title %q: want a short title, without a full stop", a.ID, l, title)
			}
			if seen[l] == nil {
				seen[l] = map[string]AuditAction{}
			}
			if other, dup := seen[l][title]; dup {
				t.Errorf("%s and %s share the %s title %q", other, a.ID, l, title)
			}
			seen[l][title] = a.ID
		}
	}
	if _, ok := LookupAuditAction("no.such_action"); ok {
		t.Error("LookupAuditAction found an action the catalogue lacks")
	}
	if got := AuditAction("test.filler").Title("de"); got != "test.filler" {
		t.Errorf("an unknown action's title is %q, want its id", got)
	}
	if got := ActionDeviceMove.Title("fr"); got != "Appareil déplacé" {
		t.Errorf("device.move in French: %q", got)
	}
	if got := ActionLicencesView.Title("en-US"); got != "Licenses viewed" {
		t.Errorf("licences.view in American English: %q", got)
	}
	if got := ActionDeviceMove.Title("pt"); got != "Device moved" {
		t.Errorf("device.move in a language the catalogue lacks: %q, want English (UK)", got)
	}
}

// TestAuditActionConstants: the AuditAction constants of this package and the catalogue name the same
// actions, so that whatever the server writes with a constant is documented and titled.
func TestAuditActionConstants(t *testing.T) {
	consts := map[AuditAction]string{} // id → constant
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, de := range entries {
		name := de.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != "AuditAction" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Errorf("%s: %s is not a plain string", fset.Position(n.Pos()), n.Name)
						continue
					}
					id, _ := strconv.Unquote(lit.Value)
					if other, dup := consts[AuditAction(id)]; dup {
						t.Errorf("%s and %s are both %q", other, n.Name, id)
					}
					consts[AuditAction(id)] = n.Name
				}
			}
		}
	}
	for _, a := range AuditActions() {
		if _, ok := consts[a.ID]; !ok {
			t.Errorf("the catalogue lists %s, which no AuditAction constant names", a.ID)
		}
		delete(consts, a.ID)
	}
	for id, name := range consts {
		t.Errorf("%s (%q) is not in the catalogue: add it to auditActions with its target and titles", name, id)
	}
}
