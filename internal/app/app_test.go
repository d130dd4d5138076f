package app

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/store"
)

// env is one test's App over a real SQLite store, with one account, its owner and a settable clock.
type env struct {
	t     testing.TB
	ctx   context.Context
	a     *App
	acc   *CreatedAccount
	owner *Actor
	sys   *Actor
	now   time.Time
	// defaultGroup is the group CreateAccount made, named after the company.
	defaultGroup string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	e := &env{t: t, ctx: ctx, a: New(st, slog.New(slog.NewTextHandler(io.Discard, nil))),
		now: time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)}
	e.a.SetClock(func() time.Time { return e.now })
	e.acc, e.owner = e.newAccount("Example Ltd", "owner@example.test")
	e.sys = SystemActor(e.acc.Account.ID)
	e.defaultGroup = e.acc.DefaultGroup.ID
	return e
}

// newAccount creates an account in the same App and returns it with an actor for its owner.
func (e *env) newAccount(company, email string) (*CreatedAccount, *Actor) {
	e.t.Helper()
	acc, err := e.a.CreateAccount(e.ctx, NewAccount{Company: company, OwnerEmail: email, OwnerName: "Owner",
		OwnerPassword: "correct horse battery"})
	if err != nil {
		e.t.Fatalf("create account: %v", err)
	}
	return acc, &Actor{Kind: ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID, Name: acc.Owner.Name}
}

// advance moves the clock on.
func (e *env) advance(d time.Duration) { e.now = e.now.Add(d) }

// group creates a device group as the owner and returns its id.
func (e *env) group(name, parent string) string {
	e.t.Helper()
	g, err := e.a.CreateDeviceGroup(e.ctx, e.owner, GroupInput{Name: name, ParentID: parent})
	if err != nil {
		e.t.Fatalf("create group %s: %v", name, err)
	}
	return g.ID
}

// token creates an enrollment token for the group ("" for account-wide) and returns its secret.
func (e *env) token(groupID string) string {
	e.t.Helper()
	_, secret, err := e.a.CreateEnrollmentToken(e.ctx, e.owner, groupID)
	if err != nil {
		e.t.Fatalf("create enrollment token: %v", err)
	}
	return secret
}

// enroll enrolls a device named name with the token and returns its id.
func (e *env) enroll(token, name string) string {
	e.t.Helper()
	id, _, err := e.a.Enroll(e.ctx, EnrollInput{Token: token, Hostname: strings.ToLower(name), Name: name,
		OSName: "Windows 11 Pro", IPAddresses: []string{"10.1.2.3"}})
	if err != nil {
		e.t.Fatalf("enroll %s: %v", name, err)
	}
	return id
}

// device enrolls a device and moves it into the group, returning its id.
func (e *env) device(token, name, groupID string) string {
	e.t.Helper()
	id := e.enroll(token, name)
	if err := e.a.MoveDevices(e.ctx, e.owner, []string{id}, groupID); err != nil {
		e.t.Fatalf("move %s: %v", name, err)
	}
	return id
}

// get reads a device as the owner.
func (e *env) get(id string) *DeviceView {
	e.t.Helper()
	d, err := e.a.GetDevice(e.ctx, e.owner, id)
	if err != nil {
		e.t.Fatalf("get device %s: %v", id, err)
	}
	return d
}

// systemRole returns the id of a system role by key.
func (e *env) systemRole(key string) string {
	e.t.Helper()
	roles, err := e.a.ListRoles(e.ctx, e.sys)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, r := range roles {
		if r.SystemKey == key {
			return r.ID
		}
	}
	e.t.Fatalf("no system role %q", key)
	return ""
}

// role creates a custom general-purpose role with the permissions and returns its id.
func (e *env) role(name string, perms ...portico.Permission) string {
	e.t.Helper()
	purpose := portico.PurposeGeneral
	r, err := e.a.CreateRole(e.ctx, e.owner, RoleInput{Name: &name, Purpose: &purpose, Permissions: &perms})
	if err != nil {
		e.t.Fatalf("create role %s: %v", name, err)
	}
	return r.ID
}

// grant is one role assignment for user: a role at a scope ("" scope id for the account).
type grant struct {
	roleID    string
	scopeType portico.ScopeType
	scopeID   string
}

// user creates an active technician with the grants and returns an actor for them.
func (e *env) user(email string, grants ...grant) *Actor {
	e.t.Helper()
	cu, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: email, Name: email, Password: "a long enough password"})
	if err != nil {
		e.t.Fatalf("create user %s: %v", email, err)
	}
	for _, g := range grants {
		if _, err := e.a.CreateAssignment(e.ctx, e.owner, AssignmentInput{PrincipalType: portico.PrincipalUser,
			PrincipalID: cu.User.ID, RoleID: g.roleID, ScopeType: g.scopeType, ScopeID: g.scopeID}); err != nil {
			e.t.Fatalf("assign %s: %v", email, err)
		}
	}
	return &Actor{Kind: ActorUser, AccountID: e.acc.Account.ID, UserID: cu.User.ID, Name: cu.User.Name}
}

// setAccount changes the account's settings as the system.
func (e *env) setAccount(edit func(s *portico.AccountSettings)) {
	e.t.Helper()
	acc, err := e.a.store.GetAccount(e.ctx, e.acc.Account.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	s := acc.Settings
	edit(&s)
	if _, err := e.a.UpdateAccount(e.ctx, e.sys, AccountUpdate{Settings: &s}); err != nil {
		e.t.Fatalf("update account settings: %v", err)
	}
}

// history returns the actions of a device's history, as the owner sees them.
func (e *env) history(id string) []string {
	e.t.Helper()
	entries, _, err := e.a.DeviceHistory(e.ctx, e.owner, id, portico.HistoryFilter{})
	if err != nil {
		e.t.Fatalf("history of %s: %v", id, err)
	}
	var out []string
	for _, h := range entries {
		out = append(out, h.Action)
	}
	return out
}

// wantKind fails unless err has the kind.
func wantKind(t *testing.T, err error, kind portico.ErrorKind) {
	t.Helper()
	if !portico.IsKind(err, kind) {
		t.Fatalf("got error %v (kind %s), want kind %s", err, portico.KindOf(err), kind)
	}
}

// wantField fails unless err is invalid input naming the field; it returns that field's message.
//
// An id that names nothing in the caller's account is reported as not found, still naming the field
// (so another account's ids get the same answer in a body as in a path); wantField accepts that too.
func wantField(t *testing.T, err error, field string) string {
	t.Helper()
	var fields []string
	var e *portico.Error
	if errors.As(err, &e) && (e.Kind == portico.KindInvalid || e.Kind == portico.KindNotFound || e.Kind == portico.KindRateLimited) {
		for _, f := range e.Fields {
			if f.Field == field && (e.Kind != portico.KindNotFound || strings.HasPrefix(f.Message, "no such") || strings.Contains(f.Message, "is not a")) {
				return f.Message
			}
			fields = append(fields, f.Field)
		}
	}
	t.Fatalf("got error %v (fields %v), want an invalid-input error on %q", err, fields, field)
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func idsOf(page *DevicePage) []string {
	out := make([]string, 0, len(page.Devices))
	for _, d := range page.Devices {
		out = append(out, d.ID)
	}
	return out
}
