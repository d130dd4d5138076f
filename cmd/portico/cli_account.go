package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strconv"
	"strings"

	"github.com/portico-dev/portico"
	apiclient "github.com/portico-dev/portico/client"
)

var accountFields = []column[portico.Account]{
	{"id", func(a portico.Account) string { return a.ID }},
	{"name", func(a portico.Account) string { return a.Name }},
	{"created_at", func(a portico.Account) string { return formatTime(&a.CreatedAt) }},
	{"require_2fa", func(a portico.Account) string { return yesNo(a.Settings.Require2FA) }},
	{"idle_timeout_minutes", func(a portico.Account) string { return strconv.Itoa(a.Settings.IdleTimeoutMinutes) }},
	{"installer_group_assignment", func(a portico.Account) string { return yesNo(a.Settings.InstallerGroupAssignment) }},
	{"managed_licences", func(a portico.Account) string { return strconv.Itoa(a.Settings.ManagedLicences) }},
	{"seat_limit", func(a portico.Account) string { return strconv.Itoa(a.Settings.SeatLimit) }},
	{"technician_display_name", func(a portico.Account) string { return a.Settings.TechnicianDisplayName }},
	{"password_min_length", func(a portico.Account) string { return strconv.Itoa(a.Settings.PasswordMinLength) }},
}

// accountSettingFlags are account update's flags for the account's settings, each named after its JSON field.
var accountSettingFlags = []string{"require-2fa", "idle-timeout-minutes", "installer-group-assignment", "managed-licences",
	"seat-limit", "technician-display-name", "password-min-length"}

func accountResource() resource {
	return resource{name: "account", summary: "The account: its name, settings and plan usage.", verbs: []verb{
		{name: "get", summary: "Show the account and its settings", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				a, err := c.api.GetAccount(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *a, accountFields)
			}
		}},
		{name: "update", summary: "Rename the account or change its settings (only the flags given change)", setup: func(fs *flag.FlagSet) action {
			fs.String("name", "", "the account's new name")
			fs.Bool("require-2fa", false, "require two-factor authentication of every user (--require-2fa=false: do not); a key's own user without it is then refused too")
			fs.Int("idle-timeout-minutes", 0, "sign portal sessions out after this much inactivity (3 to 1440)")
			fs.Bool("installer-group-assignment", false, "let enrollment tokens place devices straight into a device group")
			fs.Int("managed-licences", 0, "how many devices may be outside Unassigned at once (billing.manage)")
			fs.Int("seat-limit", 0, "how many active technicians besides the owner (billing.manage)")
			fs.String("technician-display-name", "", `the name shown at the agent instead of the technician's ("" shows their own)`)
			fs.Int("password-min-length", 0, "the shortest password allowed (8 to 128)")
			return func(ctx context.Context, c *cli, _ []string) error {
				in := apiclient.UpdateAccountRequest{Name: optional(fs, "name")}
				settingsGiven := false
				for _, name := range accountSettingFlags {
					settingsGiven = settingsGiven || flagGiven(fs, name)
				}
				if settingsGiven {
					// The API replaces the settings whole: start from the current ones.
					cur, err := c.api.GetAccount(ctx)
					if err != nil {
						return err
					}
					s := cur.Settings
					given(fs, "require-2fa", &s.Require2FA)
					given(fs, "idle-timeout-minutes", &s.IdleTimeoutMinutes)
					given(fs, "installer-group-assignment", &s.InstallerGroupAssignment)
					given(fs, "managed-licences", &s.ManagedLicences)
					given(fs, "seat-limit", &s.SeatLimit)
					given(fs, "technician-display-name", &s.TechnicianDisplayName)
					given(fs, "password-min-length", &s.PasswordMinLength)
					in.Settings = &s
				}
				if in.Name == nil && in.Settings == nil {
					return errors.New("nothing to change: give --name or a setting's flag (see --help)")
				}
				a, err := c.api.UpdateAccount(ctx, in)
				if err != nil {
					return err
				}
				return writeFields(c, *a, accountFields)
			}
		}},
		{name: "licences", summary: "Show the managed-device licences and technician seats in use and allowed", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				l, err := c.api.GetLicences(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *l, []column[apiclient.Licences]{
					{"managed_used", func(l apiclient.Licences) string { return strconv.Itoa(l.ManagedUsed) }},
					{"managed_limit", func(l apiclient.Licences) string { return strconv.Itoa(l.ManagedLimit) }},
					{"seats_used", func(l apiclient.Licences) string { return strconv.Itoa(l.SeatsUsed) }},
					{"seats_limit", func(l apiclient.Licences) string { return strconv.Itoa(l.SeatsLimit) }},
				})
			}
		}},
	}}
}

