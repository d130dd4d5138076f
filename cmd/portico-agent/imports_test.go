package main

import (
	"os/exec"
	"strings"
	"testing"
)

// forbiddenDeps are server-side packages and database drivers the agent must never link: they would
// bloat every installed agent and widen what an attacker on a device could reach.
var forbiddenDeps = []string{
	"github.com/portico-dev/portico/internal/store",
	"github.com/portico-dev/portico/internal/app",
	"github.com/portico-dev/portico/internal/api",
	"github.com/portico-dev/portico/internal/hub",
	"github.com/portico-dev/portico/authz",
	"database/sql",
	"modernc.org/sqlite",
	"github.com/jackc/pgx",
}

func TestAgentHasNoServerDependencies(t *testing.T) {
	for _, goos := range []string{"linux", "windows", "darwin"} {
		t.Run(goos, func(t *testing.T) {
			cmd := exec.Command("go", "list", "-deps", ".")
			cmd.Env = append(cmd.Environ(), "GOOS="+goos, "GOARCH=amd64", "CGO_ENABLED=0")
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("go list -deps: %v", err)
			}
			deps := strings.Fields(string(out))
			if len(deps) < 10 {
				t.Fatalf("go list -deps returned only %d packages: %v", len(deps), deps)
			}
			for _, dep := range deps {
				for _, bad := range forbiddenDeps {
					if dep == bad || strings.HasPrefix(dep, bad+"/") {
						t.Errorf("portico-agent depends on %s", dep)
					}
				}
			}
		})
	}
}
