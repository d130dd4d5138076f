package portico

import (
	"fmt"
	"os"
	"strings"
	"testing"
)

// TestAuditDoc keeps the table of actions in docs/audit.md in step with the catalogue: SIEM rules are
// written from the document, the events from the code.
func TestAuditDoc(t *testing.T) {
	const path = "docs/audit.md"
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(raw)
	if !strings.Contains(doc, "<!-- audit-actions:begin -->\n") || !strings.Contains(doc, "<!-- audit-actions:end -->") {
		t.Fatalf("%s lacks the audit-actions markers", path)
	}
	want := replaceSection(doc, "audit-actions", auditActionsTable())
	if want == doc {
		return
	}
	if *updateDocs {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Fatalf("%s is out of step with the catalogue of audit actions: run go test . -run TestAuditDoc -update", path)
}

func auditActionsTable() string {
	var b strings.Builder
	b.WriteString("| action | target | title |\n| --- | --- | --- |\n")
	for _, a := range AuditActions() {
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", a.ID, a.Target, a.Title.EnGB)
	}
	return b.String()
}
