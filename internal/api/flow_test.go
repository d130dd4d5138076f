package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/api"
)

func TestSessionCookieFlow(t *testing.T) {
	e := newEnv(t)
	f := e.A
	c := e.anon()
	if res := c.do("GET", "/api/v1/me", nil); res.status != 401 {
		t.Fatalf("me before sign-in: %d", res.status)
	}
	if res := c.do("POST", "/api/v1/session", map[string]any{"email": f.user.Email, "password": "wrong password!"}); res.status != 401 {
		t.Fatalf("wrong password: %d %s", res.status, res.body)
	} else if p := res.problem(t); p.Detail != "wrong email or password" {
		t.Fatalf("wrong password detail %q", p.Detail)
	}
	res := c.do("POST", "/api/v1/session", map[string]any{"email": f.user.Email, "password": testPassword})
	if res.status != 200 {
		t.Fatalf("sign in: %d %s", res.status, res.body)
	}
	ck := res.header.Get("Set-Cookie")
	for _, want := range []string{api.SessionCookie + "=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(ck, want) {
			t.Errorf("cookie %q lacks %s", ck, want)
		}
	}
	if strings.Contains(ck, "Secure") {
		t.Errorf("cookie over plain HTTP marked Secure: %q", ck)
	}
	var me struct {
		User struct{ ID string } `json:"user"`
	}
	if res := c.do("GET", "/api/v1/me", nil); res.status != 200 {
		t.Fatalf("me: %d %s", res.status, res.body)
	} else if res.decode(t, &me); me.User.ID != f.user.ID {
		t.Fatalf("me is %q, want %q", me.User.ID, f.user.ID)
	}
	// Behind a TLS-terminating proxy the cookie is Secure.
	res = e.anon().doWith("POST", "/api/v1/session", map[string]any{"email": f.user.Email, "password": testPassword},
		http.Header{"X-Forwarded-Proto": {"https"}})
	if !strings.Contains(res.header.Get("Set-Cookie"), "Secure") {
		t.Errorf("cookie behind https proxy not Secure: %q", res.header.Get("Set-Cookie"))
	}

	if res := c.do("DELETE", "/api/v1/session", nil); res.status != 204 {
		t.Fatalf("sign out: %d %s", res.status, res.body)
	}
	if res := c.do("GET", "/api/v1/me", nil); res.status != 401 {
		t.Fatalf("me after sign-out: %d", res.status)
	}

	// A disabled user's session ends at once.
	c = e.signIn(f.user.Email)
	owner := e.signIn(f.acc.Owner.Email)
	if res := owner.do("POST", "/api/v1/users/"+f.user.ID+"/disable", nil); res.status != 200 {
		t.Fatalf("disable: %d %s", res.status, res.body)
	}
	if res := c.do("GET", "/api/v1/me", nil); res.status != 401 {
		t.Fatalf("disabled user's session: %d, want 401", res.status)
	}
}

func TestInvitationFlow(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	var created struct {
		ID             string `json:"id"`
		State          string `json:"state"`
		InvitationLink string `json:"invitation_link"`
	}
	res := owner.do("POST", "/api/v1/users", map[string]any{"email": "newbie@example.test", "name": "Newbie"})
	if res.status != 201 {
		t.Fatalf("invite: %d %s", res.status, res.body)
	}
	res.decode(t, &created)
	if created.State != "invited" || created.InvitationLink == "" {
		t.Fatalf("invite answer: %s", res.body)
	}
	token := created.InvitationLink[strings.LastIndex(created.InvitationLink, "/")+1:]
	c := e.anon()
	if res := c.do("POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": "Newbie", "password": "short"}); res.status != 422 {
		t.Fatalf("short password: %d %s", res.status, res.body)
	}
	if res := c.do("POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": "Newbie", "password": testPassword}); res.status != 200 {
		t.Fatalf("accept: %d %s", res.status, res.body)
	}
	if res := c.do("GET", "/api/v1/me", nil); res.status != 200 {
		t.Fatalf("me after accepting: %d %s", res.status, res.body)
	}
	if res := e.anon().do("POST", "/api/v1/invitations/accept", map[string]any{"token": token, "password": testPassword}); res.status != 409 {
		t.Fatalf("second use of the link: %d, want 409: %s", res.status, res.body)
	}
}

