package client_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/client"
	"github.com/portico-dev/portico/internal/server"
	"github.com/portico-dev/portico/internal/servertest"
)

// operation is the client's side of one operation of the OpenAPI document: the method that calls
// it and the Go type of the JSON body it sends (nil when it sends none). The answer's type is read
// from the method's signature.
type operation struct {
	method string
	body   reflect.Type
}

func body[T any]() reflect.Type { return reflect.TypeFor[T]() }

// operations maps every operationId of GET /api/v1/openapi.json to its client method.
var operations = map[string]operation{
	"signIn":                        {"SignIn", body[client.SignInRequest]()},
	"signOut":                       {"SignOut", nil},
	"acceptInvitation":              {"AcceptInvitation", body[client.AcceptInvitationRequest]()},
	"getMe":                         {"GetMe", nil},
	"getAccount":                    {"GetAccount", nil},
	"updateAccount":                 {"UpdateAccount", body[client.UpdateAccountRequest]()},
	"getLicences":                   {"GetLicences", nil},
	"listPermissions":               {"ListPermissions", nil},
	"listUsers":                     {"ListUsers", nil},
	"createUser":                    {"CreateUser", body[client.CreateUserRequest]()},
	"getUser":                       {"GetUser", nil},
	"updateUser":                    {"UpdateUser", body[client.UpdateUserRequest]()},
	"deleteUser":                    {"DeleteUser", nil},
	"disableUser":                   {"DisableUser", nil},
	"enableUser":                    {"EnableUser", nil},
	"getInvitation":                 {"GetInvitation", nil},
	"resendInvitation":              {"ResendInvitation", nil},
	"revokeInvitation":              {"RevokeInvitation", nil},
	"resetTwoFactor":                {"ResetTwoFactor", nil},
	"getTwoFactorStatus":            {"GetTwoFactorStatus", nil},
	"startTwoFactor":                {"StartTwoFactor", nil},
	"confirmTwoFactor":              {"ConfirmTwoFactor", body[client.TwoFactorCodeBody]()},
	"disableTwoFactor":              {"DisableTwoFactor", body[client.TwoFactorCodeBody]()},
	"regenerateRecoveryCodes":       {"RegenerateRecoveryCodes", body[client.TwoFactorCodeBody]()},
	"listUserGroups":                {"ListUserGroups", nil},
	"createUserGroup":               {"CreateUserGroup", body[client.CreateUserGroupRequest]()},
	"getUserGroup":                  {"GetUserGroup", nil},
	"updateUserGroup":               {"UpdateUserGroup", body[client.UpdateUserGroupRequest]()},
	"deleteUserGroup":               {"DeleteUserGroup", nil},
	"setUserGroupMembers":           {"SetUserGroupMembers", body[client.UserGroupMembersBody]()},
	"getDirectory":                  {"GetDirectory", nil},
	"putDirectory":                  {"PutDirectory", body[client.DirectoryConfig]()},
	"previewDirectory":              {"PreviewDirectory", nil},
	"importDirectory":               {"ImportDirectory", nil},
	"getDirectoryJob":               {"GetDirectoryJob", nil},
	"getSSO":                        {"GetSSO", nil},
	"putSSO":                        {"PutSSO", body[client.SSOConfig]()},
	"listRoles":                     {"ListRoles", nil},
	"createRole":                    {"CreateRole", body[client.CreateRoleRequest]()},
	"getRole":                       {"GetRole", nil},
	"updateRole":                    {"UpdateRole", body[client.UpdateRoleRequest]()},
	"deleteRole":                    {"DeleteRole", nil},
	"cloneRole":                     {"CloneRole", body[client.CloneRoleBody]()},
	"listRoleDependents":            {"ListRoleDependents", nil},
	"listRoleAssignments":           {"ListRoleAssignments", nil},
	"createRoleAssignment":          {"CreateRoleAssignment", body[client.CreateRoleAssignmentRequest]()},
	"deleteRoleAssignment":          {"DeleteRoleAssignment", nil},
	"explainAccess":                 {"ExplainAccess", body[client.ExplainRequest]()},
	"whoCan":                        {"WhoCan", body[client.WhoCanRequest]()},
	"listDeviceGroups":              {"ListDeviceGroups", nil},
	"createDeviceGroup":             {"CreateDeviceGroup", body[client.CreateDeviceGroupRequest]()},
	"getDeviceGroup":                {"GetDeviceGroup", nil},
	"updateDeviceGroup":             {"UpdateDeviceGroup", body[client.UpdateDeviceGroupRequest]()},
	"deleteDeviceGroup":             {"DeleteDeviceGroup", nil},
	"getDeviceGroupSettings":        {"GetDeviceGroupSettings", nil},
	"putDeviceGroupSettings":        {"PutDeviceGroupSettings", body[client.GroupSettingsUpdateBody]()},
	"enableAllDeviceGroupSettings":  {"EnableAllDeviceGroupSettings", nil},
	"disableAllDeviceGroupSettings": {"DisableAllDeviceGroupSettings", nil},
	"listDevices":                   {"ListDevices", nil},
	"moveDevices":                   {"MoveDevices", body[client.MoveDevicesBody]()},
	"deleteDevices":                 {"DeleteDevices", body[client.DeviceIDsBody]()},
	"getDevice":                     {"GetDevice", nil},
	"updateDevice":                  {"UpdateDevice", body[client.UpdateDeviceRequest]()},
	"deleteDevice":                  {"DeleteDevice", nil},
	"addFavourite":                  {"AddFavourite", nil},
	"removeFavourite":               {"RemoveFavourite", nil},
	"getDeviceInventory":            {"GetDeviceInventory", nil},
	"getDeviceHistory":              {"GetDeviceHistory", nil},
	"listSessions":                  {"ListSessions", nil},
	"getSession":                    {"GetSession", nil},
	"endSession":                    {"EndSession", nil},
	"listAssignmentRules":           {"ListAssignmentRules", nil},
	"createAssignmentRule":          {"CreateAssignmentRule", body[client.RuleRequest]()},
	"reorderAssignmentRules":        {"ReorderAssignmentRules", body[client.RuleIDsBody]()},
	"applyAssignmentRules":          {"ApplyAssignmentRules", nil},
	"deleteAssignmentRules":         {"DeleteAssignmentRules", body[client.RuleIDsBody]()},
	"getAssignmentRule":             {"GetAssignmentRule", nil},
	"updateAssignmentRule":          {"UpdateAssignmentRule", body[client.RuleRequest]()},
	"deleteAssignmentRule":          {"DeleteAssignmentRule", nil},
	"dryRunAssignmentRule":          {"DryRunAssignmentRule", nil},
	"listAuditEvents":               {"ListAuditEvents", nil},
	"exportAuditEvents":             {"ExportAuditEvents", nil},
	"verifyAuditLog":                {"VerifyAuditLog", nil},
	"listAPIKeys":                   {"ListAPIKeys", nil},
	"createAPIKey":                  {"CreateAPIKey", body[client.CreateAPIKeyRequest]()},
	"revokeAPIKey":                  {"RevokeAPIKey", nil},
	"getIPAllowlist":                {"GetIPAllowlist", nil},
	"setIPAllowlist":                {"SetIPAllowlist", body[client.IPAllowlistUpdate]()},
	"getPasswordPolicy":             {"GetPasswordPolicy", nil},
	"setPasswordPolicy":             {"SetPasswordPolicy", body[client.PasswordPolicy]()},
	"getLegal":                      {"GetLegal", nil},
	"setLegal":                      {"SetLegal", body[client.LegalUpdate]()},
	"acceptLegal":                   {"AcceptLegal", nil},
	"getBranding":                   {"GetBranding", nil},
	"uploadLogo":                    {"UploadLogo", nil}, // the image as the raw body
	"deleteLogo":                    {"DeleteLogo", nil},
	"listEnrollmentTokens":          {"ListEnrollmentTokens", nil},
	"listOnDemandSessions":          {"ListOnDemandSessions", nil},
	"createOnDemandSession":         {"CreateOnDemandSession", body[portico.OnDemandInput]()},
	"getOnDemandSession":            {"GetOnDemandSession", nil},
	"endOnDemandSession":            {"EndOnDemandSession", nil},
	"getOnDemandHistory":            {"GetOnDemandHistory", nil},
	"getOnDemandSettings":           {"GetOnDemandSettings", nil},
	"setOnDemandSettings":           {"SetOnDemandSettings", body[portico.OnDemandSettings]()},
	"redeemOnDemandCode":            {"RedeemOnDemandCode", body[client.RedeemOnDemandRequest]()},
	"createEnrollmentToken":         {"CreateEnrollmentToken", body[client.CreateEnrollmentTokenRequest]()},
	"revokeEnrollmentToken":         {"RevokeEnrollmentToken", nil},
	"enrollDevice":                  {"EnrollDevice", body[client.EnrollRequest]()},
	"getOpenAPI":                    {"GetOpenAPI", nil},
	"health":                        {"Health", nil},
	"ready":                         {"Ready", nil},
	"metrics":                       {"Metrics", nil},
}

