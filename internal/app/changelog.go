package app

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// This file defines the record of one committed change that every node reads from the database to
// bring its copy of the account's access up to the change's revision (see replica.go). It is written
// in the change's transaction, so a node that applies the records in revision order ends with the
// snapshot the writing node has. The format is explicit JSON, with permissions by id, so that nodes
// of neighbouring versions read each other's records during a rolling upgrade.

// changeRecord is what a change means for every node.
type changeRecord struct {
	Edits []wireEdit `json:"edits,omitempty"`
	// Reload asks for the account's snapshot to be rebuilt from storage (changes made outside the app).
	Reload bool `json:"reload,omitempty"`
	// Recheck asks for the account's live sessions to be checked again (rights or credentials changed).
	Recheck bool `json:"recheck,omitempty"`
	// EndSessions are live sessions to end wherever they run.
	EndSessions []SessionEnd `json:"end_sessions,omitempty"`
	// StopAgents are connections to stop wherever they are held (the support agents of ended
	// on-demand sessions).
	StopAgents []AgentStop `json:"stop_agents,omitempty"`
}

// AgentStop asks the node holding an agent's connection to tell it to stop for good.
type AgentStop struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

// SessionEnd asks the node relaying a live session to end it.
type SessionEnd struct {
	ID     string `json:"id"`
	By     string `json:"by"`
	Reason string `json:"reason"`
}

// wireEdit is one authz.Change: Op names it, and the one matching field carries its data.
type wireEdit struct {
	Op         string              `json:"op"`
	ID         string              `json:"id,omitempty"` // the object a delete removes
	User       *wireUser           `json:"user,omitempty"`
	UserGroup  *wireUserGroup      `json:"user_group,omitempty"`
	Role       *wireRole           `json:"role,omitempty"`
	Assignment *portico.Assignment `json:"assignment,omitempty"`
	Group      *wireGroup          `json:"group,omitempty"`
	Device     *wireDevice         `json:"device,omitempty"`
}

type wireUser struct {
	ID     string             `json:"id"`
	Name   string             `json:"name"`
	Email  string             `json:"email"`
	Owner  bool               `json:"owner,omitempty"`
	State  portico.UserState  `json:"state"`
	Status portico.UserStatus `json:"status"`
}

type wireUserGroup struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	MemberIDs []string `json:"member_ids"`
}

type wireRole struct {
	ID          string               `json:"id"`
	Name        string               `json:"name"`
	Permissions []portico.Permission `json:"permissions"`
}

type wireGroup struct {
	ID       string                `json:"id"`
	ParentID string                `json:"parent_id,omitempty"`
	Name     string                `json:"name"`
	Settings portico.GroupSettings `json:"settings,omitempty"`
}

type wireDevice struct {
	ID      string `json:"id"`
	GroupID string `json:"group_id"`
	Name    string `json:"name"`
}

// Edit operations.
const (
	opUpsertUser       = "upsert_user"
	opDeleteUser       = "delete_user"
	opUpsertUserGroup  = "upsert_user_group"
	opDeleteUserGroup  = "delete_user_group"
	opUpsertRole       = "upsert_role"
	opDeleteRole       = "delete_role"
	opUpsertAssignment = "upsert_assignment"
	opDeleteAssignment = "delete_assignment"
	opUpsertGroup      = "upsert_group"
	opDeleteGroup      = "delete_group"
	opUpsertDevice     = "upsert_device"
	opDeleteDevice     = "delete_device"
)

func encodeEdit(c authz.Change) wireEdit {
	switch {
	case c.UpsertUser != nil:
		u := c.UpsertUser
		return wireEdit{Op: opUpsertUser, User: &wireUser{ID: u.ID, Name: u.Name, Email: u.Email, Owner: u.Owner, State: u.State, Status: u.Status}}
	case c.DeleteUser != "":
		return wireEdit{Op: opDeleteUser, ID: c.DeleteUser}
	case c.UpsertUserGroup != nil:
		g := c.UpsertUserGroup
		return wireEdit{Op: opUpsertUserGroup, UserGroup: &wireUserGroup{ID: g.ID, Name: g.Name, MemberIDs: g.MemberIDs}}
	case c.DeleteUserGroup != "":
		return wireEdit{Op: opDeleteUserGroup, ID: c.DeleteUserGroup}
	case c.UpsertRole != nil:
		r := c.UpsertRole
		return wireEdit{Op: opUpsertRole, Role: &wireRole{ID: r.ID, Name: r.Name, Permissions: r.Permissions.List()}}
	case c.DeleteRole != "":
		return wireEdit{Op: opDeleteRole, ID: c.DeleteRole}
	case c.UpsertAssignment != nil:
		return wireEdit{Op: opUpsertAssignment, Assignment: c.UpsertAssignment}
	case c.DeleteAssignment != "":
		return wireEdit{Op: opDeleteAssignment, ID: c.DeleteAssignment}
	case c.UpsertGroup != nil:
		g := c.UpsertGroup
		return wireEdit{Op: opUpsertGroup, Group: &wireGroup{ID: g.ID, ParentID: g.ParentID, Name: g.Name, Settings: g.Settings}}
	case c.DeleteGroup != "":
		return wireEdit{Op: opDeleteGroup, ID: c.DeleteGroup}
	case c.UpsertDevice != nil:
		d := c.UpsertDevice
		return wireEdit{Op: opUpsertDevice, Device: &wireDevice{ID: d.ID, GroupID: d.GroupID, Name: d.Name}}
	case c.DeleteDevice != "":
		return wireEdit{Op: opDeleteDevice, ID: c.DeleteDevice}
	}
	return wireEdit{}
}

