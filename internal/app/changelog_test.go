package app

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
)

// Every kind of snapshot edit survives the record other nodes read, so that they apply exactly what
// the writing node applied.
func TestChangeRecordRoundTrip(t *testing.T) {
	exp := time.Date(2027, 1, 2, 3, 4, 5, 600000000, time.UTC)
	edits := []authz.Change{
		{UpsertUser: &authz.UserNode{ID: "usr_1", Name: "Ann", Email: "ann@example.test", Owner: true,
			State: portico.StateActivated, Status: portico.StatusDisabled}},
		{DeleteUser: "usr_2"},
		{UpsertUserGroup: &authz.UserGroupNode{ID: "ugr_1", Name: "Support", MemberIDs: []string{"usr_1", "usr_3"}}},
		{DeleteUserGroup: "ugr_2"},
		{UpsertRole: &authz.RoleNode{ID: "rol_1", Name: "Tech", Permissions: portico.NewPermissionSet(portico.PermDeviceView, portico.PermDeviceTerminal)}},
		{DeleteRole: "rol_2"},
		{UpsertAssignment: &portico.Assignment{ID: "asg_1", AccountID: "acc_1", PrincipalType: portico.PrincipalUserGroup,
			PrincipalID: "ugr_1", RoleID: "rol_1", ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: "grp_1", ExpiresAt: &exp,
			CreatedAt: exp.Add(-time.Hour)}},
		{DeleteAssignment: "asg_2"},
		{UpsertGroup: &authz.GroupNode{ID: "grp_1", ParentID: "grp_0", Name: "Munich",
			Settings: portico.GroupSettings{portico.FeatureChat: false, portico.FeatureTerminal: true}}},
		{DeleteGroup: "grp_2"},
		{UpsertDevice: &authz.DeviceNode{ID: "dev_1", GroupID: portico.UnassignedGroupID, Name: "pc"}},
		{DeleteDevice: "dev_2"},
	}
	ends := []SessionEnd{{ID: "ses_1", By: "server", Reason: "ended by Ann"}}
	body, err := encodeRecord(&change{edits: edits, endSessions: ends})
	if err != nil {
		t.Fatal(err)
	}
	got, err := decodeRecord(body)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(edits, got.edits); diff != "" {
		t.Fatalf("edits after the round trip (-sent +read):\n%s", diff)
	}
	if !got.recheck || got.reload || !cmp.Equal(got.endSessions, ends) {
		t.Fatalf("signals after the round trip: %+v", got)
	}
	quiet, _ := encodeRecord(&change{quiet: true})
	if q, _ := decodeRecord(quiet); q.recheck {
		t.Fatal("a quiet change asks for a re-check")
	}
	for _, bad := range []string{`{"edits":[{"op":"upsert_user"}]}`, `{"edits":[{"op":"delete_role"}]}`,
		`{"edits":[{"op":"rename_everything","id":"x"}]}`, `not json`} {
		if _, err := decodeRecord([]byte(bad)); err == nil {
			t.Errorf("decoded %s", bad)
		}
	}
}

// FuzzDecodeRecord: a record read back from the database never panics the node that applies it; it
// is applied or refused (and the account reloaded).
func FuzzDecodeRecord(f *testing.F) {
	body, _ := encodeRecord(&change{edits: []authz.Change{{DeleteDevice: "dev_1"}, {UpsertDevice: &authz.DeviceNode{ID: "d", GroupID: "g"}}}})
	f.Add(body)
	f.Add([]byte(`{"reload":true}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeRecord(b)
		if err != nil {
			return
		}
		for _, e := range c.edits {
			authz.New(authz.Graph{AccountID: "acc"}).Apply(e)
		}
	})
}
