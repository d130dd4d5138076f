package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"time"

	apiclient "github.com/portico-dev/portico/client"
)

// maxMetadataFile bounds the IdP metadata read from a file; real documents are a few KiB.
const maxMetadataFile = 1 << 20

var ssoFields = []column[apiclient.SSOSettings]{
	{"enabled", func(s apiclient.SSOSettings) string { return yesNo(s.Enabled) }},
	{"idp_metadata_url", func(s apiclient.SSOSettings) string { return s.IdPMetadataURL }},
	{"idp_entity_id", func(s apiclient.SSOSettings) string { return s.IdPEntityID }},
	{"email_attribute", func(s apiclient.SSOSettings) string { return s.EmailAttribute }},
	{"enforce", func(s apiclient.SSOSettings) string { return yesNo(s.Enforce) }},
	{"create_users", func(s apiclient.SSOSettings) string { return yesNo(s.CreateUsers) }},
	{"sp_entity_id", func(s apiclient.SSOSettings) string { return s.SPEntityID }},
	{"acs_url", func(s apiclient.SSOSettings) string { return s.ACSURL }},
	{"login_url", func(s apiclient.SSOSettings) string { return s.LoginURL }},
	{"updated_at", func(s apiclient.SSOSettings) string { return formatTime(s.UpdatedAt) }},
}

func ssoResource() resource {
	return resource{name: "sso", summary: "SAML single sign-on: the identity provider people may sign in through.", verbs: []verb{
		{name: "get", summary: "Show the SSO configuration and the service provider's URLs to give the identity provider", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				s, err := c.api.GetSSO(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *s, ssoFields)
			}
		}},
		{name: "set", summary: "Configure SSO (only the flags given change; kept metadata from a URL is fetched again); needs every permission", setup: func(fs *flag.FlagSet) action {
			fs.Bool("enabled", false, "let people sign in through the identity provider (--enabled=false: do not)")
			fs.String("idp-metadata-url", "", "fetch the identity provider's metadata from this URL")
			xmlFile := fs.String("idp-metadata-xml-file", "", "read the identity provider's metadata XML from this file, - for standard input")
			fs.String("email-attribute", "", `the assertion attribute holding the email ("": the NameID)`)
			fs.Bool("enforce", false, "refuse password sign-in to everyone but the owner")
			fs.Bool("create-users", false, "create a technician for an unknown email, within the seat limit")
			return func(ctx context.Context, c *cli, _ []string) error {
				if flagGiven(fs, "idp-metadata-url") && *xmlFile != "" {
					return errors.New("give --idp-metadata-url or --idp-metadata-xml-file, not both")
				}
				cur, err := c.api.GetSSO(ctx) // the API replaces the configuration whole
				if err != nil {
					return err
				}
				in := apiclient.SSOConfig{Enabled: cur.Enabled, IdPMetadataURL: cur.IdPMetadataURL, IdPMetadataXML: cur.IdPMetadataXML,
					EmailAttribute: cur.EmailAttribute, Enforce: cur.Enforce, CreateUsers: cur.CreateUsers}
				if cur.IdPMetadataURL != "" {
					in.IdPMetadataXML = "" // the server fetches the URL again, as the portal's form does
				}
				given(fs, "enabled", &in.Enabled)
				given(fs, "email-attribute", &in.EmailAttribute)
				given(fs, "enforce", &in.Enforce)
				given(fs, "create-users", &in.CreateUsers)
				if flagGiven(fs, "idp-metadata-url") {
					in.IdPMetadataURL, in.IdPMetadataXML = fs.Lookup("idp-metadata-url").Value.String(), ""
				}
				if *xmlFile != "" {
					b, err := readFileOrStdin(*xmlFile, maxMetadataFile)
					if err != nil {
						return fmt.Errorf("--idp-metadata-xml-file: %w", err)
					}
					in.IdPMetadataURL, in.IdPMetadataXML = "", string(b)
				}
				s, err := c.api.PutSSO(ctx, in)
				if err != nil {
					return err
				}
				return writeFields(c, *s, ssoFields)
			}
		}},
	}}
}

