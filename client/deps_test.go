package client

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoServerDependencies keeps the client free of server code: the agent links it for its
// enrolment, and any program may use it. Only the standard library and the root package (the
// domain's wire types) are allowed.
func TestNoServerDependencies(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const root = "github.com/portico-dev/portico"
	for _, dep := range strings.Fields(string(out)) {
		if first, _, _ := strings.Cut(dep, "/"); !strings.Contains(first, ".") {
			continue // the standard library
		}
		if dep != root && dep != root+"/client" {
			t.Errorf("the client depends on %s", dep)
		}
	}
}
