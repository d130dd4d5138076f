package store

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func TestDirectorySQLite(t *testing.T) { testDirectory(t, openSQLiteTest(t)) }

func TestDirectoryPostgres(t *testing.T) { testDirectory(t, openPostgresTest(t)) }

func testDirectory(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")

	// Configuration: none, then set, then replaced; another account sees none.
	wantKind(t, errOnly(s.GetDirectoryConfig(ctx, f.acc.ID)), portico.KindNotFound)
	must(t, s.SetDirectoryConfig(ctx, &DirectoryConfig{AccountID: f.acc.ID, Config: json.RawMessage(`{"url":"ldap://a"}`), BindPassword: "pw1", UpdatedAt: now}))
	must(t, s.SetDirectoryConfig(ctx, &DirectoryConfig{AccountID: f.acc.ID, Config: json.RawMessage(`{"url":"ldap://b"}`), BindPassword: "pw2", UpdatedAt: at(time.Minute)}))
	c := must1[*DirectoryConfig](t)(s.GetDirectoryConfig(ctx, f.acc.ID))
	equal(t, string(c.Config), `{"url":"ldap://b"}`)
	equal(t, c.BindPassword, "pw2")
	wantKind(t, errOnly(s.GetDirectoryConfig(ctx, g.acc.ID)), portico.KindNotFound)

	// Links: a user and a group; another account cannot link them; they go with their object.
	bob := f.user(t, s, "bob")
	grp := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID, Name: "Sales", CreatedAt: now}
	must(t, s.CreateUserGroup(ctx, grp))
	must(t, s.SetDirectoryLink(ctx, f.acc.ID, false, DirectoryLink{ObjectID: bob.ID, DN: "uid=bob,dc=x", DNKey: "uid=bob,dc=x"}, now))
	must(t, s.SetDirectoryLink(ctx, f.acc.ID, false, DirectoryLink{ObjectID: bob.ID, DN: "uid=Bob,dc=x", DNKey: "uid=bob,dc=x"}, now))
	must(t, s.SetDirectoryLink(ctx, f.acc.ID, true, DirectoryLink{ObjectID: grp.ID, DN: "cn=Sales,dc=x", DNKey: "cn=sales,dc=x"}, now))
	wantKind(t, s.SetDirectoryLink(ctx, g.acc.ID, false, DirectoryLink{ObjectID: bob.ID, DN: "uid=x", DNKey: "uid=x"}, now), portico.KindNotFound)
	users := must1[[]DirectoryLink](t)(s.ListDirectoryLinks(ctx, f.acc.ID, false))
	equal(t, len(users), 1)
	equal(t, users[0].DN, "uid=Bob,dc=x")
	equal(t, len(must1[[]DirectoryLink](t)(s.ListDirectoryLinks(ctx, g.acc.ID, false))), 0)
	// One directory entry links to one user only.
	alice := f.user(t, s, "alice")
	wantKind(t, s.SetDirectoryLink(ctx, f.acc.ID, false, DirectoryLink{ObjectID: alice.ID, DN: "uid=bob,dc=x", DNKey: "uid=bob,dc=x"}, now), portico.KindConflict)
	must(t, s.DeleteUser(ctx, f.acc.ID, bob.ID))
	must(t, s.DeleteUserGroup(ctx, f.acc.ID, grp.ID))
	equal(t, len(must1[[]DirectoryLink](t)(s.ListDirectoryLinks(ctx, f.acc.ID, false))), 0)
	equal(t, len(must1[[]DirectoryLink](t)(s.ListDirectoryLinks(ctx, f.acc.ID, true))), 0)

	// Jobs.
	j := &portico.DirectoryJob{ID: portico.NewID("djb"), AccountID: f.acc.ID, StartedBy: f.owner.ID, State: "running", Phase: "reading", CreatedAt: now, UpdatedAt: now}
	must(t, s.CreateDirectoryJob(ctx, j))
	j.State, j.Processed, j.Total, j.Result = "succeeded", 10, 10, json.RawMessage(`{"created":10}`)
	fin := at(time.Second)
	j.FinishedAt, j.UpdatedAt = &fin, fin
	must(t, s.UpdateDirectoryJob(ctx, j))
	got := must1[*portico.DirectoryJob](t)(s.GetDirectoryJob(ctx, f.acc.ID, j.ID))
	equal(t, got.State, "succeeded")
	equal(t, got.Processed, 10)
	equal(t, string(got.Result), `{"created":10}`)
	equal(t, got.FinishedAt.Equal(normTime(fin)), true)
	wantKind(t, errOnly(s.GetDirectoryJob(ctx, g.acc.ID, j.ID)), portico.KindNotFound)
	equal(t, len(must1[[]portico.DirectoryJob](t)(s.ListDirectoryJobs(ctx, f.acc.ID, 5))), 1)
}

func errOnly[T any](_ T, err error) error { return err }