var directoryFields = []column[apiclient.DirectorySettings]{
	{"configured", func(d apiclient.DirectorySettings) string { return yesNo(d.Configured) }},
	{"kind", func(d apiclient.DirectorySettings) string { return d.Kind }},
	{"url", func(d apiclient.DirectorySettings) string { return d.URL }},
	{"start_tls", func(d apiclient.DirectorySettings) string { return yesNo(d.StartTLS) }},
	{"insecure_skip_verify", func(d apiclient.DirectorySettings) string { return yesNo(d.InsecureSkipVerify) }},
	{"bind_dn", func(d apiclient.DirectorySettings) string { return d.BindDN }},
	{"bind_password_set", func(d apiclient.DirectorySettings) string { return yesNo(d.BindPasswordSet) }},
	{"base_dn", func(d apiclient.DirectorySettings) string { return d.BaseDN }},
	{"user_filter", func(d apiclient.DirectorySettings) string { return d.UserFilter }},
	{"group_filter", func(d apiclient.DirectorySettings) string { return d.GroupFilter }},
	{"login_attr", func(d apiclient.DirectorySettings) string { return d.LoginAttr }},
	{"email_attr", func(d apiclient.DirectorySettings) string { return d.EmailAttr }},
	{"name_attr", func(d apiclient.DirectorySettings) string { return d.NameAttr }},
	{"group_name_attr", func(d apiclient.DirectorySettings) string { return d.GroupNameAttr }},
	{"member_attr", func(d apiclient.DirectorySettings) string { return d.MemberAttr }},
	{"page_size", func(d apiclient.DirectorySettings) string { return strconv.Itoa(d.PageSize) }},
}

var directoryJobColumns = []column[apiclient.DirectoryJob]{
	{"ID", func(j apiclient.DirectoryJob) string { return j.ID }},
	{"STATE", func(j apiclient.DirectoryJob) string { return j.State }},
	{"PHASE", func(j apiclient.DirectoryJob) string { return j.Phase }},
	{"PROCESSED", func(j apiclient.DirectoryJob) string { return strconv.Itoa(j.Processed) + "/" + strconv.Itoa(j.Total) }},
	{"STARTED", func(j apiclient.DirectoryJob) string { return formatTime(&j.CreatedAt) }},
	{"ERROR", func(j apiclient.DirectoryJob) string { return j.Error }},
}

// directoryJobPoll is how often `directory import --wait` asks about the job.
const directoryJobPoll = 500 * time.Millisecond

// waitDirectoryJob polls a job until it is no longer running.
func waitDirectoryJob(ctx context.Context, c *cli, job *apiclient.DirectoryJob) (*apiclient.DirectoryJob, error) {
	t := time.NewTicker(directoryJobPoll)
	defer t.Stop()
	for job.State == "running" {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for import %s: %w", job.ID, ctx.Err())
		case <-t.C:
		}
		var err error
		if job, err = c.api.GetDirectoryJob(ctx, job.ID); err != nil {
			return nil, err
		}
	}
	return job, nil
}