func meResource() resource {
	return resource{name: "me", summary: "The user the API key acts for.", verbs: []verb{
		{name: "get", summary: "Show the key's user, their account and their account-level permissions (narrowed by the key)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				me, err := c.api.GetMe(ctx)
				if err != nil {
					return err
				}
				if me.User == nil || me.Account == nil {
					return errors.New("the server's answer names no user or account")
				}
				return writeFields(c, *me, []column[apiclient.Me]{
					{"user.id", func(m apiclient.Me) string { return m.User.ID }},
					{"user.email", func(m apiclient.Me) string { return m.User.Email }},
					{"user.name", func(m apiclient.Me) string { return m.User.Name }},
					{"user.owner", func(m apiclient.Me) string { return yesNo(m.User.Owner) }},
					{"account.id", func(m apiclient.Me) string { return m.Account.ID }},
					{"account.name", func(m apiclient.Me) string { return m.Account.Name }},
					{"permissions", func(m apiclient.Me) string { return join(m.Permissions) }},
				})
			}
		}},
	}}
}

func permissionsResource() resource {
	return resource{name: "permissions", summary: "The permission catalogue: what roles and API keys may hold.", verbs: []verb{
		{name: "list", summary: "List every permission", setup: func(fs *flag.FlagSet) action {
			var l listFlags
			l.register(fs, 0)
			return func(ctx context.Context, c *cli, _ []string) error {
				items, err := collect(&l, c.api.AllPermissions(ctx, l.options()))
				if err != nil {
					return err
				}
				return writeList(c, items, []column[portico.PermissionInfo]{
					{"ID", func(p portico.PermissionInfo) string { return string(p.ID) }},
					{"CATEGORY", func(p portico.PermissionInfo) string { return string(p.Category) }},
					{"SCOPE", func(p portico.PermissionInfo) string { return string(p.Scope) }},
					{"TITLE", func(p portico.PermissionInfo) string { return p.Title }},
					{"GATED BY", func(p portico.PermissionInfo) string { return string(p.GatedBy) }},
				})
			}
		}},
	}}
}

var passwordPolicyFields = []column[apiclient.PasswordPolicy]{
	{"min_length", func(p apiclient.PasswordPolicy) string { return strconv.Itoa(p.MinLength) }},
	{"require_mix", func(p apiclient.PasswordPolicy) string { return yesNo(p.RequireMix) }},
}

func passwordPolicyResource() resource {
	return resource{name: "password-policy", summary: "What new passwords must be.", verbs: []verb{
		{name: "get", summary: "Show the password policy", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				p, err := c.api.GetPasswordPolicy(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *p, passwordPolicyFields)
			}
		}},
		{name: "set", summary: "Change the password policy (only the flags given change)", setup: func(fs *flag.FlagSet) action {
			fs.Int("min-length", 0, "the shortest password allowed (8 to 128)")
			fs.Bool("require-mix", false, "require at least one letter and one digit (--require-mix=false: do not)")
			return func(ctx context.Context, c *cli, _ []string) error {
				if !flagGiven(fs, "min-length") && !flagGiven(fs, "require-mix") {
					return errors.New("nothing to change: give --min-length or --require-mix")
				}
				p, err := c.api.GetPasswordPolicy(ctx) // the API replaces the policy whole
				if err != nil {
					return err
				}
				given(fs, "min-length", &p.MinLength)
				given(fs, "require-mix", &p.RequireMix)
				if p, err = c.api.SetPasswordPolicy(ctx, *p); err != nil {
					return err
				}
				return writeFields(c, *p, passwordPolicyFields)
			}
		}},
	}}
}

