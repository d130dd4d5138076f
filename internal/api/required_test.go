package api_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/api"
)

// TestRequiredMatchesValidation: for every operation that takes a JSON body, the fields the OpenAPI
// document marks required are exactly those the operation refuses an empty object for ("is
// required"). A client generated from the document then sends what the server needs, no less.
func TestRequiredMatchesValidation(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	var doc struct {
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Required []string `json:"required"`
			} `json:"schemas"`
		} `json:"components"`
	}
	owner.Do("GET", "/api/v1/openapi.json", nil).Decode(t, &doc)
	ids := map[string]string{
		"/api/v1/users/{id}": f.user.ID, "/api/v1/user-groups/{id}": f.userGroup.ID, "/api/v1/roles/{id}": f.role.ID,
		"/api/v1/device-groups/{id}": f.group.ID, "/api/v1/devices/{id}": f.device, "/api/v1/assignment-rules/{id}": f.rule.ID,
	}
	for _, rt := range api.Routes() {
		if rt.Method != "POST" && rt.Method != "PUT" && rt.Method != "PATCH" {
			continue
		}
		var op struct {
			RequestBody struct {
				Content map[string]struct {
					Schema struct {
						Ref string `json:"$ref"`
					} `json:"schema"`
				} `json:"content"`
			} `json:"requestBody"`
		}
		if err := json.Unmarshal(doc.Paths[rt.Path][strings.ToLower(rt.Method)], &op); err != nil {
			t.Fatal(err)
		}
		ref := op.RequestBody.Content["application/json"].Schema.Ref
		if ref == "" {
			continue // no body
		}
		want := doc.Components.Schemas[strings.TrimPrefix(ref, "#/components/schemas/")].Required
		path := rt.Path
		for prefix, id := range ids {
			if strings.HasPrefix(path, prefix) {
				path = strings.Replace(path, "{id}", id, 1)
			}
		}
		if strings.Contains(path, "{") {
			continue
		}
		res := owner.Do(rt.Method, path, map[string]any{})
		if res.Status != http.StatusUnprocessableEntity && res.Status != http.StatusBadRequest {
			// Accepted, or refused for a reason of state before its input was read (turning off a
			// 2FA that is not on): the required fields are not observed here.
			if res.Status/100 == 2 && len(want) > 0 {
				t.Errorf("%s %s: an empty body was accepted; the document requires %v", rt.Method, rt.Path, want)
			}
			continue
		}
		var got []string
		if res.Status == http.StatusUnprocessableEntity || res.Status == http.StatusBadRequest {
			for _, fe := range res.Problem(t).Errors {
				if !strings.Contains(fe.Field, ".") && !strings.Contains(fe.Field, "[") {
					got = append(got, fe.Field)
				}
			}
		}
		slices.Sort(got)
		got = slices.Compact(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s %s: an empty body is refused for %v; the document requires %v", rt.Method, rt.Path, got, want)
		}
	}
}
