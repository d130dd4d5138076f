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
	if res := c.Do("GET", "/api/v1/me", nil); res.Status != 401 {
		t.Fatalf("me before sign-in: %d", res.Status)
	}
	if res := c.Do("POST", "/api/v1/session", map[string]any{"email": f.user.Email, "password": "wrong password!"}); res.Status != 401 {
		t.Fatalf("wrong password: %d %s", res.Status, res.Body)
	} else if p := res.Problem(t); p.Detail != "wrong email or password" {
		t.Fatalf("wrong password detail %q", p.Detail)
	}
	res := c.Do("POST", "/api/v1/session", map[string]any{"email": f.user.Email, "password": testPassword})
	if res.Status != 200 {
		t.Fatalf("sign in: %d %s", res.Status, res.Body)
	}
	ck := res.Header.Get("Set-Cookie")
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
	if res := c.Do("GET", "/api/v1/me", nil); res.Status != 200 {
		t.Fatalf("me: %d %s", res.Status, res.Body)
	} else if res.Decode(t, &me); me.User.ID != f.user.ID {
		t.Fatalf("me is %q, want %q", me.User.ID, f.user.ID)
	}
	// Behind a TLS-terminating proxy the cookie is Secure.
	res = e.anon().DoWith("POST", "/api/v1/session", map[string]any{"email": f.user.Email, "password": testPassword},
		http.Header{"X-Forwarded-Proto": {"https"}})

	if !strings.Contains(res.Header.Get("Set-Cookie"), "Secure") {
		t.Errorf("cookie behind https proxy not Secure: %q", res.Header.Get("Set-Cookie"))
	}

	if res := c.Do("DELETE", "/api/v1/session", nil); res.Status != 204 {
		t.Fatalf("sign out: %d %s", res.Status, res.Body)
	}
	if res := c.Do("GET", "/api/v1/me", nil); res.Status != 401 {
		t.Fatalf("me after sign-out: %d", res.Status)
	}

	// A disabled user's session ends at once.
	c = e.signIn(f.user.Email)
	owner := e.signIn(f.acc.Owner.Email)
	if res := owner.Do("POST", "/api/v1/users/"+f.user.ID+"/disable", nil); res.Status != 200 {
		t.Fatalf("disable: %d %s", res.Status, res.Body)
	}
	if res := c.Do("GET", "/api/v1/me", nil); res.Status != 401 {
		t.Fatalf("disabled user's session: %d, want 401", res.Status)
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
	res := owner.Do("POST", "/api/v1/users", map[string]any{"email": "newbie@example.test", "name": "Newbie"})
	if res.Status != 201 {
		t.Fatalf("invite: %d %s", res.Status, res.Body)
	}
	res.Decode(t, &created)
	if created.State != "invited" || created.InvitationLink == "" {
		t.Fatalf("invite answer: %s", res.Body)
	}
	token := created.InvitationLink[strings.LastIndex(created.InvitationLink, "/")+1:]
	c := e.anon()
	if res := c.Do("POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": "Newbie", "password": "short"}); res.Status != 422 {
		t.Fatalf("short password: %d %s", res.Status, res.Body)
	}
	if res := c.Do("POST", "/api/v1/invitations/accept", map[string]any{"token": token, "name": "Newbie", "password": testPassword}); res.Status != 200 {
		t.Fatalf("accept: %d %s", res.Status, res.Body)
	}
	if res := c.Do("GET", "/api/v1/me", nil); res.Status != 200 {
		t.Fatalf("me after accepting: %d %s", res.Status, res.Body)
	}
	if res := e.anon().Do("POST", "/api/v1/invitations/accept", map[string]any{"token": token, "password": testPassword}); res.Status != 409 {
		t.Fatalf("second use of the link: %d, want 409: %s", res.Status, res.Body)
	}
}

