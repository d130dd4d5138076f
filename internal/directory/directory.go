// Package directory reads users and groups from an LDAP directory — OpenLDAP or Active Directory — for
// import as technicians and user groups. It connects (ldap:// with optional StartTLS, or ldaps://),
// binds, searches with the Simple Paged Results control so that large directories come in pages, and
// resolves group membership transitively: a user in group B, which is a member of group A, is in A too.
package directory

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/go-ldap/ldap/v3"

	"github.com/portico-dev/portico/internal/egress"
)

// Kind is the flavour of directory, which sets the default filters and attributes.
type Kind string

// Directory kinds.
const (
	KindOpenLDAP        Kind = "openldap"
	KindActiveDirectory Kind = "active_directory"
)

// Config says where the directory is and what to read from it. Empty filters and attributes take the
// defaults of the Kind (see WithDefaults).
type Config struct {
	Kind Kind `json:"kind"`
	// URL is ldap://host[:port] or ldaps://host[:port].
	URL string `json:"url"`
	// StartTLS upgrades an ldap:// connection to TLS before binding.
	StartTLS bool `json:"start_tls"`
	// InsecureSkipVerify accepts any server certificate (test directories with self-signed ones).
	InsecureSkipVerify bool   `json:"insecure_skip_verify"`
	BindDN             string `json:"bind_dn"`
	BindPassword       string `json:"-"`
	// AllowLocal lets the server connect to a directory on loopback or link-local addresses (its own
	// host); off, such addresses are refused (see internal/egress). It is the operator's choice, never
	// an account's, so it is not part of the stored settings.
	AllowLocal bool `json:"-"`
	// BaseDN is where users and groups are searched (the whole subtree).
	BaseDN      string `json:"base_dn"`
	UserFilter  string `json:"user_filter"`
	GroupFilter string `json:"group_filter"`
	// LoginAttr, EmailAttr and NameAttr are the user attributes read as login, email and display name.
	LoginAttr string `json:"login_attr"`
	EmailAttr string `json:"email_attr"`
	NameAttr  string `json:"name_attr"`
	// GroupNameAttr names a group; MemberAttr lists a group's members (DNs of users or groups).
	GroupNameAttr string `json:"group_name_attr"`
	MemberAttr    string `json:"member_attr"`
	// ComputerFilter finds computer entries and ComputerNameAttr gives a computer's host name, matched
	// against devices' host names so that devices learn their directory groups.
	ComputerFilter   string `json:"computer_filter"`
	ComputerNameAttr string `json:"computer_name_attr"`
	// PageSize is the number of entries per page of the paged search.
	PageSize int `json:"page_size"`
	// Timeout bounds dialling and each request.
	Timeout time.Duration `json:"-"`
}

// WithDefaults returns c with every empty setting filled in from its Kind's defaults.
func (c Config) WithDefaults() Config {
	if c.Kind == "" {
		c.Kind = KindOpenLDAP
	}
	def := func(s *string, v string) {
		if strings.TrimSpace(*s) == "" {
			*s = v
		}
	}
	switch c.Kind {
	case KindActiveDirectory:
		def(&c.UserFilter, "(&(objectClass=user)(!(objectClass=computer)))")
		def(&c.GroupFilter, "(objectClass=group)")
		def(&c.LoginAttr, "sAMAccountName")
		def(&c.EmailAttr, "mail")
		def(&c.NameAttr, "displayName")
		def(&c.ComputerFilter, "(objectClass=computer)")
		def(&c.ComputerNameAttr, "dNSHostName")
	default:
		def(&c.UserFilter, "(objectClass=inetOrgPerson)")
		def(&c.GroupFilter, "(objectClass=groupOfNames)")
		def(&c.LoginAttr, "uid")
		def(&c.EmailAttr, "mail")
		def(&c.NameAttr, "cn")
		def(&c.ComputerFilter, "(objectClass=device)")
		def(&c.ComputerNameAttr, "cn")
	}
	def(&c.GroupNameAttr, "cn")
	def(&c.MemberAttr, "member")
	if c.PageSize <= 0 {
		c.PageSize = 500
	}
	if c.Timeout <= 0 {
		c.Timeout = 30 * time.Second
	}
	return c
}

