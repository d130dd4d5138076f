package app

import (
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// deniedAudits returns the details of the denied audit entries for action.
func (e *env) deniedAudits(action portico.AuditAction) []string {
	e.t.Helper()
	evs, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{Action: action, Outcome: portico.OutcomeDenied})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, ev := range evs {
		out = append(out, ev.Detail)
	}
	return out
}

// TestOwnerRefusalsAreAudited covers what nobody but the owner may do to the owner, with a Team
// administrator who holds every user permission: each is refused, audited as denied, and changes
// nothing.
func TestOwnerRefusalsAreAudited(t *testing.T) {
	e := newTwoFactorEnv(t)
	admin := e.user("admin@example.test", grant{roleID: e.systemRole("team_administrator"), scopeType: portico.ScopeTypeAccount})
	e.enrol(e.owner)
	ownerID := e.owner.UserID
	name := "Not the owner"
	cases := []struct {
		action portico.AuditAction
		do     func() error
	}{
		{"user.2fa_reset", func() error { return e.a.ResetTwoFactor(e.ctx, admin, ownerID) }},
		{"user.update", func() error { _, err := e.a.UpdateUser(e.ctx, admin, ownerID, UserUpdate{Name: &name}); return err }},
		{"user.disable", func() error { _, err := e.a.SetUserEnabled(e.ctx, admin, ownerID, false); return err }},
		{"user.delete", func() error { return e.a.DeleteUser(e.ctx, admin, ownerID) }},
	}
	for _, c := range cases {
		t.Run(string(c.action), func(t *testing.T) {
			wantKind(t, c.do(), portico.KindForbidden)
			denied := e.deniedAudits(c.action)
			if len(denied) != 1 || !strings.Contains(denied[0], "owner") {
				t.Errorf("denied audit entries for %s: %q, want one naming the owner", c.action, denied)
			}
		})
	}
	on, err := e.a.UserHasTwoFactor(e.ctx, e.owner, ownerID)
	if err != nil || !on {
		t.Errorf("the owner's 2FA after the refused reset: %v, %v", on, err)
	}
	u, err := e.a.store.GetUser(e.ctx, e.acc.Account.ID, ownerID)
	if err != nil || u.Name == name || u.Status != portico.StatusActive {
		t.Errorf("the owner after the refusals: %+v, %v", u, err)
	}
	// The owner may still reset their own, and an administrator anyone else's.
	_, _ = e.enrol(admin)
	if err := e.a.ResetTwoFactor(e.ctx, e.owner, admin.UserID); err != nil {
		t.Errorf("the owner resetting an administrator's 2FA: %v", err)
	}
}

// TestResendInvitationNeedsTheInviteesRights: a new link makes its holder the invited user, so only
// someone who could give the invited user's rights may have one made.
func TestResendInvitationNeedsTheInviteesRights(t *testing.T) {
	e := newEnv(t)
	inviter := e.user("inviter@example.test", grant{roleID: e.systemRole("team_administrator"), scopeType: portico.ScopeTypeAccount})
	germany := e.group("Germany", "")

	invite := func(email string) string {
		t.Helper()
		cu, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: email})
		if err != nil {
			t.Fatal(err)
		}
		return cu.User.ID
	}
	assign := func(principal portico.PrincipalType, id, roleID string, st portico.ScopeType, scope string) {
		t.Helper()
		if _, err := e.a.CreateAssignment(e.ctx, e.owner, AssignmentInput{PrincipalType: principal, PrincipalID: id,
			RoleID: roleID, ScopeType: st, ScopeID: scope}); err != nil {
			t.Fatal(err)
		}
	}
	// Administrator at account level: far beyond the inviter's rights.
	admin := invite("new-admin@example.test")
	assign(portico.PrincipalUser, admin, e.systemRole("administrator"), portico.ScopeTypeAccount, "")
	// Device access through a user group, on a group where the inviter holds nothing.
	tech := invite("new-tech@example.test")
	ugName, members := "Support", []string{tech}
	ug, err := e.a.CreateUserGroup(e.ctx, e.owner, UserGroupInput{Name: &ugName, MemberIDs: &members})
	if err != nil {
		t.Fatal(err)
	}
	assign(portico.PrincipalUserGroup, ug.ID, e.systemRole("full_device_access"), portico.ScopeTypeDeviceGroup, germany)
	// Only what the inviter holds.
	peer := invite("new-peer@example.test")
	assign(portico.PrincipalUser, peer, e.systemRole("auditor"), portico.ScopeTypeAccount, "")
	assign(portico.PrincipalUser, peer, e.systemRole("team_administrator"), portico.ScopeTypeAccount, "")

	for _, id := range []string{admin, tech} {
		before, err := e.a.GetInvitation(e.ctx, e.owner, id)
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.a.ResendInvitation(e.ctx, inviter, id)
		wantKind(t, err, portico.KindForbidden)
		after, err := e.a.GetInvitation(e.ctx, e.owner, id)
		if err != nil || after.ID != before.ID {
			t.Errorf("a refused resend replaced the invitation: %v → %v (%v)", before.ID, after, err)
		}
	}
	if denied := e.deniedAudits("user.invitation.resend"); len(denied) != 2 {
		t.Errorf("denied resends audited: %q, want 2", denied)
	}
	// The auditor role is not the inviter's: refused too, until it expires from the picture.
	_, err = e.a.ResendInvitation(e.ctx, inviter, peer)
	wantKind(t, err, portico.KindForbidden)
	peerOnly := invite("new-peer2@example.test")
	assign(portico.PrincipalUser, peerOnly, e.systemRole("team_administrator"), portico.ScopeTypeAccount, "")
	if cu, err := e.a.ResendInvitation(e.ctx, inviter, peerOnly); err != nil || cu.InvitationLink == "" {
		t.Errorf("resending an invitation with only the inviter's own rights: %v", err)
	}
	if cu, err := e.a.ResendInvitation(e.ctx, e.owner, admin); err != nil || cu.InvitationLink == "" {
		t.Errorf("the owner resending: %v", err)
	}
}

