package app

import (
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

func TestEnrollPlacement(t *testing.T) {
	e := newEnv(t)
	branch := e.group("Branch", "")
	accountToken, groupToken := e.token(""), e.token(branch)
	tests := []struct {
		name      string
		installer bool // installer group assignment
		licences  int
		token     string
		want      string
	}{
		{"account token", false, 100, accountToken, portico.UnassignedGroupID},
		{"group token, installer assignment off", false, 100, groupToken, portico.UnassignedGroupID},
		{"account token, installer assignment on", true, 100, accountToken, portico.UnassignedGroupID},
		{"group token, installer assignment on", true, 100, groupToken, branch},
		{"group token, no licence free", true, 1, groupToken, portico.UnassignedGroupID},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e.setAccount(func(s *portico.AccountSettings) {
				s.InstallerGroupAssignment, s.ManagedLicences = tt.installer, tt.licences
			})
			id := e.enroll(tt.token, "PC-"+itoa(i))
			d := e.get(id)
			if d.GroupID != tt.want {
				t.Fatalf("enrolled into %q, want %q", d.GroupID, tt.want)
			}
			if d.GroupID == branch && (d.LeftUnassignedAt != nil || !d.RuleApplied) {
				t.Fatalf("installed into a group: left %v, rule applied %v", d.LeftUnassignedAt, d.RuleApplied)
			}
			if got := e.history(id); len(got) != 1 || got[0] != "enrolled" {
				t.Fatalf("history %v", got)
			}
		})
	}
}

func TestEnrollRefusals(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	revoked, secret, err := e.a.CreateEnrollmentToken(e.ctx, e.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.a.RevokeEnrollmentToken(e.ctx, e.owner, revoked.ID); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		in    EnrollInput
		kind  portico.ErrorKind
		field string
	}{
		{"no token", EnrollInput{Hostname: "pc"}, portico.KindUnauthenticated, ""},
		{"unknown token", EnrollInput{Token: "enr_nosuch", Hostname: "pc"}, portico.KindUnauthenticated, ""},
		{"revoked token", EnrollInput{Token: secret, Hostname: "pc"}, portico.KindUnauthenticated, ""},
		{"no hostname", EnrollInput{Token: tok}, portico.KindInvalid, "hostname"},
		{"hostname with a space", EnrollInput{Token: tok, Hostname: "my pc"}, portico.KindInvalid, "hostname"},
		{"long hostname", EnrollInput{Token: tok, Hostname: strings.Repeat("h", 254)}, portico.KindInvalid, "hostname"},
		{"long name", EnrollInput{Token: tok, Hostname: "pc", Name: strings.Repeat("n", 101)}, portico.KindInvalid, "name"},
		{"bad address", EnrollInput{Token: tok, Hostname: "pc", IPAddresses: []string{"10.0.0.1", "10.0.0.300"}}, portico.KindInvalid, "ip_addresses[1]"},
		{"long OS name", EnrollInput{Token: tok, Hostname: "pc", OSName: strings.Repeat("o", 251)}, portico.KindInvalid, "os_name"},
		{"control character", EnrollInput{Token: tok, Hostname: "pc", LoggedInUser: "bob\x00"}, portico.KindInvalid, "logged_in_user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := e.a.Enroll(e.ctx, tt.in)
			if tt.field != "" {
				wantField(t, err, tt.field)
			} else {
				wantKind(t, err, tt.kind)
			}
		})
	}
	page, err := e.a.ListDevices(e.ctx, e.owner, DeviceQuery{})
	if err != nil || page.Total != 0 {
		t.Fatalf("refused enrollments created devices: %+v, %v", page, err)
	}
	// A long hostname without a name still gives a valid display name.
	id, _, err := e.a.Enroll(e.ctx, EnrollInput{Token: tok, Hostname: strings.Repeat("h", 150)})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.get(id).Name; len([]rune(n)) != 100 {
		t.Fatalf("display name %q", n)
	}
}

