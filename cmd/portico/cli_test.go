package main

import (
	"bytes"
	"errors"
	"flag"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
	"github.com/portico-dev/portico/internal/api"
)

func TestParseInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantName string
	}{
		{nil, nil, ""},
		{[]string{"dev_1"}, []string{"dev_1"}, ""},
		{[]string{"dev_1", "--name", "x", "dev_2"}, []string{"dev_1", "dev_2"}, "x"},
		{[]string{"--name=x", "dev_1"}, []string{"dev_1"}, "x"},
		{[]string{"dev_1", "--", "--name", "y"}, []string{"dev_1", "--name", "y"}, ""},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			name := fs.String("name", "", "")
			pos, err := parseInterspersed(fs, tt.args)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantPos, pos); diff != "" || *name != tt.wantName {
				t.Errorf("positional (-want +got):\n%s name %q, want %q", diff, *name, tt.wantName)
			}
		})
	}
}

func TestCheckArgs(t *testing.T) {
	tests := []struct {
		spec string
		args []string
		ok   bool
	}{
		{"", nil, true},
		{"", []string{"x"}, false},
		{"ID", nil, false},
		{"ID", []string{"a"}, true},
		{"ID", []string{"a", "b"}, false},
		{"ID...", nil, false},
		{"ID...", []string{"a", "b", "c"}, true},
		{"ID [USER_ID...]", []string{"a"}, true},
		{"ID [USER_ID...]", []string{"a", "b", "c"}, true},
		{"ID [FEATURE=on|off|inherit...]", nil, false},
	}
	for _, tt := range tests {
		if err := checkArgs(tt.spec, tt.args); (err == nil) != tt.ok {
			t.Errorf("checkArgs(%q, %q) = %v, want ok %v", tt.spec, tt.args, err, tt.ok)
		}
	}
}

