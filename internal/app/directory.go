package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/directory"
	"github.com/portico-dev/portico/internal/store"
)

// DirectorySettings is an account's directory configuration as the API and portal show it: every
// setting except the bind password, of which only its presence is told.
type DirectorySettings struct {
	directory.Config
	BindPasswordSet bool `json:"bind_password_set"`
	// Configured is false until a configuration has been saved.
	Configured bool `json:"configured"`
}

// DirectoryInput is the input of SetDirectoryConfig. A nil BindPassword keeps the stored one.
type DirectoryInput struct {
	directory.Config
	BindPassword *string
}

// authorizeDirectory checks both permissions that configuring and importing need: imported users are
// invited (users.invite) and imported groups are user groups (user_groups.manage).
func (a *App) authorizeDirectory(ctx context.Context, ac *Actor, action portico.AuditAction) error {
	if err := a.authorize(ctx, ac, action, portico.PermUsersInvite, authz.Account()); err != nil {
		return err
	}
	return a.authorize(ctx, ac, action, portico.PermUserGroupsManage, authz.Account())
}

// GetDirectoryConfig returns the account's directory configuration (users.invite and
// user_groups.manage); an account without one gets the OpenLDAP defaults, not configured.
func (a *App) GetDirectoryConfig(ctx context.Context, ac *Actor) (*DirectorySettings, error) {
	if err := a.authorizeDirectory(ctx, ac, portico.ActionDirectoryView); err != nil {
		return nil, err
	}
	// The password is not opened: the settings must show even when it cannot be (another server
	// key), so that it can be entered again.
	sc, err := a.store.GetDirectoryConfig(ctx, ac.AccountID)
	if portico.IsKind(err, portico.KindNotFound) {
		c := directory.Config{Kind: directory.KindOpenLDAP}.WithDefaults()
		return &DirectorySettings{Config: c}, nil
	}
	if err != nil {
		return nil, err
	}
	cfg, err := decodeDirectoryConfig(sc)
	if err != nil {
		return nil, err
	}
	return &DirectorySettings{Config: cfg.WithDefaults(), BindPasswordSet: sc.BindPassword != "", Configured: true}, nil
}

func decodeDirectoryConfig(sc *store.DirectoryConfig) (directory.Config, error) {
	var cfg directory.Config
	if err := json.Unmarshal(sc.Config, &cfg); err != nil {
		return directory.Config{}, fmt.Errorf("stored directory config: %w", err)
	}
	return cfg, nil
}

func (a *App) loadDirectoryConfig(ctx context.Context, accountID string) (directory.Config, string, error) {
	sc, err := a.store.GetDirectoryConfig(ctx, accountID)
	if err != nil {
		return directory.Config{}, "", err
	}
	cfg, err := decodeDirectoryConfig(sc)
	if err != nil {
		return directory.Config{}, "", err
	}
	pw, err := a.openBindPassword(accountID, sc.BindPassword)
	if err != nil {
		return directory.Config{}, "", err
	}
	cfg.BindPassword = pw
	cfg.AllowLocal = a.AllowLocalDirectory
	return cfg.WithDefaults(), pw, nil
}

// The directory's bind password must be readable by the server (it binds with it), so it cannot be
// hashed. Like TOTP secrets it is sealed with the server key (see LoadSealKey), bound to its
// account, so that a copy of the database does not give away a directory account. A server without
// the key stores it as it is, as do rows written before sealing: those are sealed the next time the
// settings are saved.

// sealedBindPassword prefixes a sealed bind password in the store.
const sealedBindPassword = "sealed:"

// bindPasswordBinding is the additional data a bind password is sealed with: a sealed password
// copied onto another account's row does not open.
func bindPasswordBinding(accountID string) string { return "directory-bind-password:" + accountID }

func (a *App) sealBindPassword(accountID, pw string) (string, error) {
	if pw == "" || a.twoFactor.Load() == nil {
		return pw, nil
	}
	sealed, err := a.sealSecret(bindPasswordBinding(accountID), pw)
	if err != nil {
		return "", fmt.Errorf("seal the directory bind password: %w", err)
	}
	return sealedBindPassword + sealed, nil
}

func (a *App) openBindPassword(accountID, stored string) (string, error) {
	sealed, ok := strings.CutPrefix(stored, sealedBindPassword)
	if !ok {
		return stored, nil
	}
	pw, err := a.openSecret(bindPasswordBinding(accountID), sealed)
	if err != nil {
		msg := "the stored bind password cannot be opened with this server's key: enter it again"
		return "", &portico.Error{Kind: portico.KindConflict, Message: msg,
			Fields: []portico.FieldError{{Field: "bind_password", Message: msg}}}
	}
	return pw, nil
}

