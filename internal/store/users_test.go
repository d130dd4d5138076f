package store

import (
	"errors"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func asPortico(err error, pe **portico.Error) bool { return errors.As(err, pe) }

func testAccounts(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	got := must1[*portico.Account](t)(s.GetAccount(ctx, f.acc.ID))
	equal(t, got, f.acc)
	if want := now.UTC().Truncate(time.Microsecond); got.CreatedAt != want {
		t.Fatalf("CreatedAt = %v, want UTC microseconds of %v", got.CreatedAt, now)
	}

	got.Name = "Acme Ltd"
	got.Settings.Require2FA = true
	got.Settings.SeatLimit = 3
	got.Settings.TechnicianDisplayName = "Support"
	must(t, s.UpdateAccount(ctx, got))
	equal(t, must1[*portico.Account](t)(s.GetAccount(ctx, f.acc.ID)), got)

	_, err := s.GetAccount(ctx, "acc_missing")
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, s.UpdateAccount(ctx, &portico.Account{ID: "acc_missing", Name: "x"}), portico.KindNotFound)
	wantKind(t, s.CreateAccount(ctx, &portico.Account{ID: f.acc.ID, Name: "dup", CreatedAt: now}), portico.KindConflict)

	g := newFixture(t, s, "Globex")
	ids := must1[[]string](t)(s.ListAccountIDs(ctx))
	want := []string{f.acc.ID, g.acc.ID}
	if want[0] > want[1] {
		want[0], want[1] = want[1], want[0]
	}
	equal(t, ids, want)
}

func testUsers(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	equal(t, must1[*portico.User](t)(s.GetUser(ctx, f.acc.ID, f.owner.ID)), f.owner)

	invited := &portico.User{ID: portico.NewID("usr"), AccountID: f.acc.ID, Email: "bob@example.com", Name: "Bob",
		State: portico.StateInvited, Status: portico.StatusActive, Language: "fr", Theme: "light", CreatedAt: at(1)}
	must(t, s.CreateUser(ctx, invited))
	alice := f.user(t, s, "alice")
	disabled := f.user(t, s, "zed")
	disabled.Status, disabled.DisabledReason = portico.StatusDisabled, portico.DisabledBySeatLimit
	must(t, s.UpdateUser(ctx, disabled))

	equal(t, must1[*portico.User](t)(s.GetUser(ctx, f.acc.ID, invited.ID)), invited)
	equal(t, must1[*portico.User](t)(s.GetUserByEmail(ctx, "bob@example.com")), invited)
	_, err := s.GetUserByEmail(ctx, "nobody@example.com")
	wantKind(t, err, portico.KindNotFound)

	// Update every mutable field.
	invited.Email, invited.Name, invited.State, invited.ActivatedAt = "robert@example.com", "Robert", portico.StateActivated, ptr(at(2))
	invited.Language, invited.Theme, invited.PasswordHash = "it", "system", "argon2id$…"
	must(t, s.UpdateUser(ctx, invited))
	equal(t, must1[*portico.User](t)(s.GetUser(ctx, f.acc.ID, invited.ID)), invited)

	// Email is unique on the whole server.
	g := newFixture(t, s, "Globex")
	dup := &portico.User{ID: portico.NewID("usr"), AccountID: g.acc.ID, Email: alice.Email, Name: "Other",
		State: portico.StateInvited, Status: portico.StatusActive, CreatedAt: now}
	wantConflictField(t, s.CreateUser(ctx, dup), "email")
	other := g.user(t, s, "carol")
	other.Email = alice.Email
	wantConflictField(t, s.UpdateUser(ctx, other), "email")
	// One owner per account.
	second := &portico.User{ID: portico.NewID("usr"), AccountID: f.acc.ID, Email: "own2@example.com", Owner: true,
		State: portico.StateActivated, Status: portico.StatusActive, CreatedAt: now}
	wantConflictField(t, s.CreateUser(ctx, second), "owner")

	list := func(fl portico.UserFilter) []string {
		t.Helper()
		var ids []string
		for _, u := range must1[[]portico.User](t)(s.ListUsers(ctx, f.acc.ID, fl)) {
			ids = append(ids, u.ID)
		}
		return ids
	}
	// Sorted by name: "Acme owner", "Robert", "alice", "zed" (byte order: upper case first).
	equal(t, list(portico.UserFilter{}), []string{f.owner.ID, invited.ID, alice.ID, disabled.ID})
	equal(t, list(portico.UserFilter{Status: portico.StatusDisabled}), []string{disabled.ID})
	equal(t, list(portico.UserFilter{State: portico.StateActivated, Status: portico.StatusActive}), []string{f.owner.ID, invited.ID, alice.ID})
	equal(t, list(portico.UserFilter{Query: "ROBERT"}), []string{invited.ID})
	equal(t, list(portico.UserFilter{Query: "alice@"}), []string{alice.ID})
	equal(t, list(portico.UserFilter{Query: "%"}), []string(nil))
	equal(t, list(portico.UserFilter{IDs: []string{alice.ID, other.ID, "usr_missing"}}), []string{alice.ID})
	equal(t, list(portico.UserFilter{IDs: []string{}}), []string(nil))
	equal(t, list(portico.UserFilter{Limit: 2}), []string{f.owner.ID, invited.ID})
	// Non-ASCII text folds as in device search, on both databases, at any length.
	jurgen := f.user(t, s, "jürgen")
	jurgen.Name, jurgen.Status = "Jürgen Überall", portico.StatusDisabled // disabled: the seat count below stays
	must(t, s.UpdateUser(ctx, jurgen))
	for _, q := range []string{"ü", "Ü", "ÜB", "überall", "JÜRGEN", "rgen Ü"} {
		equal(t, list(portico.UserFilter{Query: q}), []string{jurgen.ID})
	}
	equal(t, list(portico.UserFilter{Query: "e", Limit: 1}), []string{f.owner.ID})

	// Seats: activated, active, not the owner.
	if n := must1[int](t)(s.CountActiveTechnicians(ctx, f.acc.ID)); n != 2 {
		t.Fatalf("CountActiveTechnicians = %d, want 2", n)
	}
}