// TestSeatsGoToTheEarliestActivated: a late invitation acceptance or a new user with a password never
// takes an active user's seat, and lowering the limit disables the most recently activated.
func TestSeatsGoToTheEarliestActivated(t *testing.T) {
	e := newEnv(t)
	// Carol is invited first, and accepts last.
	cu, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "carol@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	carolLink := cu.InvitationLink
	e.advance(time.Minute)
	alice := e.user("alice@example.test")
	e.advance(time.Minute)
	eve := e.user("eve@example.test")
	e.setAccount(func(s *portico.AccountSettings) { s.SeatLimit = 2 })

	secret := carolLink[strings.LastIndex(carolLink, "/")+1:]
	_, err = e.a.AcceptInvitation(e.ctx, secret, "Carol", "a long enough password", "127.0.0.1")
	wantKind(t, err, portico.KindLimit)
	_, err = e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "dave@example.test", Password: "a long enough password"})
	wantKind(t, err, portico.KindLimit)
	status := func(ac *Actor) portico.UserStatus {
		t.Helper()
		u, err := e.a.store.GetUser(e.ctx, ac.AccountID, ac.UserID)
		if err != nil {
			t.Fatal(err)
		}
		return u.Status
	}
	if status(alice) != portico.StatusActive || status(eve) != portico.StatusActive {
		t.Fatal("a refused activation disabled an active user")
	}
	if _, err := e.a.store.GetUserByEmail(e.ctx, "dave@example.test"); !portico.IsKind(err, portico.KindNotFound) {
		t.Errorf("a refused new user was stored: %v", err)
	}

	// A seat frees: the same link works, and Carol, activated last, is the one the limit takes back.
	e.setAccount(func(s *portico.AccountSettings) { s.SeatLimit = 3 })
	e.advance(time.Minute)
	carol, err := e.a.AcceptInvitation(e.ctx, secret, "Carol", "a long enough password", "127.0.0.1")
	if err != nil {
		t.Fatalf("accepting once a seat is free: %v", err)
	}
	e.setAccount(func(s *portico.AccountSettings) { s.SeatLimit = 2 })
	carolActor := &Actor{Kind: ActorUser, AccountID: carol.AccountID, UserID: carol.ID}
	if status(carolActor) != portico.StatusDisabled || status(alice) != portico.StatusActive || status(eve) != portico.StatusActive {
		t.Errorf("lowering the limit: carol %s, alice %s, eve %s; want the last activated (carol) disabled",
			status(carolActor), status(alice), status(eve))
	}
}

