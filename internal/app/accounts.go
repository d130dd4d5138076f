package app

import (
	"context"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// NewAccount is the input of CreateAccount.
type NewAccount struct {
	Company       string
	OwnerEmail    string
	OwnerName     string
	OwnerPassword string
	// WithAPIKey also creates an API key for the owner and returns its secret.
	WithAPIKey bool
}

// CreatedAccount is what CreateAccount made.
type CreatedAccount struct {
	Account      *portico.Account
	Owner        *portico.User
	DefaultGroup *portico.DeviceGroup
	APIKey       string
}

// CreateAccount creates an account with its owner, its system roles and a default device group named
// after the company. It is the command line's bootstrap and needs no actor.
func (a *App) CreateAccount(ctx context.Context, in NewAccount) (*CreatedAccount, error) {
	var email string
	err := validate(func(v *portico.Validation) {
		portico.ValidateAccountName(v, "company", in.Company)
		email = portico.ValidateEmail(v, "owner_email", in.OwnerEmail)
		if name := strings.TrimSpace(in.OwnerName); name != "" {
			portico.ValidateName(v, "owner_name", name, 100)
		}
		if len(in.OwnerPassword) < 10 {
			v.Add("owner_password", "must be at least 10 characters")
		}
	})
	if err != nil {
		return nil, portico.WithOp("create account", err)
	}
	now := a.now()
	name := strings.TrimSpace(in.OwnerName)
	if name == "" {
		name = strings.Split(email, "@")[0]
	}
	acc := &portico.Account{ID: portico.NewID("acc"), Name: strings.TrimSpace(in.Company), CreatedAt: now,
		Settings: portico.DefaultAccountSettings()}
	owner := &portico.User{ID: portico.NewID("usr"), AccountID: acc.ID, Email: email, Name: name, Owner: true,
		State: portico.StateActivated, Status: portico.StatusActive, Language: "en-GB", Theme: "system",
		CreatedAt: now, ActivatedAt: &now, PasswordHash: hashPassword(in.OwnerPassword)}
	group := &portico.DeviceGroup{ID: portico.NewID("grp"), AccountID: acc.ID, Name: acc.Name, Colour: "#098dce",
		Settings: portico.GroupSettings{}, CreatedAt: now}
	out := &CreatedAccount{Account: acc, Owner: owner, DefaultGroup: group}
	ac := &Actor{Kind: ActorSystem, AccountID: acc.ID, Name: "system"}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		if err := tx.CreateAccount(ctx, acc); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, owner); err != nil {
			return err
		}
		if err := tx.CreateDeviceGroup(ctx, group); err != nil {
			return err
		}
		for _, sr := range portico.SystemRoles() {
			r := &portico.Role{ID: portico.NewID("rol"), AccountID: acc.ID, Name: sr.Name, Purpose: sr.Purpose,
				Permissions: sr.Permissions, System: true, SystemKey: sr.Key, CreatedAt: now}
			if err := tx.CreateRole(ctx, r); err != nil {
				return err
			}
		}
		if in.WithAPIKey {
			secret := portico.NewSecret("pk")
			k := &portico.APIKey{ID: portico.NewID("key"), AccountID: acc.ID, UserID: owner.ID, Name: "bootstrap",
				CreatedAt: now, Hash: portico.HashSecret(secret)}
			if err := tx.CreateAPIKey(ctx, k); err != nil {
				return err
			}
			out.APIKey = secret
		}
		return tx.AppendAudit(ctx, a.auditEvent(ac, portico.ActionAccountCreate, "account", acc.ID, portico.OutcomeSuccess,
			"owner "+email))
	})
	if err != nil {
		return nil, portico.WithOp("create account", err)
	}
	return out, nil
}

