package app

import (
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// TestAPIKeyNeverGrowsWithItsCreator: a key made without a list holds what its creator held then;
// rights the creator gains later do not reach it, and a revoked key fails at once.
func TestAPIKeyNeverGrowsWithItsCreator(t *testing.T) {
	e := newEnv(t)
	group := e.group("Lab", "")
	keys := e.role("Keys", portico.PermAPIKeysView, portico.PermAPIKeysManage)
	term := e.role("Terminal", portico.PermDeviceView, portico.PermDeviceTerminal)
	tech := e.user("tech@example.test", grant{roleID: keys, scopeType: portico.ScopeTypeAccount},
		grant{roleID: term, scopeType: portico.ScopeTypeDeviceGroup, scopeID: group})
	key, secret, err := e.a.CreateAPIKey(e.ctx, tech, "automation", nil)
	if err != nil {
		t.Fatal(err)
	}
	perms := portico.NewPermissionSet(key.Permissions...)
	if !perms.Has(portico.PermDeviceTerminal) || !perms.Has(portico.PermAPIKeysManage) || perms.Has(portico.PermDeviceFileTransfer) {
		t.Fatalf("key permissions %v, want the creator's (terminal, api keys) only", key.Permissions)
	}

	// The creator gains file transfer on the group; the key does not.
	ft := e.role("Files", portico.PermDeviceView, portico.PermDeviceFileTransfer)
	if _, err := e.a.CreateAssignment(e.ctx, e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser,
		PrincipalID: tech.UserID, RoleID: ft, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: group}); err != nil {
		t.Fatal(err)
	}
	ac, err := e.a.AuthenticateAPIKey(e.ctx, secret, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	if !e.a.can(e.ctx, tech, portico.PermDeviceFileTransfer, authz.Group(group)) {
		t.Fatal("the creator did not gain file transfer")
	}
	if e.a.can(e.ctx, ac, portico.PermDeviceFileTransfer, authz.Group(group)) {
		t.Fatal("the key gained its creator's new right")
	}
	if !e.a.can(e.ctx, ac, portico.PermDeviceTerminal, authz.Group(group)) {
		t.Fatal("the key lost a right it was made with")
	}

	if err := e.a.RevokeAPIKey(e.ctx, e.owner, key.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.AuthenticateAPIKey(e.ctx, secret, "127.0.0.1"); !portico.IsKind(err, portico.KindUnauthenticated) {
		t.Fatalf("a revoked key authenticates: %v", err)
	}
}
