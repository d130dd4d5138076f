package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
)

// The written style of the API (docs/api.md), checked by walking the route table against a running
// API: every error is a problem document of its kind; every endpoint but the public ones asks for
// credentials the same way; and a device or group the caller may not view is answered exactly as one
// that does not exist.

var pathParam = regexp.MustCompile(`\{[a-z_]+\}`)

// TestEveryEndpointRefusesWithoutCredentials: each non-public operation, asked without a cookie or a
// key, answers 401 with an unauthenticated problem document.
func TestEveryEndpointRefusesWithoutCredentials(t *testing.T) {
	e := newEnv(t)
	anon := e.anon()
	for _, rt := range api.Routes() {
		if rt.Public {
			continue
		}
		path := pathParam.ReplaceAllString(rt.Path, "x_1")
		var body any
		if rt.Method == "POST" || rt.Method == "PUT" || rt.Method == "PATCH" {
			body = map[string]any{}
		}
		res := anon.DoWith(rt.Method, path, body, http.Header{"Origin": {anon.Base}})
		if res.Status != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials: %d, want 401: %s", rt.Method, rt.Path, res.Status, res.Body)
			continue
		}
		if p := res.Problem(t); !strings.HasSuffix(p.Type, "/unauthenticated") {
			t.Errorf("%s %s without credentials: problem type %q", rt.Method, rt.Path, p.Type)
		}
	}
}

// TestEveryBodyRefusesMalformedJSON: each operation that takes a JSON body answers a body that is
// not JSON with 400 and a bad_request problem, before it decides anything.
func TestEveryBodyRefusesMalformedJSON(t *testing.T) {
	e := newEnv(t)
	owner := e.signIn(e.A.acc.Owner.Email)
	for _, rt := range api.Routes() {
		if rt.Method != "POST" && rt.Method != "PUT" && rt.Method != "PATCH" {
			continue
		}
		path := pathParam.ReplaceAllString(rt.Path, "x_1")
		res := owner.Do(rt.Method, path, rawJSON(`{"name": `))
		if res.Status == http.StatusNoContent || res.Status/100 == 2 {
			continue // an operation that reads no body
		}
		if res.Status != http.StatusBadRequest {
			// Operations without a body may refuse for their own reasons; those with one must not
			// get past decoding.
			if p := res.Problem(t); strings.Contains(p.Detail, "JSON") && !strings.HasSuffix(p.Type, "/bad_request") {
				t.Errorf("%s %s malformed JSON: %d %q", rt.Method, rt.Path, res.Status, p.Type)
			}
			continue
		}
		if p := res.Problem(t); !strings.HasSuffix(p.Type, "/bad_request") {
			t.Errorf("%s %s malformed JSON: problem type %q, want bad_request", rt.Method, rt.Path, p.Type)
		}
	}
}

// TestHiddenIsNotFound: a technician who may view one group's devices asks about a device and a
// group of the same account they may not view, through every operation that names one in its path:
// each answer is the answer for an id that does not exist — 404 not_found — never a 403 that would
// tell the object exists.
func TestHiddenIsNotFound(t *testing.T) {
	e := newEnv(t)
	f := e.A
	ctx := t.Context()
	hidden := e.enroll(f)
	hiddenGroup := check(e.app.CreateDeviceGroup(ctx, f.sys, app.GroupInput{Name: "Hidden", Colour: "#112233"}))(t)
	must(t, e.app.MoveDevices(ctx, f.sys, []string{hidden}, hiddenGroup.ID))
	// The technician holds everything on devices, but only in the fixture's group.
	r := e.role(f, portico.PurposeDevices, portico.PermDeviceView, portico.PermDeviceEdit, portico.PermDeviceDelete,
		portico.PermDeviceMove, portico.PermDeviceHistory, portico.PermDeviceInventory, portico.PermDeviceChat,
		portico.PermDeviceGroupsView, portico.PermDeviceGroupsManage, portico.PermDeviceGroupsDelete, portico.PermDeviceGroupsSettings)
	tech := e.activeUser(f, nil)
	e.assign(f, tech.ID, r.ID, portico.ScopeTypeDeviceGroup, f.group.ID)
	c := e.signIn(tech.Email)
	tested := 0
	for _, rt := range api.Routes() {
		var id string
		switch {
		case strings.HasPrefix(rt.Path, "/api/v1/devices/{id}"):
			id = hidden
		case strings.HasPrefix(rt.Path, "/api/v1/device-groups/{id}"):
			id = hiddenGroup.ID
		default:
			continue
		}
		var body any
		if rt.Method == "PATCH" {
			body = map[string]any{"name": "Renamed"}
		} else if rt.Method == "PUT" && strings.HasSuffix(rt.Path, "/settings") {
			body = map[string]any{"own": map[string]bool{}}
		}
		path := func(id string) string {
			p := strings.Replace(rt.Path, "{id}", id, 1)
			if strings.HasSuffix(p, "/session") {
				p += "?actions=chat"
			}
			return p
		}
		got := c.Do(rt.Method, path(id), body)
		missing := c.Do(rt.Method, path(id[:4]+"nosuchobject00"), body)
		tested++
		if got.Status != missing.Status || got.Status != http.StatusNotFound {
			t.Errorf("%s %s on a hidden object: %d (an unknown id: %d), want 404 for both: %s", rt.Method, rt.Path,
				got.Status, missing.Status, got.Body)
			continue
		}
		if p := got.Problem(t); !strings.HasSuffix(p.Type, "/not_found") {
			t.Errorf("%s %s on a hidden object: problem type %q", rt.Method, rt.Path, p.Type)
		}
	}
	if tested < 10 {
		t.Fatalf("only %d device and group operations found in the route table", tested)
	}
}