// GetAccount returns the actor's account; its settings need account.view, but every signed-in user
// may read the account's name.
func (a *App) GetAccount(ctx context.Context, ac *Actor) (*portico.Account, error) {
	if err := a.authorize(ctx, ac, portico.ActionAccountView, portico.PermAccountView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.GetAccount(ctx, ac.AccountID)
}

// AccountUpdate is the input of UpdateAccount; nil fields stay as they are.
type AccountUpdate struct {
	Name     *string
	Settings *portico.AccountSettings
}

// UpdateAccount changes the account's name and settings (account.manage; plan limits need
// billing.manage).
func (a *App) UpdateAccount(ctx context.Context, ac *Actor, in AccountUpdate) (*portico.Account, error) {
	// Which permissions the change needs depends on what it changes: a billing administrator may
	// change the plan limits alone, an account administrator everything else.
	current, err := a.store.GetAccount(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	plan, other := accountChanges(current, in)
	if other || !plan {
		if err := a.authorize(ctx, ac, portico.ActionAccountUpdate, portico.PermAccountManage, authz.Account()); err != nil {
			return nil, err
		}
	}
	if plan {
		if err := a.authorize(ctx, ac, portico.ActionAccountUpdate, portico.PermBillingManage, authz.Account()); err != nil {
			return nil, err
		}
	}
	var out *portico.Account
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		next := *acc
		if in.Name != nil {
			next.Name = strings.TrimSpace(*in.Name)
		}
		if in.Settings != nil {
			next.Settings = *in.Settings
		}
		if err := validate(func(v *portico.Validation) {
			portico.ValidateAccountName(v, "name", next.Name)
			next.Settings.Validate(v)
		}); err != nil {
			return nil, err
		}
		// The account may have changed since the permissions were checked: check again on what is
		// stored now (a refusal here is rare enough not to need its own audit entry).
		if p, o := accountChanges(acc, in); (p && !plan) || (o && !other && plan) {
			return nil, portico.Errorf(portico.KindConflict, "the account changed meanwhile; try again")
		}
		if next.Settings.ManagedLicences < acc.Settings.ManagedLicences {
			used, err := tx.CountLicensedDevices(ctx, ac.AccountID)
			if err != nil {
				return nil, err
			}
			if used > next.Settings.ManagedLicences {
				return nil, &portico.Error{Kind: portico.KindInvalid, Message: "invalid input", Fields: []portico.FieldError{{
					Field: "settings.managed_licences", Message: "is below the " + itoa(used) + " licences in use"}}}
			}
		}
		if err := tx.UpdateAccount(ctx, &next); err != nil {
			return nil, err
		}
		out = &next
		ch := &change{action: portico.ActionAccountUpdate, targetType: "account", targetID: ac.AccountID}
		if next.Settings.SeatLimit != acc.Settings.SeatLimit {
			edits, err := a.enforceSeats(ctx, tx, &next)
			if err != nil {
				return nil, err
			}
			ch.edits = edits
		}
		return ch, nil
	})
	return out, err
}

// accountChanges reports whether an update changes the plan limits (licences, seats) and whether it
// changes anything else.
func accountChanges(acc *portico.Account, in AccountUpdate) (plan, other bool) {
	if in.Name != nil && strings.TrimSpace(*in.Name) != acc.Name {
		other = true
	}
	if in.Settings != nil {
		next, cur := *in.Settings, acc.Settings
		plan = next.ManagedLicences != cur.ManagedLicences || next.SeatLimit != cur.SeatLimit ||
			next.OnDemandSeats != cur.OnDemandSeats
		next.ManagedLicences, next.SeatLimit, next.OnDemandSeats = cur.ManagedLicences, cur.SeatLimit, cur.OnDemandSeats
		if next != cur {
			other = true
		}
	}
	return plan, other
}

// enforceSeats disables the most recently activated technicians beyond the seat limit (marked as
// disabled by the limit) and re-enables those the limit disabled, earliest activated first, while
// seats are free. Activation rather than creation decides: an invitation accepted late must not take
// the seat of someone who has been working for months.
func (a *App) enforceSeats(ctx context.Context, tx *store.Tx, acc *portico.Account) ([]authz.Change, error) {
	users, err := tx.ListUsers(ctx, acc.ID, portico.UserFilter{State: portico.StateActivated})
	if err != nil {
		return nil, err
	}
	var active, limited []portico.User
	for _, u := range users {
		if u.Owner {
			continue
		}
		if u.Status == portico.StatusActive {
			active = append(active, u)
		} else if u.DisabledReason == portico.DisabledBySeatLimit {
			limited = append(limited, u)
		}
	}
	activated := func(u *portico.User) time.Time {
		if u.ActivatedAt != nil {
			return *u.ActivatedAt
		}
		return u.CreatedAt
	}
	byAge := func(us []portico.User) {
		sortUsers(us, func(x, y *portico.User) bool {
			if ax, ay := activated(x), activated(y); !ax.Equal(ay) {
				return ax.Before(ay)
			}
			return x.ID < y.ID
		})
	}
	byAge(active)
	byAge(limited)
	var edits []authz.Change
	limit := acc.Settings.SeatLimit
	for i := limit; i < len(active); i++ { // the newest beyond the limit
		u := active[i]
		u.Status, u.DisabledReason = portico.StatusDisabled, portico.DisabledBySeatLimit
		if err := tx.UpdateUser(ctx, &u); err != nil {
			return nil, err
		}
		if err := tx.DeleteUserWebSessions(ctx, acc.ID, u.ID); err != nil {
			return nil, err
		}
		n := userNode(&u)
		edits = append(edits, authz.Change{UpsertUser: &n})
	}
	for free := limit - len(active); free > 0 && len(limited) > 0; free-- {
		u := limited[0]
		limited = limited[1:]
		u.Status, u.DisabledReason = portico.StatusActive, ""
		if err := tx.UpdateUser(ctx, &u); err != nil {
			return nil, err
		}
		n := userNode(&u)
		edits = append(edits, authz.Change{UpsertUser: &n})
	}
	return edits, nil
}

// needSeat refuses (KindLimit) to activate one more technician when every seat of the plan is in
// use, so that a new user never takes the seat of an active one.
func needSeat(ctx context.Context, tx *store.Tx, acc *portico.Account, refusal string) error {
	n, err := tx.CountActiveTechnicians(ctx, acc.ID)
	if err != nil {
		return err
	}
	if n >= acc.Settings.SeatLimit {
		return portico.Errorf(portico.KindLimit, "all %d seats of the plan are in use: %s", acc.Settings.SeatLimit, refusal)
	}
	return nil
}