// notCovered are the operations the client leaves out on purpose (see the package comment).
var notCovered = map[string]string{
	"openSession":  "a WebSocket carrying the technician protocol",
	"connectAgent": "the agent's WebSocket (internal/protocol)",
}

// openAPIOperation is an operation as the document describes it.
type openAPIOperation struct {
	method, path string
	spec         map[string]any
}

// serverDocument starts a real node and fetches its OpenAPI document through the client.
func serverDocument(t *testing.T) (doc map[string]any, ops map[string]openAPIOperation) {
	t.Helper()
	n := servertest.StartNode(t, server.Config{DataDir: t.TempDir()})
	raw, err := client.New(n.URL()).GetOpenAPI(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	ops = map[string]openAPIOperation{}
	for path, item := range doc["paths"].(map[string]any) {
		for method, op := range item.(map[string]any) {
			spec := op.(map[string]any)
			ops[spec["operationId"].(string)] = openAPIOperation{strings.ToUpper(method), path, spec}
		}
	}
	if len(ops) < 90 {
		t.Fatalf("the document describes only %d operations", len(ops))
	}
	return doc, ops
}

// TestEveryOperationHasAMethod walks the OpenAPI document served by a real server: every operation
// has a client method (or is left out on purpose), the method exists, and calling it sends the
// operation's method and path.
func TestEveryOperationHasAMethod(t *testing.T) {
	_, ops := serverDocument(t)
	var ids []string
	for id := range ops {
		ids = append(ids, id)
	}
	sort.Strings(ids)

	// A server that records what each call asks for.
	var mu sync.Mutex
	var got string
	rec := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = r.Method + " " + r.URL.EscapedPath()
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, "{}")
	}))
	defer rec.Close()
	c := client.New(rec.URL)
	ct := reflect.ValueOf(c)

	for _, id := range ids {
		op := ops[id]
		if why, ok := notCovered[id]; ok {
			t.Logf("%s (%s %s): not covered: %s", id, op.method, op.path, why)
			continue
		}
		entry, ok := operations[id]
		if !ok {
			t.Errorf("operation %s (%s %s) has no client method: add one and list it in operations", id, op.method, op.path)
			continue
		}
		m := ct.MethodByName(entry.method)
		if !m.IsValid() {
			t.Errorf("operation %s: the client has no method %s", id, entry.method)
			continue
		}
		mu.Lock()
		got = ""
		mu.Unlock()
		callWithPlaceholders(t, m)
		want := op.method + " " + strings.ReplaceAll(op.path, "{id}", "id1")
		mu.Lock()
		if got != want {
			t.Errorf("%s: %s sent %q, want %q", id, entry.method, got, want)
		}
		mu.Unlock()
	}
	for id, entry := range operations {
		if _, ok := ops[id]; !ok {
			t.Errorf("operations lists %s (%s), which the document does not describe", id, entry.method)
		}
	}
}