func ptr[T any](v T) *T { return &v }

func testUserIsolation(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	bob := g.user(t, s, "bob")

	_, err := s.GetUser(ctx, f.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)
	edited := *bob
	edited.AccountID, edited.Name = f.acc.ID, "Hijacked"
	wantKind(t, s.UpdateUser(ctx, &edited), portico.KindNotFound)
	wantKind(t, s.DeleteUser(ctx, f.acc.ID, bob.ID), portico.KindNotFound)
	equal(t, must1[*portico.User](t)(s.GetUser(ctx, g.acc.ID, bob.ID)), bob)
	if us := must1[[]portico.User](t)(s.ListUsers(ctx, f.acc.ID, portico.UserFilter{IDs: []string{bob.ID}})); len(us) != 0 {
		t.Fatalf("another account's user listed: %v", us)
	}
	if n := must1[int](t)(s.CountActiveTechnicians(ctx, f.acc.ID)); n != 0 {
		t.Fatalf("CountActiveTechnicians = %d, want 0", n)
	}
	// A user group of one account cannot take a member of another.
	ug := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID, Name: "Team", MemberIDs: []string{bob.ID}, CreatedAt: now}
	wantKind(t, s.CreateUserGroup(ctx, ug), portico.KindNotFound)
	_, err = s.GetUserGroup(ctx, f.acc.ID, ug.ID)
	wantKind(t, err, portico.KindNotFound)
}