// TestExplainHidesWhatTheCallerCannotSee: the reasons name devices and groups, so they are given only
// on targets the caller can see.
func TestExplainHidesWhatTheCallerCannotSee(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	uk, usa := e.group("UK", ""), e.group("USA", "")
	ukDev, usaDev := e.device(tok, "CAM-LT-001", uk), e.device(tok, "NYC-DT-301", usa)
	alice := e.user("alice@example.test", grant{roleID: e.systemRole("full_device_access"), scopeType: portico.ScopeTypeDeviceGroup, scopeID: uk})
	lead := e.user("lead@example.test", grant{roleID: e.systemRole("team_administrator"), scopeType: portico.ScopeTypeAccount})

	ex, err := e.a.Explain(e.ctx, alice, ExplainInput{Permission: portico.PermDeviceView, DeviceID: ukDev})
	if err != nil || !ex.Allowed || !strings.Contains(ex.Message, "CAM-LT-001") {
		t.Errorf("explain on a device alice sees: %+v, %v", ex, err)
	}
	for _, in := range []ExplainInput{
		{Permission: portico.PermDeviceView, DeviceID: usaDev},
		{Permission: portico.PermDeviceChat, DeviceID: usaDev},
		{Permission: portico.PermDeviceView, DeviceGroupID: usa},
	} {
		ex, err := e.a.Explain(e.ctx, alice, in)
		if err != nil {
			t.Fatalf("explain %+v: %v", in, err)
		}
		if ex.Allowed || strings.Contains(ex.Message, "NYC") || strings.Contains(ex.Message, "USA") ||
			len(ex.Grants) != 0 || ex.SettingGroupName != "" {
			t.Errorf("explain %+v for alice, who cannot see it: %+v", in, ex)
		}
	}
	// Asking about alice on a device the lead cannot see is refused, as WhoCan is, and audited.
	_, err = e.a.Explain(e.ctx, lead, ExplainInput{UserID: alice.UserID, Permission: portico.PermDeviceView, DeviceID: ukDev})
	wantKind(t, err, portico.KindNotFound)
	if len(e.deniedAudits("access.explain")) != 1 {
		t.Error("the refused explanation was not audited")
	}
	// The owner sees everything, with names.
	ex, err = e.a.Explain(e.ctx, e.owner, ExplainInput{UserID: alice.UserID, Permission: portico.PermDeviceView, DeviceID: usaDev})
	if err != nil || ex.Allowed || !strings.Contains(ex.Message, "NYC-DT-301") {
		t.Errorf("the owner asking about alice on the USA device: %+v, %v", ex, err)
	}
	_ = authz.Account()
}

// TestUpdateUserRefusesEmptyLanguageAndTheme: an edit may not clear them.
func TestUpdateUserRefusesEmptyLanguageAndTheme(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@example.test")
	empty := ""
	_, err := e.a.UpdateUser(e.ctx, bob, bob.UserID, UserUpdate{Language: &empty})
	wantField(t, err, "language")
	_, err = e.a.UpdateUser(e.ctx, bob, bob.UserID, UserUpdate{Theme: &empty})
	wantField(t, err, "theme")
	u, _ := e.a.store.GetUser(e.ctx, bob.AccountID, bob.UserID)
	if u.Language == "" || u.Theme == "" {
		t.Errorf("a refused edit changed the user: %+v", u)
	}
}

// TestAssignmentScopeErrorsNameTheField: a role that would grant nothing where it is assigned, and a
// scope that does not exist, are refused on the field at fault, and nothing is stored.
func TestAssignmentScopeErrorsNameTheField(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@example.test")
	germany := e.group("Germany", "")
	in := AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: bob.UserID, RoleID: e.systemRole("auditor"),
		ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: germany}
	_, err := e.a.CreateAssignment(e.ctx, e.owner, in)
	if msg := wantField(t, err, "role_id"); !strings.Contains(msg, "account level") {
		t.Errorf("message: %q", msg)
	}
	in.ScopeType = portico.ScopeTypeAccount
	in.ScopeID = ""
	if _, err := e.a.CreateAssignment(e.ctx, e.owner, in); err != nil {
		t.Errorf("the auditor role at account level: %v", err)
	}
	in.RoleID, in.ScopeType, in.ScopeID = e.systemRole("device_connection"), portico.ScopeTypeDevice, "dev_nope"
	_, err = e.a.CreateAssignment(e.ctx, e.owner, in)
	wantKind(t, err, portico.KindNotFound)
	if msg := wantField(t, err, "scope_id"); !strings.Contains(msg, "no such device") {
		t.Errorf("message: %q", msg)
	}
	as, err := e.a.store.ListAssignments(e.ctx, e.acc.Account.ID, portico.AssignmentFilter{PrincipalID: bob.UserID})
	if err != nil || len(as) != 1 {
		t.Errorf("assignments stored for bob: %d, %v; want only the account-level one", len(as), err)
	}
}