// callWithPlaceholders calls a client method with a context, "id1" for every string and the zero
// value of anything else.
func callWithPlaceholders(t *testing.T, m reflect.Value) {
	t.Helper()
	mt := m.Type()
	var args []reflect.Value
	for i := range mt.NumIn() {
		in := mt.In(i)
		switch {
		case i == mt.NumIn()-1 && mt.IsVariadic():
			// no variadic arguments
		case in == reflect.TypeFor[context.Context]():
			args = append(args, reflect.ValueOf(context.Background()))
		case in.Kind() == reflect.String:
			args = append(args, reflect.ValueOf("id1").Convert(in))
		default:
			args = append(args, reflect.Zero(in))
		}
	}
	out := m.Call(args)
	if err, _ := out[len(out)-1].Interface().(error); err != nil {
		t.Errorf("%s: %v", mt, err)
	}
}

// TestShapesMatchOpenAPI holds the client's request and answer types to the schemas of the document
// served by a real server: the same JSON fields, recursively, with compatible types. A field added to
// the API and missing here (or the reverse) fails it.
func TestShapesMatchOpenAPI(t *testing.T) {
	doc, ops := serverDocument(t)
	schemas := doc["components"].(map[string]any)["schemas"].(map[string]any)
	ct := reflect.TypeFor[*client.Client]()
	for id, entry := range operations {
		op, ok := ops[id]
		if !ok {
			continue // TestEveryOperationHasAMethod reports it
		}
		m, ok := ct.MethodByName(entry.method)
		if !ok {
			continue
		}
		t.Run(id, func(t *testing.T) {
			sc := shapeCheck{t: t, schemas: schemas}
			rb, hasBody := op.spec["requestBody"].(map[string]any)
			switch {
			case hasBody && entry.body == nil:
				t.Errorf("the operation takes a body; operations names no body type for it")
			case !hasBody && entry.body != nil:
				t.Errorf("the operation takes no body, but operations names %s", entry.body)
			case hasBody:
				sc.compare("request", jsonSchemaOf(rb), entry.body)
			}
			// The answer: the method's first result, unless it is only an error or a raw document.
			if m.Type.NumOut() < 2 {
				return
			}
			out := m.Type.Out(0)
			if out.Kind() == reflect.Pointer {
				out = out.Elem()
			}
			for status, resp := range op.spec["responses"].(map[string]any) {
				if !strings.HasPrefix(status, "2") {
					continue
				}
				if s := jsonSchemaOf(resp.(map[string]any)); s != nil {
					sc.compare("answer", s, out)
				}
			}
		})
	}
}

