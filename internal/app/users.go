package app

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/store"
)

// InvitationLifetime is how long an invitation link works.
const InvitationLifetime = 7 * 24 * time.Hour

func itoa(i int) string { return strconv.Itoa(i) }

func sortUsers(us []portico.User, less func(x, y *portico.User) bool) {
	slices.SortFunc(us, func(x, y portico.User) int {
		if less(&x, &y) {
			return -1
		}
		if less(&y, &x) {
			return 1
		}
		return 0
	})
}

// ListUsers lists the account's users (users.view).
func (a *App) ListUsers(ctx context.Context, ac *Actor, f portico.UserFilter) ([]portico.User, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserList, portico.PermUsersView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.ListUsers(ctx, ac.AccountID, f)
}

// GetUser returns a user (users.view, or the user themself).
func (a *App) GetUser(ctx context.Context, ac *Actor, id string) (*portico.User, error) {
	if id == ac.UserID && ac.Kind == ActorUser {
		ac.MarkDecided()
	} else if err := a.authorize(ctx, ac, portico.ActionUserView, portico.PermUsersView, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.GetUser(ctx, ac.AccountID, id)
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Email    string
	Name     string
	Password string // set: created active; empty: invited
	Language string
}

// CreatedUser is a new user and, for an invitation, the link that completes registration.
type CreatedUser struct {
	// The user's own fields come first, at the top level (one object, not a wrapper).
	*portico.User
	InvitationLink string `json:"invitation_link,omitempty"`
	InvitationID   string `json:"invitation_id,omitempty"`
	// InvitationExpiresAt is when the link stops working.
	InvitationExpiresAt *time.Time `json:"invitation_expires_at,omitempty"`
	// EmailStatus says whether the invitation email went: sent, queued (EmailError says why; it is
	// retried) or not_configured (share the link yourself).
	EmailStatus string `json:"email_status,omitempty"`
	EmailError  string `json:"email_error,omitempty"`
}

// CreateUser creates a user with a password (active at once, within the seat limit) or invites one
// (users.invite). An invited user can be configured — groups, access rights — but cannot sign in or act.
func (a *App) CreateUser(ctx context.Context, ac *Actor, in NewUser) (*CreatedUser, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserCreate, portico.PermUsersInvite, authz.Account()); err != nil {
		return nil, err
	}
	now := a.now()
	u := &portico.User{ID: portico.NewID("usr"), AccountID: ac.AccountID, Name: strings.TrimSpace(in.Name),
		Language: in.Language, Theme: "system", CreatedAt: now, State: portico.StateInvited, Status: portico.StatusActive}
	if u.Language == "" {
		u.Language = "en-GB"
	}
	var out CreatedUser
	var mailID string
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		policy, err := passwordPolicy(ctx, tx, acc)
		if err != nil {
			return nil, err
		}
		if err := validate(func(v *portico.Validation) {
			u.Email = portico.ValidateEmail(v, "email", in.Email)
			if u.Name == "" && u.Email != "" {
				u.Name = strings.Split(u.Email, "@")[0]
			}
			u.Validate(v)
			if in.Password != "" {
				validatePassword(v, "password", in.Password, policy)
			}
		}); err != nil {
			return nil, err
		}
		if in.Password != "" {
			if err := needSeat(ctx, tx, acc, "disable another user or add seats, or invite this one instead"); err != nil {
				return nil, err
			}
			u.State, u.ActivatedAt, u.PasswordHash = portico.StateActivated, &now, hashPassword(in.Password)
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return nil, err
		}
		ch := &change{action: portico.ActionUserCreate, targetType: "user", targetID: u.ID, detail: u.Email}
		if in.Password == "" {
			inv, link, id, err := a.newInvitation(ctx, tx, ac, acc, u)
			if err != nil {
				return nil, err
			}
			out.InvitationLink, out.InvitationID, out.InvitationExpiresAt, mailID = link, inv.ID, &inv.ExpiresAt, id
			ch.action = portico.ActionUserInvite
		} else {
			edits, err := a.enforceSeats(ctx, tx, acc)
			if err != nil {
				return nil, err
			}
			ch.edits = edits
		}
		n := userNode(u)
		ch.edits = append([]authz.Change{{UpsertUser: &n}}, ch.edits...)
		return ch, nil
	})
	if err != nil {
		return nil, err
	}
	out.User, _ = a.store.GetUser(ctx, ac.AccountID, u.ID)
	if out.User == nil {
		out.User = u
	}
	if out.InvitationID != "" {
		out.EmailStatus, out.EmailError = a.deliverNow(ctx, ac, u.ID, mailID)
	}
	return &out, nil
}

