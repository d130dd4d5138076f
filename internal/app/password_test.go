package app

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

func TestValidatePassword(t *testing.T) {
	mix := PasswordPolicy{MinLength: 10, RequireMix: true}
	for _, tc := range []struct {
		name   string
		pw     string
		policy PasswordPolicy
		want   string // part of the message; "" means accepted
	}{
		{"long enough", "a long enough password", PasswordPolicy{MinLength: 10}, ""},
		{"too short", "short1", PasswordPolicy{MinLength: 10}, "at least 10"},
		{"minimum below 8 is 8", "abcdxyz", PasswordPolicy{MinLength: 4}, "at least 8"},
		{"blank", "            ", PasswordPolicy{MinLength: 10}, "blank"},
		{"letters only with mix", "only letters here", mix, "letters and digits"},
		{"digits only with mix", "1234509876123", mix, "letters and digits"},
		{"mixed", "tulip 7 orchard lane", mix, ""},
		{"common", "qwertyuiop", PasswordPolicy{MinLength: 8}, "too common"},
		{"common, any case", "PassWord123", PasswordPolicy{MinLength: 8}, "too common"},
		{"common stem with digits and symbols", "Welcome2026!", mix, "too common"},
		{"stem inside a longer word is fine", "welcomehome42", mix, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v portico.Validation
			validatePassword(&v, "password", tc.pw, tc.policy)
			err := v.Err()
			if tc.want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if msg := wantField(t, err, "password"); !strings.Contains(msg, tc.want) {
				t.Fatalf("message %q, want %q", msg, tc.want)
			}
		})
	}
	if len(commonPasswords) < 100 {
		t.Fatalf("only %d common passwords loaded", len(commonPasswords))
	}
}

// The policy applies wherever a password is set: creating a user, accepting an invitation, changing
// one's own password.
func TestPasswordPolicyEnforced(t *testing.T) {
	e := newEnv(t)
	tech := e.user("tech@example.test")
	_, err := e.a.SetPasswordPolicy(e.ctx, tech, PasswordPolicy{MinLength: 12, RequireMix: true})
	wantKind(t, err, portico.KindForbidden)
	_, err = e.a.SetPasswordPolicy(e.ctx, e.owner, PasswordPolicy{MinLength: 7})
	wantField(t, err, "min_length")

	if _, err := e.a.SetPasswordPolicy(e.ctx, e.owner, PasswordPolicy{MinLength: 12, RequireMix: true}); err != nil {
		t.Fatal(err)
	}
	got, err := e.a.GetPasswordPolicy(e.ctx, e.owner)
	if err != nil || got.MinLength != 12 || !got.RequireMix {
		t.Fatalf("policy: %+v, %v", got, err)
	}
	acc, _ := e.a.store.GetAccount(e.ctx, e.acc.Account.ID)
	if acc.Settings.PasswordMinLength != 12 {
		t.Fatalf("min length setting: %d", acc.Settings.PasswordMinLength)
	}

	// Create with a password.
	_, err = e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "a@example.test", Password: "no digits in this one"})
	wantField(t, err, "password")
	if _, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "a@example.test", Password: "seven 7 lanterns"}); err != nil {
		t.Fatal(err)
	}

	// Accept an invitation.
	inv, err := e.a.CreateUser(e.ctx, e.owner, NewUser{Email: "b@example.test"})
	if err != nil {
		t.Fatal(err)
	}
	secret := inv.InvitationLink[strings.LastIndex(inv.InvitationLink, "/")+1:]
	_, err = e.a.AcceptInvitation(e.ctx, secret, "B", "Password2025!", "192.0.2.1")
	wantField(t, err, "password")
	if _, err := e.a.AcceptInvitation(e.ctx, secret, "B", "river 42 stones", "192.0.2.1"); err != nil {
		t.Fatalf("accept: %v", err)
	}

	// Change one's own password.
	weak, current := "abcdefghijklmnop", "a long enough password"
	_, err = e.a.UpdateUser(e.ctx, tech, tech.UserID, UserUpdate{Password: &weak, CurrentPassword: &current})
	wantField(t, err, "password")
	good := "cloud 9 meadow walk"
	if _, err := e.a.UpdateUser(e.ctx, tech, tech.UserID, UserUpdate{Password: &good, CurrentPassword: &current}); err != nil {
		t.Fatal(err)
	}
}