// jsonSchemaOf returns the application/json schema of a request body or response, or nil.
func jsonSchemaOf(v map[string]any) map[string]any {
	content, _ := v["content"].(map[string]any)
	media, _ := content["application/json"].(map[string]any)
	s, _ := media["schema"].(map[string]any)
	return s
}

type shapeCheck struct {
	t       *testing.T
	schemas map[string]any
}

var (
	timeType = reflect.TypeFor[time.Time]()
	rawType  = reflect.TypeFor[json.RawMessage]()
)

// compare checks that the Go type typ encodes as schema describes.
func (sc shapeCheck) compare(at string, schema map[string]any, typ reflect.Type) {
	sc.t.Helper()
	for typ.Kind() == reflect.Pointer {
		typ = typ.Elem()
	}
	if ref, ok := schema["$ref"].(string); ok {
		schema = sc.schemas[strings.TrimPrefix(ref, "#/components/schemas/")].(map[string]any)
	}
	if alts, ok := schema["anyOf"].([]any); ok { // nullable: the schema and null
		for _, a := range alts {
			if a.(map[string]any)["type"] != "null" {
				sc.compare(at, a.(map[string]any), typ)
			}
		}
		return
	}
	if typ == rawType || len(schema) == 0 {
		return // any JSON
	}
	if typ == timeType {
		if schema["type"] != "string" {
			sc.t.Errorf("%s: a time, but the schema says %v", at, schema)
		}
		return
	}
	kind := map[reflect.Kind]string{reflect.String: "string", reflect.Bool: "boolean", reflect.Int: "integer",
		reflect.Int64: "integer", reflect.Float64: "number", reflect.Slice: "array", reflect.Map: "object",
		reflect.Struct: "object"}[typ.Kind()]
	if schema["type"] != kind {
		sc.t.Errorf("%s: the client's %s is %s, the schema's type %v", at, typ, kind, schema["type"])
		return
	}
	switch typ.Kind() {
	case reflect.Slice:
		sc.compare(at+"[]", schema["items"].(map[string]any), typ.Elem())
	case reflect.Map:
		if ap, ok := schema["additionalProperties"].(map[string]any); ok {
			sc.compare(at+"{}", ap, typ.Elem())
		}
	case reflect.Struct:
		props, _ := schema["properties"].(map[string]any)
		fields := jsonFields(typ)
		for name, f := range fields {
			p, ok := props[name]
			if !ok {
				sc.t.Errorf("%s: the client's %s has field %q, which the API does not", at, typ, name)
				continue
			}
			sc.compare(at+"."+name, p.(map[string]any), f)
		}
		for name := range props {
			if _, ok := fields[name]; !ok {
				sc.t.Errorf("%s: the API has field %q, which the client's %s lacks", at, name, typ)
			}
		}
	}
}

// jsonFields returns the JSON names of typ's fields and their types, flattening untagged embedded
// structs as encoding/json does.
func jsonFields(typ reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				for k, v := range jsonFields(ft) {
					out[k] = v
				}
				continue
			}
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out[name] = f.Type
	}
	return out
}

// TestOperationsTableHasNoDuplicateMethods keeps the table honest: no method serves two operations.
func TestOperationsTableHasNoDuplicateMethods(t *testing.T) {
	seen := map[string]string{}
	for id, op := range operations {
		if other, ok := seen[op.method]; ok {
			ids := []string{id, other}
			slices.Sort(ids)
			t.Errorf("operations %v both map to %s", ids, op.method)
		}
		seen[op.method] = id
	}
}
