package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/server"
	"github.com/portico-dev/portico/internal/store"
)

// Demo sign-in details, printed when the demo starts.
const (
	demoOwnerEmail = "owner@demo.portico.test"
	demoPassword   = "portico-demo-password"
)

func cmdDemo(ctx context.Context, args []string, stdout, stderr io.Writer, log *slog.Logger) error {
	fs := newFlagSet("demo", stderr)
	var db dbFlags
	db.register(fs, "portico-demo")
	addr := fs.String("addr", "127.0.0.1:8080", "address to listen on")
	withAgent := fs.Bool("agent", true, "run a live agent for this computer inside the demo")
	if err := fs.Parse(args); err != nil {
		return err
	}
	db.databaseURL = "" // the demo is always embedded SQLite
	if db.data == "" {
		return errors.New("--data is required")
	}
	srv, err := server.New(ctx, server.Config{DataDir: db.data, KeyDir: db.data, Addr: *addr, Logger: log, Stdout: stdout})
	if err != nil {
		return err
	}
	a, st := srv.App(), srv.Store()
	ids, err := st.ListAccountIDs(ctx)
	if err != nil {
		srv.Close()
		return err
	}
	if len(ids) == 0 {
		if err := seedDemo(ctx, a, st); err != nil {
			srv.Close()
			return fmt.Errorf("seed demo data: %w", err)
		}
		fmt.Fprintf(stdout, "Created a demo account in %s\n", db.data)
		if ids, err = st.ListAccountIDs(ctx); err != nil {
			srv.Close()
			return err
		}
	} else {
		fmt.Fprintf(stdout, "Using the demo account in %s\n", db.data)
	}
	fmt.Fprintf(stdout, "Sign in as %s (owner) or alice@demo.portico.test, bob@demo.portico.test with password %q\n",
		demoOwnerEmail, demoPassword)
	var ready func()
	if *withAgent {
		ready = func() {
			l := &localAgent{app: a, accountID: ids[0], dataDir: db.data, server: srv.URL(), stdout: stdout, log: log}
			go l.run(ctx)
		}
	}
	return srv.Run(ctx, ready)
}