// TestResolvePrecedence holds the documented order: flags, then the environment, then the config file.
func TestResolvePrecedence(t *testing.T) {
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "portico", "cli.json")
	os.MkdirAll(filepath.Dir(cfgPath), 0o700)
	if err := os.WriteFile(cfgPath, []byte(`{"server":"https://file.example","api_key":"pk_file","output":"json"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name                 string
		flags                globalFlags
		env                  map[string]string
		server, key, output  string
		wantErr              string
		noConfig, badConfigs bool
	}{
		{name: "config file", server: "https://file.example", key: "pk_file", output: "json"},
		{name: "environment over file", env: map[string]string{"PORTICO_SERVER": "https://env.example", "PORTICO_API_KEY": "pk_env"},
			server: "https://env.example", key: "pk_env", output: "json"},
		{name: "flags over environment", flags: globalFlags{server: "https://flag.example", apiKey: "pk_flag", output: "table"},
			env:    map[string]string{"PORTICO_SERVER": "https://env.example", "PORTICO_API_KEY": "pk_env"},
			server: "https://flag.example", key: "pk_flag", output: "table"},
		{name: "no file", noConfig: true, env: map[string]string{"PORTICO_SERVER": "https://env.example", "PORTICO_API_KEY": "pk_env"},
			server: "https://env.example", key: "pk_env", output: "table"},
		{name: "no server", noConfig: true, env: map[string]string{"PORTICO_API_KEY": "pk_env"}, wantErr: "no server"},
		{name: "no key", noConfig: true, flags: globalFlags{server: "https://flag.example"}, wantErr: "no API key"},
		{name: "not a URL", noConfig: true, flags: globalFlags{server: "flag.example", apiKey: "k"}, wantErr: "must be a URL"},
		{name: "bad output", flags: globalFlags{output: "yaml"}, wantErr: "table or json"},
		{name: "named file missing", flags: globalFlags{config: filepath.Join(dir, "none.json")}, wantErr: "read the config file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PORTICO_SERVER", "")
			t.Setenv("PORTICO_API_KEY", "")
			t.Setenv("PORTICO_CONFIG", "")
			t.Setenv("XDG_CONFIG_HOME", dir)
			if tt.noConfig {
				t.Setenv("XDG_CONFIG_HOME", t.TempDir())
			}
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			server, key, output, err := tt.flags.resolve(io.Discard)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if server != tt.server || key != tt.key || output != tt.output {
				t.Errorf("got %q %q %q, want %q %q %q", server, key, output, tt.server, tt.key, tt.output)
			}
		})
	}
}

func TestConfigFileIsStrictAndGuarded(t *testing.T) {
	dir := t.TempDir()
	typo := filepath.Join(dir, "typo.json")
	os.WriteFile(typo, []byte(`{"sever":"https://x.example"}`), 0o600)
	if _, err := readConfig(typo, true, io.Discard); err == nil || !strings.Contains(err.Error(), "sever") {
		t.Errorf("a misspelt key: %v", err)
	}
	open := filepath.Join(dir, "open.json")
	os.WriteFile(open, []byte(`{"api_key":"pk_x"}`), 0o644)
	os.Chmod(open, 0o644)
	var warn bytes.Buffer
	if _, err := readConfig(open, true, &warn); err != nil || !strings.Contains(warn.String(), "chmod 600") {
		t.Errorf("a key others may read: %v, warning %q", err, warn.String())
	}
}

func TestApplySettingChanges(t *testing.T) {
	own := portico.GroupSettings{portico.FeatureChat: true, portico.FeatureTerminal: false}
	got, err := applySettingChanges(own, []string{"chat=off", "terminal=inherit", "view=on"})
	if err != nil {
		t.Fatal(err)
	}
	want := portico.GroupSettings{portico.FeatureChat: false, portico.FeatureView: true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if own[portico.FeatureChat] != true {
		t.Error("the current settings were changed in place")
	}
	for _, bad := range []string{"chat", "chatty=on", "chat=maybe"} {
		if _, err := applySettingChanges(own, []string{bad}); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestParsers(t *testing.T) {
	t.Run("scope", func(t *testing.T) {
		tests := []struct {
			in     string
			typ    portico.ScopeType
			id     string
			wantOK bool
		}{
			{"account", portico.ScopeTypeAccount, "", true},
			{"device_group:grp_1", portico.ScopeTypeDeviceGroup, "grp_1", true},
			{"device:dev_1", portico.ScopeTypeDevice, "dev_1", true},
			{"section:team", portico.ScopeTypeSection, "team", true},
			{"device_group", "", "", false},
			{"account:acc_1", "", "", false},
			{"planet:earth", "", "", false},
		}
		for _, tt := range tests {
			typ, id, err := parseScope(tt.in)
			if (err == nil) != tt.wantOK || typ != tt.typ || id != tt.id {
				t.Errorf("parseScope(%q) = %q %q %v", tt.in, typ, id, err)
			}
		}
	})
	t.Run("condition", func(t *testing.T) {
		c, err := parseCondition("ip_address:matches_cidr:2001:db8::/32")
		want := portico.RuleCondition{Property: "ip_address", Operator: "matches_cidr", Value: "2001:db8::/32"}
		if err != nil || c != want {
			t.Errorf("got %+v, %v", c, err)
		}
		if _, err := parseCondition("hostname:equals"); err == nil {
			t.Error("a condition without a value was accepted")
		}
	})
	t.Run("expiry", func(t *testing.T) {
		if e, err := parseExpiry(""); e != nil || err != nil {
			t.Errorf("empty: %v %v", e, err)
		}
		if e, err := parseExpiry("2030-01-02T03:04:05Z"); err != nil || !e.Equal(time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("a time: %v %v", e, err)
		}
		if e, err := parseExpiry("72h"); err != nil || time.Until(*e) < 71*time.Hour {
			t.Errorf("a duration: %v %v", e, err)
		}
		if _, err := parseExpiry("soon"); err == nil {
			t.Error("soon was accepted")
		}
	})
}

func TestWriteList(t *testing.T) {
	type row struct{ ID, Name string }
	cols := []column[row]{{"ID", func(r row) string { return r.ID }}, {"NAME", func(r row) string { return r.Name }}}
	rows := []row{{"a", "first\tname"}, {"bbbb", ""}}
	var out bytes.Buffer
	if err := writeList(&cli{output: "table", stdout: &out}, rows, cols); err != nil {
		t.Fatal(err)
	}
	want := "ID    NAME\na     first name\nbbbb  -\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	out.Reset()
	if err := writeList(&cli{output: "json", stdout: &out}, []row(nil), cols); err != nil || strings.TrimSpace(out.String()) != "[]" {
		t.Errorf("an empty JSON list: %q, %v", out.String(), err)
	}
}

func TestExplainAPIError(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"detail", &apiclient.Error{StatusCode: 404, Detail: "device not found"}, "device not found"},
		{"one field, named by the detail", &apiclient.Error{StatusCode: 422, Detail: "name is required",
			Fields: []portico.FieldError{{Field: "name", Message: "is required"}}}, "name is required"},
		{"every field", &apiclient.Error{StatusCode: 422, Detail: "name is required (and 1 more error)",
			Fields: []portico.FieldError{{Field: "name", Message: "is required"}, {Field: "colour", Message: "is wrong"}}},
			"name is required (and 1 more error)\n  name: is required\n  colour: is wrong"},
		{"credentials", &apiclient.Error{StatusCode: 401, Detail: "invalid API key"}, "invalid API key (check --api-key or $PORTICO_API_KEY)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explainAPIError(tt.err)
			if got.Error() != tt.want {
				t.Errorf("got %q, want %q", got.Error(), tt.want)
			}
			var e *apiclient.Error
			if !errors.As(got, &e) {
				t.Error("the *client.Error is lost")
			}
		})
	}
	plain := errors.New("connection refused")
	if explainAPIError(plain) != plain {
		t.Error("a transport error was rewritten")
	}
}

// TestCompletionCoversEveryCommand checks that the completion script offers every resource, verb and
// flag of the command table.
func TestCompletionCoversEveryCommand(t *testing.T) {
	for _, shell := range []string{"bash", "zsh"} {
		var out bytes.Buffer
		if err := cmdCompletion([]string{shell}, &out, io.Discard); err != nil {
			t.Fatal(err)
		}
		script := out.String()
		for _, r := range resources() {
			var verbs []string
			for _, v := range r.verbs {
				verbs = append(verbs, v.name)
				fs := flag.NewFlagSet("", flag.ContinueOnError)
				v.setup(fs)
				fs.VisitAll(func(f *flag.Flag) {
					line := `"` + r.name + " " + v.name + `") words="`
					i := strings.Index(script, line)
					if i < 0 || !strings.Contains(strings.SplitN(script[i:], "\n", 2)[0], "--"+f.Name) {
						t.Errorf("%s: %s %s lacks --%s", shell, r.name, v.name, f.Name)
					}
				})
			}
			if !strings.Contains(script, r.name+`) words="`+strings.Join(verbs, " ")+`"`) {
				t.Errorf("%s: the verbs of %s are missing", shell, r.name)
			}
		}
	}
	if err := cmdCompletion([]string{"fish"}, io.Discard, io.Discard); !errors.Is(err, flag.ErrHelp) {
		t.Errorf("fish: %v", err)
	}
}

