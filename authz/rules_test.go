package authz

import (
	"slices"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// The fixture: a small company laid out like the product guides' examples.
//
//	Germany (chat off)           UK
//	└── Munich                   └── Cambridge
//	    └── Floor 2 (chat on)        ├── CAM-1
//	        └── F2-1                 └── CAM-2
//	    MUC-1
//	Unassigned: NEW-1
func fixture() Graph {
	expires := baseTime.Add(time.Hour)
	set := func(ps ...portico.Permission) portico.PermissionSet { return portico.NewPermissionSet(ps...) }
	var allDevice []portico.Permission
	for _, p := range portico.Catalogue() {
		if p.Category == portico.CatManagedDevices {
			allDevice = append(allDevice, p.ID)
		}
	}
	active := func(id, name string) UserNode {
		return UserNode{ID: id, Name: name, State: portico.StateActivated, Status: portico.StatusActive}
	}
	owner := active("olivia", "Olivia")
	owner.Owner = true
	carol := active("carol", "Carol")
	carol.State = portico.StateInvited
	dave := active("dave", "Dave")
	dave.Status = portico.StatusDisabled
	assign := func(id string, pt portico.PrincipalType, pid, role string, st portico.ScopeType, sid string) portico.Assignment {
		return portico.Assignment{ID: id, PrincipalType: pt, PrincipalID: pid, RoleID: role, ScopeType: st, ScopeID: sid}
	}
	user, ug := portico.PrincipalUser, portico.PrincipalUserGroup
	acct, grp, dev, sec := portico.ScopeTypeAccount, portico.ScopeTypeDeviceGroup, portico.ScopeTypeDevice, portico.ScopeTypeSection
	frank := assign("a-frank", user, "frank", "connect", acct, "")
	frank.ExpiresAt = &expires
	return Graph{
		AccountID: "acme",
		Users: []UserNode{owner, active("alice", "Alice"), active("bob", "Bob"), carol, dave,
			active("erin", "Erin"), active("frank", "Frank"), active("grace", "Grace"), active("helen", "Helen")},
		UserGroups: []UserGroupNode{
			{ID: "support", Name: "UK Support", MemberIDs: []string{"bob", "alice"}},
			{ID: "chatters", Name: "Chatters", MemberIDs: []string{"bob"}},
		},
		Roles: []RoleNode{
			{ID: "connect", Name: "Only device connection", Permissions: set(portico.PermDeviceRemoteControl)},
			{ID: "chat", Name: "Chat", Permissions: set(portico.PermDeviceChat)},
			{ID: "mover", Name: "Mover", Permissions: set(portico.PermDeviceMove)},
			{ID: "auditor", Name: "Auditor", Permissions: set(portico.PermAuditView)},
			{ID: "team", Name: "Team administrator", Permissions: set(portico.PermUsersView, portico.PermDeviceChat)},
			{ID: "full", Name: "Full device access", Permissions: set(allDevice...)},
		},
		Groups: []GroupNode{
			{ID: "de", Name: "Germany", Settings: portico.GroupSettings{portico.FeatureChat: false}},
			{ID: "muc", ParentID: "de", Name: "Munich"},
			{ID: "f2", ParentID: "muc", Name: "Floor 2", Settings: portico.GroupSettings{portico.FeatureChat: true}},
			{ID: "uk", Name: "UK"},
			{ID: "cam", ParentID: "uk", Name: "Cambridge"},
		},
		Devices: []DeviceNode{
			{ID: "muc1", GroupID: "muc", Name: "MUC-1"},
			{ID: "f21", GroupID: "f2", Name: "F2-1"},
			{ID: "cam1", GroupID: "cam", Name: "CAM-1"},
			{ID: "cam2", GroupID: "cam", Name: "CAM-2"},
			{ID: "new1", GroupID: portico.UnassignedGroupID, Name: "NEW-1"},
		},
		Assignments: []portico.Assignment{
			assign("a-support", ug, "support", "connect", grp, "uk"),
			assign("a-chatters", ug, "chatters", "chat", grp, "uk"),
			assign("a-alice-audit", user, "alice", "auditor", grp, "de"),
			assign("a-alice-move", user, "alice", "mover", acct, ""),
			assign("a-carol", user, "carol", "full", acct, ""),
			assign("a-dave", user, "dave", "full", acct, ""),
			assign("a-erin", user, "erin", "connect", dev, "cam1"),
			frank,
			assign("a-grace", user, "grace", "full", grp, "de"),
			assign("a-helen", user, "helen", "team", sec, portico.SectionTeam),
		},
	}
}

type ruleCase struct {
	name   string
	user   string
	perm   portico.Permission
	target Target
	at     time.Time
	want   Reason
}

func runRules(t *testing.T, s *Snapshot, cases []ruleCase) {
	t.Helper()
	for _, c := range cases {
		at := c.at
		if at.IsZero() {
			at = baseTime
		}
		got := s.Decide(Query{UserID: c.user, Permission: c.perm, Target: c.target, At: at})
		if got.Reason != c.want || got.Allowed != (c.want == ReasonGranted || c.want == ReasonOwner) {
			t.Errorf("%s: Decide(%s, %s, %+v) = %v, want %v", c.name, c.user, c.perm, c.target, got.Reason, c.want)
		}
	}
}

func TestRules(t *testing.T) {
	s := New(fixture())
	chat, rc, view, move := portico.PermDeviceChat, portico.PermDeviceRemoteControl, portico.PermDeviceScreenView, portico.PermDeviceMove
	runRules(t, s, []ruleCase{
		{"roles through user groups combine", "bob", rc, Device("cam1"), time.Time{}, ReasonGranted},
		{"roles through user groups combine", "bob", chat, Device("cam1"), time.Time{}, ReasonGranted},
		{"implications: remote control implies screen view", "bob", view, Device("cam1"), time.Time{}, ReasonGranted},
		{"implications: every device permission implies view", "bob", portico.PermDeviceView, Group("cam"), time.Time{}, ReasonGranted},
		{"group assignments reach only their subtree", "bob", rc, Device("muc1"), time.Time{}, ReasonNoGrant},
		{"a group assignment does not reach the account", "bob", rc, Account(), time.Time{}, ReasonNoGrant},

		{"account-only permission ignored below account level", "alice", portico.PermAuditView, Account(), time.Time{}, ReasonNoGrant},
		{"account-only permission ignored below account level", "alice", portico.PermAuditView, Group("de"), time.Time{}, ReasonNoGrant},
		{"Team section grants account permissions", "helen", portico.PermUsersView, Account(), time.Time{}, ReasonGranted},
		{"Team section grants no device permission", "helen", chat, Device("cam1"), time.Time{}, ReasonNoGrant},

		{"a group setting overrides even the owner", "olivia", chat, Device("muc1"), time.Time{}, ReasonSettingOff},
		{"the owner holds the rest", "olivia", rc, Device("muc1"), time.Time{}, ReasonOwner},
		{"the owner holds account permissions", "olivia", portico.PermBillingManage, Account(), time.Time{}, ReasonOwner},
		{"setting inherited from the ancestor", "grace", chat, Device("muc1"), time.Time{}, ReasonSettingOff},
		{"setting inherited on a group target", "grace", chat, Group("muc"), time.Time{}, ReasonSettingOff},
		{"setting overridden again lower down", "grace", chat, Device("f21"), time.Time{}, ReasonGranted},
		{"setting overridden again lower down, owner", "olivia", chat, Device("f21"), time.Time{}, ReasonOwner},
		{"other features stay on", "grace", view, Device("muc1"), time.Time{}, ReasonGranted},

		{"Unassigned refuses remote actions", "olivia", rc, Device("new1"), time.Time{}, ReasonUnlicensed},
		{"Unassigned refuses remote actions on the folder", "olivia", rc, Group(portico.UnassignedGroupID), time.Time{}, ReasonUnlicensed},
		{"Unassigned devices can be moved", "alice", move, Device("new1"), time.Time{}, ReasonGranted},
		{"Unassigned devices can be moved by the owner", "olivia", move, Device("new1"), time.Time{}, ReasonOwner},
		{"only account-level assignments reach Unassigned", "grace", move, Device("new1"), time.Time{}, ReasonNoGrant},

		{"invited users get nothing", "carol", move, Device("cam1"), time.Time{}, ReasonUserInactive},
		{"disabled users get nothing", "dave", move, Device("cam1"), time.Time{}, ReasonUserInactive},

		{"expiring assignment before expiry", "frank", rc, Device("cam1"), time.Time{}, ReasonGranted},
		{"expiring assignment at expiry", "frank", rc, Device("cam1"), baseTime.Add(time.Hour), ReasonNoGrant},
		{"expiring assignment after expiry", "frank", rc, Device("cam1"), baseTime.Add(2 * time.Hour), ReasonNoGrant},

		{"device assignment reaches its device", "erin", rc, Device("cam1"), time.Time{}, ReasonGranted},
		{"device assignment reaches no other device", "erin", rc, Device("cam2"), time.Time{}, ReasonNoGrant},
		{"device assignment does not reach the group", "erin", rc, Group("cam"), time.Time{}, ReasonNoGrant},

		{"unknown user", "zed", rc, Device("cam1"), time.Time{}, ReasonNotFound},
		{"unknown device", "bob", rc, Device("nope"), time.Time{}, ReasonNotFound},
		{"unknown permission", "bob", "device.teleport", Device("cam1"), time.Time{}, ReasonNotFound},
		{"another account", "bob", rc, Target{Kind: TargetAccount, ID: "globex"}, time.Time{}, ReasonNotFound},
	})
}

func TestRulesAfterChanges(t *testing.T) {
	s := New(fixture())
	rc, chat := portico.PermDeviceRemoteControl, portico.PermDeviceChat

	noConnect := s.Apply(Change{DeleteRole: "connect"})
	runRules(t, noConnect, []ruleCase{
		{"deleting a role removes its rights", "bob", rc, Device("cam1"), time.Time{}, ReasonNoGrant},
		{"deleting a role removes its device assignments too", "erin", rc, Device("cam1"), time.Time{}, ReasonNoGrant},
		{"other roles stay", "bob", chat, Device("cam1"), time.Time{}, ReasonGranted},
	})
	runRules(t, s, []ruleCase{{"the old snapshot is unchanged", "bob", rc, Device("cam1"), time.Time{}, ReasonGranted}})

	noSupport := s.Apply(Change{DeleteUserGroup: "support"})
	runRules(t, noSupport, []ruleCase{
		{"deleting a user group removes its rights", "bob", rc, Device("cam1"), time.Time{}, ReasonNoGrant},
		{"rights through other groups stay", "bob", chat, Device("cam1"), time.Time{}, ReasonGranted},
	})

	moved := s.Apply(Change{UpsertDevice: &DeviceNode{ID: "muc1", GroupID: "cam", Name: "MUC-1"}})
	runRules(t, moved, []ruleCase{
		{"permissions of the new group apply at once", "bob", rc, Device("muc1"), time.Time{}, ReasonGranted},
		{"and the old group's settings no longer", "olivia", chat, Device("muc1"), time.Time{}, ReasonOwner},
	})

	disabled := s.Apply(Change{UpsertUser: &UserNode{ID: "bob", Name: "Bob", State: portico.StateActivated, Status: portico.StatusDisabled}})
	runRules(t, disabled, []ruleCase{{"disabling takes effect on the next decision", "bob", rc, Device("cam1"), time.Time{}, ReasonUserInactive}})

	left := s.Apply(Change{UpsertUserGroup: &UserGroupNode{ID: "support", Name: "UK Support", MemberIDs: []string{"alice"}}})
	runRules(t, left, []ruleCase{{"leaving a user group removes its rights", "bob", rc, Device("cam1"), time.Time{}, ReasonNoGrant}})

	chatOn := s.Apply(Change{UpsertGroup: &GroupNode{ID: "de", Name: "Germany"}})
	runRules(t, chatOn, []ruleCase{{"a setting switched back on", "grace", chat, Device("muc1"), time.Time{}, ReasonGranted}})
}

func TestExplain(t *testing.T) {
	s := New(fixture())
	ex := s.Explain(Query{UserID: "grace", Permission: portico.PermDeviceChat, Target: Device("muc1"), At: baseTime})
	if ex.Allowed || ex.Reason != "setting_off" || ex.Feature != portico.FeatureChat || ex.SettingGroupID != "de" ||
		ex.SettingGroupName != "Germany" || ex.Message != `setting "chat" is off at group "Munich", inherited from "Germany"` {
		t.Errorf("inherited setting: %+v", ex)
	}
	ex = s.Explain(Query{UserID: "olivia", Permission: portico.PermDeviceChat, Target: Group("de"), At: baseTime})
	if ex.Message != `setting "chat" is off at group "Germany"` {
		t.Errorf("own setting: %q", ex.Message)
	}

	ex = s.Explain(Query{UserID: "bob", Permission: portico.PermDeviceScreenView, Target: Device("cam1"), At: baseTime})
	want := Grant{AssignmentID: "a-support", PrincipalType: portico.PrincipalUserGroup, PrincipalID: "support",
		PrincipalName: "UK Support", ViaUserGroupID: "support", RoleID: "connect", RoleName: "Only device connection",
		ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: "uk", ScopeName: "UK", Path: []string{"uk", "cam"}}
	if !ex.Allowed || ex.Reason != "granted" || len(ex.Grants) != 1 || !grantEqual(ex.Grants[0], want) {
		t.Errorf("granted through a user group: %+v", ex)
	}

	ex = s.Explain(Query{UserID: "frank", Permission: portico.PermDeviceRemoteControl, Target: Device("cam1"), At: baseTime})
	if len(ex.Grants) != 1 || ex.Grants[0].ExpiresAt == nil || ex.Grants[0].PrincipalName != "Frank" || ex.Grants[0].Path != nil {
		t.Errorf("expiring account grant: %+v", ex)
	}
	for _, q := range []Query{
		{UserID: "dave", Permission: portico.PermDeviceMove, Target: Device("cam1")},
		{UserID: "olivia", Permission: portico.PermDeviceRemoteControl, Target: Device("new1")},
		{UserID: "bob", Permission: portico.PermDeviceChat, Target: Device("muc1")},
	} {
		if ex := s.Explain(q); ex.Allowed || ex.Message == "" || ex.Grants == nil {
			t.Errorf("refusal %+v: %+v", q, ex)
		}
	}
}

func grantEqual(a, b Grant) bool {
	return a.AssignmentID == b.AssignmentID && a.PrincipalType == b.PrincipalType && a.PrincipalID == b.PrincipalID &&
		a.PrincipalName == b.PrincipalName && a.ViaUserGroupID == b.ViaUserGroupID && a.RoleID == b.RoleID &&
		a.RoleName == b.RoleName && a.ScopeType == b.ScopeType && a.ScopeID == b.ScopeID &&
		a.ScopeName == b.ScopeName && slices.Equal(a.Path, b.Path) && (a.ExpiresAt == nil) == (b.ExpiresAt == nil)
}

func TestWhoCan(t *testing.T) {
	s := New(fixture())
	var names []string
	for _, e := range s.WhoCan(portico.PermDeviceRemoteControl, Device("cam1"), baseTime) {
		names = append(names, e.UserName)
		if e.Owner != (len(e.Grants) == 0) {
			t.Errorf("%s: owner %v with %d grants", e.UserName, e.Owner, len(e.Grants))
		}
	}
	// Sorted by name; Alice through UK Support; Carol and Dave are inactive; Frank's assignment has not
	// expired yet.
	if want := []string{"Alice", "Bob", "Erin", "Frank", "Olivia"}; !slices.Equal(names, want) {
		t.Errorf("WhoCan = %v, want %v", names, want)
	}
}

func TestListDevices(t *testing.T) {
	s := New(fixture())
	cases := []struct {
		q    ListQuery
		want []string
	}{
		{ListQuery{UserID: "grace", Permission: portico.PermDeviceScreenView}, []string{"f21", "muc1"}},
		{ListQuery{UserID: "grace", Permission: portico.PermDeviceChat}, []string{"f21"}},
		{ListQuery{UserID: "olivia", Permission: portico.PermDeviceRemoteControl}, []string{"cam1", "cam2", "f21", "muc1"}},
		{ListQuery{UserID: "olivia", Permission: portico.PermDeviceMove, GroupID: portico.UnassignedGroupID}, []string{"new1"}},
		{ListQuery{UserID: "olivia", Permission: portico.PermDeviceMove, GroupID: "de"}, nil},
		{ListQuery{UserID: "olivia", Permission: portico.PermDeviceMove, GroupID: "de", Recursive: true}, []string{"f21", "muc1"}},
		{ListQuery{UserID: "erin", Permission: portico.PermDeviceRemoteControl}, []string{"cam1"}},
		{ListQuery{UserID: "alice", Permission: portico.PermDeviceMove}, []string{"cam1", "cam2", "f21", "muc1", "new1"}},
		{ListQuery{UserID: "dave", Permission: portico.PermDeviceMove}, nil},
	}
	for _, c := range cases {
		if c.q.At.IsZero() {
			c.q.At = baseTime
		}
		if got := s.ListDevices(c.q); !slices.Equal(got, c.want) {
			t.Errorf("ListDevices(%+v) = %v, want %v", c.q, got, c.want)
		}
	}
}

func TestEffective(t *testing.T) {
	s := New(fixture())
	got := s.Effective(Query{UserID: "bob", Target: Device("cam1"), At: baseTime})
	want := portico.NewPermissionSet(portico.PermDeviceView, portico.PermDeviceScreenView,
		portico.PermDeviceRemoteControl, portico.PermDeviceChat)
	if got != want {
		t.Errorf("Effective = %v, want %v", got.List(), want.List())
	}
	owner := s.Effective(Query{UserID: "olivia", Target: Device("new1"), At: baseTime})
	if owner.Has(portico.PermDeviceRemoteControl) || !owner.Has(portico.PermDeviceMove) {
		t.Errorf("owner on an Unassigned device: %v", owner.List())
	}
	if s.Effective(Query{UserID: "carol", Target: Account(), At: baseTime}) != (portico.PermissionSet{}) {
		t.Error("an invited user holds something")
	}
}

// A parent cycle (possible only through inconsistent input) must not hang the engine: the groups on
// the cycle are treated as top-level groups.
func TestGroupCycle(t *testing.T) {
	g := Graph{
		AccountID: "acme",
		Users:     []UserNode{{ID: "o", Owner: true, State: portico.StateActivated, Status: portico.StatusActive}},
		Groups: []GroupNode{
			{ID: "a", ParentID: "b", Settings: portico.GroupSettings{portico.FeatureChat: false}},
			{ID: "b", ParentID: "a"},
			{ID: "c", ParentID: "b"},
		},
		Devices: []DeviceNode{{ID: "d", GroupID: "c"}},
	}
	s := New(g)
	if d := s.Decide(Query{UserID: "o", Permission: portico.PermDeviceChat, Target: Device("d")}); d.Reason != ReasonOwner {
		t.Errorf("chat on d = %v, want owner (b is a root and does not inherit from a)", d.Reason)
	}
	if got := s.ListDevices(ListQuery{UserID: "o", Permission: portico.PermDeviceChat, GroupID: "b", Recursive: true}); !slices.Equal(got, []string{"d"}) {
		t.Errorf("ListDevices = %v", got)
	}
}

// Decide sits on every request's path: it must not allocate, whatever the answer.
func TestDecideDoesNotAllocate(t *testing.T) {
	s := New(fixture())
	qs := []Query{
		{UserID: "bob", Permission: portico.PermDeviceChat, Target: Device("cam1"), At: baseTime},
		{UserID: "frank", Permission: portico.PermDeviceRemoteControl, Target: Device("cam1"), At: baseTime},
		{UserID: "grace", Permission: portico.PermDeviceChat, Target: Group("muc"), At: baseTime},
		{UserID: "helen", Permission: portico.PermUsersView, Target: Account(), At: baseTime},
		{UserID: "zed", Permission: portico.PermDeviceChat, Target: Device("cam1"), At: baseTime},
	}
	if n := testing.AllocsPerRun(100, func() {
		for _, q := range qs {
			s.Decide(q)
		}
	}); n != 0 {
		t.Errorf("Decide allocates %v times per run", n)
	}
}
