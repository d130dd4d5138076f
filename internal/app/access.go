package app

import (
	"context"
	"fmt"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// ExplainInput asks why a user can or cannot use a permission on a device, a device group or the
// account (neither id set).
type ExplainInput struct {
	UserID        string
	Permission    portico.Permission
	DeviceID      string
	DeviceGroupID string
}

func explainTarget(in ExplainInput) (authz.Target, error) {
	var v portico.Validation
	if in.DeviceID != "" && in.DeviceGroupID != "" {
		v.Add("device_id", "give a device_id or a device_group_id, not both")
	}
	if _, ok := portico.LookupPermission(in.Permission); !ok {
		v.Add("permission", "%q is not a known permission", in.Permission)
	}
	if err := v.Err(); err != nil {
		return authz.Target{}, err
	}
	switch {
	case in.DeviceID != "":
		return authz.Device(in.DeviceID), nil
	case in.DeviceGroupID != "":
		return authz.Group(in.DeviceGroupID), nil
	}
	info, _ := portico.LookupPermission(in.Permission)
	if info.Scope == portico.ScopeOnDemand {
		return authz.Section(portico.SectionOnDemand), nil
	}
	return authz.Account(), nil
}

// Explain answers "why can / can't this user do this here?". Anyone may ask about themself; asking
// about another user needs users.view. The reasons name groups, devices, roles and people, so they are
// only given on a target the caller can see: on another, asking about someone else is refused as
// WhoCan refuses it, and asking about oneself gives the decision without the reasons.
func (a *App) Explain(ctx context.Context, ac *Actor, in ExplainInput) (*authz.Explanation, error) {
	if in.UserID == "" {
		in.UserID = ac.UserID
	}
	if in.UserID == ac.UserID {
		ac.MarkDecided()
	} else if err := a.authorize(ctx, ac, portico.ActionAccessExplain, portico.PermUsersView, authz.Account()); err != nil {
		return nil, err
	}
	t, err := explainTarget(in)
	if err != nil {
		return nil, err
	}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	ex := snap.Explain(authz.Query{UserID: in.UserID, Permission: in.Permission, Target: t, At: a.now()})
	if ex.Reason == authz.ReasonNotFound.String() {
		return nil, portico.NotFound("user or target")
	}
	visible, err := a.targetVisible(ctx, ac, t)
	if err != nil {
		return nil, err
	}
	if visible {
		return &ex, nil
	}
	if in.UserID != ac.UserID {
		viewPerm := portico.PermDeviceView
		if t.Kind == authz.TargetDeviceGroup {
			viewPerm = portico.PermDeviceGroupsView
		}
		return nil, a.authorize(ctx, ac, portico.ActionAccessExplain, viewPerm, t)
	}
	return &authz.Explanation{Allowed: ex.Allowed, Reason: ex.Reason, Grants: []authz.Grant{},
		Message: fmt.Sprintf("you cannot see this %s, so the reasons are not shown", targetNoun(t))}, nil
}

// targetVisible reports whether the actor may see a target's name and place: a device they may view,
// a group they see in the tree. The account and its sections are always visible.
func (a *App) targetVisible(ctx context.Context, ac *Actor, t authz.Target) (bool, error) {
	switch t.Kind {
	case authz.TargetDevice:
		return a.can(ctx, ac, portico.PermDeviceView, t), nil
	case authz.TargetDeviceGroup:
		if t.ID == portico.UnassignedGroupID {
			return a.can(ctx, ac, portico.PermDevicesList, authz.Account()) || a.seesGroup(ctx, ac, t.ID), nil
		}
		return a.seesGroupInTree(ctx, ac, t.ID)
	}
	return true, nil
}

// WhoCan answers "who can do this on this device (or group)?" (users.view, and device.view or
// device_groups.view on the target).
func (a *App) WhoCan(ctx context.Context, ac *Actor, in ExplainInput) ([]authz.WhoCanEntry, error) {
	t, err := explainTarget(in)
	if err != nil {
		ac.MarkDecided()
		return nil, err
	}
	viewPerm := portico.PermDeviceView
	if t.Kind == authz.TargetDeviceGroup {
		viewPerm = portico.PermDeviceGroupsView
	}
	if t.Kind != authz.TargetAccount && t.Kind != authz.TargetSection {
		if err := a.authorize(ctx, ac, portico.ActionAccessWhoCan, viewPerm, t); err != nil {
			return nil, err
		}
	}
	if err := a.authorize(ctx, ac, portico.ActionAccessWhoCan, portico.PermUsersView, authz.Account()); err != nil {
		return nil, err
	}
	snap, err := a.snapshot(ctx, ac.AccountID)
	if err != nil {
		return nil, err
	}
	out := snap.WhoCan(in.Permission, t, a.now())
	if out == nil {
		out = []authz.WhoCanEntry{}
	}
	return out, nil
}