func TestAuditVerifyAsksServer(t *testing.T) {
	tests := []struct {
		args []string
		want bool
	}{
		{[]string{"--data", "x"}, false},
		{[]string{"--server", "https://x"}, true},
		{[]string{"-server=https://x"}, true},
		{[]string{"--data", "--", "--server"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := auditVerifyAsksServer(tt.args); got != tt.want {
			t.Errorf("%q: %v", tt.args, got)
		}
	}
}

// notInCLI are the operations of the API that no command of the line calls, and why. Everything else
// the client can call must be reachable from some verb (TestEveryOperationHasAVerb).
var notInCLI = map[string]string{
	"signIn":           "a portal session: the command line authenticates with an API key",
	"signOut":          "a portal session: the command line authenticates with an API key",
	"acceptInvitation": "done by the invited person, in the browser, with the link's token",
	// The server refuses an API key these five by design: one's own second factor is managed by the
	// person, signed in.
	"getTwoFactorStatus":      "the caller's own 2FA, which the server refuses to an API key",
	"startTwoFactor":          "the caller's own 2FA, which the server refuses to an API key",
	"confirmTwoFactor":        "the caller's own 2FA, which the server refuses to an API key",
	"disableTwoFactor":        "the caller's own 2FA, which the server refuses to an API key",
	"regenerateRecoveryCodes": "the caller's own 2FA, which the server refuses to an API key",
	"resetTwoFactor":          "the server refuses an API key: a signed-in administrator resets another user's 2FA, in the portal",
	"openSession":             "the technician's WebSocket (docs/sessions.md), opened by the portal",
	"connectAgent":            "the agent's WebSocket",
	"enrollDevice":            "the agent's (portico-agent enroll), with an enrollment token rather than an API key",
	"redeemOnDemandCode":      "the support agent's (portico-agent support), with an on-demand code rather than an API key",
	"getOpenAPI":              "a document for tools, not an administration task",
	"health":                  "for monitoring (liveness), not an administration task",
	"ready":                   "for monitoring (readiness), not an administration task",
	"metrics":                 "for monitoring (Prometheus), not an administration task",
}

// TestEveryOperationHasAVerb holds the command line to the route table: the client method of every
// operation (named after its operationId) is called by some verb, directly or through other client
// methods, unless notInCLI says why not.
func TestEveryOperationHasAVerb(t *testing.T) {
	reached := clientMethodsReachedFromCLI(t)
	clientType := reflect.TypeFor[*apiclient.Client]()
	routes := map[string]bool{}
	for _, rt := range api.Routes() {
		id := rt.OperationID
		routes[id] = true
		method := strings.ToUpper(id[:1]) + id[1:]
		_, hasMethod := clientType.MethodByName(method)
		why, excepted := notInCLI[id]
		switch {
		case excepted && reached[method]:
			t.Errorf("%s is called by a verb: remove it from notInCLI", id)
		case excepted:
			t.Logf("%s (%s %s): not in the command line: %s", id, rt.Method, rt.Path, why)
		case !hasMethod:
			t.Errorf("operation %s (%s %s): the client has no method %s", id, rt.Method, rt.Path, method)
		case !reached[method]:
			t.Errorf("operation %s (%s %s): no verb calls client.%s; add one (and run it in TestCLI), or say why not in notInCLI",
				id, rt.Method, rt.Path, method)
		}
	}
	for id := range notInCLI {
		if !routes[id] {
			t.Errorf("notInCLI names %s, which the route table does not have", id)
		}
	}
}

// clientMethodsReachedFromCLI reads the source: the client methods the command line's files (cli*.go)
// call, through c.api or a method expression of *apiclient.Client, and those that these call in turn
// (AllDevices pages through ListDevices).
func clientMethodsReachedFromCLI(t *testing.T) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	parse := func(pattern string) []*ast.File {
		paths, err := filepath.Glob(pattern)
		if err != nil || len(paths) == 0 {
			t.Fatalf("no files match %s (%v)", pattern, err)
		}
		var files []*ast.File
		for _, p := range paths {
			if strings.HasSuffix(p, "_test.go") {
				continue
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			files = append(files, f)
		}
		return files
	}
	// calls[m] are the methods that the client's method m calls on its receiver.
	calls := map[string][]string{}
	for _, f := range parse("../../client/*.go") {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List[0].Names) == 0 || types.ExprString(fn.Recv.List[0].Type) != "*Client" {
				continue
			}
			recv := fn.Recv.List[0].Names[0].Name
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				if sel, ok := n.(*ast.SelectorExpr); ok {
					if x, ok := sel.X.(*ast.Ident); ok && x.Name == recv {
						calls[fn.Name.Name] = append(calls[fn.Name.Name], sel.Sel.Name)
					}
				}
				return true
			})
		}
	}
	reached := map[string]bool{}
	var reach func(m string)
	reach = func(m string) {
		if !reached[m] {
			reached[m] = true
			for _, callee := range calls[m] {
				reach(callee)
			}
		}
	}
	for _, f := range parse("cli*.go") {
		ast.Inspect(f, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x := types.ExprString(sel.X); x == "c.api" || x == "(*apiclient.Client)" {
					reach(sel.Sel.Name)
				}
			}
			return true
		})
	}
	if len(reached) < 20 {
		t.Fatalf("only %d client methods found in the command line's source: has its form changed?", len(reached))
	}
	return reached
}

func TestGiven(t *testing.T) {
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.String("name", "", "")
	fs.Int("size", 0, "")
	fs.Bool("on", false, "")
	if err := fs.Parse([]string{"--size", "7", "--on=false"}); err != nil {
		t.Fatal(err)
	}
	name, size, on := "kept", 1, true
	given(fs, "name", &name)
	given(fs, "size", &size)
	given(fs, "on", &on)
	if name != "kept" || size != 7 || on {
		t.Errorf("got %q %d %v, want the flags given over the rest", name, size, on)
	}
}
