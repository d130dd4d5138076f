package app

import (
	"context"
	"slices"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/store"
)

// newInvitation creates an invitation for the invited user u and queues its email; it returns the
// invitation, its link (the only clear copy of its token) and the queued message's id ("" without
// email). It runs inside the caller's write.
func (a *App) newInvitation(ctx context.Context, tx *store.Tx, ac *Actor, acc *portico.Account, u *portico.User) (*portico.Invitation, string, string, error) {
	now := a.now()
	secret := portico.NewSecret("inv")
	inv := &portico.Invitation{ID: portico.NewID("inv"), AccountID: ac.AccountID, UserID: u.ID,
		Hash: portico.HashSecret(secret), CreatedAt: now, ExpiresAt: now.Add(InvitationLifetime)}
	if err := tx.CreateInvitation(ctx, inv); err != nil {
		return nil, "", "", err
	}
	link := strings.TrimRight(a.BaseURL, "/") + "/invitations/" + secret
	inviter := ac.Name
	if ac.Kind == ActorSystem || inviter == "" {
		inviter = acc.Name
	}
	mailID, err := a.queueMail(ctx, tx, acc, u, mail.KindInvitation, inv.ID,
		mail.Data{ActorName: inviter, Link: link, ExpiresAt: inv.ExpiresAt})
	if err != nil {
		return nil, "", "", err
	}
	return inv, link, mailID, nil
}

// GetInvitation returns an invited user's pending invitation, with its expiry (users.view).
func (a *App) GetInvitation(ctx context.Context, ac *Actor, userID string) (*portico.Invitation, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserInvitationView, portico.PermUsersView, authz.Account()); err != nil {
		return nil, err
	}
	if _, err := a.store.GetUser(ctx, ac.AccountID, userID); err != nil {
		return nil, err
	}
	return a.store.PendingInvitation(ctx, ac.AccountID, userID)
}

// ResendInvitation replaces an invited user's invitation with a new one: the old link stops working,
// a message not yet sent for it is withdrawn, and the new link is emailed (users.invite). The link is
// also returned to the caller, so the caller must hold every permission the invited user has been
// given, where it was given.
func (a *App) ResendInvitation(ctx context.Context, ac *Actor, userID string) (*CreatedUser, error) {
	if err := a.authorize(ctx, ac, portico.ActionUserInvitationResend, portico.PermUsersInvite, authz.Account()); err != nil {
		return nil, err
	}
	var out CreatedUser
	var mailID string
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		u, err := tx.GetUser(ctx, ac.AccountID, userID)
		if err != nil {
			return nil, err
		}
		if u.State != portico.StateInvited {
			return nil, portico.Errorf(portico.KindConflict, "this user has already completed registration")
		}
		// Whoever holds the new link can become this user: the resender must be able to give the
		// user's rights themself, as if assigning them.
		if err := a.checkCanGrantUser(ctx, tx, ac, u.ID); err != nil {
			if portico.IsKind(err, portico.KindForbidden) {
				return nil, portico.Errorf(portico.KindForbidden, "the invited user has rights you could not give, and the new link would carry them: %v", err)
			}
			return nil, err
		}
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return nil, err
		}
		if err := a.revokeInvitations(ctx, tx, ac.AccountID, u.ID); err != nil {
			return nil, err
		}
		inv, link, id, err := a.newInvitation(ctx, tx, ac, acc, u)
		if err != nil {
			return nil, err
		}
		out.User, out.InvitationLink, out.InvitationID, out.InvitationExpiresAt, mailID = u, link, inv.ID, &inv.ExpiresAt, id
		return &change{action: portico.ActionUserInvitationResend, targetType: "user", targetID: u.ID, detail: u.Email}, nil
	})
	a.auditRefused(ctx, ac, err, portico.ActionUserInvitationResend, "user", userID, "")
	if err != nil {
		return nil, err
	}
	out.EmailStatus, out.EmailError = a.deliverNow(ctx, ac, userID, mailID)
	return &out, nil
}

// RevokeInvitation makes an invited user's link stop working and withdraws its unsent email
// (users.invite). The invited user stays, with whatever was configured for them, and can be invited
// again with ResendInvitation or deleted.
func (a *App) RevokeInvitation(ctx context.Context, ac *Actor, userID string) error {
	if err := a.authorize(ctx, ac, portico.ActionUserInvitationRevoke, portico.PermUsersInvite, authz.Account()); err != nil {
		return err
	}
	return a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		u, err := tx.GetUser(ctx, ac.AccountID, userID)
		if err != nil {
			return nil, err
		}
		if u.State != portico.StateInvited {
			return nil, portico.Errorf(portico.KindConflict, "this user has already completed registration")
		}
		if err := a.revokeInvitations(ctx, tx, ac.AccountID, u.ID); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionUserInvitationRevoke, targetType: "user", targetID: u.ID, detail: u.Email}, nil
	})
}

func (a *App) revokeInvitations(ctx context.Context, tx *store.Tx, accountID, userID string) error {
	ids, err := tx.RevokeInvitations(ctx, accountID, userID)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := tx.WithdrawMail(ctx, accountID, id); err != nil {
			return err
		}
	}
	return nil
}

// checkCanGrantUser refuses (KindForbidden) when the user has been given, directly or through a user
// group, a role the actor could not assign at that scope (see checkNoEscalation). Expired assignments
// give nothing and are not checked.
func (a *App) checkCanGrantUser(ctx context.Context, tx *store.Tx, ac *Actor, userID string) error {
	assignments, err := tx.ListAssignments(ctx, ac.AccountID, portico.AssignmentFilter{PrincipalType: portico.PrincipalUser, PrincipalID: userID})
	if err != nil {
		return err
	}
	groups, err := tx.ListUserGroups(ctx, ac.AccountID)
	if err != nil {
		return err
	}
	for _, g := range groups {
		if !slices.Contains(g.MemberIDs, userID) {
			continue
		}
		more, err := tx.ListAssignments(ctx, ac.AccountID, portico.AssignmentFilter{PrincipalType: portico.PrincipalUserGroup, PrincipalID: g.ID})
		if err != nil {
			return err
		}
		assignments = append(assignments, more...)
	}
	now := a.now()
	assignments = slices.DeleteFunc(assignments, func(as portico.Assignment) bool { return !as.ActiveAt(now) })
	perms, err := rolePermissions(ctx, tx, ac.AccountID)
	if err != nil {
		return err
	}
	missing, err := a.missingForAssignments(ctx, ac, perms, assignments)
	if err != nil {
		return err
	}
	if !missing.IsEmpty() {
		return portico.Errorf(portico.KindForbidden, "you cannot assign a role with permissions you do not hold here: %s", permNames(missing))
	}
	return nil
}
