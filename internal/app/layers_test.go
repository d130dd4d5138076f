package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const (
	modulePath = "github.com/portico-dev/portico"
	storePath  = modulePath + "/internal/store"
)

// aboveApp are the packages that serve people and agents. They reach data only through the app, the
// one place that decides authorization, so none of them, nor anything they use that the app does not,
// may import the store. The server and the command line, which open the store and hand it to the app,
// sit above them all and may.
var aboveApp = []string{
	modulePath + "/internal/api",
	modulePath + "/internal/portal",
	modulePath + "/internal/hub",
}

// TestNoStoreAboveApp fails when a package above the app imports internal/store directly. Only
// non-test code counts: tests may seed a database through the store.
func TestNoStoreAboveApp(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	// The app's own dependencies (the store among them) are below the boundary.
	below := map[string]bool{}
	for _, p := range goListDeps(t, goTool, modulePath+"/internal/app") {
		below[p.ImportPath] = true
	}
	checked := 0
	for _, p := range goListDeps(t, goTool, aboveApp...) {
		if below[p.ImportPath] || !strings.HasPrefix(p.ImportPath, modulePath) {
			continue
		}
		checked++
		if slices.Contains(p.Imports, storePath) {
			t.Errorf("%s imports %s: packages above internal/app must go through the app", p.ImportPath, storePath)
		}
	}
	if checked < len(aboveApp) {
		t.Fatalf("checked %d packages, want at least %d: go list found less than it should", checked, len(aboveApp))
	}
}

// listedPackage is the part of `go list -json` output the layering test reads.
type listedPackage struct {
	ImportPath string
	Imports    []string
}

// goListDeps returns the named packages and everything they depend on, test files excluded.
func goListDeps(t *testing.T, goTool string, pkgs ...string) []listedPackage {
	t.Helper()
	args := append([]string{"list", "-deps", "-json=ImportPath,Imports"}, pkgs...)
	out, err := exec.Command(goTool, args...).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	// go list -json writes one object after another, not an array.
	var list []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p listedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		list = append(list, p)
	}
	return list
}