func TestEnrollDefaultsAndAgentCredential(t *testing.T) {
	e := newEnv(t)
	tok := e.token("")
	id, cred, err := e.a.Enroll(e.ctx, EnrollInput{Token: tok, Hostname: " laptop-7 ", OSName: "Ubuntu",
		IPAddresses: []string{"192.168.1.20", "::ffff:10.0.0.1"}, SourceIP: "203.0.113.5"})
	if err != nil {
		t.Fatal(err)
	}
	d := e.get(id)
	if d.Name != "laptop-7" || d.Hostname != "laptop-7" || d.RuleApplied || d.CredentialHash == "" {
		t.Fatalf("device %+v", d.Device)
	}
	if d.CredentialHash == cred || !portico.SecretMatches(cred, d.CredentialHash) {
		t.Fatal("credential not stored hashed")
	}
	ac, err := e.a.AuthenticateAgent(e.ctx, id, cred, "203.0.113.5")
	if err != nil || ac.Kind != ActorAgent || ac.DeviceID != id || ac.AccountID != e.acc.Account.ID || ac.Name != "laptop-7" {
		t.Fatalf("agent actor %+v, %v", ac, err)
	}
	_, err = e.a.AuthenticateAgent(e.ctx, id, cred+"x", "")
	wantKind(t, err, portico.KindUnauthenticated)
	_, err = e.a.AuthenticateAgent(e.ctx, "dev_nosuch", cred, "")
	wantKind(t, err, portico.KindUnauthenticated)

	// The enrollment is in the audit log, by the agent.
	events, err := e.a.ListAudit(e.ctx, e.owner, portico.AuditFilter{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range events {
		if ev.Action == "device.enroll" && ev.TargetID == id && ev.ActorType == string(ActorAgent) && ev.SourceIP == "203.0.113.5" {
			found = true
		}
	}
	if !found {
		t.Fatal("no device.enroll audit entry by the agent")
	}
}

func TestEnrollmentTokens(t *testing.T) {
	e := newEnv(t)
	a, b := e.group("A", ""), e.group("B", "")
	installers := e.role("Installers", portico.PermInstallersAccess)
	u := e.user("i@example.test", grant{installers, portico.ScopeTypeDeviceGroup, a})
	tokA, secretA, err := e.a.CreateEnrollmentToken(e.ctx, u, a)
	if err != nil {
		t.Fatal(err)
	}
	if tokA.GroupID != a || secretA == "" || tokA.Hash != portico.HashSecret(secretA) {
		t.Fatalf("token %+v", tokA)
	}
	_, _, err = e.a.CreateEnrollmentToken(e.ctx, u, b)
	wantField(t, err, "device_group_id") // a group the user may not view is as good as unknown
	wantKind(t, err, portico.KindNotFound)
	_, _, err = e.a.CreateEnrollmentToken(e.ctx, u, "")
	wantKind(t, err, portico.KindForbidden)
	ownerTok, _, err := e.a.CreateEnrollmentToken(e.ctx, e.owner, "")
	if err != nil {
		t.Fatal(err)
	}
	// The group installer sees only the tokens of their group.
	list, err := e.a.ListEnrollmentTokens(e.ctx, u)
	if err != nil || len(list) != 1 || list[0].ID != tokA.ID {
		t.Fatalf("installer's tokens %+v, %v", list, err)
	}
	list, err = e.a.ListEnrollmentTokens(e.ctx, e.owner)
	if err != nil || len(list) != 2 {
		t.Fatalf("owner's tokens %+v, %v", list, err)
	}
	wantKind(t, e.a.RevokeEnrollmentToken(e.ctx, u, ownerTok.ID), portico.KindForbidden)
	if err := e.a.RevokeEnrollmentToken(e.ctx, u, tokA.ID); err != nil {
		t.Fatal(err)
	}
	_, _, err = e.a.Enroll(e.ctx, EnrollInput{Token: secretA, Hostname: "pc"})
	wantKind(t, err, portico.KindUnauthenticated)
	wantKind(t, e.a.RevokeEnrollmentToken(e.ctx, u, "enr_nosuch"), portico.KindNotFound)
}