func TestAPIKeyBearer(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	var made struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	res := owner.Do("POST", "/api/v1/api-keys", map[string]any{"name": "read users", "permissions": []string{"users.view"}})
	if res.Status != 201 {
		t.Fatalf("create key: %d %s", res.Status, res.Body)
	}
	res.Decode(t, &made)
	key := e.bearer(made.Secret)
	if res := key.Do("GET", "/api/v1/users", nil); res.Status != 200 {
		t.Fatalf("narrowed key lists users: %d %s", res.Status, res.Body)
	}
	// The owner holds everything; the key only what it lists.
	for _, path := range []string{"/api/v1/roles", "/api/v1/audit-events", "/api/v1/account"} {
		if res := key.Do("GET", path, nil); res.Status != 403 {
			t.Errorf("narrowed key GET %s: %d, want 403", path, res.Status)
		}
	}
	if res := key.Do("POST", "/api/v1/user-groups", map[string]any{"name": "x"}); res.Status != 403 {
		t.Errorf("narrowed key writes: %d, want 403", res.Status)
	}
	// Bearer requests are not subject to the browser-origin check: no cookie rides along.
	res = key.DoWith("GET", "/api/v1/users", nil, http.Header{"Origin": {"https://evil.example"}, "Sec-Fetch-Site": {"cross-site"}})
	if res.Status != 200 {
		t.Errorf("bearer with foreign Origin: %d", res.Status)
	}
	if res := e.bearer("pk_nonsense").Do("GET", "/api/v1/me", nil); res.Status != 401 {
		t.Errorf("unknown key: %d, want 401", res.Status)
	}
	if res := e.anon().DoWith("GET", "/api/v1/me", nil, http.Header{"Authorization": {"Basic Zm9vOmJhcg=="}}); res.Status != 401 {
		t.Errorf("basic auth: %d, want 401", res.Status)
	}
	if res := owner.Do("DELETE", "/api/v1/api-keys/"+made.ID, nil); res.Status != 204 {
		t.Fatalf("revoke: %d %s", res.Status, res.Body)
	}
	if res := key.Do("GET", "/api/v1/users", nil); res.Status != 401 {
		t.Fatalf("revoked key: %d, want 401", res.Status)
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
		res := owner.DoWith("POST", "/api/v1/user-groups", body, h)
		if res.Status != 403 {
			t.Fatalf("cross-origin POST with cookie %v: %d, want 403: %s", h, res.Status, res.Body)
		}
		res.Problem(t)
		if e.dump(e.A) != before {
			t.Fatal("cross-origin request changed the account")
		}
	}
	// Reads are not state-changing: allowed.
	if res := owner.DoWith("GET", "/api/v1/user-groups", nil, http.Header{"Sec-Fetch-Site": {"cross-site"}}); res.Status != 200 {
		t.Errorf("cross-origin GET: %d", res.Status)
	}
	// Same origin is fine.
	if res := owner.DoWith("POST", "/api/v1/user-groups", body, http.Header{"Origin": {e.srv.URL}, "Sec-Fetch-Site": {"same-origin"}}); res.Status != 201 {
		t.Errorf("same-origin POST: %d %s", res.Status, res.Body)
	}
	// Login CSRF: a foreign site cannot sign a browser in either.
	res := e.anon().DoWith("POST", "/api/v1/session", map[string]any{"email": e.A.user.Email, "password": testPassword},
		http.Header{"Sec-Fetch-Site": {"cross-site"}})

	if res.Status != 403 {
		t.Errorf("cross-site sign-in: %d, want 403", res.Status)
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
		res := e.anon().Do("GET", path, nil)
		for k, v := range want {
			if got := res.Header.Get(k); got != v {
				t.Errorf("GET %s: %s = %q, want %q", path, k, got, v)
			}
		}
	}
	if res := e.anon().Do("GET", "/api/v1/nope", nil); res.Status != 404 {
		t.Errorf("unknown path: %d", res.Status)
	} else {
		res.Problem(t)
	}
	if res := e.anon().Do("PUT", "/api/v1/users/x", nil); res.Status != 405 || res.Header.Get("Allow") != "GET, PATCH, DELETE" {
		t.Errorf("wrong method: %d, Allow %q", res.Status, res.Header.Get("Allow"))
	} else {
		res.Problem(t)
	}
	if res := e.anon().Do("GET", "/healthz", nil); res.Status != 200 {
		t.Errorf("healthz: %d", res.Status)
	}
	if res := e.anon().Do("GET", "/readyz", nil); res.Status != 200 {
		t.Errorf("readyz: %d %s", res.Status, res.Body)
	}
	e.anon().Do("GET", "/api/v1/users", nil) // a 401 to count
	res := e.anon().Do("GET", "/metrics", nil)
	for _, want := range []string{
		`portico_http_requests_total{route="GET /healthz",status="200"} 2`,
		`portico_http_requests_total{route="GET /api/v1/users",status="401"} 1`,
		`portico_http_request_duration_seconds_bucket{route="GET /readyz",status="200"`,
	} {
		if !strings.Contains(string(res.Body), want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func TestOpenAPIDocument(t *testing.T) {
	e := newEnv(t)
	res := e.anon().Do("GET", "/api/v1/openapi.json", nil)
	if res.Status != 200 || res.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("openapi: %d %s", res.Status, res.Header.Get("Content-Type"))
	}
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
		Comps   struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	res.Decode(t, &doc)
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
	res.Decode(t, &all)
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