// SetDirectoryConfig validates and stores the account's directory configuration (users.invite and
// user_groups.manage). It does not contact the directory: Preview does.
func (a *App) SetDirectoryConfig(ctx context.Context, ac *Actor, in DirectoryInput) (*DirectorySettings, error) {
	if err := a.authorizeDirectory(ctx, ac, portico.ActionDirectoryConfigure); err != nil {
		return nil, err
	}
	cfg := in.Config
	cfg.URL, cfg.BaseDN, cfg.BindDN = strings.TrimSpace(cfg.URL), strings.TrimSpace(cfg.BaseDN), strings.TrimSpace(cfg.BindDN)
	if err := validate(func(v *portico.Validation) {
		for _, f := range sortedKeys(cfg.Problems()) {
			v.Add(f, "%s", cfg.Problems()[f])
		}
		if in.BindPassword != nil && len(*in.BindPassword) > 1024 {
			v.Add("bind_password", "must be at most 1024 bytes")
		}
	}); err != nil {
		return nil, err
	}
	cfg = cfg.WithDefaults()
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		pw := ""
		if in.BindPassword != nil {
			pw = *in.BindPassword
		} else if old, err := tx.GetDirectoryConfig(ctx, ac.AccountID); err == nil {
			if pw, err = a.openBindPassword(ac.AccountID, old.BindPassword); err != nil {
				return nil, err
			}
		} else if !portico.IsKind(err, portico.KindNotFound) {
			return nil, err
		}
		stored, err := a.sealBindPassword(ac.AccountID, pw)
		if err != nil {
			return nil, err
		}
		raw, err := json.Marshal(cfg) // the password is not part of it (json:"-")
		if err != nil {
			return nil, fmt.Errorf("encode directory config: %w", err)
		}
		if err := tx.SetDirectoryConfig(ctx, &store.DirectoryConfig{AccountID: ac.AccountID, Config: raw, BindPassword: stored, UpdatedAt: a.now()}); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionDirectoryConfigure, targetType: "account", targetID: ac.AccountID,
			detail: cfg.URL + " " + cfg.BaseDN}, nil
	})
	if err != nil {
		return nil, err
	}
	return a.GetDirectoryConfig(ctx, ac)
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// DirectoryPlanItem is one line of a preview's sample.
type DirectoryPlanItem struct {
	// Action is create, update, link (an existing user or group matched by email or name), or unchanged.
	Action string `json:"action"`
	// Kind is user or group.
	Kind  string `json:"kind"`
	DN    string `json:"dn"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	// Members is a group's member count after the import.
	Members int `json:"members,omitempty"`
}

// DirectorySkip is a directory entry left out, and why.
type DirectorySkip struct {
	DN     string `json:"dn"`
	Reason string `json:"reason"`
}

// DirectoryPlan is what an import would do (Preview) or did (the result of a job).
type DirectoryPlan struct {
	UsersCreate    int `json:"users_create"`
	UsersUpdate    int `json:"users_update"`
	UsersUnchanged int `json:"users_unchanged"`
	GroupsCreate   int `json:"groups_create"`
	GroupsUpdate   int `json:"groups_update"`
	GroupsUnchange int `json:"groups_unchanged"`
	MembersAdd     int `json:"memberships_add"`
	MembersRemove  int `json:"memberships_remove"`
	// SeatsFree is the plan's free seats. Imported users are invited: they take a seat when they
	// complete registration, and those beyond the limit are then disabled by it (BeyondSeats counts them).
	SeatsFree   int `json:"seats_free"`
	BeyondSeats int `json:"beyond_seats"`
	// Removed are users imported earlier whose entry is no longer in the directory. They are reported,
	// never deleted.
	Removed []DirectoryPlanItem `json:"removed"`
	Skipped []DirectorySkip     `json:"skipped"`
	// Sample is the first changes, up to DirectorySampleSize.
	Sample []DirectoryPlanItem `json:"sample"`

	users  []plannedUser
	groups []plannedGroup
}

// DirectorySampleSize bounds a plan's sample.
const DirectorySampleSize = 50

type plannedUser struct {
	dir    directory.User
	key    string
	id     string // existing user, or "" to create
	action string
	linked bool // already linked to this DN
	email  string
	name   string
}

type plannedGroup struct {
	dir     directory.Group
	key     string
	id      string
	action  string
	linked  bool
	name    string
	current []string // current members
}

// PreviewDirectory reads the directory and returns what an import would create, update and report
// (users.invite and user_groups.manage). It changes nothing.
func (a *App) PreviewDirectory(ctx context.Context, ac *Actor) (*DirectoryPlan, error) {
	if err := a.authorizeDirectory(ctx, ac, portico.ActionDirectoryPreview); err != nil {
		return nil, err
	}
	cfg, _, err := a.loadDirectoryConfig(ctx, ac.AccountID)
	if portico.IsKind(err, portico.KindNotFound) {
		return nil, portico.Errorf(portico.KindConflict, "configure the directory first")
	}
	if err != nil {
		return nil, err
	}
	snap, err := directory.Fetch(ctx, cfg, nil)
	if err != nil {
		return nil, directoryError(err)
	}
	return a.planDirectory(ctx, ac.AccountID, snap)
}

// directoryError turns a failure to reach or read the directory into an error the caller can act on.
func directoryError(err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if errors.Is(err, directory.ErrInvalidCredentials) {
		return &portico.Error{Kind: portico.KindInvalid, Message: "the directory refused the bind DN or password",
			Fields: []portico.FieldError{{Field: "bind_password", Message: "was refused by the directory"}}, Err: err}
	}
	return &portico.Error{Kind: portico.KindUnavailable, Message: "the directory could not be read: " + err.Error(), Err: err}
}

// planDirectory compares the directory with the account: users are matched by their link to a DN,
// then by email; groups by link, then by name.
func (a *App) planDirectory(ctx context.Context, accountID string, snap *directory.Snapshot) (*DirectoryPlan, error) {
	users, err := a.store.ListUsers(ctx, accountID, portico.UserFilter{})
	if err != nil {
		return nil, err
	}
	groups, err := a.store.ListUserGroups(ctx, accountID)
	if err != nil {
		return nil, err
	}
	userLinks, err := a.store.ListDirectoryLinks(ctx, accountID, false)
	if err != nil {
		return nil, err
	}
	groupLinks, err := a.store.ListDirectoryLinks(ctx, accountID, true)
	if err != nil {
		return nil, err
	}
	acc, err := a.store.GetAccount(ctx, accountID)
	if err != nil {
		return nil, err
	}
	seats, err := a.store.CountActiveTechnicians(ctx, accountID)
	if err != nil {
		return nil, err
	}

	p := &DirectoryPlan{Removed: []DirectoryPlanItem{}, Skipped: []DirectorySkip{}, Sample: []DirectoryPlanItem{}}
	userByID := map[string]*portico.User{}
	userByEmail := map[string]*portico.User{}
	for i := range users {
		userByID[users[i].ID] = &users[i]
		userByEmail[users[i].Email] = &users[i]
	}
	linkedUser := map[string]string{} // dn key → user id
	linkedUserIDs := map[string]bool{}
	for _, l := range userLinks {
		linkedUser[l.DNKey] = l.ObjectID
		linkedUserIDs[l.ObjectID] = true
	}
	userOfDN := map[string]string{} // directory user DN key → user id ("new:" + key for ones to create)
	seenEmail := map[string]bool{}
	inDirectory := map[string]bool{}
	for _, du := range snap.Users {
		key := directory.NormalizeDN(du.DN)
		inDirectory[key] = true
		pu := plannedUser{dir: du, key: key, name: strings.TrimSpace(du.Name)}
		var v portico.Validation
		pu.email = portico.ValidateEmail(&v, "email", du.Email)
		if pu.name == "" {
			pu.name = strings.Split(pu.email, "@")[0]
		}
		probe := portico.User{Name: pu.name}
		probe.Validate(&v)
		if err := v.Err(); err != nil {
			p.Skipped = append(p.Skipped, DirectorySkip{DN: du.DN, Reason: "no usable email or name: " + fieldMessages(v)})
			continue
		}
		if seenEmail[pu.email] {
			p.Skipped = append(p.Skipped, DirectorySkip{DN: du.DN, Reason: "another directory user has the email " + pu.email})
			continue
		}
		seenEmail[pu.email] = true
		if id, ok := linkedUser[key]; ok {
			u := userByID[id]
			pu.id, pu.linked = id, true
			pu.action = "unchanged"
			if u.Email != pu.email || u.Name != pu.name {
				if other := userByEmail[pu.email]; other != nil && other.ID != id {
					p.Skipped = append(p.Skipped, DirectorySkip{DN: du.DN, Reason: "its new email " + pu.email + " belongs to another user"})
					userOfDN[key] = id
					continue
				}
				pu.action = "update"
			}
		} else if u := userByEmail[pu.email]; u != nil {
			if linkedUserIDs[u.ID] {
				p.Skipped = append(p.Skipped, DirectorySkip{DN: du.DN, Reason: "the user with email " + pu.email + " is linked to another directory entry"})
				continue
			}
			pu.id, pu.action = u.ID, "link"
			if u.Owner {
				pu.name = u.Name // the owner's profile is theirs alone: linked, never edited
			}
		} else {
			pu.action = "create"
		}
		switch pu.action {
		case "create":
			p.UsersCreate++
			userOfDN[key] = "new:" + key
		case "update", "link":
			p.UsersUpdate++
			userOfDN[key] = pu.id
		default:
			p.UsersUnchanged++
			userOfDN[key] = pu.id
		}
		p.users = append(p.users, pu)
		if pu.action != "unchanged" && len(p.Sample) < DirectorySampleSize {
			p.Sample = append(p.Sample, DirectoryPlanItem{Action: pu.action, Kind: "user", DN: du.DN, Name: pu.name, Email: pu.email})
		}
	}
	for _, l := range userLinks {
		if !inDirectory[l.DNKey] {
			u := userByID[l.ObjectID]
			p.Removed = append(p.Removed, DirectoryPlanItem{Action: "removed", Kind: "user", DN: l.DN, Name: u.Name, Email: u.Email})
		}
	}
	// The emails of users that will be created are reserved server-wide only when stored: another
	// account's user with the same email shows up as a failure of that one user at import time.

	groupByID := map[string]*portico.UserGroup{}
	groupByName := map[string]*portico.UserGroup{}
	for i := range groups {
		groupByID[groups[i].ID] = &groups[i]
		groupByName[strings.ToLower(groups[i].Name)] = &groups[i]
	}
	linkedGroup := map[string]string{}
	linkedGroupIDs := map[string]bool{}
	for _, l := range groupLinks {
		linkedGroup[l.DNKey] = l.ObjectID
		linkedGroupIDs[l.ObjectID] = true
	}
	seenName := map[string]bool{}
	for _, dg := range snap.Groups {
		key := directory.NormalizeDN(dg.DN)
		pg := plannedGroup{dir: dg, key: key, name: strings.TrimSpace(dg.Name)}
		probe := portico.UserGroup{Name: pg.name}
		if err := validate(probe.Validate); err != nil {
			p.Skipped = append(p.Skipped, DirectorySkip{DN: dg.DN, Reason: "no usable group name"})
			continue
		}
		lname := strings.ToLower(pg.name)
		if seenName[lname] {
			p.Skipped = append(p.Skipped, DirectorySkip{DN: dg.DN, Reason: "another directory group is named " + pg.name})
			continue
		}
		seenName[lname] = true
		if id, ok := linkedGroup[key]; ok {
			g := groupByID[id]
			pg.id, pg.linked, pg.action, pg.current = id, true, "unchanged", g.MemberIDs
			if g.Name != pg.name {
				if other := groupByName[lname]; other != nil && other.ID != id {
					pg.name = g.Name // keep the old name rather than clash
				} else {
					pg.action = "update"
				}
			}
		} else if g := groupByName[lname]; g != nil && !linkedGroupIDs[g.ID] {
			pg.id, pg.action, pg.current, pg.name = g.ID, "link", g.MemberIDs, g.Name
		} else if g != nil {
			p.Skipped = append(p.Skipped, DirectorySkip{DN: dg.DN, Reason: "the user group " + pg.name + " is linked to another directory group"})
			continue
		} else {
			pg.action = "create"
		}
		// Memberships: the directory decides for users it manages; other members stay.
		want := map[string]bool{}
		for _, udn := range dg.Users {
			if id := userOfDN[directory.NormalizeDN(udn)]; id != "" {
				want[id] = true
			}
		}
		have := map[string]bool{}
		for _, id := range pg.current {
			have[id] = true
		}
		add, remove := 0, 0
		for id := range want {
			if !have[id] {
				add++
			}
		}
		for _, id := range pg.current {
			if linkedUserIDs[id] && !want[id] {
				remove++
			}
		}
		p.MembersAdd += add
		p.MembersRemove += remove
		switch pg.action {
		case "create":
			p.GroupsCreate++
		case "update", "link":
			p.GroupsUpdate++
		default:
			p.GroupsUnchange++
		}
		p.groups = append(p.groups, pg)
		if (pg.action != "unchanged" || add+remove > 0) && len(p.Sample) < DirectorySampleSize {
			action := pg.action
			if action == "unchanged" {
				action = "update"
			}
			p.Sample = append(p.Sample, DirectoryPlanItem{Action: action, Kind: "group", DN: dg.DN, Name: pg.name, Members: len(want) + len(pg.current) - countOverlap(pg.current, want) - remove})
		}
	}
	p.SeatsFree = max(acc.Settings.SeatLimit-seats, 0)
	p.BeyondSeats = max(p.UsersCreate-p.SeatsFree, 0)
	return p, nil
}

func countOverlap(current []string, want map[string]bool) int {
	n := 0
	for _, id := range current {
		if want[id] {
			n++
		}
	}
	return n
}

func fieldMessages(v portico.Validation) string {
	var parts []string
	for _, f := range v.Fields {
		parts = append(parts, f.Field+" "+f.Message)
	}
	return strings.Join(parts, "; ")
}

// directoryRuns marks the accounts with an import running in this process, so that two imports of
// one account never interleave.
var directoryRuns sync.Map // "app pointer/account id" → struct{}
