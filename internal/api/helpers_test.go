package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/servertest"
	"github.com/portico-dev/portico/internal/store"
)

const testPassword = "correct horse battery staple"

// env is a real app over a fresh SQLite database, served by the API over a real HTTP server.
type env struct {
	t   *testing.T
	app *app.App
	// st is the app's store, for the few tests that seed what no app method creates (a live
	// session, a directory job of another account).
	st  *store.Store
	srv *httptest.Server
	log *logRecorder
	// A is the account the tests act in; B is another account whose objects must stay invisible.
	A, B *fixture
}

// fixture is one account and a few objects in it.
type fixture struct {
	acc       *app.CreatedAccount
	sys       *app.Actor
	ownerAct  *app.Actor
	group     *portico.DeviceGroup // a group with one sub-group
	subGroup  *portico.DeviceGroup
	userGroup *portico.UserGroup
	user      *portico.User // an active technician
	role      *portico.Role // a custom role
	device    string        // a device in Unassigned
	rule      *portico.AssignmentRule
	token     *portico.EnrollmentToken
	tokenSec  string
	key       *portico.APIKey
	asg       *portico.Assignment
}

var seq atomic.Int64

// uniq returns a name no other call returns.
func uniq(prefix string) string { return fmt.Sprintf("%s%d", prefix, seq.Add(1)) }

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	rec := &logRecorder{}
	logger := slog.New(rec)
	a := app.New(st, logger)
	must(t, a.SetSealKey(make([]byte, 32)))
	srv := httptest.NewServer(api.New(a, api.Options{Logger: logger, Strict: true}))
	t.Cleanup(srv.Close)
	e := &env{t: t, app: a, st: st, srv: srv, log: rec}
	e.A = e.newFixture("Alpha Ltd")
	e.B = e.newFixture("Beta GmbH")
	return e
}

func (e *env) newFixture(company string) *fixture {
	t, ctx := e.t, context.Background()
	t.Helper()
	acc, err := e.app.CreateAccount(ctx, app.NewAccount{Company: company, OwnerEmail: uniq("owner") + "@example.test",
		OwnerName: "Owner of " + company, OwnerPassword: testPassword})
	must(t, err)
	f := &fixture{acc: acc, sys: app.SystemActor(acc.Account.ID),
		ownerAct: &app.Actor{Kind: app.ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID, Name: acc.Owner.Name}}
	// Enough seats and licences for every user and device the tests make.
	settings := acc.Account.Settings
	settings.SeatLimit, settings.ManagedLicences = 1000, 1000
	_, err = e.app.UpdateAccount(ctx, f.sys, app.AccountUpdate{Settings: &settings})
	must(t, err)
	f.group = check(e.app.CreateDeviceGroup(ctx, f.sys, app.GroupInput{Name: "Europe", Colour: "#336699"}))(t)
	f.subGroup = check(e.app.CreateDeviceGroup(ctx, f.sys, app.GroupInput{Name: "Munich", Colour: "#336699", ParentID: f.group.ID}))(t)
	f.user = e.activeUser(f, nil)
	name := "Support"
	members := []string{f.user.ID}
	f.userGroup = check(e.app.CreateUserGroup(ctx, f.sys, app.UserGroupInput{Name: &name, MemberIDs: &members}))(t)
	f.role = e.role(f, portico.PurposeDevices, portico.PermDeviceView, portico.PermDeviceHistory)
	f.asg = e.assign(f, f.user.ID, f.role.ID, portico.ScopeTypeDeviceGroup, f.group.ID)
	f.token, f.tokenSec, err = e.app.CreateEnrollmentToken(ctx, f.sys, "")
	must(t, err)
	f.device = e.enroll(f)
	enabled := true
	f.rule = check(e.app.CreateRule(ctx, f.sys, app.RuleInput{Name: uniq("rule"), Enabled: &enabled, Match: portico.MatchAll,
		TargetGroupID: f.group.ID, Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpStartsWith, Value: "nomatch-"}}}))(t)
	f.key, _, err = e.app.CreateAPIKey(ctx, f.ownerAct, "probe", nil)
	must(t, err)
	return f
}

// activeUser creates an active technician with testPassword, given the permissions (if any) by a
// general-purpose role assigned at account level.
func (e *env) activeUser(f *fixture, perms []portico.Permission) *portico.User {
	e.t.Helper()
	ctx := context.Background()
	cu, err := e.app.CreateUser(ctx, f.sys, app.NewUser{Email: uniq("tech") + "@example.test", Name: uniq("Tech "), Password: testPassword})
	must(e.t, err)
	if perms != nil {
		r := e.role(f, portico.PurposeGeneral, perms...)
		e.assign(f, cu.User.ID, r.ID, portico.ScopeTypeAccount, "")
	}
	return cu.User
}

