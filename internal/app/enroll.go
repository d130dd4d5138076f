package app

import (
	"context"
	"fmt"
	"net/netip"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// EnrollInput is what an agent sends to enroll its device. Name defaults to the hostname.
type EnrollInput struct {
	Token        string
	Hostname     string
	Name         string
	OSName       string
	OSVersion    string
	DeviceType   string
	Manufacturer string
	AssetID      string
	AgentVersion string
	LoggedInUser string
	IPAddresses  []string
	SourceIP     string
}

// maxIPAddresses bounds the addresses an agent may report.
const maxIPAddresses = 64

// dummyCredentialHash is compared against when no device matches, so that an unknown device id takes
// as long to refuse as a wrong credential.
var dummyCredentialHash = portico.HashSecret("portico-no-such-device")

// installerTarget is where installers.access is needed for a token of the group (account-wide when
// groupID is empty).
func installerTarget(groupID string) authz.Target {
	if groupID == "" {
		return authz.Account()
	}
	return authz.Group(groupID)
}

// CreateEnrollmentToken creates an enrollment token, account-wide or bound to a device group
// (installers.access there, or at account level). The secret is returned once; only its hash is kept.
// A group-bound token places devices in its group only while installer group assignment is on.
func (a *App) CreateEnrollmentToken(ctx context.Context, ac *Actor, groupID string) (*portico.EnrollmentToken, string, error) {
	if groupID == portico.UnassignedGroupID {
		groupID = "" // devices land in Unassigned anyway
	}
	if err := a.authorize(ctx, ac, portico.ActionEnrollmentTokenCreate, portico.PermInstallersAccess, installerTarget(groupID)); err != nil {
		if portico.IsKind(err, portico.KindNotFound) && groupID != "" {
			return nil, "", missingField("device_group_id", "no such device group")
		}
		return nil, "", err
	}
	secret := portico.NewSecret("enr")
	t := &portico.EnrollmentToken{ID: portico.NewID("enr"), AccountID: ac.AccountID, GroupID: groupID,
		CreatedAt: a.now(), CreatedBy: ac.UserID, Hash: portico.HashSecret(secret)}
	if t.CreatedBy == "" {
		t.CreatedBy = ac.Name
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if groupID != "" {
			if _, err := tx.GetDeviceGroup(ctx, ac.AccountID, groupID); err != nil {
				if portico.IsKind(err, portico.KindNotFound) {
					return nil, missingField("device_group_id", "no such device group")
				}
				return nil, err
			}
		}
		if err := tx.CreateEnrollmentToken(ctx, t); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionEnrollmentTokenCreate, targetType: "enrollment_token", targetID: t.ID,
			detail: pick(groupID == "", "account-wide", "device group "+groupID)}, nil
	})
	if err != nil {
		return nil, "", portico.WithOp("create enrollment token", err)
	}
	return t, secret, nil
}

// ListEnrollmentTokens lists the enrollment tokens the actor may use: all of them with
// installers.access at account level, otherwise those of the groups where they hold it.
func (a *App) ListEnrollmentTokens(ctx context.Context, ac *Actor) ([]portico.EnrollmentToken, error) {
	all, err := a.store.ListEnrollmentTokens(ctx, ac.AccountID)
	if err != nil {
		return nil, fmt.Errorf("list enrollment tokens: %w", err)
	}
	if a.can(ctx, ac, portico.PermInstallersAccess, authz.Account()) {
		return all, nil
	}
	out := make([]portico.EnrollmentToken, 0, len(all))
	for _, t := range all {
		if t.GroupID != "" && a.can(ctx, ac, portico.PermInstallersAccess, authz.Group(t.GroupID)) {
			out = append(out, t)
		}
	}
	return out, nil
}