// TestPasswordChangeNeedsTheCurrentOneAndEndsOtherSessions: a session left open is not enough to
// take the account over, and whoever knew the old password is signed out everywhere else.
func TestPasswordChangeNeedsTheCurrentOneAndEndsOtherSessions(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@example.test")
	const old = "a long enough password"
	here, _, err := e.a.SignIn(e.ctx, "bob@example.test", old, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	elsewhere, _, err := e.a.SignIn(e.ctx, "bob@example.test", old, "192.0.2.2")
	if err != nil {
		t.Fatal(err)
	}
	ac, err := e.a.AuthenticateSession(e.ctx, here, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	next, wrong := "a brand new passphrase", "not my password"
	_, err = e.a.UpdateUser(e.ctx, ac, bob.UserID, UserUpdate{Password: &next})
	wantField(t, err, "current_password")
	_, err = e.a.UpdateUser(e.ctx, ac, bob.UserID, UserUpdate{Password: &next, CurrentPassword: &wrong})
	wantField(t, err, "current_password")
	if _, _, err := e.a.SignIn(e.ctx, "bob@example.test", old, "192.0.2.1"); err != nil {
		t.Fatalf("the old password after refused changes: %v", err)
	}
	cur := old
	if _, err := e.a.UpdateUser(e.ctx, ac, bob.UserID, UserUpdate{Password: &next, CurrentPassword: &cur}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.AuthenticateSession(e.ctx, here, "192.0.2.1"); err != nil {
		t.Errorf("the session that changed the password was ended: %v", err)
	}
	if _, err := e.a.AuthenticateSession(e.ctx, elsewhere, "192.0.2.2"); err == nil {
		t.Error("another session of the user survived the password change")
	}
	if _, _, err := e.a.SignIn(e.ctx, "bob@example.test", next, "192.0.2.1"); err != nil {
		t.Errorf("signing in with the new password: %v", err)
	}
}

// TestSecondFactorCannotBeStrippedWithoutACode: one's own 2FA goes off only with a code, never
// through the administrators' reset (by session or API key), and the sign-in lockout also stops code
// guessing through the 2FA endpoints.
func TestSecondFactorCannotBeStrippedWithoutACode(t *testing.T) {
	e := newTwoFactorEnv(t)
	_, codes := e.enrol(e.owner)
	_, secret, err := e.a.CreateAPIKey(e.ctx, e.owner, "automation", nil)
	if err != nil {
		t.Fatal(err)
	}
	key, err := e.a.AuthenticateAPIKey(e.ctx, secret, "192.0.2.9")
	if err != nil {
		t.Fatal(err)
	}
	wantKind(t, e.a.ResetTwoFactor(e.ctx, key, e.owner.UserID), portico.KindForbidden)
	wantKind(t, e.a.ResetTwoFactor(e.ctx, e.owner, e.owner.UserID), portico.KindForbidden)
	bob := e.user("bob@example.test")
	e.enrol(bob)
	wantKind(t, e.a.ResetTwoFactor(e.ctx, key, bob.UserID), portico.KindForbidden)
	if on, _ := e.a.UserHasTwoFactor(e.ctx, e.owner, e.owner.UserID); !on {
		t.Fatal("the owner's 2FA was removed without a code")
	}
	if on, _ := e.a.UserHasTwoFactor(e.ctx, e.owner, bob.UserID); !on {
		t.Fatal("bob's 2FA was removed with an API key")
	}
	if n := len(e.deniedAudits("user.2fa_reset")); n != 3 {
		t.Errorf("%d denied resets audited, want 3", n)
	}
	// Wrong codes lock the user out, and then even a right recovery code is refused here.
	for range 12 {
		_ = e.a.DisableTwoFactor(e.ctx, e.owner, "000000")
	}
	_, err = e.a.RegenerateRecoveryCodes(e.ctx, e.owner, codes[0])
	wantKind(t, err, portico.KindRateLimited)
	if msg := wantField(t, err, "totp"); !strings.Contains(msg, "too many") {
		t.Errorf("a recovery code during the lockout: %q", msg)
	}
	if err := e.a.ResetTwoFactor(e.ctx, e.owner, bob.UserID); err != nil {
		t.Errorf("the owner resetting bob's 2FA: %v", err)
	}
}
