package api_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico-dev/portico/internal/api"
)

// Every JSON answer the API tests receive is checked against the OpenAPI document the server
// publishes: success bodies against their operation's response schema, errors against the problem
// schema. So the document cannot drift from the handlers, and each schema is valid JSON Schema
// (2020-12, which OpenAPI 3.1 uses), or it would not compile.

const openAPIURL = "https://portico.test/openapi.json"

var responseSchemas struct {
	once     sync.Once
	err      error
	compiler *jsonschema.Compiler
	routes   *http.ServeMux
	mu       sync.Mutex
	compiled map[string]*jsonschema.Schema
}

// loadOpenAPI compiles the document the running server serves, once per test binary.
func loadOpenAPI(base string) error {
	responseSchemas.once.Do(func() {
		res, err := http.Get(base + "/api/v1/openapi.json")
		if err != nil {
			responseSchemas.err = err
			return
		}
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		if err != nil {
			responseSchemas.err = err
			return
		}
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
		if err != nil {
			responseSchemas.err = fmt.Errorf("the OpenAPI document is not JSON: %w", err)
			return
		}
		c := jsonschema.NewCompiler()
		if err := c.AddResource(openAPIURL, doc); err != nil {
			responseSchemas.err = err
			return
		}
		mux := http.NewServeMux()
		for _, rt := range api.Routes() {
			mux.HandleFunc(rt.Method+" "+rt.Path, func(http.ResponseWriter, *http.Request) {})
		}
		responseSchemas.compiler, responseSchemas.routes = c, mux
		responseSchemas.compiled = map[string]*jsonschema.Schema{}
	})
	return responseSchemas.err
}

// pointer escapes a JSON pointer segment and makes it safe in a URL fragment.
func pointer(segment string) string {
	segment = strings.ReplaceAll(strings.ReplaceAll(segment, "~", "~0"), "/", "~1")
	return url.PathEscape(segment)
}

func schemaAt(loc string) (*jsonschema.Schema, error) {
	responseSchemas.mu.Lock()
	defer responseSchemas.mu.Unlock()
	if s, ok := responseSchemas.compiled[loc]; ok {
		return s, nil
	}
	s, err := responseSchemas.compiler.Compile(loc)
	if err != nil {
		return nil, err
	}
	responseSchemas.compiled[loc] = s
	return s, nil
}

// checkAgainstOpenAPI validates one answer; a mismatch fails the test that received it.
func checkAgainstOpenAPI(t *testing.T, base, method, path string, r *response) {
	t.Helper()
	ct := r.Header.Get("Content-Type")
	if len(r.Body) == 0 || (ct != "application/json" && ct != "application/problem+json") {
		return
	}
	if err := loadOpenAPI(base); err != nil {
		t.Fatalf("OpenAPI document: %v", err)
	}
	var loc string
	switch {
	case ct == "application/problem+json":
		loc = openAPIURL + "#/components/schemas/Problem"
	default:
		u, err := url.Parse(path)
		if err != nil {
			return
		}
		_, pattern := responseSchemas.routes.Handler(httptest.NewRequest(method, u.Path, nil))
		if pattern == "" {
			return
		}
		routePath := strings.TrimPrefix(pattern, method+" ")
		if routePath == "/api/v1/openapi.json" || routePath == "/metrics" {
			return
		}
		loc = openAPIURL + "#/paths/" + pointer(routePath) + "/" + strings.ToLower(method) + "/responses/" +
			strconv.Itoa(r.Status) + "/content/" + pointer("application/json") + "/schema"
	}
	s, err := schemaAt(loc)
	if err != nil {
		t.Errorf("%s %s answered %d, which the OpenAPI document does not describe: %v", method, path, r.Status, err)
		return
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(r.Body))
	if err != nil {
		t.Errorf("%s %s: the answer is not JSON: %v", method, path, err)
		return
	}
	if err := s.Validate(v); err != nil {
		t.Errorf("%s %s (%d) does not match its OpenAPI schema: %v\nbody: %.400s", method, path, r.Status, err, r.Body)
	}
}

// TestOpenAPIChecksAnswers: the check above catches an answer that strays from its schema (it would
// otherwise pass every test by checking nothing).
func TestOpenAPIChecksAnswers(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	good := owner.Do("GET", "/api/v1/device-groups/"+e.A.group.ID, nil)
	if good.Status != http.StatusOK {
		t.Fatalf("get group: %d", good.Status)
	}
	bad := *good
	bad.Body = bytes.Replace(good.Body, []byte(`"name":`), []byte(`"name":12,"was":`), 1)
	inner := &testing.T{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		checkAgainstOpenAPI(inner, e.srv.URL, "GET", "/api/v1/device-groups/"+e.A.group.ID, &bad)
	}()
	<-done
	if !inner.Failed() {
		t.Fatal("a group whose name is a number passed its schema")
	}
	badProblem := &response{Status: 404, Header: http.Header{"Content-Type": {"application/problem+json"}}, Body: []byte(`{"type":1}`)}
	inner = &testing.T{}
	done = make(chan struct{})
	go func() { defer close(done); checkAgainstOpenAPI(inner, e.srv.URL, "GET", "/x", badProblem) }()
	<-done
	if !inner.Failed() {
		t.Fatal("a problem whose type is a number passed the problem schema")
	}
}