func testDeleteUserCascades(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	keep := f.user(t, s, "keep")
	ug := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID, Name: "Team", MemberIDs: []string{bob.ID, keep.ID}, CreatedAt: now}
	must(t, s.CreateUserGroup(ctx, ug))
	r := f.role(t, s, "Viewer", portico.PermDeviceView)
	a := f.assign(t, s, portico.PrincipalUser, bob.ID, r.ID, portico.ScopeTypeAccount, "")
	ak := f.assign(t, s, portico.PrincipalUser, keep.ID, r.ID, portico.ScopeTypeAccount, "")
	d := f.device(t, s, f.group.ID, "pc")
	must(t, s.SetFavourite(ctx, f.acc.ID, bob.ID, d.ID, true))
	must(t, s.CreateWebSession(ctx, &portico.WebSession{Hash: "h1", AccountID: f.acc.ID, UserID: bob.ID, CreatedAt: now, LastSeenAt: now}))
	must(t, s.CreateAPIKey(ctx, &portico.APIKey{ID: "key_1", AccountID: f.acc.ID, UserID: bob.ID, Name: "k", Hash: "kh", CreatedAt: now}))
	must(t, s.CreateInvitation(ctx, &portico.Invitation{ID: "inv_1", AccountID: f.acc.ID, UserID: bob.ID, Hash: "ih", CreatedAt: now, ExpiresAt: at(1e9)}))

	must(t, s.DeleteUser(ctx, f.acc.ID, bob.ID))
	_, err := s.GetUser(ctx, f.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)
	_, err = s.GetAssignment(ctx, f.acc.ID, a.ID)
	wantKind(t, err, portico.KindNotFound)
	must1[*portico.Assignment](t)(s.GetAssignment(ctx, f.acc.ID, ak.ID))
	equal(t, must1[*portico.UserGroup](t)(s.GetUserGroup(ctx, f.acc.ID, ug.ID)).MemberIDs, []string{keep.ID})
	_, err = s.GetWebSession(ctx, "h1")
	wantKind(t, err, portico.KindNotFound)
	_, err = s.GetAPIKeyByHash(ctx, "kh")
	wantKind(t, err, portico.KindNotFound)
	_, err = s.GetInvitationByHash(ctx, "ih")
	wantKind(t, err, portico.KindNotFound)
	if n := rawCount(t, s, `SELECT COUNT(*) FROM favourites WHERE user_id = $1`, bob.ID); n != 0 {
		t.Fatalf("%d favourites left", n)
	}
	wantKind(t, s.DeleteUser(ctx, f.acc.ID, bob.ID), portico.KindNotFound)
}

func testInvitations(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	inv := &portico.Invitation{ID: portico.NewID("inv"), AccountID: f.acc.ID, UserID: bob.ID, Hash: portico.HashSecret("s"),
		CreatedAt: now, ExpiresAt: at(7 * 24 * 3600e9)}
	must(t, s.CreateInvitation(ctx, inv))
	equal(t, must1[*portico.Invitation](t)(s.GetInvitationByHash(ctx, inv.Hash)), inv)
	_, err := s.GetInvitationByHash(ctx, "nope")
	wantKind(t, err, portico.KindNotFound)

	must(t, s.MarkInvitationUsed(ctx, inv.ID, at(5)))
	inv.UsedAt = ptr(normTime(at(5)))
	equal(t, must1[*portico.Invitation](t)(s.GetInvitationByHash(ctx, inv.Hash)), inv)
	// Single use: a second use is refused and keeps the first time.
	wantKind(t, s.MarkInvitationUsed(ctx, inv.ID, at(6)), portico.KindConflict)
	equal(t, must1[*portico.Invitation](t)(s.GetInvitationByHash(ctx, inv.Hash)), inv)
	wantKind(t, s.MarkInvitationUsed(ctx, "inv_missing", at(6)), portico.KindNotFound)

	// The user must belong to the invitation's account.
	g := newFixture(t, s, "Globex")
	wantKind(t, s.CreateInvitation(ctx, &portico.Invitation{ID: "inv_x", AccountID: g.acc.ID, UserID: bob.ID, Hash: "x",
		CreatedAt: now, ExpiresAt: now}), portico.KindNotFound)
}

