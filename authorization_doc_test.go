package portico

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var updateDocs = flag.Bool("update", false, "rewrite the generated sections of docs/authorization.md and docs/audit.md")

// TestAuthorizationDoc keeps the catalogue and the system roles in docs/authorization.md in step
// with the code: the document is what an administrator reads, the code what the engine enforces.
func TestAuthorizationDoc(t *testing.T) {
	const path = "docs/authorization.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	want := replaceSection(doc, "catalogue", catalogueTable())
	want = replaceSection(want, "system-roles", systemRolesTable())
	if want == doc {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of step with the catalogue: run go test . -run TestAuthorizationDoc -update", path)
}

func replaceSection(doc, name, body string) string {
	begin, end := "<!-- "+name+":begin -->\n", "<!-- "+name+":end -->"
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		return doc
	}
	return doc[:i+len(begin)] + body + doc[j:]
}

func list(ps []Permission) string {
	if len(ps) == 0 {
		return ""
	}
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = "`" + string(p) + "`"
	}
	return strings.Join(s, ", ")
}

func catalogueTable() string {
	var b strings.Builder
	b.WriteString("| permission | title | category | scope | prerequisites | implies | switched off by | remote |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, p := range Catalogue() {
		gate := ""
		if p.GatedBy != "" {
			gate = "`" + string(p.GatedBy) + "`"
		}
		remote := ""
		if p.Remote {
			remote = "yes"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", p.ID, p.Title, p.Category, p.Scope,
			list(p.Prerequisites), list(p.Implies), gate, remote)
	}
	return b.String()
}

func systemRolesTable() string {
	var b strings.Builder
	b.WriteString("| role | purpose | permissions |\n| --- | --- | --- |\n")
	for _, r := range SystemRoles() {
		perms := list(r.Permissions)
		if len(r.Permissions) == len(Catalogue()) {
			perms = "every permission"
		}
		fmt.Fprintf(&b, "| %s (`%s`) | %s | %s |\n", r.Name, r.Key, r.Purpose, perms)
	}
	return b.String()
}