// writeAllowlist writes the IP allow list, then where the caller stands.
func writeAllowlist(c *cli, l *apiclient.IPAllowlist) error {
	if c.output == "json" {
		return c.writeJSON(l)
	}
	if err := writeList(c, l.Entries, []column[apiclient.IPAllowEntry]{
		{"CIDR", func(e apiclient.IPAllowEntry) string { return e.CIDR }},
		{"DESCRIPTION", func(e apiclient.IPAllowEntry) string { return e.Description }},
	}); err != nil {
		return err
	}
	if len(l.Entries) == 0 {
		fmt.Fprintln(c.stdout, "(empty: every address is allowed)")
	}
	status := "allowed"
	if !l.YourAddressAllowed {
		status = "NOT allowed: requests from it are refused"
	}
	_, err := fmt.Fprintf(c.stdout, "your address: %s (%s)\n", l.YourAddress, status)
	return err
}

func ipAllowlistResource() resource {
	return resource{name: "ip-allowlist", summary: "The networks people (portal and API, never agents) may reach the account from.", verbs: []verb{
		{name: "get", summary: "Show the IP allow list and your address as the server sees it", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				l, err := c.api.GetIPAllowlist(ctx)
				if err != nil {
					return err
				}
				return writeAllowlist(c, l)
			}
		}},
		{name: "set", args: "[CIDR[=DESCRIPTION]...]", summary: "Replace the IP allow list (none: every address is allowed)", setup: func(fs *flag.FlagSet) action {
			understand := fs.Bool("i-understand", false, "save a list that excludes your own address, locking this key (and you) out")
			return func(ctx context.Context, c *cli, args []string) error {
				in := apiclient.IPAllowlistUpdate{Entries: []apiclient.IPAllowEntry{}, IUnderstand: *understand}
				for _, a := range args {
					cidr, desc, _ := strings.Cut(a, "=") // a network never holds "="
					in.Entries = append(in.Entries, apiclient.IPAllowEntry{CIDR: strings.TrimSpace(cidr), Description: desc})
				}
				l, err := c.api.SetIPAllowlist(ctx, in)
				if err != nil {
					return err
				}
				return writeAllowlist(c, l)
			}
		}},
	}}
}

// maxLegalFile bounds a legal document read from a file; the server allows 20,000 characters.
const maxLegalFile = 256 << 10

var legalFields = []column[apiclient.Legal]{
	{"terms.version", func(l apiclient.Legal) string { return l.Terms.Version }},
	{"terms.url", func(l apiclient.Legal) string { return l.Terms.URL }},
	{"terms.text", func(l apiclient.Legal) string { return abbreviate(l.Terms.Text, 60) }},
	{"privacy.version", func(l apiclient.Legal) string { return l.Privacy.Version }},
	{"privacy.url", func(l apiclient.Legal) string { return l.Privacy.URL }},
	{"privacy.text", func(l apiclient.Legal) string { return abbreviate(l.Privacy.Text, 60) }},
	{"required", func(l apiclient.Legal) string { return yesNo(l.Required) }},
	{"accepted", func(l apiclient.Legal) string { return yesNo(l.Accepted) }},
	{"accepted_at", func(l apiclient.Legal) string { return formatTime(l.AcceptedAt) }},
}

// legalDocFlags are the flags of one legal document (terms or privacy).
type legalDocFlags struct {
	fs   *flag.FlagSet
	name string
}

func (d legalDocFlags) register(what string) {
	d.fs.String(d.name+"-version", "", "the version of "+what+" in force; a new one asks everyone to accept again (\"\": none, nothing to accept)")
	d.fs.String(d.name+"-text", "", "the text of "+what+" (instead of an address)")
	d.fs.String(d.name+"-text-file", "", "read the text of "+what+" from this file, - for standard input")
	d.fs.String(d.name+"-url", "", "the address of "+what+" on the web (instead of a text)")
}