func testWebSessions(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	ws := &portico.WebSession{Hash: portico.HashSecret("a"), AccountID: f.acc.ID, UserID: bob.ID, CreatedAt: now, LastSeenAt: now, SourceIP: "192.0.2.1"}
	ws2 := &portico.WebSession{Hash: portico.HashSecret("b"), AccountID: f.acc.ID, UserID: bob.ID, CreatedAt: now, LastSeenAt: now}
	own := &portico.WebSession{Hash: portico.HashSecret("c"), AccountID: f.acc.ID, UserID: f.owner.ID, CreatedAt: now, LastSeenAt: now}
	for _, w := range []*portico.WebSession{ws, ws2, own} {
		must(t, s.CreateWebSession(ctx, w))
	}
	equal(t, must1[*portico.WebSession](t)(s.GetWebSession(ctx, ws.Hash)), ws)

	must(t, s.TouchWebSession(ctx, ws.Hash, at(60e9)))
	ws.LastSeenAt = normTime(at(60e9))
	equal(t, must1[*portico.WebSession](t)(s.GetWebSession(ctx, ws.Hash)), ws)
	wantKind(t, s.TouchWebSession(ctx, "missing", now), portico.KindNotFound)

	must(t, s.DeleteWebSession(ctx, ws.Hash))
	must(t, s.DeleteWebSession(ctx, ws.Hash)) // signing out twice is fine
	_, err := s.GetWebSession(ctx, ws.Hash)
	wantKind(t, err, portico.KindNotFound)

	// Another account cannot end these sessions.
	g := newFixture(t, s, "Globex")
	must(t, s.DeleteUserWebSessions(ctx, g.acc.ID, bob.ID))
	must1[*portico.WebSession](t)(s.GetWebSession(ctx, ws2.Hash))
	must(t, s.DeleteUserWebSessions(ctx, f.acc.ID, bob.ID))
	_, err = s.GetWebSession(ctx, ws2.Hash)
	wantKind(t, err, portico.KindNotFound)
	must1[*portico.WebSession](t)(s.GetWebSession(ctx, own.Hash))
}

func testUserGroups(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	a, b, c := f.user(t, s, "a"), f.user(t, s, "b"), f.user(t, s, "c")
	ug := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID, Name: "Support", Description: "UK desk",
		MemberIDs: sorted(a.ID, b.ID), CreatedAt: now}
	must(t, s.CreateUserGroup(ctx, ug))
	equal(t, must1[*portico.UserGroup](t)(s.GetUserGroup(ctx, f.acc.ID, ug.ID)), ug)
	empty := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID, Name: "Admins", CreatedAt: now}
	must(t, s.CreateUserGroup(ctx, empty))
	equal(t, must1[[]portico.UserGroup](t)(s.ListUserGroups(ctx, f.acc.ID)), []portico.UserGroup{*empty, *ug})

	wantConflictField(t, s.CreateUserGroup(ctx, &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID,
		Name: "Support", CreatedAt: now}), "name")
	// The same name in another account is fine.
	g := newFixture(t, s, "Globex")
	must(t, s.CreateUserGroup(ctx, &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: g.acc.ID, Name: "Support", CreatedAt: now}))

	ug.Name, ug.Description = "Service desk", ""
	must(t, s.UpdateUserGroup(ctx, ug))
	equal(t, must1[*portico.UserGroup](t)(s.GetUserGroup(ctx, f.acc.ID, ug.ID)), ug)
	empty.Name = "Service desk"
	wantConflictField(t, s.UpdateUserGroup(ctx, empty), "name")

	must(t, s.SetUserGroupMembers(ctx, f.acc.ID, ug.ID, []string{c.ID, b.ID, c.ID}))
	equal(t, must1[*portico.UserGroup](t)(s.GetUserGroup(ctx, f.acc.ID, ug.ID)).MemberIDs, sorted(b.ID, c.ID))
	// A member from another account: refused, membership unchanged.
	stranger := g.user(t, s, "stranger")
	wantKind(t, s.SetUserGroupMembers(ctx, f.acc.ID, ug.ID, []string{a.ID, stranger.ID}), portico.KindNotFound)
	equal(t, must1[*portico.UserGroup](t)(s.GetUserGroup(ctx, f.acc.ID, ug.ID)).MemberIDs, sorted(b.ID, c.ID))
	wantKind(t, s.SetUserGroupMembers(ctx, g.acc.ID, ug.ID, nil), portico.KindNotFound)
	must(t, s.SetUserGroupMembers(ctx, f.acc.ID, ug.ID, nil))
	equal(t, must1[*portico.UserGroup](t)(s.GetUserGroup(ctx, f.acc.ID, ug.ID)).MemberIDs, []string{})

	// Isolation and delete, with the group's assignments.
	_, err := s.GetUserGroup(ctx, g.acc.ID, ug.ID)
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, s.DeleteUserGroup(ctx, g.acc.ID, ug.ID), portico.KindNotFound)
	r := f.role(t, s, "Viewer")
	asg := f.assign(t, s, portico.PrincipalUserGroup, ug.ID, r.ID, portico.ScopeTypeDeviceGroup, f.group.ID)
	must(t, s.DeleteUserGroup(ctx, f.acc.ID, ug.ID))
	_, err = s.GetUserGroup(ctx, f.acc.ID, ug.ID)
	wantKind(t, err, portico.KindNotFound)
	_, err = s.GetAssignment(ctx, f.acc.ID, asg.ID)
	wantKind(t, err, portico.KindNotFound)
}

