package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// TestAuditActionsAreConstants fails when the app names an audit action other than by a constant of
// the catalogue (portico.ActionDeviceMove…): a string literal, a conversion or a concatenation could
// write an action that the catalogue, the portal's titles and docs/audit.md do not know. It
// type-checks the app's files, so that it sees every expression of type portico.AuditAction wherever
// it goes (authorize, change{action: …}, auditDenied, auditFailed, auditInTx, auditEvent…). It also
// fails when a catalogue action is written nowhere, so that the catalogue lists what the log can hold.
func TestAuditActionsAreConstants(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("the go tool is not on PATH")
	}
	app, exports := goListExports(t, goTool, modulePath+"/internal/app")
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range app.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(app.Dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	lookup := func(path string) (io.ReadCloser, error) {
		if exports[path] == "" {
			return nil, errors.New("no export data for " + path)
		}
		return os.Open(exports[path])
	}
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: importer.ForCompiler(fset, "gc", lookup)}
	pkg, err := conf.Check(app.ImportPath, fset, files, info)
	if err != nil {
		t.Fatal(err)
	}
	var action types.Type
	for _, imp := range pkg.Imports() {
		if imp.Path() == modulePath {
			action = imp.Scope().Lookup("AuditAction").Type()
		}
	}
	if action == nil {
		t.Fatal("the app does not import the root package")
	}

	// catalogueConst is the catalogue constant expr names, if it names one.
	catalogueConst := func(expr ast.Expr) (string, bool) {
		expr = ast.Unparen(expr)
		if sel, ok := expr.(*ast.SelectorExpr); ok {
			expr = sel.Sel
		}
		id, ok := expr.(*ast.Ident)
		if !ok {
			return "", false
		}
		c, ok := info.Uses[id].(*types.Const)
		if !ok || c.Pkg() == nil || c.Pkg().Path() != modulePath {
			return "", false
		}
		return c.Val().ExactString(), true
	}
	written := map[string]bool{}
	var problems []string
	for expr, tv := range info.Types {
		if tv.IsType() || !types.Identical(tv.Type, action) {
			continue
		}
		if call, ok := expr.(*ast.CallExpr); ok && info.Types[call.Fun].IsType() {
			problems = append(problems, fmt.Sprintf("%s: a conversion to AuditAction: name the action by its constant in audit_actions.go",
				fset.Position(expr.Pos())))
			continue
		}
		if tv.Value == nil {
			continue // a variable or a field: its value is one of the expressions checked here
		}
		if id, ok := catalogueConst(expr); ok {
			written[id] = true
			continue
		}
		problems = append(problems, fmt.Sprintf("%s: the action %s is not a constant of the catalogue: add it to audit_actions.go and use its constant",
			fset.Position(expr.Pos()), tv.Value.ExactString()))
	}
	slices.Sort(problems)
	for _, p := range problems {
		t.Error(p)
	}
	for _, a := range portico.AuditActions() {
		if id := `"` + string(a.ID) + `"`; !written[id] {
			t.Errorf("the catalogue lists %s, which the app never writes", a.ID)
		}
	}
}

// TestAuditEventsAreWrittenByTheApp: only the app appends to the audit log (the store keeps it), so
// TestAuditActionsAreConstants sees every action written.
func TestAuditEventsAreWrittenByTheApp(t *testing.T) {
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "internal/app/") || strings.HasPrefix(rel, "internal/store/") {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("AppendAudit(")) {
			t.Errorf("%s appends to the audit log: only the app writes audit events", rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// exportedPackage is the part of `go list -export -json` output TestAuditActionsAreConstants reads.
type exportedPackage struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
}

// goListExports returns the package named and the compiler's export data of everything it depends on,
// by import path.
func goListExports(t *testing.T, goTool, pkg string) (exportedPackage, map[string]string) {
	t.Helper()
	out, err := exec.Command(goTool, "list", "-deps", "-export", "-json=ImportPath,Dir,GoFiles,Export", pkg).Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var self exportedPackage
	exports := map[string]string{}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p exportedPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		exports[p.ImportPath] = p.Export
		if p.ImportPath == pkg {
			self = p
		}
	}
	if self.Dir == "" {
		t.Fatalf("go list did not list %s", pkg)
	}
	return self, exports
}