// apply writes the flags given over doc: a text replaces an address and the other way round, and
// an empty version removes the document.
func (d legalDocFlags) apply(doc *apiclient.LegalDocument) error {
	if flagGiven(d.fs, d.name+"-text") && flagGiven(d.fs, d.name+"-text-file") {
		return fmt.Errorf("give --%[1]s-text or --%[1]s-text-file, not both", d.name)
	}
	given(d.fs, d.name+"-version", &doc.Version)
	if flagGiven(d.fs, d.name+"-text") || flagGiven(d.fs, d.name+"-text-file") || flagGiven(d.fs, d.name+"-url") {
		doc.Text, doc.URL = "", ""
	}
	given(d.fs, d.name+"-text", &doc.Text)
	given(d.fs, d.name+"-url", &doc.URL)
	if path := d.fs.Lookup(d.name + "-text-file").Value.String(); path != "" {
		b, err := readFileOrStdin(path, maxLegalFile)
		if err != nil {
			return fmt.Errorf("--%s-text-file: %w", d.name, err)
		}
		doc.Text = string(b)
	}
	if doc.Version == "" {
		*doc = apiclient.LegalDocument{}
	}
	doc.UpdatedAt = nil // the server's to set
	return nil
}

func legalResource() resource {
	return resource{name: "legal", summary: "The terms of service and privacy policy every user must accept.", verbs: []verb{
		{name: "get", summary: "Show the current legal documents and whether you accepted them", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				l, err := c.api.GetLegal(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *l, legalFields)
			}
		}},
		{name: "set", summary: "Set the legal documents (only the flags given change); a new version asks everyone, you too, to accept", setup: func(fs *flag.FlagSet) action {
			terms, privacy := legalDocFlags{fs, "terms"}, legalDocFlags{fs, "privacy"}
			terms.register("the terms of service")
			privacy.register("the privacy policy")
			return func(ctx context.Context, c *cli, _ []string) error {
				cur, err := c.api.GetLegal(ctx) // the API replaces both documents: start from the current ones
				if err != nil {
					return err
				}
				in := apiclient.LegalUpdate{Terms: cur.Terms, Privacy: cur.Privacy}
				if err := errors.Join(terms.apply(&in.Terms), privacy.apply(&in.Privacy)); err != nil {
					return err
				}
				l, err := c.api.SetLegal(ctx, in)
				if err != nil {
					return err
				}
				return writeFields(c, *l, legalFields)
			}
		}},
		{name: "accept", summary: "Accept the current legal documents as the key's user", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				l, err := c.api.AcceptLegal(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *l, legalFields)
			}
		}},
	}}
}

// maxLogoFile bounds the image read for upload-logo; the server allows 512 KiB and says so by name.
const maxLogoFile = 4 << 20

var brandingFields = []column[apiclient.Branding]{
	{"has_logo", func(b apiclient.Branding) string { return yesNo(b.HasLogo) }},
	{"media_type", func(b apiclient.Branding) string { return b.MediaType }},
	{"width", func(b apiclient.Branding) string { return strconv.Itoa(b.Width) }},
	{"height", func(b apiclient.Branding) string { return strconv.Itoa(b.Height) }},
	{"bytes", func(b apiclient.Branding) string { return strconv.Itoa(b.Bytes) }},
}

func brandingResource() resource {
	return resource{name: "branding", summary: "The portal's logo.", verbs: []verb{
		{name: "get", summary: "Show whether the account has a logo, and its type and size", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				b, err := c.api.GetBranding(ctx)
				if err != nil {
					return err
				}
				return writeFields(c, *b, brandingFields)
			}
		}},
		{name: "upload-logo", args: "FILE", summary: "Replace the logo with a PNG or JPEG image (at most 512 KiB and 1024×1024 px; - reads standard input)", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, args []string) error {
				img, err := readFileOrStdin(args[0], maxLogoFile)
				if err != nil {
					return err
				}
				b, err := c.api.UploadLogo(ctx, img)
				if err != nil {
					return err
				}
				return writeFields(c, *b, brandingFields)
			}
		}},
		{name: "delete-logo", summary: "Remove the logo", setup: func(fs *flag.FlagSet) action {
			return func(ctx context.Context, c *cli, _ []string) error {
				if err := c.api.DeleteLogo(ctx); err != nil {
					return err
				}
				return c.done("deleted the logo")
			}
		}},
	}}
}
