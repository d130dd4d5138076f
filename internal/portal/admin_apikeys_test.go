package portal

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// TestAPIKeysPage: the owner creates a key narrowed to one permission (its secret shown once and
// working on the API's authentication), sees it listed, and revokes it; a bad name is refused naming
// the field; a user without api_keys.manage sees no form and cannot create one by posting.
func TestAPIKeysPage(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	b := e.browser()
	b.signIn("owner@example.test")
	if code, body, _ := b.post("/api-keys", url.Values{"name": {""}}); code != http.StatusUnprocessableEntity || !strings.Contains(body, `aria-invalid="true"`) {
		t.Fatalf("empty name: %d", code)
	}
	code, body, _ := b.post("/api-keys", url.Values{"name": {"Nightly export"}, "permissions": {"audit.view"}})
	secret := regexp.MustCompile(`<pre id="api-key-secret">([^<]+)</pre>`).FindStringSubmatch(body)
	if code != http.StatusCreated || secret == nil {
		t.Fatalf("create: %d\n%s", code, body)
	}
	ac, err := e.app.AuthenticateAPIKey(ctx, secret[1], "127.0.0.1")
	if err != nil || ac.KeyPermissions == nil || !ac.KeyPermissions.Has(portico.PermAuditView) || ac.KeyPermissions.Has(portico.PermUsersView) {
		t.Fatalf("the created key: %v %+v", err, ac)
	}
	_, body, _ = b.get("/api-keys")
	if !strings.Contains(body, "Nightly export") || strings.Contains(body, secret[1]) {
		t.Fatal("the list lacks the key, or shows its secret again")
	}
	keys, _ := e.app.ListAPIKeys(ctx, e.owner)
	if code, _, _ := b.post("/api-keys/"+keys[0].ID+"/revoke", nil); code != http.StatusSeeOther {
		t.Fatalf("revoke: %d", code)
	}
	if _, err := e.app.AuthenticateAPIKey(ctx, secret[1], "127.0.0.1"); err == nil {
		t.Fatal("a revoked key still authenticates")
	}

	// A viewer sees the list but no form, and a direct post is refused.
	cu, err := e.app.CreateUser(ctx, e.owner, app.NewUser{Email: "viewer@example.test", Name: "Vera", Password: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	name, purpose, perms := "Key viewers", portico.PurposeAdministration, []portico.Permission{portico.PermAPIKeysView}
	r, err := e.app.CreateRole(ctx, e.owner, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.CreateAssignment(ctx, e.owner, app.AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: cu.User.ID, RoleID: r.ID, ScopeType: portico.ScopeTypeAccount}); err != nil {
		t.Fatal(err)
	}
	v := e.browser()
	v.signIn("viewer@example.test")
	code, body, _ = v.get("/api-keys")
	if code != http.StatusOK || strings.Contains(body, `action="/api-keys"`) || !strings.Contains(body, "Nightly export") {
		t.Fatalf("viewer's page: %d", code)
	}
	if code, _, _ := v.post("/api-keys", url.Values{"name": {"Sneaky"}}); code != http.StatusForbidden {
		t.Fatalf("viewer's post: %d, want 403", code)
	}
}