// seedDemo fills a new store with a demo account: a group tree, technicians with roles at several
// scopes, a user group, an assignment rule and enrolled devices.
func seedDemo(ctx context.Context, a *app.App, st *store.Store) error {
	created, err := a.CreateAccount(ctx, app.NewAccount{Company: "Demo Company", OwnerEmail: demoOwnerEmail,
		OwnerName: "Olivia Owner", OwnerPassword: demoPassword})
	if err != nil {
		return err
	}
	acc := created.Account.ID
	sys := app.SystemActor(acc)

	groups := map[string]string{} // name → id
	mkGroup := func(name, parent, colour string) error {
		g, err := a.CreateDeviceGroup(ctx, sys, app.GroupInput{Name: name, Colour: colour, ParentID: groups[parent],
			Description: name + " devices"})
		if err != nil {
			return fmt.Errorf("group %s: %w", name, err)
		}
		groups[name] = g.ID
		return nil
	}
	for _, g := range []struct{ name, parent, colour string }{
		{"Germany", "", "#d64541"}, {"Munich", "Germany", "#e67e22"}, {"Berlin", "Germany", "#f1c40f"},
		{"UK", "", "#2e86de"}, {"Cambridge office", "UK", "#48dbfb"}, {"Oxford office", "UK", "#10ac84"},
		{"USA", "", "#8e44ad"}, {"East coast", "USA", "#9b59b6"},
	} {
		if err := mkGroup(g.name, g.parent, g.colour); err != nil {
			return err
		}
	}
	// Chat is switched off in Munich, to show a group setting overriding everyone's permissions.
	if _, err := a.PutGroupSettings(ctx, sys, groups["Munich"], portico.GroupSettings{portico.FeatureChat: false}); err != nil {
		return err
	}

	roles, err := a.ListRoles(ctx, sys)
	if err != nil {
		return err
	}
	roleID := map[string]string{}
	for _, r := range roles {
		roleID[r.SystemKey] = r.ID
	}
	alice, err := a.CreateUser(ctx, sys, app.NewUser{Email: "alice@demo.portico.test", Name: "Alice Technician", Password: demoPassword})
	if err != nil {
		return err
	}
	bob, err := a.CreateUser(ctx, sys, app.NewUser{Email: "bob@demo.portico.test", Name: "Bob Administrator", Password: demoPassword})
	if err != nil {
		return err
	}
	if _, err := a.CreateUser(ctx, sys, app.NewUser{Email: "carol@demo.portico.test", Name: "Carol Invited"}); err != nil {
		return err
	}
	members := []string{alice.User.ID}
	name := "UK Support team"
	ukTeam, err := a.CreateUserGroup(ctx, sys, app.UserGroupInput{Name: &name, MemberIDs: &members})
	if err != nil {
		return err
	}
	for _, as := range []app.AssignmentInput{
		{PrincipalType: portico.PrincipalUser, PrincipalID: alice.User.ID, RoleID: roleID["device_connection"],
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: groups["Germany"]},
		{PrincipalType: portico.PrincipalUserGroup, PrincipalID: ukTeam.ID, RoleID: roleID["full_device_access"],
			ScopeType: portico.ScopeTypeDeviceGroup, ScopeID: groups["UK"]},
		// Alice may open the device section; which devices she sees follows her group assignments.
		{PrincipalType: portico.PrincipalUser, PrincipalID: alice.User.ID, RoleID: roleID["devices_list"],
			ScopeType: portico.ScopeTypeAccount},
		{PrincipalType: portico.PrincipalUser, PrincipalID: bob.User.ID, RoleID: roleID["team_administrator"],
			ScopeType: portico.ScopeTypeAccount},
		{PrincipalType: portico.PrincipalUser, PrincipalID: bob.User.ID, RoleID: roleID["auditor"],
			ScopeType: portico.ScopeTypeAccount},
	} {
		if _, err := a.CreateAssignment(ctx, sys, as); err != nil {
			return err
		}
	}
	// This computer's own agent (started by the demo) lands in a group of its own, placed by a rule.
	if err := mkGroup("This computer", "", "#27ae60"); err != nil {
		return err
	}
	enabled := true
	if host, err := os.Hostname(); err == nil && host != "" && !strings.ContainsAny(host, " \t") {
		if _, err := a.CreateRule(ctx, sys, app.RuleInput{Name: "This computer", Enabled: &enabled,
			Match: portico.MatchAll, TargetGroupID: groups["This computer"],
			Conditions: []portico.RuleCondition{{Property: portico.PropHostname, Operator: portico.OpEquals, Value: host}}}); err != nil {
			return err
		}
	}
	if _, err := a.CreateRule(ctx, sys, app.RuleInput{Name: "Cambridge office devices", Enabled: &enabled,
		Match: portico.MatchAll, TargetGroupID: groups["Cambridge office"],
		Conditions: []portico.RuleCondition{{Property: portico.PropDeviceName, Operator: portico.OpStartsWith, Value: "CAM-"}}}); err != nil {
		return err
	}

	_, token, err := a.CreateEnrollmentToken(ctx, sys, "")
	if err != nil {
		return err
	}
	placement := map[string]string{"MUC": "Munich", "BER": "Berlin", "OXF": "Oxford office", "NYC": "East coast"}
	for i, host := range []string{"CAM-LT-001", "CAM-LT-002", "CAM-DT-003", "MUC-WS-101", "MUC-WS-102", "BER-SRV-01",
		"OXF-LT-201", "OXF-LT-202", "NYC-DT-301", "NEW-LAPTOP-7"} {
		os, ver := "Windows 11 Pro", "23H2"
		if strings.HasSuffix(host, "01") && strings.Contains(host, "SRV") {
			os, ver = "Ubuntu", "24.04"
		}
		id, _, err := a.Enroll(ctx, app.EnrollInput{Token: token, Hostname: strings.ToLower(host), Name: host,
			OSName: os, OSVersion: ver, DeviceType: "Desktop", Manufacturer: "Contoso", AgentVersion: "demo",
			LoggedInUser: "user" + fmt.Sprint(i), IPAddresses: []string{fmt.Sprintf("10.20.%d.%d", i/5, 10+i)}, SourceIP: "127.0.0.1"})
		if err != nil {
			return fmt.Errorf("enroll %s: %w", host, err)
		}
		if g, ok := placement[host[:3]]; ok {
			if err := a.MoveDevices(ctx, sys, []string{id}, groups[g]); err != nil {
				return fmt.Errorf("move %s: %w", host, err)
			}
		}
	}
	return nil
}
