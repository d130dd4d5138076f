// Package slapdtest starts a throwaway OpenLDAP server (Debian's slapd) for tests and fills it with a
// directory of users in nested groups.
package slapdtest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-ldap/ldap/v3"
)

// Base is the suffix of the test directory; Admin and AdminPassword are its root DN and password.
const (
	Base          = "dc=example,dc=org"
	Admin         = "cn=admin," + Base
	AdminPassword = "secret-admin"
)

// Server is a running slapd.
type Server struct {
	URL string
}

// binary finds slapd, which Debian installs outside a normal user's PATH.
func binary() string {
	if p, err := exec.LookPath("slapd"); err == nil {
		return p
	}
	if _, err := os.Stat("/usr/sbin/slapd"); err == nil {
		return "/usr/sbin/slapd"
	}
	return ""
}

// Start starts slapd on a free loopback port with a fresh database and stops it when the test ends.
// Without slapd the test is skipped, unless CI=true, where it fails.
func Start(t testing.TB) *Server {
	t.Helper()
	bin := binary()
	if bin == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("slapd is not installed: run scripts/ensure-services")
		}
		t.Skip("slapd is not installed (scripts/ensure-services installs it)")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "db"), 0o700); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`include /etc/ldap/schema/core.schema
include /etc/ldap/schema/cosine.schema
include /etc/ldap/schema/inetorgperson.schema
include /etc/ldap/schema/nis.schema
pidfile %[1]s/slapd.pid
modulepath /usr/lib/ldap
moduleload back_mdb
sizelimit unlimited
database mdb
maxsize 104857600
suffix "%[2]s"
rootdn "%[3]s"
rootpw %[4]s
directory %[1]s/db
`, dir, Base, Admin, AdminPassword)
	confPath := filepath.Join(dir, "slapd.conf")
	if err := os.WriteFile(confPath, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	url := "ldap://" + addr + "/"
	// -d 0 keeps slapd in the foreground, so that the test owns the process and can stop it.
	cmd := exec.Command(bin, "-f", confPath, "-h", url, "-d", "0")
	out, err := os.Create(filepath.Join(dir, "slapd.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start slapd: %v", err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		out.Close()
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "slapd.log"))
			t.Fatalf("slapd did not start: %v\n%s", err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
	s := &Server{URL: "ldap://" + addr}
	s.do(t, func(c *ldap.Conn) error {
		return add(c, Base, map[string][]string{"objectClass": {"dcObject", "organization"}, "dc": {"example"}, "o": {"Example"}})
	})
	return s
}

// do runs fn on a connection bound as the root DN.
func (s *Server) do(t testing.TB, fn func(c *ldap.Conn) error) {
	t.Helper()
	c, err := ldap.DialURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Bind(Admin, AdminPassword); err != nil {
		t.Fatal(err)
	}
	if err := fn(c); err != nil {
		t.Fatal(err)
	}
}

func add(c *ldap.Conn, dn string, attrs map[string][]string) error {
	req := ldap.NewAddRequest(dn, nil)
	for k, v := range attrs {
		req.Attribute(k, v)
	}
	if err := c.Add(req); err != nil {
		return fmt.Errorf("add %s: %w", dn, err)
	}
	return nil
}

// Add adds one entry.
func (s *Server) Add(t testing.TB, dn string, attrs map[string][]string) {
	t.Helper()
	s.do(t, func(c *ldap.Conn) error { return add(c, dn, attrs) })
}

// Delete removes one entry.
func (s *Server) Delete(t testing.TB, dn string) {
	t.Helper()
	s.do(t, func(c *ldap.Conn) error { return c.Del(ldap.NewDelRequest(dn, nil)) })
}

// SetMembers replaces a group's members.
func (s *Server) SetMembers(t testing.TB, groupDN string, members ...string) {
	t.Helper()
	s.do(t, func(c *ldap.Conn) error {
		req := ldap.NewModifyRequest(groupDN, nil)
		req.Replace("member", members)
		return c.Modify(req)
	})
}

// UserDN is the DN of test user i.
func UserDN(i int) string { return fmt.Sprintf("uid=user%03d,ou=people,%s", i, Base) }

// GroupDN is the DN of the test group named cn.
func GroupDN(cn string) string { return fmt.Sprintf("cn=%s,ou=groups,%s", cn, Base) }

// ComputerDN is the DN of a seeded computer (a device entry named by its host name).
func ComputerDN(host string) string { return fmt.Sprintf("cn=%s,ou=computers,%s", host, Base) }

// Seeded computers: ws-backend-1 is in Backend (so in Engineering and Staff too), ws-sales-1 in Sales.
const (
	BackendComputer = "ws-backend-1"
	SalesComputer   = "ws-sales-1"
)

// Email is the email of test user i.
func Email(i int) string { return fmt.Sprintf("user%03d@example.org", i) }

// The directory Seed builds, with n users (n ≥ 300):
//
//	Staff       ∋ Engineering, Sales                 (nested two deep)
//	Engineering ∋ Backend, Frontend, user000
//	Backend     ∋ user000 … user099
//	Frontend    ∋ user100 … user149
//	Sales       ∋ user150 … user249
//	Support     ∋ user250 … user(n-1)
//	Loop A      ∋ Loop B, user000;  Loop B ∋ Loop A, user001   (a cycle)
//
// user(n-1) has no email address. Seed returns the number of users.
func Seed(t testing.TB, s *Server, n int) int {
	t.Helper()
	if n < 300 {
		t.Fatalf("Seed needs at least 300 users, got %d", n)
	}
	s.do(t, func(c *ldap.Conn) error {
		for _, ou := range []string{"people", "groups", "computers"} {
			if err := add(c, "ou="+ou+","+Base, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {ou}}); err != nil {
				return err
			}
		}
		for i := 0; i < n; i++ {
			attrs := map[string][]string{
				"objectClass": {"inetOrgPerson"}, "uid": {fmt.Sprintf("user%03d", i)},
				"cn": {fmt.Sprintf("User %03d", i)}, "sn": {fmt.Sprintf("%03d", i)},
			}
			if i != n-1 {
				attrs["mail"] = []string{Email(i)}
			}
			if err := add(c, UserDN(i), attrs); err != nil {
				return err
			}
		}
		for _, host := range []string{BackendComputer, SalesComputer} {
			if err := add(c, ComputerDN(host), map[string][]string{"objectClass": {"device"}, "cn": {host}}); err != nil {
				return err
			}
		}
		users := func(from, to int) []string {
			var out []string
			for i := from; i < to; i++ {
				out = append(out, UserDN(i))
			}
			return out
		}
		groups := []struct {
			cn      string
			members []string
		}{
			{"Backend", append(users(0, 100), ComputerDN(BackendComputer))},
			{"Frontend", users(100, 150)},
			{"Sales", append(users(150, 250), ComputerDN(SalesComputer))},
			{"Support", users(250, n)},
			{"Engineering", append([]string{GroupDN("Backend"), GroupDN("Frontend")}, UserDN(0))},
			{"Staff", []string{GroupDN("Engineering"), GroupDN("Sales")}},
			// A member may name an entry that does not exist yet; slapd does not check references.
			{"Loop A", []string{GroupDN("Loop B"), UserDN(0)}},
			{"Loop B", []string{GroupDN("Loop A"), UserDN(1)}},
		}
		for _, g := range groups {
			if err := add(c, GroupDN(g.cn), map[string][]string{"objectClass": {"groupOfNames"}, "cn": {g.cn}, "member": g.members}); err != nil {
				return err
			}
		}
		return nil
	})
	return n
}