// Problems checks the configuration and returns a message per field in error (empty when valid).
func (c Config) Problems() map[string]string {
	p := map[string]string{}
	switch c.Kind {
	case "", KindOpenLDAP, KindActiveDirectory:
	default:
		p["kind"] = "must be openldap or active_directory"
	}
	u, err := url.Parse(c.URL)
	switch {
	case strings.TrimSpace(c.URL) == "":
		p["url"] = "is required"
	case err != nil || (u.Scheme != "ldap" && u.Scheme != "ldaps") || u.Host == "":
		p["url"] = "must be ldap://host[:port] or ldaps://host[:port]"
	case u.Scheme == "ldaps" && c.StartTLS:
		p["start_tls"] = "applies to ldap:// only: ldaps:// is already encrypted"
	}
	if strings.TrimSpace(c.BaseDN) == "" {
		p["base_dn"] = "is required"
	} else if _, err := ldap.ParseDN(c.BaseDN); err != nil {
		p["base_dn"] = "is not a valid DN"
	}
	if c.BindDN != "" {
		if _, err := ldap.ParseDN(c.BindDN); err != nil {
			p["bind_dn"] = "is not a valid DN"
		}
	}
	for field, f := range map[string]string{"user_filter": c.UserFilter, "group_filter": c.GroupFilter, "computer_filter": c.ComputerFilter} {
		if strings.TrimSpace(f) == "" {
			continue
		}
		if _, err := ldap.CompileFilter(f); err != nil {
			p[field] = "is not a valid LDAP filter"
		}
	}
	if c.PageSize < 0 || c.PageSize > 10000 {
		p["page_size"] = "must be between 1 and 10000"
	}
	return p
}

// User is a directory user.
type User struct {
	DN    string `json:"dn"`
	Login string `json:"login"`
	Email string `json:"email"`
	Name  string `json:"name"`
	// Groups are the DNs of every group the user is in, directly or through nested groups, sorted.
	Groups []string `json:"groups"`
}

// Group is a directory group.
type Group struct {
	DN   string `json:"dn"`
	Name string `json:"name"`
	// Users are the DNs of every user in the group, directly or through nested groups, sorted.
	Users []string `json:"users"`
}

// Computer is a computer entry: its host name and the names of every group it is in, directly or
// through nested groups, sorted.
type Computer struct {
	DN       string   `json:"dn"`
	Hostname string   `json:"hostname"`
	Groups   []string `json:"groups"`
}

// Snapshot is what was read from the directory, with memberships resolved.
type Snapshot struct {
	Users     []User     `json:"users"`
	Groups    []Group    `json:"groups"`
	Computers []Computer `json:"computers"`
}

// Progress is told how many entries have been read so far, after every page.
type Progress func(read int)

// Fetch connects, binds and reads every user and group under the base DN, resolving nested groups.
func Fetch(ctx context.Context, cfg Config, progress Progress) (*Snapshot, error) {
	cfg = cfg.WithDefaults()
	conn, err := Connect(ctx, cfg)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	// Closing the connection is how a cancelled context interrupts a request in flight.
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	read := 0
	report := func(n int) {
		read += n
		if progress != nil {
			progress(read)
		}
	}
	userEntries, err := search(ctx, conn, cfg, cfg.UserFilter,
		[]string{cfg.LoginAttr, cfg.EmailAttr, cfg.NameAttr, "memberOf", "userPrincipalName"}, report)
	if err != nil {
		return nil, fmt.Errorf("search users: %w", err)
	}
	groupEntries, err := search(ctx, conn, cfg, cfg.GroupFilter, []string{cfg.GroupNameAttr, cfg.MemberAttr}, report)
	if err != nil {
		return nil, fmt.Errorf("search groups: %w", err)
	}
	computerEntries, err := search(ctx, conn, cfg, cfg.ComputerFilter, []string{cfg.ComputerNameAttr, "cn", "memberOf"}, report)
	if err != nil {
		return nil, fmt.Errorf("search computers: %w", err)
	}
	return resolve(cfg, userEntries, groupEntries, computerEntries), nil
}