// decode turns the record's edits back into snapshot changes. A record it cannot read is an error:
// the caller reloads the account rather than guess.
func (w *wireEdit) decode() (authz.Change, error) {
	missing := func(field string) (authz.Change, error) {
		return authz.Change{}, fmt.Errorf("change record: %s without %s", w.Op, field)
	}
	switch w.Op {
	case opUpsertUser:
		if w.User == nil {
			return missing("user")
		}
		u := w.User
		return authz.Change{UpsertUser: &authz.UserNode{ID: u.ID, Name: u.Name, Email: u.Email, Owner: u.Owner, State: u.State, Status: u.Status}}, nil
	case opUpsertUserGroup:
		if w.UserGroup == nil {
			return missing("user_group")
		}
		g := w.UserGroup
		return authz.Change{UpsertUserGroup: &authz.UserGroupNode{ID: g.ID, Name: g.Name, MemberIDs: g.MemberIDs}}, nil
	case opUpsertRole:
		if w.Role == nil {
			return missing("role")
		}
		var perms portico.PermissionSet
		for _, p := range w.Role.Permissions {
			// A permission this version does not know (written by a newer node) grants nothing here.
			if _, ok := portico.LookupPermission(p); ok {
				perms = perms.With(p)
			}
		}
		return authz.Change{UpsertRole: &authz.RoleNode{ID: w.Role.ID, Name: w.Role.Name, Permissions: perms}}, nil
	case opUpsertAssignment:
		if w.Assignment == nil {
			return missing("assignment")
		}
		return authz.Change{UpsertAssignment: w.Assignment}, nil
	case opUpsertGroup:
		if w.Group == nil {
			return missing("group")
		}
		g := w.Group
		return authz.Change{UpsertGroup: &authz.GroupNode{ID: g.ID, ParentID: g.ParentID, Name: g.Name, Settings: g.Settings}}, nil
	case opUpsertDevice:
		if w.Device == nil {
			return missing("device")
		}
		d := w.Device
		return authz.Change{UpsertDevice: &authz.DeviceNode{ID: d.ID, GroupID: d.GroupID, Name: d.Name}}, nil
	}
	if w.ID == "" {
		return authz.Change{}, fmt.Errorf("change record: unknown or empty edit %q", w.Op)
	}
	switch w.Op {
	case opDeleteUser:
		return authz.Change{DeleteUser: w.ID}, nil
	case opDeleteUserGroup:
		return authz.Change{DeleteUserGroup: w.ID}, nil
	case opDeleteRole:
		return authz.Change{DeleteRole: w.ID}, nil
	case opDeleteAssignment:
		return authz.Change{DeleteAssignment: w.ID}, nil
	case opDeleteGroup:
		return authz.Change{DeleteGroup: w.ID}, nil
	case opDeleteDevice:
		return authz.Change{DeleteDevice: w.ID}, nil
	}
	return authz.Change{}, fmt.Errorf("change record: unknown edit %q", w.Op)
}

// encodeRecord builds the stored record of a change.
func encodeRecord(ch *change) ([]byte, error) {
	r := changeRecord{Reload: ch.reload, Recheck: !ch.quiet, EndSessions: ch.endSessions, StopAgents: ch.stopAgents}
	for _, e := range ch.edits {
		r.Edits = append(r.Edits, encodeEdit(e))
	}
	b, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode change record: %w", err)
	}
	return b, nil
}

// decodedChange is a stored record read back.
type decodedChange struct {
	revision    int64
	at          time.Time
	edits       []authz.Change
	reload      bool
	recheck     bool
	endSessions []SessionEnd
	stopAgents  []AgentStop
}

// decodeRecord reads a stored record.
func decodeRecord(body []byte) (decodedChange, error) {
	var r changeRecord
	if err := json.Unmarshal(body, &r); err != nil {
		return decodedChange{}, fmt.Errorf("decode change record: %w", err)
	}
	out := decodedChange{reload: r.Reload, recheck: r.Recheck, endSessions: r.EndSessions, stopAgents: r.StopAgents}
	for i := range r.Edits {
		c, err := r.Edits[i].decode()
		if err != nil {
			return decodedChange{}, err
		}
		out.edits = append(out.edits, c)
	}
	return out, nil
}