// RevokeEnrollmentToken revokes a token; agents can no longer enroll with it (installers.access
// where the token applies).
func (a *App) RevokeEnrollmentToken(ctx context.Context, ac *Actor, id string) error {
	tokens, err := a.store.ListEnrollmentTokens(ctx, ac.AccountID)
	if err != nil {
		return fmt.Errorf("revoke enrollment token: %w", err)
	}
	var tok *portico.EnrollmentToken
	for i := range tokens {
		if tokens[i].ID == id {
			tok = &tokens[i]
		}
	}
	if tok == nil {
		ac.MarkDecided() // not in the actor's account: nothing to decide
		return portico.NotFound("enrollment token")
	}
	target := installerTarget(tok.GroupID)
	if tok.GroupID != "" && a.can(ctx, ac, portico.PermInstallersAccess, authz.Account()) {
		target = authz.Account()
	}
	if err := a.authorize(ctx, ac, portico.ActionEnrollmentTokenRevoke, portico.PermInstallersAccess, target); err != nil {
		return err
	}
	if tok.RevokedAt != nil {
		return nil
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.RevokeEnrollmentToken(ctx, ac.AccountID, id, a.now()); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionEnrollmentTokenRevoke, targetType: "enrollment_token", targetID: id}, nil
	})
	return portico.WithOp("revoke enrollment token", err)
}

// validateAgentText checks an optional text reported by an agent.
func validateAgentText(v *portico.Validation, field, s string, max int) {
	switch {
	case !utf8.ValidString(s):
		v.Add(field, "must be valid UTF-8")
	case utf8.RuneCountInString(s) > max:
		v.Add(field, "must be at most %d characters (got %d)", max, utf8.RuneCountInString(s))
	case strings.ContainsFunc(s, unicode.IsControl):
		v.Add(field, "must not contain control characters")
	}
}

// validateEnrollInput checks what the agent reports and returns the device's display name.
func validateEnrollInput(in *EnrollInput) error {
	var v portico.Validation
	in.Name = strings.TrimSpace(in.Name)
	validateAgentFacts(&v, &in.Hostname, []agentText{{"os_name", in.OSName}, {"os_version", in.OSVersion},
		{"device_type", in.DeviceType}, {"manufacturer", in.Manufacturer}, {"asset_id", in.AssetID},
		{"agent_version", in.AgentVersion}, {"logged_in_user", in.LoggedInUser}}, in.IPAddresses)
	if in.Name == "" && len(v.Fields) == 0 {
		in.Name = in.Hostname
		if r := []rune(in.Name); len(r) > 100 {
			in.Name = string(r[:100]) // a long FQDN still makes a usable display name
		}
	}
	if in.Name != "" {
		d := portico.Device{Name: in.Name}
		d.ValidateEdit(&v)
	}
	return v.Err()
}

// agentText is one text field an agent reports, with its name for error messages.
type agentText struct{ field, value string }

// validateAgentFacts checks what an agent says about its device, at enrollment and in every
// inventory: a hostname without spaces, bounded printable texts, at most maxIPAddresses addresses.
// It trims the hostname and writes the addresses back in canonical form.
func validateAgentFacts(v *portico.Validation, hostname *string, texts []agentText, ips []string) {
	*hostname = strings.TrimSpace(*hostname)
	switch {
	case *hostname == "":
		v.Add("hostname", "is required")
	case strings.ContainsFunc(*hostname, unicode.IsSpace):
		v.Add("hostname", "must not contain spaces")
	default:
		validateAgentText(v, "hostname", *hostname, 253)
	}
	for _, t := range texts {
		validateAgentText(v, t.field, t.value, 250)
	}
	if len(ips) > maxIPAddresses {
		v.Add("ip_addresses", "must list at most %d addresses (got %d)", maxIPAddresses, len(ips))
		return
	}
	for i, ip := range ips {
		addr, err := netip.ParseAddr(strings.TrimSpace(ip))
		if err != nil {
			v.Add("ip_addresses["+itoa(i)+"]", "%q is not an IP address", ip)
			continue
		}
		ips[i] = addr.String()
	}
}