func TestAPIKeyBearer(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	var made struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	res := owner.do("POST", "/api/v1/api-keys", map[string]any{"name": "read users", "permissions": []string{"users.view"}})
	if res.status != 201 {
		t.Fatalf("create key: %d %s", res.status, res.body)
	}
	res.decode(t, &made)
	key := e.bearer(made.Secret)
	if res := key.do("GET", "/api/v1/users", nil); res.status != 200 {
		t.Fatalf("narrowed key lists users: %d %s", res.status, res.body)
	}
	// The owner holds everything; the key only what it lists.
	for _, path := range []string{"/api/v1/roles", "/api/v1/audit-events", "/api/v1/account"} {
		if res := key.do("GET", path, nil); res.status != 403 {
			t.Errorf("narrowed key GET %s: %d, want 403", path, res.status)
		}
	}
	if res := key.do("POST", "/api/v1/user-groups", map[string]any{"name": "x"}); res.status != 403 {
		t.Errorf("narrowed key writes: %d, want 403", res.status)
	}
	// Bearer requests are not subject to the browser-origin check: no cookie rides along.
	res = key.doWith("GET", "/api/v1/users", nil, http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	if res.status != 200 {
		t.Errorf("bearer with foreign Origin: %d", res.status)
	}
	if res := e.bearer("pk_nonsense").do("GET", "/api/v1/me", nil); res.status != 401 {
		t.Errorf("unknown key: %d, want 401", res.status)
	}
	if res := e.anon().doWith("GET", "/api/v1/me", nil, http.Header{"Authorization": {"Basic Zm9vOmJhcg=="}}); res.status != 401 {
		t.Errorf("basic auth: %d, want 401", res.status)
	}
	if res := owner.do("DELETE", "/api/v1/api-keys/"+made.ID, nil); res.status != 204 {
		t.Fatalf("revoke: %d %s", res.status, res.body)
	}
	if res := key.do("GET", "/api/v1/users", nil); res.status != 401 {
		t.Fatalf("revoked key: %d, want 401", res.status)
	}
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	body := map[string]any{"name": "From elsewhere"}
	for _, h := range []http.Header{
		{"Origin": {"https://evil.example"}},
		{"Sec-Fetch-Site": {"cross-site"}},
	} {
		before := e.dump(e.A)
		res := owner.doWith("POST", "/api/v1/user-groups", body, h)
		if res.status != 403 {
			t.Fatalf("cross-origin POST with cookie %v: %d, want 403: %s", h, res.status, res.body)
		}
		res.problem(t)
		if e.dump(e.A) != before {
			t.Fatal("cross-origin request changed the account")
		}
	}
	// Reads are not state-changing: allowed.
	if res := owner.doWith("GET", "/api/v1/user-groups", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}}); res.status != 200 {
		t.Errorf("cross-origin GET: %d", res.status)
	}
	// Same origin is fine.
	if res := owner.doWith("POST", "/api/v1/user-groups", body, http.Header{"Origin": {e.srv.URL}, "Sec-Fetch-Site": {"same-origin"}}); res.status != 201 {
		t.Errorf("same-origin POST: %d %s", res.status, res.body)
	}
	// Login CSRF: a foreign site cannot sign a browser in either.
	res := e.anon().doWith("POST", "/api/v1/session", map[string]any{"email": e.A.user.Email, "password": testPassword},
		http.Header{"Sec-Fetch-Site": {"cross-site"}})
	if res.status != 403 {
		t.Errorf("cross-site sign-in: %d, want 403", res.status)
	}
}

func TestSecurityHeadersAndOperations(t *testing.T) {
	e := newEnv(t)
	want := map[string]string{
		"Content-Security-Policy": "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "no-referrer",
		"X-Frame-Options":         "DENY",
	}
	for _, path := range []string{"/healthz", "/readyz", "/metrics", "/api/v1/openapi.json", "/api/v1/me", "/api/v1/nope", "/nope"} {
		res := e.anon().do("GET", path, nil)
		for k, v := range want {
			if got := res.header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
	if res := e.anon().do("GET", "/api/v1/nope", nil); res.status != 404 {
		t.Errorf("unknown path: %d", res.status)
	} else {
		res.problem(t)
	}
	if res := e.anon().do("PUT", "/api/v1/users/x", nil); res.status != 405 || res.header.Get("Allow") != "GET, PATCH, DELETE" {
		t.Errorf("wrong method: %d, Allow %q", res.status, res.header.Get("Allow"))
	} else {
		res.problem(t)
	}
	if res := e.anon().do("GET", "/healthz", nil); res.status != 200 {
		t.Errorf("healthz: %d", res.status)
	}
	if res := e.anon().do("GET", "/readyz", nil); res.status != 200 {
		t.Errorf("readyz: %d %s", res.status, res.body)
	}
	e.anon().do("GET", "/api/v1/users", nil) // a 401 to count
	res := e.anon().do("GET", "/metrics", nil)
	for _, want := range []string{
		`portico_http_requests_total{route="GET /healthz",status="200"} 2`,
		`portico_http_requests_total{route="GET /api/v1/users",status="401"} 1`,
		`portico_http_request_duration_seconds_bucket{route="GET /readyz",status="200"`,
	} {
		if !strings.Contains(string(res.body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	res := e.anon().do("GET", "/api/v1/openapi.json", nil)
	if res.status != 200 || res.header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi: %d %s", res.status, res.header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Comps   struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	res.decode(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	ids := map[string]bool{}
	for _, rt := range api.Routes() {
		raw, ok := doc.Paths[rt.Path][strings.ToLower(rt.Method)]
		if !ok {
			t.Errorf("document lacks %s %s", rt.Method, rt.Path)
			continue
		}
		var op struct {
			OperationID string `json:"operationId"`
			Permission  string `json:"x-permission"`
		}
		if err := json.Unmarshal(raw, &op); err != nil {
			t.Fatal(err)
		}
		if op.OperationID != rt.OperationID || op.Permission != rt.Permission {
			t.Errorf("%s %s: operation %+v", rt.Method, rt.Path, op)
		}
		if ids[op.OperationID] {
			t.Errorf("operation id %s used twice", op.OperationID)
		}
		ids[op.OperationID] = true
	}
	// Every $ref resolves.
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if ref, ok := x["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if _, ok := doc.Comps.Schemas[name]; !ok {
					t.Errorf("dangling $ref %s", ref)
				}
			}
			for _, y := range x {
				walk(y)
			}
		case []any:
			for _, y := range x {
				walk(y)
			}
		}
	}
	var all any
	res.decode(t, &all)
	walk(all)
	for _, name := range []string{"User", "Problem", "RolePage", "CreateAPIKeyRequest", "PasswordPolicy", "PasswordPolicyInput"} {
		if _, ok := doc.Comps.Schemas[name]; !ok {
			t.Errorf("schema %s missing; have %d schemas", name, len(doc.Comps.Schemas))
		}
	}
	// Schema names are a client's, not Go's: no package, no instantiation brackets.
	for name := range doc.Comps.Schemas {
		if strings.ContainsAny(name, ".[]_") || name != strings.ToUpper(name[:1])+name[1:] {
			t.Errorf("schema name %q", name)
		}
	}
}
