package directory_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/portico-dev/portico/internal/directory"
	"github.com/portico-dev/portico/internal/directory/slapdtest"
)

func TestFetchNestedGroupsWithPaging(t *testing.T) {
	srv := slapdtest.Start(t)
	n := slapdtest.Seed(t, srv, 320)
	cfg := directory.Config{AllowLocal: true, URL: srv.URL, BindDN: slapdtest.Admin, BindPassword: slapdtest.AdminPassword,
		BaseDN: slapdtest.Base, PageSize: 50}
	var reports []int
	snap, err := directory.Fetch(t.Context(), cfg, func(read int) { reports = append(reports, read) })
	if err != nil {
		t.Fatal(err)
	}
	if len(snap.Users) != n {
		t.Fatalf("%d users, want %d", len(snap.Users), n)
	}
	// 320 users in pages of 50 are 7 pages, then one page of 8 groups and one of 2 computers.
	if len(reports) < 9 || reports[len(reports)-1] != n+8+2 {
		t.Errorf("progress reports %v, want ≥ 9 pages ending at %d", reports, n+8+2)
	}
	// Computers learn their groups through nesting too: Backend ∈ Engineering ∈ Staff.
	hosts := map[string][]string{}
	for _, c := range snap.Computers {
		hosts[c.Hostname] = c.Groups
	}
	if got := hosts[slapdtest.BackendComputer]; !equalFold(got, []string{"Backend", "Engineering", "Staff"}) {
		t.Errorf("%s groups %v", slapdtest.BackendComputer, got)
	}
	if got := hosts[slapdtest.SalesComputer]; !equalFold(got, []string{"Sales", "Staff"}) {
		t.Errorf("%s groups %v", slapdtest.SalesComputer, got)
	}
	groups := map[string]directory.Group{}
	for _, g := range snap.Groups {
		groups[g.Name] = g
	}
	wantSizes := map[string]int{"Backend": 100, "Frontend": 50, "Sales": 100, "Support": n - 250,
		"Engineering": 150, "Staff": 250, "Loop A": 2, "Loop B": 2}
	for name, want := range wantSizes {
		if got := len(groups[name].Users); got != want {
			t.Errorf("group %s has %d users, want %d", name, got, want)
		}
	}
	byDN := map[string]directory.User{}
	for _, u := range snap.Users {
		byDN[u.DN] = u
	}
	u0 := byDN[slapdtest.UserDN(0)]
	want0 := []string{slapdtest.GroupDN("Backend"), slapdtest.GroupDN("Engineering"), slapdtest.GroupDN("Loop A"),
		slapdtest.GroupDN("Loop B"), slapdtest.GroupDN("Staff")}
	if !equalFold(u0.Groups, want0) {
		t.Errorf("user000 groups %v, want %v", u0.Groups, want0)
	}
	if u0.Email != slapdtest.Email(0) || u0.Login != "user000" || u0.Name != "User 000" {
		t.Errorf("user000 = %+v", u0)
	}
	if u := byDN[slapdtest.UserDN(n-1)]; u.Email != "" {
		t.Errorf("the last user has email %q, want none", u.Email)
	}
	if u := byDN[slapdtest.UserDN(160)]; !equalFold(u.Groups, []string{slapdtest.GroupDN("Sales"), slapdtest.GroupDN("Staff")}) {
		t.Errorf("user160 groups %v", u.Groups)
	}
}

func TestFetchWrongPassword(t *testing.T) {
	srv := slapdtest.Start(t)
	_, err := directory.Fetch(t.Context(), directory.Config{AllowLocal: true, URL: srv.URL, BindDN: slapdtest.Admin,
		BindPassword: "wrong", BaseDN: slapdtest.Base}, nil)
	if !errors.Is(err, directory.ErrInvalidCredentials) {
		t.Fatalf("err = %v, want ErrInvalidCredentials", err)
	}
}

func equalFold(got, want []string) bool {
	if len(got) != len(want) {
		return false
	}
	g := make([]string, len(got))
	w := make([]string, len(want))
	for i := range got {
		g[i], w[i] = directory.NormalizeDN(got[i]), directory.NormalizeDN(want[i])
	}
	slices.Sort(g)
	slices.Sort(w)
	return slices.Equal(g, w)
}

func TestConfigProblems(t *testing.T) {
	tests := []struct {
		name  string
		cfg   directory.Config
		field string
	}{
		{"no url", directory.Config{BaseDN: "dc=x"}, "url"},
		{"http url", directory.Config{URL: "http://x", BaseDN: "dc=x"}, "url"},
		{"starttls on ldaps", directory.Config{URL: "ldaps://x", StartTLS: true, BaseDN: "dc=x"}, "start_tls"},
		{"no base", directory.Config{URL: "ldap://x"}, "base_dn"},
		{"bad base", directory.Config{URL: "ldap://x", BaseDN: "not a dn"}, "base_dn"},
		{"bad filter", directory.Config{URL: "ldap://x", BaseDN: "dc=x", UserFilter: "(objectClass=user"}, "user_filter"},
		{"bad kind", directory.Config{Kind: "novell", URL: "ldap://x", BaseDN: "dc=x"}, "kind"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := tt.cfg.Problems()
			if _, ok := p[tt.field]; !ok || len(p) != 1 {
				t.Errorf("problems %v, want exactly %s", p, tt.field)
			}
		})
	}
	if p := (directory.Config{URL: "ldaps://dc.example.org:636", BaseDN: "DC=example,DC=org", Kind: directory.KindActiveDirectory}).Problems(); len(p) != 0 {
		t.Errorf("valid config has problems %v", p)
	}
}

func TestNormalizeDN(t *testing.T) {
	if a, b := directory.NormalizeDN("CN=Sales, OU=Groups,DC=Example,DC=org"), directory.NormalizeDN("cn=sales,ou=groups,dc=example,dc=org"); a != b {
		t.Errorf("%q != %q", a, b)
	}
}

// TestDirectoryOnLoopbackIsRefused: an account's directory URL may not make the server connect to
// its own host unless the operator allows it, and the refusal says what to do.
func TestDirectoryOnLoopbackIsRefused(t *testing.T) {
	srv := slapdtest.Start(t)
	_, err := directory.Fetch(t.Context(), directory.Config{URL: srv.URL, BindDN: slapdtest.Admin,
		BindPassword: slapdtest.AdminPassword, BaseDN: slapdtest.Base}, nil)
	if err == nil || !strings.Contains(err.Error(), "loopback") || !strings.Contains(err.Error(), "--allow-local-directory") {
		t.Fatalf("fetching from a directory on loopback: %v", err)
	}
}