func (e *env) role(f *fixture, purpose portico.Purpose, perms ...portico.Permission) *portico.Role {
	e.t.Helper()
	name := uniq("Role ")
	if perms == nil {
		perms = []portico.Permission{}
	}
	return check(e.app.CreateRole(context.Background(), f.sys, app.RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms}))(e.t)
}

func (e *env) assign(f *fixture, userID, roleID string, st portico.ScopeType, scopeID string) *portico.Assignment {
	e.t.Helper()
	return check(e.app.CreateAssignment(context.Background(), f.sys, app.AssignmentInput{
		PrincipalType: portico.PrincipalUser, PrincipalID: userID, RoleID: roleID, ScopeType: st, ScopeID: scopeID}))(e.t)
}

// enroll enrolls a new device into Unassigned and returns its id.
func (e *env) enroll(f *fixture) string {
	e.t.Helper()
	id, _, err := e.app.Enroll(context.Background(), app.EnrollInput{Token: f.tokenSec, Hostname: uniq("pc-"),
		OSName: "Linux", IPAddresses: []string{"10.0.0.7"}})
	must(e.t, err)
	return id
}

// signIn returns a client holding a session cookie for the user.
func (e *env) signIn(email string) *client {
	e.t.Helper()
	c := e.anon()
	if r := c.Do("POST", "/api/v1/session", map[string]any{"email": email, "password": testPassword}); r.Status != 200 {
		e.t.Fatalf("sign in %s: %d %s", email, r.Status, r.Body)
	}
	return c
}

func (e *env) anon() *client {
	c := servertest.NewClient(e.t, e.srv.URL, "")
	c.HTTP.Timeout = 0
	c.Check = func(method, path string, r *response) { checkAgainstOpenAPI(e.t, e.srv.URL, method, path, r) }
	return c
}

func (e *env) bearer(secret string) *client {
	c := e.anon()
	c.Bearer = secret
	return c
}

// The tests speak to the server through the project's one raw test client.
type (
	client   = servertest.Client
	response = servertest.Response
	// rawJSON is a request body sent exactly as written.
	rawJSON = servertest.RawJSON
	problem = servertest.Problem
)

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// check fails the test on err, else returns v: check(f())(t).
func check[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// logRecorder keeps error-level log records, so a test can show what the server logged.
type logRecorder struct {
	mu     sync.Mutex
	errors []string
}

func (l *logRecorder) Enabled(_ context.Context, lv slog.Level) bool { return lv >= slog.LevelWarn }
func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	var b strings.Builder
	b.WriteString(r.Message)
	r.Attrs(func(a slog.Attr) bool { fmt.Fprintf(&b, " %s=%v", a.Key, a.Value); return true })
	l.mu.Lock()
	l.errors = append(l.errors, b.String())
	l.mu.Unlock()
	return nil
}
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler { return l }
func (l *logRecorder) WithGroup(string) slog.Handler      { return l }

func (l *logRecorder) take() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.errors
	l.errors = nil
	return out
}

// dump is a JSON picture of everything an account holds, to prove a refused request changed nothing.
func (e *env) dump(f *fixture) string {
	e.t.Helper()
	ctx := context.Background()
	var parts []any
	add := func(v any, err error) {
		e.t.Helper()
		must(e.t, err)
		parts = append(parts, v)
	}
	add(e.app.GetAccount(ctx, f.sys))
	add(e.app.ListUsers(ctx, f.sys, portico.UserFilter{}))
	add(e.app.ListUserGroups(ctx, f.sys))
	add(e.app.ListRoles(ctx, f.sys))
	add(e.app.ListAssignments(ctx, f.sys, portico.AssignmentFilter{}))
	add(e.app.ListDeviceGroups(ctx, f.sys))
	add(e.app.ListDevices(ctx, f.sys, app.DeviceQuery{Page: portico.Page{Limit: 1000}}))
	add(e.app.ListRules(ctx, f.sys))
	add(e.app.ListEnrollmentTokens(ctx, f.sys))
	keys, err := e.app.ListAPIKeys(ctx, f.sys)
	for i := range keys {
		keys[i].LastUsedAt = nil // using a key is not a change
	}
	add(keys, err)
	raw, err := json.MarshalIndent(parts, "", " ")
	must(e.t, err)
	return string(raw)
}

type problemField = portico.FieldError
