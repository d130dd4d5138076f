package api_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
)

// examplesNotRun need state a fresh account lacks (an invitation, an enrolled second factor, an
// identity provider); their examples are still checked against the schema by the document's tests.
var examplesNotRun = map[string]string{
	"acceptInvitation":        "needs an invitation's token",
	"confirmTwoFactor":        "needs a started enrolment and its current code",
	"disableTwoFactor":        "needs an enrolled second factor and its current code",
	"regenerateRecoveryCodes": "needs an enrolled second factor and its current code",
	"putSSO":                  "fetches the identity provider's metadata",
	"putDirectory":            "the directory's address must resolve",
}

// TestExamplesWork: every operation that takes a body has an example in the OpenAPI document, and the
// example, sent with its placeholder ids replaced by real ones, succeeds as documented.
func TestExamplesWork(t *testing.T) {
	schemas := newEnv(t) // serves the document the examples are checked against
	for _, rt := range api.Routes() {
		if rt.Method != "POST" && rt.Method != "PUT" && rt.Method != "PATCH" {
			continue
		}
		ex, ok := api.Examples[rt.OperationID]
		if !ok {
			if rt.OperationID != "" && takesBody(rt) {
				t.Errorf("%s %s (%s) has no example", rt.Method, rt.Path, rt.OperationID)
			}
			continue
		}
		checkExample(t, schemas.srv.URL, rt, ex)
		if reason, skip := examplesNotRun[rt.OperationID]; skip {
			t.Logf("%s: not run (%s)", rt.OperationID, reason)
			continue
		}
		t.Run(rt.OperationID, func(t *testing.T) {
			e := newEnv(t) // a fresh account each: an example may delete what another needs
			f := e.A
			real := map[string]string{"user": f.user.ID, "role": f.role.ID, "group": f.group.ID, "sub-group": f.subGroup.ID,
				"device": f.device, "rule": f.rule.ID, "enrollment token": f.tokenSec,
				"on-demand code": check(e.app.CreateOnDemandSession(t.Context(), f.ownerAct, portico.OnDemandInput{}))(t).Code}
			raw, err := json.Marshal(ex)
			if err != nil {
				t.Fatal(err)
			}
			body := string(raw)
			for placeholder, what := range api.ExamplePlaceholders {
				body = strings.ReplaceAll(body, placeholder, real[what])
			}
			body = strings.ReplaceAll(body, "owner@example.com", f.acc.Owner.Email)
			body = strings.ReplaceAll(body, "correct horse battery staple", testPassword)
			path := rt.Path
			for prefix, what := range map[string]string{"/api/v1/users/": "user", "/api/v1/user-groups/": "user-group",
				"/api/v1/roles/": "role", "/api/v1/device-groups/": "group", "/api/v1/devices/": "device",
				"/api/v1/assignment-rules/": "rule"} {
				if strings.HasPrefix(path, prefix+"{id}") {
					id := real[what]
					if what == "user-group" {
						id = f.userGroup.ID
					}
					path = strings.Replace(path, "{id}", id, 1)
				}
			}
			owner := e.signIn(f.acc.Owner.Email)
			res := owner.Do(rt.Method, path, rawJSON(body))
			if res.Status != rt.Status {
				t.Fatalf("the example of %s %s answers %d, want %d: %s\nexample: %s", rt.Method, rt.Path, res.Status, rt.Status, res.Body, body)
			}
		})
	}
}

// takesBody reports whether the operation reads a JSON body, as its OpenAPI operation says.
func takesBody(rt api.Route) bool {
	switch rt.OperationID {
	case "signOut", "disableUser", "enableUser", "resendInvitation", "resetTwoFactor", "startTwoFactor",
		"previewDirectory", "importDirectory", "enableAllDeviceGroupSettings", "disableAllDeviceGroupSettings",
		"applyAssignmentRules", "dryRunAssignmentRule", "revokeEnrollmentToken", "acceptLegal", "uploadLogo",
		"addFavourite":
		return false
	}
	return true
}

// checkExample validates an example against its operation's request schema in the served document.
func checkExample(t *testing.T, base string, rt api.Route, ex any) {
	t.Helper()
	if err := loadOpenAPI(base); err != nil {
		t.Fatal(err)
	}
	s, err := schemaAt(openAPIURL + "#/paths/" + pointer(rt.Path) + "/" + strings.ToLower(rt.Method) +
		"/requestBody/content/" + pointer("application/json") + "/schema")
	if err != nil {
		t.Errorf("%s %s: no request schema: %v", rt.Method, rt.Path, err)
		return
	}
	raw, _ := json.Marshal(ex)
	v, _ := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err := s.Validate(v); err != nil {
		t.Errorf("the example of %s %s does not match its schema: %v", rt.Method, rt.Path, err)
	}
}
