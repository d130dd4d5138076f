package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/client"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/server"
	"github.com/portico-dev/portico/internal/servertest"
)

const ownerEmail, ownerPassword = "owner@client.test", "correct horse battery staple"

// newAccount starts a real node and creates an account whose owner has an API key.
func newAccount(t *testing.T) (baseURL string, acc *app.CreatedAccount) {
	t.Helper()
	n := servertest.StartNode(t, server.Config{DataDir: t.TempDir()})
	acc, err := n.App().CreateAccount(context.Background(), app.NewAccount{Company: "Client Ltd",
		OwnerEmail: ownerEmail, OwnerName: "Owner", OwnerPassword: ownerPassword, WithAPIKey: true})
	if err != nil {
		t.Fatal(err)
	}
	return n.URL(), acc
}

// headerRecorder remembers the headers of every request it carries.
type headerRecorder struct {
	mu   sync.Mutex
	seen []http.Header
}

func (h *headerRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	h.mu.Lock()
	h.seen = append(h.seen, r.Header.Clone())
	h.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (h *headerRecorder) last() http.Header {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.seen[len(h.seen)-1]
}

func TestAgainstServer(t *testing.T) {
	base, acc := newAccount(t)
	ctx := context.Background()
	rec := &headerRecorder{}
	c := client.New(base+"/", client.WithAPIKey(acc.APIKey), client.WithReadYourWrites(), client.WithUserAgent("client-test/1"),
		client.WithHTTPClient(&http.Client{Transport: rec}))

	t.Run("revisions", func(t *testing.T) {
		g, err := c.CreateDeviceGroup(ctx, client.CreateDeviceGroupRequest{Name: "Revisions", Colour: "#112233"})
		if err != nil {
			t.Fatal(err)
		}
		rev := c.Revision()
		if rev <= 0 {
			t.Fatalf("no revision remembered after a change: %d", rev)
		}
		if _, err := c.GetDeviceGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		h := rec.last()
		if got := h.Get(client.MinRevisionHeader); got != strconv.FormatInt(rev, 10) {
			t.Errorf("%s sent %q, want %d", client.MinRevisionHeader, got, rev)
		}
		if got := h.Get("User-Agent"); got != "client-test/1" {
			t.Errorf("User-Agent %q", got)
		}
		// Without ReadYourWrites nothing is asked for, though the revision is remembered.
		plain := client.New(base, client.WithAPIKey(acc.APIKey), client.WithHTTPClient(&http.Client{Transport: rec}))
		if _, err := plain.GetDeviceGroup(ctx, g.ID); err != nil || plain.Revision() < rev {
			t.Fatalf("revision %d after a read, want at least %d (%v)", plain.Revision(), rev, err)
		}
		if _, err := plain.GetDeviceGroup(ctx, g.ID); err != nil {
			t.Fatal(err)
		}
		if got := rec.last().Get(client.MinRevisionHeader); got != "" {
			t.Errorf("without ReadYourWrites, %s sent %q", client.MinRevisionHeader, got)
		}
	})

	t.Run("pages and iterators", func(t *testing.T) {
		for i := range 7 {
			if _, err := c.CreateUserGroup(ctx, client.CreateUserGroupRequest{Name: fmt.Sprintf("Team %d", i)}); err != nil {
				t.Fatal(err)
			}
		}
		p, err := c.ListUserGroups(ctx, client.ListOptions{Limit: 3, Offset: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Items) != 3 || p.Total != 7 || p.Limit != 3 || p.Offset != 2 || !p.More() {
			t.Fatalf("page: %d items, total %d, limit %d, offset %d", len(p.Items), p.Total, p.Limit, p.Offset)
		}
		var names []string
		for g, err := range c.AllUserGroups(ctx, client.ListOptions{Limit: 2}) {
			if err != nil {
				t.Fatal(err)
			}
			names = append(names, g.Name)
		}
		if len(names) != 7 {
			t.Fatalf("iterated over %d groups, want 7: %v", len(names), names)
		}
		// Stopping early stops asking.
		n := 0
		for range c.AllUserGroups(ctx, client.ListOptions{Limit: 2}) {
			n++
			if n == 3 {
				break
			}
		}
		roles, err := client.Collect(c.AllRoles(ctx, client.ListOptions{}))
		if err != nil || len(roles) == 0 || !roles[0].System {
			t.Fatalf("roles: %d, %v", len(roles), err)
		}
	})

	t.Run("errors", func(t *testing.T) {
		anon := client.New(base)
		_, errBadColour := c.CreateDeviceGroup(ctx, client.CreateDeviceGroupRequest{Name: "Bad", Colour: "blue"})
		_, errMissing := c.GetDevice(ctx, "dev_nope")
		_, errAnon := anon.ListDevices(ctx, client.DeviceQuery{})
		_, errBadQuery := c.ListUsers(ctx, client.UserQuery{Status: "sleeping"})
		_, errEmptyID := c.GetUser(ctx, "")
		tests := []struct {
			name   string
			err    error
			status int
			kind   string
			is     func(error) bool
			field  string
		}{
			{"validation", errBadColour, 422, client.TypeValidation, client.IsValidation, "colour"},
			{"not found", errMissing, 404, client.TypeNotFound, client.IsNotFound, ""},
			{"unauthenticated", errAnon, 401, client.TypeUnauthenticated, client.IsUnauthenticated, ""},
			{"bad query", errBadQuery, 400, client.TypeBadRequest, func(err error) bool { return client.StatusCode(err) == 400 }, "status"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var e *client.Error
				if !errors.As(tt.err, &e) {
					t.Fatalf("%v is not an *Error", tt.err)
				}
				if e.StatusCode != tt.status || e.Kind() != tt.kind || !tt.is(tt.err) || !client.HasKind(tt.err, tt.kind) {
					t.Errorf("status %d kind %q, want %d %q", e.StatusCode, e.Kind(), tt.status, tt.kind)
				}
				if e.Detail == "" || e.Message() != e.Detail {
					t.Errorf("no detail: %+v", e)
				}
				if tt.field != "" && (len(e.Fields) == 0 || e.Fields[0].Field != tt.field) {
					t.Errorf("fields %+v, want %s first", e.Fields, tt.field)
				}
			})
		}
		if client.StatusCode(errEmptyID) != 0 || !errors.Is(errEmptyID, client.ErrNoID) {
			t.Errorf("an empty id: %v", errEmptyID)
		}
	})

	t.Run("enroll and move", func(t *testing.T) {
		g, err := c.CreateDeviceGroup(ctx, client.CreateDeviceGroupRequest{Name: "Branch", Colour: "#336699"})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.CreateEnrollmentToken(ctx, client.CreateEnrollmentTokenRequest{})
		if err != nil || tok.Secret == "" || tok.ID == "" {
			t.Fatalf("token %+v, %v", tok, err)
		}
		en, err := client.New(base).EnrollDevice(ctx, client.EnrollRequest{Token: tok.Secret, Hostname: "pc-1", OSName: "Linux"})
		if err != nil || en.DeviceID == "" || en.Credential == "" {
			t.Fatalf("enroll: %+v, %v", en, err)
		}
		devs, err := client.Collect(c.AllDevices(ctx, client.DeviceQuery{GroupID: portico.UnassignedGroupID}))
		if err != nil || len(devs) != 1 || devs[0].ID != en.DeviceID || devs[0].Hostname != "pc-1" {
			t.Fatalf("unassigned devices: %+v, %v", devs, err)
		}
		if err := c.MoveDevices(ctx, g.ID, en.DeviceID); err != nil {
			t.Fatal(err)
		}
		d, err := c.GetDevice(ctx, en.DeviceID)
		if err != nil || d.GroupID != g.ID || d.GroupName != "Branch" {
			t.Fatalf("moved device: %+v, %v", d, err)
		}
		name := "Front desk"
		if d, err = c.UpdateDevice(ctx, d.ID, client.UpdateDeviceRequest{Name: &name}); err != nil || d.Name != name {
			t.Fatalf("rename: %+v, %v", d, err)
		}
		// Back to Unassigned within 90 days is refused, naming the field.
		err = c.MoveDevices(ctx, portico.UnassignedGroupID, d.ID)
		var e *client.Error
		if !errors.As(err, &e) || !client.IsValidation(err) || len(e.Fields) == 0 || e.Fields[0].Field != "group_id" {
			t.Fatalf("move back: %v", err)
		}
		ex, err := c.ExplainAccess(ctx, client.ExplainRequest{Permission: "device.view", DeviceID: d.ID})
		if err != nil || !ex.Allowed {
			t.Fatalf("explain: %+v, %v", ex, err)
		}
		who, err := client.Collect(c.AllWhoCan(ctx, client.WhoCanRequest{Permission: "device.view", DeviceID: d.ID}, client.ListOptions{}))
		if err != nil || len(who) == 0 || who[0].Email != ownerEmail {
			t.Fatalf("who can: %+v, %v", who, err)
		}
		v, err := c.VerifyAuditLog(ctx)
		if err != nil || !v.OK || v.Entries == 0 {
			t.Fatalf("verify: %+v, %v", v, err)
		}
		events, err := c.ListAuditEvents(ctx, client.AuditQuery{Action: "device.move", ListOptions: client.ListOptions{Limit: 5}})
		if err != nil || len(events.Items) == 0 || events.Items[0].TargetID != d.ID {
			t.Fatalf("audit events: %+v, %v", events, err)
		}
	})

	t.Run("settings", func(t *testing.T) {
		g, err := c.CreateDeviceGroup(ctx, client.CreateDeviceGroupRequest{Name: "Quiet", Colour: "#445566"})
		if err != nil {
			t.Fatal(err)
		}
		s, err := c.PutDeviceGroupSettings(ctx, g.ID, portico.GroupSettings{portico.FeatureChat: false})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(portico.GroupSettings{portico.FeatureChat: false}, s.Own); diff != "" {
			t.Errorf("own settings (-want +got):\n%s", diff)
		}
		if s.Effective[portico.FeatureChat].Enabled {
			t.Errorf("chat still on: %+v", s.Effective)
		}
	})
}

// TestSessionCookie signs in with a password, acts with the session, and signs out.
func TestSessionCookie(t *testing.T) {
	base, _ := newAccount(t)
	ctx := context.Background()
	c := client.New(base)
	if _, err := c.SignIn(ctx, client.SignInRequest{Email: ownerEmail, Password: "wrong password!"}); !client.IsUnauthenticated(err) {
		t.Fatalf("a wrong password: %v", err)
	}
	u, err := c.SignIn(ctx, client.SignInRequest{Email: ownerEmail, Password: ownerPassword})
	if err != nil || !u.Owner || c.Session() == "" {
		t.Fatalf("sign in: %+v, %v (session %q)", u, err, c.Session())
	}
	me, err := c.GetMe(ctx)
	if err != nil || me.User.Email != ownerEmail || len(me.Permissions) == 0 {
		t.Fatalf("me: %+v, %v", me, err)
	}
	// The cookie alone, given to another client, is the session.
	other := client.New(base, client.WithSession(c.Session()))
	if _, err := other.CreateUserGroup(ctx, client.CreateUserGroupRequest{Name: "By cookie"}); err != nil {
		t.Fatalf("a change with the session cookie: %v", err)
	}
	if err := c.SignOut(ctx); err != nil || c.Session() != "" {
		t.Fatalf("sign out: %v (session %q)", err, c.Session())
	}
	if _, err := other.GetMe(ctx); !client.IsUnauthenticated(err) {
		t.Fatalf("the ended session still works: %v", err)
	}
}