func directoryResource() resource {
	return resource{name: "directory", summary: "Importing users and groups from LDAP or Active Directory.", verbs: []verb{
		{name: "get", summary: "Show the directory configuration (never the bind password)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				d, err := c.api.GetDirectory(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *d, directoryFields)
			}
		}},
		{name: "set", summary: "Configure the directory (only the flags given change; the first time, --url and --base-dn are required)", setup: func(fs *flag.FlagSet) action {
			fs.String("kind", "", "openldap or active_directory (default openldap)")
			fs.String("url", "", "ldap://HOST[:PORT] or ldaps://HOST[:PORT]")
			fs.Bool("start-tls", false, "upgrade an ldap:// connection with StartTLS")
			fs.Bool("insecure-skip-verify", false, "accept any TLS certificate (testing only)")
			fs.String("bind-dn", "", "the DN to bind as")
			pwFile := fs.String("bind-password-file", "", "a file holding the bind password, - for standard input (default: keep the stored one)")
			fs.String("base-dn", "", "where users and groups are searched")
			fs.String("user-filter", "", "the LDAP filter of users")
			fs.String("group-filter", "", "the LDAP filter of groups")
			fs.String("login-attr", "", "the attribute of a user's login")
			fs.String("email-attr", "", "the attribute of a user's email")
			fs.String("name-attr", "", "the attribute of a user's name")
			fs.String("group-name-attr", "", "the attribute of a group's name")
			fs.String("member-attr", "", "the attribute of a group's members")
			fs.Int("page-size", 0, "entries per LDAP page (1 to 10000)")
			return func(ctx context.Context, c *cli, _ []string) error {
				cur, err := c.api.GetDirectory(ctx) // the API replaces the configuration whole
				if err != nil {
					return err
				}
				var in apiclient.DirectoryConfig
				if cur.Configured {
					in = apiclient.DirectoryConfig{Kind: cur.Kind, URL: cur.URL, StartTLS: cur.StartTLS,
						InsecureSkipVerify: cur.InsecureSkipVerify, BindDN: cur.BindDN, BaseDN: cur.BaseDN,
						UserFilter: cur.UserFilter, GroupFilter: cur.GroupFilter, LoginAttr: cur.LoginAttr,
						EmailAttr: cur.EmailAttr, NameAttr: cur.NameAttr, GroupNameAttr: cur.GroupNameAttr,
						MemberAttr: cur.MemberAttr, PageSize: cur.PageSize}
				}
				for name, dst := range map[string]*string{"kind": &in.Kind, "url": &in.URL, "bind-dn": &in.BindDN,
					"base-dn": &in.BaseDN, "user-filter": &in.UserFilter, "group-filter": &in.GroupFilter,
					"login-attr": &in.LoginAttr, "email-attr": &in.EmailAttr, "name-attr": &in.NameAttr,
					"group-name-attr": &in.GroupNameAttr, "member-attr": &in.MemberAttr} {
					given(fs, name, dst)
				}
				given(fs, "start-tls", &in.StartTLS)
				given(fs, "insecure-skip-verify", &in.InsecureSkipVerify)
				given(fs, "page-size", &in.PageSize)
				if *pwFile != "" {
					pw, err := readSecretFile(*pwFile)
					if err != nil {
						return err
					}
					in.BindPassword = &pw
				}
				d, err := c.api.PutDirectory(ctx, in)
				if err != nil {
					return err
				}
				return writeFields(c, *d, directoryFields)
			}
		}},
		{name: "preview", summary: "Read the directory and tell what an import would do, changing nothing", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				p, err := c.api.PreviewDirectory(ctx)
				if err != nil {
					return err
				}
				count := func(n int) string { return strconv.Itoa(n) }
				return writeFields(c, *p, []column[apiclient.DirectoryPlan]{
					{"users_create", func(p apiclient.DirectoryPlan) string { return count(p.UsersCreate) }},
					{"users_update", func(p apiclient.DirectoryPlan) string { return count(p.UsersUpdate) }},
					{"users_unchanged", func(p apiclient.DirectoryPlan) string { return count(p.UsersUnchanged) }},
					{"groups_create", func(p apiclient.DirectoryPlan) string { return count(p.GroupsCreate) }},
					{"groups_update", func(p apiclient.DirectoryPlan) string { return count(p.GroupsUpdate) }},
					{"groups_unchanged", func(p apiclient.DirectoryPlan) string { return count(p.GroupsUnchanged) }},
					{"memberships_add", func(p apiclient.DirectoryPlan) string { return count(p.MembersAdd) }},
					{"memberships_remove", func(p apiclient.DirectoryPlan) string { return count(p.MembersRemove) }},
					{"seats_free", func(p apiclient.DirectoryPlan) string { return count(p.SeatsFree) }},
					{"beyond_seats", func(p apiclient.DirectoryPlan) string { return count(p.BeyondSeats) }},
					{"removed", func(p apiclient.DirectoryPlan) string { return count(len(p.Removed)) }},
					{"skipped", func(p apiclient.DirectoryPlan) string { return count(len(p.Skipped)) }},
				})
			}
		}},
		{name: "import", summary: "Start importing the directory's users (invited) and groups; --wait follows the job to its end", setup: func(fs *flag.FlagSet) action {
			wait := fs.Bool("wait", false, "wait until the import ends, and fail if it failed")
			return func(ctx context.Context, c *cli, _ []string) error {
				job, err := c.api.ImportDirectory(ctx)
				if err != nil {
					return err
				}
				if !*wait {
					return writeOne(c, *job, directoryJobColumns)
				}
				if job, err = waitDirectoryJob(ctx, c, job); err != nil {
					return err
				}
				if err := writeOne(c, *job, directoryJobColumns); err != nil {
					return err
				}
				if job.State == "failed" { // so that a script waiting for the import learns it failed
					return fmt.Errorf("import %s failed: %s", job.ID, job.Error)
				}
				return nil
			}
		}},
		{name: "job", args: "ID", summary: "Show an import job: its progress, then its result (the full result with --output json)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				job, err := c.api.GetDirectoryJob(ctx, args[0])
				if err != nil {
					return err
				}
				return writeOne(c, *job, directoryJobColumns)
			}
		}},
	}}
}