// Enroll creates the device of an agent that presents a valid enrollment token, and returns its id
// and the credential it authenticates with from then on (shown once; only its hash is kept). The
// device lands in Unassigned or — when the account's installer group assignment is on and the token
// names a group — in that group, licence permitting. A device left in Unassigned then gets its one run
// of the assignment rules.
func (a *App) Enroll(ctx context.Context, in EnrollInput) (string, string, error) {
	unauth := portico.Errorf(portico.KindUnauthenticated, "invalid enrollment token")
	if in.Token == "" {
		return "", "", unauth
	}
	tok, err := a.store.GetEnrollmentTokenByHash(ctx, portico.HashSecret(in.Token))
	if err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return "", "", unauth
		}
		return "", "", fmt.Errorf("enroll: %w", err)
	}
	if tok.RevokedAt != nil {
		return "", "", portico.Errorf(portico.KindUnauthenticated, "this enrollment token has been revoked")
	}
	if err := validateEnrollInput(&in); err != nil {
		return "", "", portico.WithOp("enroll", err)
	}
	now := a.now()
	credential := portico.NewSecret("agc")
	ips := make([]string, 0, len(in.IPAddresses))
	for _, ip := range in.IPAddresses {
		addr, _ := netip.ParseAddr(strings.TrimSpace(ip))
		ips = append(ips, addr.String())
	}
	d := &portico.Device{ID: portico.NewID("dev"), AccountID: tok.AccountID, GroupID: portico.UnassignedGroupID,
		Name: in.Name, Hostname: in.Hostname, IPAddresses: ips, LoggedInUser: in.LoggedInUser, OSName: in.OSName,
		OSVersion: in.OSVersion, DeviceType: in.DeviceType, Manufacturer: in.Manufacturer, AssetID: in.AssetID,
		AgentVersion: in.AgentVersion, Status: portico.DeviceUnavailable, CreatedAt: now,
		CredentialHash: portico.HashSecret(credential)}
	ac := &Actor{Kind: ActorAgent, AccountID: tok.AccountID, DeviceID: d.ID, Name: d.Name, SourceIP: in.SourceIP}
	ac.MarkDecided() // the token is the authorization
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		acc, err := tx.GetAccount(ctx, tok.AccountID)
		if err != nil {
			return nil, err
		}
		placed := "Unassigned"
		var note string
		if acc.Settings.InstallerGroupAssignment && tok.GroupID != "" {
			g, err := tx.GetDeviceGroup(ctx, acc.ID, tok.GroupID)
			switch {
			case portico.IsKind(err, portico.KindNotFound):
				note = "; the token's device group no longer exists"
			case err != nil:
				return nil, err
			default:
				used, err := tx.CountLicensedDevices(ctx, acc.ID)
				if err != nil {
					return nil, err
				}
				if used < acc.Settings.ManagedLicences {
					// Installed straight into a group: it holds a licence from the start and never left
					// Unassigned, so no 90-day lockout; it counts as assigned, so rules leave it alone.
					d.GroupID, d.RuleApplied, placed = g.ID, true, fmt.Sprintf("%q", g.Name)
				} else {
					note = fmt.Sprintf("; no managed-agent licence free for device group %q", g.Name)
				}
			}
		}
		if err := tx.CreateDevice(ctx, d); err != nil {
			return nil, err
		}
		detail := "into " + placed + " with enrollment token " + tok.ID + note
		if err := tx.AddHistory(ctx, a.historyEntry(ac, d, "enrolled", detail)); err != nil {
			return nil, err
		}
		res, err := a.applyRulesToDevice(ctx, tx, acc, d)
		if err != nil {
			return nil, err
		}
		if res.Moved {
			detail += fmt.Sprintf("; moved by rule %q", res.Rule.Name)
		}
		n := deviceNode(d)
		return &change{action: portico.ActionDeviceEnroll, targetType: "device", targetID: d.ID, detail: d.Name + " " + detail,
			edits: []authz.Change{{UpsertDevice: &n}}}, nil
	})
	if err != nil {
		return "", "", portico.WithOp("enroll", err)
	}
	return d.ID, credential, nil
}

// AuthenticateAgent resolves a device id and credential to the agent's actor. A wrong credential and
// an unknown device get the same answer, in the same time.
func (a *App) AuthenticateAgent(ctx context.Context, deviceID, credential, sourceIP string) (*Actor, error) {
	unauth := portico.Errorf(portico.KindUnauthenticated, "invalid agent credential")
	d, err := a.store.GetDeviceAnyAccount(ctx, deviceID)
	if err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			portico.SecretMatches(credential, dummyCredentialHash)
			return nil, unauth
		}
		return nil, fmt.Errorf("authenticate agent: %w", err)
	}
	if d.CredentialHash == "" || !portico.SecretMatches(credential, d.CredentialHash) {
		return nil, unauth
	}
	authenticated(ctx)
	return &Actor{Kind: ActorAgent, AccountID: d.AccountID, DeviceID: d.ID, Name: d.Name, SourceIP: sourceIP}, nil
}