// Connect dials the directory, upgrades to TLS when asked and binds (anonymously when BindDN is empty).
func Connect(ctx context.Context, cfg Config) (*ldap.Conn, error) {
	cfg = cfg.WithDefaults()
	u, err := url.Parse(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("directory url: %w", err)
	}
	tlsCfg := &tls.Config{ServerName: u.Hostname(), InsecureSkipVerify: cfg.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // opt-in, for test directories
	dialer := &net.Dialer{Timeout: cfg.Timeout}
	if !cfg.AllowLocal {
		dialer = egress.Dialer(cfg.Timeout, "use the directory's address on the network, or have the server started with --allow-local-directory")
	}
	if dl, ok := ctx.Deadline(); ok {
		dialer.Deadline = dl
	}
	conn, err := ldap.DialURL(cfg.URL, ldap.DialWithDialer(dialer), ldap.DialWithTLSConfig(tlsCfg))
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", u.Host, err)
	}
	conn.SetTimeout(cfg.Timeout)
	if cfg.StartTLS && u.Scheme == "ldap" {
		if err := conn.StartTLS(tlsCfg); err != nil {
			conn.Close()
			return nil, fmt.Errorf("start TLS with %s: %w", u.Host, err)
		}
	}
	if cfg.BindDN != "" {
		err = conn.Bind(cfg.BindDN, cfg.BindPassword)
	} else {
		err = conn.UnauthenticatedBind("")
	}
	if err != nil {
		conn.Close()
		if ldap.IsErrorWithCode(err, ldap.LDAPResultInvalidCredentials) {
			return nil, fmt.Errorf("bind as %q: %w", cfg.BindDN, ErrInvalidCredentials)
		}
		return nil, fmt.Errorf("bind as %q: %w", cfg.BindDN, err)
	}
	return conn, nil
}

// ErrInvalidCredentials reports that the directory refused the bind DN and password.
var ErrInvalidCredentials = errors.New("the directory refused the bind DN or password")

// search runs a subtree search page by page with the Simple Paged Results control.
func search(ctx context.Context, conn *ldap.Conn, cfg Config, filter string, attrs []string, report func(int)) ([]*ldap.Entry, error) {
	paging := ldap.NewControlPaging(uint32(cfg.PageSize))
	req := ldap.NewSearchRequest(cfg.BaseDN, ldap.ScopeWholeSubtree, ldap.NeverDerefAliases, 0, 0, false,
		filter, attrs, []ldap.Control{paging})
	var out []*ldap.Entry
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		res, err := conn.Search(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		out = append(out, res.Entries...)
		report(len(res.Entries))
		ctl, _ := ldap.FindControl(res.Controls, ldap.ControlTypePaging).(*ldap.ControlPaging)
		if ctl == nil || len(ctl.Cookie) == 0 {
			return out, nil
		}
		paging.SetCookie(ctl.Cookie)
	}
}

// NormalizeDN returns a DN's canonical form for comparison: attribute types and values folded to lower
// case, no spaces around separators. A DN that does not parse is only folded.
func NormalizeDN(dn string) string {
	d, err := ldap.ParseDN(dn)
	if err != nil {
		return strings.ToLower(strings.TrimSpace(dn))
	}
	var b strings.Builder
	for i, rdn := range d.RDNs {
		if i > 0 {
			b.WriteByte(',')
		}
		for j, atv := range rdn.Attributes {
			if j > 0 {
				b.WriteByte('+')
			}
			b.WriteString(strings.ToLower(atv.Type))
			b.WriteByte('=')
			b.WriteString(strings.ToLower(atv.Value))
		}
	}
	return b.String()
}