func sorted(xs ...string) []string {
	out := append([]string{}, xs...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func testRoles(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	sys := &portico.Role{ID: portico.NewID("rol"), AccountID: f.acc.ID, Name: "Zeta system", Purpose: portico.PurposeGeneral,
		Permissions: []portico.Permission{portico.PermDeviceView}, System: true, SystemKey: "zeta", CreatedAt: now}
	must(t, s.CreateRole(ctx, sys))
	r := &portico.Role{ID: portico.NewID("rol"), AccountID: f.acc.ID, Name: "Helpdesk", Description: "first line",
		Purpose: portico.PurposeDevices, Permissions: []portico.Permission{portico.PermDeviceView, portico.PermDeviceScreenView}, CreatedAt: now}
	must(t, s.CreateRole(ctx, r))
	none := f.role(t, s, "Alpha")
	equal(t, must1[*portico.Role](t)(s.GetRole(ctx, f.acc.ID, r.ID)), r)
	if got := must1[*portico.Role](t)(s.GetRole(ctx, f.acc.ID, none.ID)); got.Permissions == nil {
		t.Fatal("a role without permissions reads back with a nil list; want empty")
	}
	// System roles first, then by name.
	equal(t, must1[[]portico.Role](t)(s.ListRoles(ctx, f.acc.ID)), []portico.Role{*sys, *none, *r})

	wantConflictField(t, s.CreateRole(ctx, &portico.Role{ID: portico.NewID("rol"), AccountID: f.acc.ID, Name: "Helpdesk",
		Purpose: portico.PurposeDevices, CreatedAt: now}), "name")

	r.Name, r.Description, r.Permissions = "Helpdesk 2", "", []portico.Permission{portico.PermDeviceRemoteControl}
	must(t, s.UpdateRole(ctx, r))
	equal(t, must1[*portico.Role](t)(s.GetRole(ctx, f.acc.ID, r.ID)), r)

	g := newFixture(t, s, "Globex")
	_, err := s.GetRole(ctx, g.acc.ID, r.ID)
	wantKind(t, err, portico.KindNotFound)
	moved := *r
	moved.AccountID, moved.Name = g.acc.ID, "stolen"
	wantKind(t, s.UpdateRole(ctx, &moved), portico.KindNotFound)
	wantKind(t, s.DeleteRole(ctx, g.acc.ID, r.ID), portico.KindNotFound)
	equal(t, must1[*portico.Role](t)(s.GetRole(ctx, f.acc.ID, r.ID)), r)
	if rs := must1[[]portico.Role](t)(s.ListRoles(ctx, g.acc.ID)); len(rs) != 0 {
		t.Fatalf("roles of another account listed: %v", rs)
	}

	// Deleting a role deletes its assignments, and only those.
	bob := f.user(t, s, "bob")
	a1 := f.assign(t, s, portico.PrincipalUser, bob.ID, r.ID, portico.ScopeTypeAccount, "")
	a2 := f.assign(t, s, portico.PrincipalUser, bob.ID, r.ID, portico.ScopeTypeDeviceGroup, f.group.ID)
	keep := f.assign(t, s, portico.PrincipalUser, bob.ID, none.ID, portico.ScopeTypeAccount, "")
	must(t, s.DeleteRole(ctx, f.acc.ID, r.ID))
	for _, a := range []*portico.Assignment{a1, a2} {
		_, err := s.GetAssignment(ctx, f.acc.ID, a.ID)
		wantKind(t, err, portico.KindNotFound)
	}
	equal(t, must1[[]portico.Assignment](t)(s.ListAssignments(ctx, f.acc.ID, portico.AssignmentFilter{})), []portico.Assignment{*keep})
}

func testAssignments(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	ug := &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: f.acc.ID, Name: "Team", CreatedAt: now}
	must(t, s.CreateUserGroup(ctx, ug))
	r1, r2 := f.role(t, s, "R1"), f.role(t, s, "R2")
	d := f.device(t, s, f.group.ID, "pc")
	exp := at(3600e9)
	a1 := &portico.Assignment{ID: "asg_1", AccountID: f.acc.ID, PrincipalType: portico.PrincipalUser, PrincipalID: bob.ID,
		RoleID: r1.ID, ScopeType: portico.ScopeTypeAccount, ExpiresAt: &exp, CreatedAt: at(1)}
	must(t, s.CreateAssignment(ctx, a1))
	equal(t, must1[*portico.Assignment](t)(s.GetAssignment(ctx, f.acc.ID, a1.ID)), a1)
	a2 := &portico.Assignment{ID: "asg_2", AccountID: f.acc.ID, PrincipalType: portico.PrincipalUserGroup, PrincipalID: ug.ID,
		RoleID: r2.ID, ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: f.group.ID, CreatedAt: at(2)}
	a3 := &portico.Assignment{ID: "asg_3", AccountID: f.acc.ID, PrincipalType: portico.PrincipalUser, PrincipalID: bob.ID,
		RoleID: r2.ID, ScopeType: portico.ScopeTypeDevice, ScopeID: d.ID, CreatedAt: at(3)}
	a4 := &portico.Assignment{ID: "asg_4", AccountID: f.acc.ID, PrincipalType: portico.PrincipalUser, PrincipalID: bob.ID,
		RoleID: r1.ID, ScopeType: portico.ScopeTypeSection, ScopeID: portico.SectionTeam, CreatedAt: at(4)}
	for _, a := range []*portico.Assignment{a2, a3, a4} {
		must(t, s.CreateAssignment(ctx, a))
	}
	list := func(fl portico.AssignmentFilter) []string {
		t.Helper()
		var ids []string
		for _, a := range must1[[]portico.Assignment](t)(s.ListAssignments(ctx, f.acc.ID, fl)) {
			ids = append(ids, a.ID)
		}
		return ids
	}
	equal(t, list(portico.AssignmentFilter{}), []string{"asg_1", "asg_2", "asg_3", "asg_4"})
	equal(t, list(portico.AssignmentFilter{RoleID: r1.ID}), []string{"asg_1", "asg_4"})
	equal(t, list(portico.AssignmentFilter{PrincipalType: portico.PrincipalUser, PrincipalID: bob.ID}), []string{"asg_1", "asg_3", "asg_4"})
	equal(t, list(portico.AssignmentFilter{PrincipalType: portico.PrincipalUserGroup}), []string{"asg_2"})
	equal(t, list(portico.AssignmentFilter{ScopeType: portico.ScopeTypeDevice, ScopeID: d.ID}), []string{"asg_3"})
	equal(t, list(portico.AssignmentFilter{ScopeType: portico.ScopeTypeSection}), []string{"asg_4"})

	// A role of another account cannot be assigned; another account sees none of these.
	g := newFixture(t, s, "Globex")
	foreign := g.role(t, s, "Foreign")
	wantKind(t, s.CreateAssignment(ctx, &portico.Assignment{ID: "asg_x", AccountID: f.acc.ID, PrincipalType: portico.PrincipalUser,
		PrincipalID: bob.ID, RoleID: foreign.ID, ScopeType: portico.ScopeTypeAccount, CreatedAt: now}), portico.KindNotFound)
	if as := must1[[]portico.Assignment](t)(s.ListAssignments(ctx, g.acc.ID, portico.AssignmentFilter{})); len(as) != 0 {
		t.Fatalf("another account's assignments listed: %v", as)
	}
	_, err := s.GetAssignment(ctx, g.acc.ID, a1.ID)
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, s.DeleteAssignment(ctx, g.acc.ID, a1.ID), portico.KindNotFound)

	must(t, s.DeleteAssignment(ctx, f.acc.ID, a1.ID))
	wantKind(t, s.DeleteAssignment(ctx, f.acc.ID, a1.ID), portico.KindNotFound)
	equal(t, list(portico.AssignmentFilter{}), []string{"asg_2", "asg_3", "asg_4"})
}