// AcceptInvitation completes an invited user's registration with their name and password. The link
// works once and expires.
func (a *App) AcceptInvitation(ctx context.Context, secret, name, password, sourceIP string) (*portico.User, error) {
	inv, err := a.store.GetInvitationByHash(ctx, portico.HashSecret(secret))
	if err != nil {
		if portico.IsKind(err, portico.KindNotFound) {
			return nil, portico.Errorf(portico.KindNotFound, "this invitation link is not valid")
		}
		return nil, err
	}
	now := a.now()
	if inv.UsedAt != nil {
		return nil, portico.Errorf(portico.KindConflict, "this invitation link has already been used")
	}
	if !now.Before(inv.ExpiresAt) {
		return nil, portico.Errorf(portico.KindConflict, "this invitation link has expired: ask for a new one")
	}
	ac := &Actor{Kind: ActorUser, AccountID: inv.AccountID, UserID: inv.UserID, SourceIP: sourceIP}
	var out *portico.User
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		acc, err := tx.GetAccount(ctx, inv.AccountID)
		if err != nil {
			return nil, err
		}
		u, err := tx.GetUser(ctx, inv.AccountID, inv.UserID)
		if err != nil {
			return nil, err
		}
		if u.State != portico.StateInvited {
			return nil, portico.Errorf(portico.KindConflict, "this user has already completed registration")
		}
		if strings.TrimSpace(name) != "" {
			u.Name = strings.TrimSpace(name)
		}
		policy, err := passwordPolicy(ctx, tx, acc)
		if err != nil {
			return nil, err
		}
		if err := validate(func(v *portico.Validation) {
			u.Validate(v)
			validatePassword(v, "password", password, policy)
		}); err != nil {
			return nil, err
		}
		if err := needSeat(ctx, tx, acc, "ask whoever invited you to free one, then use this link again"); err != nil {
			return nil, err
		}
		if err := tx.MarkInvitationUsed(ctx, inv.ID, now); err != nil {
			return nil, err
		}
		u.State, u.ActivatedAt, u.PasswordHash = portico.StateActivated, &now, hashPassword(password)
		if err := tx.UpdateUser(ctx, u); err != nil {
			return nil, err
		}
		ac.Name = u.Name
		edits, err := a.enforceSeats(ctx, tx, acc)
		if err != nil {
			return nil, err
		}
		out = u
		n := userNode(u)
		return &change{action: portico.ActionUserActivate, targetType: "user", targetID: u.ID,
			edits: append([]authz.Change{{UpsertUser: &n}}, edits...)}, nil
	})
	if err != nil {
		return nil, err
	}
	return a.store.GetUser(ctx, out.AccountID, out.ID)
}

// UserUpdate is the input of UpdateUser; nil fields stay as they are.
type UserUpdate struct {
	Name     *string
	Language *string
	Theme    *string
	Password *string
	// CurrentPassword must come with a new Password when the user has one: a session left open on
	// someone else's screen must not be enough to take the account over.
	CurrentPassword *string
}

// UpdateUser edits a user (users.edit; anyone may edit their own profile). Nobody else may edit the
// owner.
func (a *App) UpdateUser(ctx context.Context, ac *Actor, id string, in UserUpdate) (*portico.User, error) {
	self := id == ac.UserID && ac.Kind == ActorUser
	if self {
		ac.MarkDecided()
	} else if err := a.authorize(ctx, ac, portico.ActionUserUpdate, portico.PermUsersEdit, authz.Account()); err != nil {
		return nil, err
	}
	// Wrong current passwords count towards the sign-in lockout of the user's email, and the lockout
	// holds here too, so that a session left open cannot be used to try passwords without limit.
	var charge *signinCharge
	if self && in.Password != nil {
		var err error
		charge, err = a.chargeOwnAttempt(ctx, ac, lockedField("current_password", "too many wrong passwords: try again in 15 minutes"))
		if err != nil {
			return nil, err
		}
	}
	var out *portico.User
	wrongPassword := false
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		u, err := tx.GetUser(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if u.Owner && !self {
			return nil, portico.Errorf(portico.KindForbidden, "the account owner can only be edited by themself")
		}
		if in.Password != nil && !self {
			return nil, portico.Errorf(portico.KindForbidden, "only the user can change their own password")
		}
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		if in.Name != nil {
			u.Name = strings.TrimSpace(*in.Name)
		}
		if in.Language != nil {
			u.Language = *in.Language
		}
		if in.Theme != nil {
			u.Theme = *in.Theme
		}
		policy, err := passwordPolicy(ctx, tx, acc)
		if err != nil {
			return nil, err
		}
		if in.Password != nil && u.PasswordHash != "" {
			if err := checkCurrentPassword(u, in.CurrentPassword, &wrongPassword); err != nil {
				return nil, err
			}
		}
		if err := validate(func(v *portico.Validation) {
			u.Validate(v)
			// Validate lets an empty language and theme through for users stored without them; an
			// edit may not empty them.
			if in.Language != nil && *in.Language == "" {
				v.Add("language", "must be one of %s", strings.Join(portico.Languages, ", "))
			}
			if in.Theme != nil && *in.Theme == "" {
				v.Add("theme", "must be system, dark or light")
			}
			if in.Password != nil {
				validatePassword(v, "password", *in.Password, policy)
			}
		}); err != nil {
			return nil, err
		}
		if in.Password != nil {
			u.PasswordHash = hashPassword(*in.Password)
			// Whoever knew the old password may still be signed in elsewhere: those sessions end.
			if err := tx.DeleteOtherWebSessions(ctx, ac.AccountID, u.ID, ac.SessionHash); err != nil {
				return nil, err
			}
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return nil, err
		}
		out = u
		n := userNode(u)
		return &change{action: portico.ActionUserUpdate, targetType: "user", targetID: u.ID, edits: []authz.Change{{UpsertUser: &n}}}, nil
	})
	if charge != nil {
		charge.settle(ctx, wrongPassword)
	}
	a.auditRefused(ctx, ac, err, portico.ActionUserUpdate, "user", id, "")
	if err == nil && in.Password != nil {
		a.notify(ctx, ac, id, mail.KindPasswordChanged, "")
	}
	return out, err
}