// resolve turns entries into users, groups and computers with transitive memberships.
func resolve(cfg Config, userEntries, groupEntries, computerEntries []*ldap.Entry) *Snapshot {
	snap := &Snapshot{Users: []User{}, Groups: []Group{}, Computers: []Computer{}}
	for _, e := range computerEntries {
		host := strings.TrimSpace(e.GetAttributeValue(cfg.ComputerNameAttr))
		if host == "" {
			host = strings.TrimSpace(e.GetAttributeValue("cn"))
		}
		snap.Computers = append(snap.Computers, Computer{DN: e.DN, Hostname: strings.ToLower(host), Groups: []string{}})
	}
	computers := map[string]*Computer{} // normalised DN → computer
	for i := range snap.Computers {
		computers[NormalizeDN(snap.Computers[i].DN)] = &snap.Computers[i]
	}
	users := map[string]*User{} // normalised DN → user
	for _, e := range userEntries {
		u := User{DN: e.DN, Login: e.GetAttributeValue(cfg.LoginAttr), Email: strings.ToLower(strings.TrimSpace(e.GetAttributeValue(cfg.EmailAttr))),
			Name: strings.TrimSpace(e.GetAttributeValue(cfg.NameAttr)), Groups: []string{}}
		if u.Email == "" && cfg.Kind == KindActiveDirectory {
			u.Email = strings.ToLower(strings.TrimSpace(e.GetAttributeValue("userPrincipalName")))
		}
		if u.Name == "" {
			u.Name = u.Login
		}
		snap.Users = append(snap.Users, u)
	}
	for i := range snap.Users {
		users[NormalizeDN(snap.Users[i].DN)] = &snap.Users[i]
	}

	// members: group → its direct members (users or groups), from the groups' member attribute and,
	// for Active Directory, from the users' memberOf too.
	groupNames := map[string]string{}
	groupDN := map[string]string{}
	members := map[string]map[string]bool{}
	add := func(group, member string) {
		if members[group] == nil {
			members[group] = map[string]bool{}
		}
		members[group][member] = true
	}
	for _, e := range groupEntries {
		key := NormalizeDN(e.DN)
		groupDN[key] = e.DN
		groupNames[key] = strings.TrimSpace(e.GetAttributeValue(cfg.GroupNameAttr))
		if members[key] == nil {
			members[key] = map[string]bool{}
		}
		for _, m := range e.GetAttributeValues(cfg.MemberAttr) {
			add(key, NormalizeDN(m))
		}
	}
	for _, e := range append(append([]*ldap.Entry{}, userEntries...), computerEntries...) {
		for _, g := range e.GetAttributeValues("memberOf") {
			if gk := NormalizeDN(g); groupDN[gk] != "" {
				add(gk, NormalizeDN(e.DN))
			}
		}
	}

	// Transitive closure, one depth-first walk per group; visited guards against cycles (A ∋ B ∋ A).
	keys := make([]string, 0, len(groupDN))
	for k := range groupDN {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, gk := range keys {
		visited := map[string]bool{gk: true}
		found := map[string]bool{}
		foundComputers := map[*Computer]bool{}
		stack := []string{gk}
		for len(stack) > 0 {
			cur := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			for m := range members[cur] {
				if u := users[m]; u != nil {
					found[u.DN] = true
					continue
				}
				if c := computers[m]; c != nil {
					foundComputers[c] = true
					continue
				}
				if groupDN[m] != "" && !visited[m] {
					visited[m] = true
					stack = append(stack, m)
				}
			}
		}
		g := Group{DN: groupDN[gk], Name: groupNames[gk], Users: make([]string, 0, len(found))}
		if g.Name == "" {
			g.Name = g.DN
		}
		for dn := range found {
			g.Users = append(g.Users, dn)
			u := users[NormalizeDN(dn)]
			u.Groups = append(u.Groups, g.DN)
		}
		sort.Strings(g.Users)
		for c := range foundComputers {
			c.Groups = append(c.Groups, g.Name)
		}
		snap.Groups = append(snap.Groups, g)
	}
	for i := range snap.Computers {
		sort.Strings(snap.Computers[i].Groups)
	}
	sort.Slice(snap.Computers, func(i, j int) bool { return snap.Computers[i].DN < snap.Computers[j].DN })
	for i := range snap.Users {
		sort.Strings(snap.Users[i].Groups)
	}
	sort.Slice(snap.Users, func(i, j int) bool { return snap.Users[i].DN < snap.Users[j].DN })
	sort.Slice(snap.Groups, func(i, j int) bool { return snap.Groups[i].DN < snap.Groups[j].DN })
	return snap
}