// checkCurrentPassword refuses a password change whose current password is missing or wrong, on the
// current_password field, and sets *wrong when it is wrong (UpdateUser charges the check).
func checkCurrentPassword(u *portico.User, current *string, wrong *bool) error {
	if current == nil || *current == "" {
		return invalidField("current_password", "is required to set a new password")
	}
	if !checkPassword(u.PasswordHash, *current) {
		*wrong = true
		return invalidField("current_password", "is not your current password")
	}
	return nil
}

// SetUserEnabled disables or enables an activated user (users.edit). Disabling ends their portal
// sessions at once; enabling respects the seat limit.
func (a *App) SetUserEnabled(ctx context.Context, ac *Actor, id string, enabled bool) (*portico.User, error) {
	action := portico.ActionUserDisable
	if enabled {
		action = portico.ActionUserEnable
	}
	if err := a.authorize(ctx, ac, action, portico.PermUsersEdit, authz.Account()); err != nil {
		return nil, err
	}
	var out *portico.User
	changed := false
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		u, err := tx.GetUser(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if u.Owner {
			return nil, portico.Errorf(portico.KindForbidden, "the account owner cannot be disabled")
		}
		if u.State != portico.StateActivated {
			return nil, portico.Errorf(portico.KindConflict, "only an activated user has a status: this one is still invited")
		}
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		if enabled {
			if u.Status == portico.StatusActive {
				out = u
				return nil, nil
			}
			if err := needSeat(ctx, tx, acc, "disable another user or add seats"); err != nil {
				return nil, err
			}
			u.Status, u.DisabledReason = portico.StatusActive, ""
		} else {
			u.Status, u.DisabledReason = portico.StatusDisabled, portico.DisabledByAdmin
			if err := tx.DeleteUserWebSessions(ctx, ac.AccountID, u.ID); err != nil {
				return nil, err
			}
		}
		if err := tx.UpdateUser(ctx, u); err != nil {
			return nil, err
		}
		changed = true
		n := userNode(u)
		edits := []authz.Change{{UpsertUser: &n}}
		if !enabled {
			more, err := a.enforceSeats(ctx, tx, acc)
			if err != nil {
				return nil, err
			}
			edits = append(edits, more...)
		}
		out = u
		return &change{action: action, targetType: "user", targetID: u.ID, edits: edits}, nil
	})
	a.auditRefused(ctx, ac, err, action, "user", id, "")
	if err == nil && changed {
		kind := mail.KindAccountDisabled
		if enabled {
			kind = mail.KindAccountEnabled
		}
		a.notify(ctx, ac, id, kind, "")
	}
	return out, err
}

// DeleteUser deletes a user with their memberships, assignments, favourites and keys (users.delete).
// The owner cannot be deleted.
func (a *App) DeleteUser(ctx context.Context, ac *Actor, id string) error {
	if err := a.authorize(ctx, ac, portico.ActionUserDelete, portico.PermUsersDelete, authz.Account()); err != nil {
		return err
	}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		u, err := tx.GetUser(ctx, ac.AccountID, id)
		if err != nil {
			return nil, err
		}
		if u.Owner {
			return nil, portico.Errorf(portico.KindForbidden, "the account owner cannot be deleted")
		}
		if err := tx.DeleteUser(ctx, ac.AccountID, id); err != nil {
			return nil, err
		}
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		edits, err := a.enforceSeats(ctx, tx, acc)
		if err != nil {
			return nil, err
		}
		// The user's own assignments go with the user; the snapshot drops them with DeleteUser.
		return &change{action: portico.ActionUserDelete, targetType: "user", targetID: id, detail: u.Email,
			edits: append([]authz.Change{{DeleteUser: id}}, edits...)}, nil
	})
	a.auditRefused(ctx, ac, err, portico.ActionUserDelete, "user", id, "")
	return err
}
