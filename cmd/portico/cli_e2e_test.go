package main

// End-to-end test of the administration commands: the real binary against a real `portico serve`.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/sso/ssotest"
)

// cliRunner runs `portico RESOURCE VERB` against one server, in an environment of its own: no
// PORTICO_* variables and no config file of the developer's leak in.
type cliRunner struct {
	t      *testing.T
	server string
	key    string
	env    []string
	// ran records every "resource verb" of the command table run, for checkEveryVerbRan; runners
	// made with withKey share it.
	ran map[string]bool
}

func newCLIRunner(t *testing.T, server, key string) *cliRunner {
	home := t.TempDir()
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PORTICO_") && !strings.HasPrefix(kv, "HOME=") && !strings.HasPrefix(kv, "XDG_CONFIG_HOME=") {
			env = append(env, kv)
		}
	}
	env = append(env, "HOME="+home, "XDG_CONFIG_HOME="+filepath.Join(home, ".config"))
	return &cliRunner{t: t, server: server, key: key, env: env, ran: map[string]bool{}}
}

// withKey returns a runner for the same server with another API key, recording into the same ran.
func (r *cliRunner) withKey(key string) *cliRunner {
	c := *r
	c.key = key
	return &c
}

// exec runs the binary with args as they are and the extra environment.
func (r *cliRunner) exec(extraEnv []string, args ...string) (stdout, stderr string, code int) {
	r.t.Helper()
	if len(args) >= 2 {
		if res, ok := lookupResource(args[0]); ok {
			if _, ok := res.lookup(args[1]); ok {
				r.ran[args[0]+" "+args[1]] = true
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, porticoBin, args...)
	cmd.Env = append(append([]string{}, r.env...), extraEnv...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		r.t.Fatalf("run portico %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// run runs a command with --server and --api-key and wants it to succeed.
func (r *cliRunner) run(args ...string) string {
	r.t.Helper()
	out, errOut, code := r.exec(nil, append(args, "--server", r.server, "--api-key", r.key)...)
	if code != 0 {
		r.t.Fatalf("portico %s: exit %d\n%s%s", strings.Join(args, " "), code, out, errOut)
	}
	return out
}

// json runs a command with --output json and decodes what it prints into v.
func (r *cliRunner) json(v any, args ...string) {
	r.t.Helper()
	out := r.run(append(args, "--output", "json")...)
	if err := json.Unmarshal([]byte(out), v); err != nil {
		r.t.Fatalf("portico %s printed %q: %v", strings.Join(args, " "), out, err)
	}
}

// table runs a command with table output and checks the header's columns.
func (r *cliRunner) table(header []string, args ...string) string {
	r.t.Helper()
	out := r.run(args...)
	first, _, _ := strings.Cut(out, "\n")
	got := strings.Join(strings.Fields(first), " ")
	if want := strings.Join(header, " "); got != want {
		r.t.Fatalf("portico %s: header %q, want %q\n%s", strings.Join(args, " "), got, want, out)
	}
	return out
}

// fail runs a command that must fail with code, its error output holding each of want.
func (r *cliRunner) fail(code int, want []string, args ...string) {
	r.t.Helper()
	out, errOut, got := r.exec(nil, append(args, "--server", r.server, "--api-key", r.key)...)
	if got != code {
		r.t.Fatalf("portico %s: exit %d, want %d\n%s%s", strings.Join(args, " "), got, code, out, errOut)
	}
	for _, w := range want {
		if !strings.Contains(errOut, w) {
			r.t.Errorf("portico %s: stderr %q lacks %q", strings.Join(args, " "), errOut, w)
		}
	}
}

// fieldValue is the header of an object shown one field a line (writeFields).
var fieldValue = []string{"FIELD", "VALUE"}

type cliObject struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	Email          string          `json:"email"`
	State          string          `json:"state"`
	Status         string          `json:"status"`
	GroupID        string          `json:"group_id"`
	Hostname       string          `json:"hostname"`
	Colour         string          `json:"colour"`
	Description    string          `json:"description"`
	Enabled        bool            `json:"enabled"`
	Secret         string          `json:"secret"`
	MemberIDs      []string        `json:"member_ids"`
	Permissions    []string        `json:"permissions"`
	InvitationLink string          `json:"invitation_link"`
	Own            map[string]bool `json:"own"`
	Favourite      bool            `json:"favourite"`
}

// checkEveryVerbRan fails for each verb of the command table that the end-to-end test never ran:
// a verb added to the table must be added to TestCLI too.
func checkEveryVerbRan(t *testing.T, ran map[string]bool) {
	t.Helper()
	for _, res := range resources() {
		for _, v := range res.verbs {
			if !ran[res.name+" "+v.name] {
				t.Errorf("portico %s %s never ran in TestCLI: run it there and check its output", res.name, v.name)
			}
		}
	}
}

// writeTestFile writes content to a new file in a temporary directory and returns its path.
func writeTestFile(t *testing.T, name string, content []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, content, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestCLI runs every administration command against a real server, as an administrator would.
func TestCLI(t *testing.T) {
	data := t.TempDir()
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "", "admin", "create-account", "--data", data, "--company", "CLI Ltd",
		"--owner-email", "owner@cli.test", "--owner-password-file", pwFile, "--print-api-key")
	if code != 0 {
		t.Fatalf("create-account: exit %d: %s", code, errOut)
	}
	var acct struct {
		APIKey       string `json:"api_key"`
		OwnerID      string `json:"owner_id"`
		DefaultGroup string `json:"default_device_group_id"`
	}
	if err := json.Unmarshal([]byte(out), &acct); err != nil || acct.APIKey == "" {
		t.Fatalf("create-account printed %q (%v)", out, err)
	}
	// The test's identity provider listens on loopback, as the server must be told it may. The
	// directory is left to the server's rule for loopback, whose refusal is the error preview shows.
	srv := startServer(t, "serve", "--data", data, "--addr", "127.0.0.1:0", "--allow-local-idp-metadata")
	r := newCLIRunner(t, srv.URL, acct.APIKey)

	// Device groups.
	var group, temp cliObject
	r.json(&group, "groups", "create", "--name", "Branch office", "--description", "Ground floor")
	if group.ID == "" || group.Name != "Branch office" || group.Colour != defaultColour {
		t.Fatalf("groups create: %+v", group)
	}
	if out := r.table([]string{"ID", "NAME", "PARENT", "COLOUR", "DESCRIPTION"}, "groups", "list"); !strings.Contains(out, "Branch office") {
		t.Errorf("groups list:\n%s", out)
	}
	var got cliObject
	r.json(&got, "groups", "update", group.ID, "--description", "Second floor")
	if got.Description != "Second floor" || got.Name != "Branch office" {
		t.Errorf("groups update: %+v", got)
	}
	r.json(&got, "groups", "get", group.ID)
	if got.Description != "Second floor" {
		t.Errorf("groups get: %+v", got)
	}
	r.json(&got, "groups", "settings", group.ID, "chat=off")
	if on, set := got.Own["chat"]; !set || on {
		t.Errorf("groups settings: own %v", got.Own)
	}
	r.json(&got, "groups", "disable-all-settings", group.ID)
	if len(got.Own) != 9 || got.Own["view"] || got.Own["chat"] {
		t.Errorf("groups disable-all-settings: own %v", got.Own)
	}
	r.json(&got, "groups", "enable-all-settings", group.ID)
	if len(got.Own) != 9 || !got.Own["view"] || !got.Own["chat"] {
		t.Errorf("groups enable-all-settings: own %v", got.Own)
	}
	r.table([]string{"FEATURE", "OWN", "EFFECTIVE", "FROM", "GROUP"}, "groups", "enable-all-settings", group.ID)
	r.table([]string{"FEATURE", "OWN", "EFFECTIVE", "FROM", "GROUP"}, "groups", "disable-all-settings", group.ID)
	// The session below needs chat, and no acknowledgement by a person at the device.
	r.json(&got, "groups", "settings", group.ID, "chat=on", "view=on", "require_acknowledgement=off")
	r.table([]string{"FEATURE", "OWN", "EFFECTIVE", "FROM", "GROUP"}, "groups", "settings", group.ID)
	r.json(&temp, "groups", "create", "--name", "Temporary", "--parent", group.ID, "--colour", "#aabbcc")
	if out := r.run("groups", "delete", temp.ID); !strings.Contains(out, "deleted device group "+temp.ID) {
		t.Errorf("groups delete printed %q", out)
	}

	// On-demand: a code for a person, its settings, its history, its end.
	var od struct {
		ID    string `json:"id"`
		Code  string `json:"code"`
		State string `json:"state"`
		Link  string `json:"link"`
	}
	r.json(&od, "on-demand", "create", "--customer", "Ann Lee", "--note", "printer")
	if len(od.Code) != 9 || od.State != "waiting" || !strings.HasSuffix(od.Link, "/support/"+od.Code) {
		t.Errorf("on-demand create: %+v", od)
	}
	r.table([]string{"ID", "CODE", "CUSTOMER", "TECHNICIAN", "STATE", "COMPUTER", "EXPIRES", "LINK"}, "on-demand", "get", od.ID)
	var ods []cliObject
	if r.json(&ods, "on-demand", "list", "--live"); len(ods) != 1 || ods[0].ID != od.ID {
		t.Errorf("on-demand list --live: %+v", ods)
	}
	var ods2 struct {
		CodeMinutes     int      `json:"code_minutes"`
		Actions         []string `json:"actions"`
		RequireApproval bool     `json:"require_approval"`
	}
	r.json(&ods2, "on-demand", "set-settings", "--code-minutes", "30", "--actions", "terminal,chat", "--approval", "first")
	if ods2.CodeMinutes != 30 || strings.Join(ods2.Actions, ",") != "terminal,chat" || ods2.RequireApproval {
		t.Errorf("on-demand set-settings: %+v", ods2)
	}
	if out := r.run("on-demand", "settings"); !strings.Contains(out, "terminal,chat") || !strings.Contains(out, "first request") {
		t.Errorf("on-demand settings printed %q", out)
	}
	if out := r.run("on-demand", "end", od.ID); !strings.Contains(out, "ended on-demand session "+od.ID) {
		t.Errorf("on-demand end printed %q", out)
	}
	if out := r.run("on-demand", "history", od.ID); !strings.Contains(out, "on_demand.end") || !strings.Contains(out, "on_demand.create") {
		t.Errorf("on-demand history printed %q", out)
	}

	// Enrollment: a token from the command line, the real agent enrolls with it.
	var token cliObject
	r.json(&token, "enrollment-tokens", "create")
	if token.Secret == "" {
		t.Fatalf("enrollment-tokens create: %+v", token)
	}
	var tokens []cliObject
	r.json(&tokens, "enrollment-tokens", "list")
	if len(tokens) != 1 || tokens[0].ID != token.ID || tokens[0].Secret != "" {
		t.Errorf("enrollment-tokens list: %+v", tokens)
	}
	agentConfig, deviceID := enrollAgent(t, srv.URL, token.Secret)
	if out := r.run("enrollment-tokens", "revoke", token.ID); !strings.Contains(out, "revoked enrollment token "+token.ID) {
		t.Errorf("enrollment-tokens revoke printed %q", out)
	}
	var revoked []struct {
		RevokedAt string `json:"revoked_at"`
	}
	r.json(&revoked, "enrollment-tokens", "list")
	if len(revoked) != 1 || revoked[0].RevokedAt == "" {
		t.Errorf("enrollment-tokens list after revoke: %+v", revoked)
	}
	r.table([]string{"ID", "GROUP", "CREATED", "REVOKED"}, "enrollment-tokens", "list")

	// Devices.
	var devices []cliObject
	r.json(&devices, "devices", "list")
	if len(devices) != 1 || devices[0].ID != deviceID || devices[0].GroupID != "unassigned" {
		t.Fatalf("devices list: %+v", devices)
	}
	r.json(&devices, "devices", "list", "--group", "unassigned", "--limit", "1")
	if len(devices) != 1 {
		t.Errorf("devices list --group unassigned: %+v", devices)
	}
	if out := r.table([]string{"ID", "NAME", "GROUP", "STATUS", "HOSTNAME", "OS", "LAST", "SEEN"}, "devices", "list"); !strings.Contains(out, "Unassigned") {
		t.Errorf("devices list:\n%s", out)
	}
	hostname := devices[0].Hostname
	r.json(&got, "devices", "update", deviceID, "--name", "Front desk")
	if got.Name != "Front desk" {
		t.Errorf("devices update: %+v", got)
	}
	if out := r.run("devices", "favourite", deviceID); !strings.Contains(out, "is one of your favourites") {
		t.Errorf("devices favourite printed %q", out)
	}
	r.json(&devices, "devices", "list", "--favourites")
	if len(devices) != 1 || !devices[0].Favourite {
		t.Errorf("devices list --favourites after favourite: %+v", devices)
	}
	r.run("devices", "unfavourite", deviceID)
	r.json(&got, "devices", "get", deviceID)
	if got.Favourite {
		t.Errorf("devices get after unfavourite: %+v", got)
	}
	var inventory struct {
		DeviceID string `json:"device_id"`
	}
	r.json(&inventory, "devices", "inventory", deviceID)
	if inventory.DeviceID != deviceID {
		t.Errorf("devices inventory: %+v", inventory)
	}

	// Assignment rules: the rule would move the device; a dry run says so and moves nothing.
	var rule cliObject
	r.json(&rule, "rules", "create", "--name", "Branch PCs", "--target", group.ID, "--condition", "hostname:equals:"+hostname)
	if rule.ID == "" || !rule.Enabled {
		t.Fatalf("rules create: %+v", rule)
	}
	var matches []struct {
		DeviceID string `json:"device_id"`
	}
	r.json(&matches, "rules", "dry-run", rule.ID)
	if len(matches) != 1 || matches[0].DeviceID != deviceID {
		t.Errorf("rules dry-run: %+v", matches)
	}
	r.table([]string{"DEVICE", "NAME", "RULE", "TARGET"}, "rules", "dry-run", rule.ID)
	r.json(&rule, "rules", "update", rule.ID, "--disabled")
	if rule.Enabled || rule.Name != "Branch PCs" {
		t.Errorf("rules update --disabled: %+v", rule)
	}
	r.json(&rule, "rules", "get", rule.ID)
	if rule.Enabled {
		t.Errorf("rules get: %+v", rule)
	}
	r.table([]string{"POSITION", "ID", "NAME", "ENABLED", "MATCH", "TARGET", "CONDITIONS"}, "rules", "list")
	var second cliObject
	r.json(&second, "rules", "create", "--name", "Others", "--target", group.ID, "--condition", "os_name:contains:Windows")
	r.run("rules", "reorder", second.ID, rule.ID)
	var rules []struct {
		ID       string `json:"id"`
		Position int    `json:"position"`
	}
	r.json(&rules, "rules", "list")
	if len(rules) != 2 || rules[0].ID != second.ID {
		t.Errorf("rules after reorder: %+v", rules)
	}
	var applied struct {
		Moved int `json:"moved"`
	}
	r.json(&applied, "rules", "apply") // the matching rule is off: nothing moves
	if applied.Moved != 0 {
		t.Errorf("rules apply moved %d", applied.Moved)
	}
	r.run("rules", "delete", rule.ID, second.ID)
	r.json(&rules, "rules", "list")
	if len(rules) != 0 {
		t.Errorf("rules after delete: %+v", rules)
	}

	// Moving the device, and the refusal to move it back within 90 days (a 422 with its detail).
	if out := r.run("devices", "move", deviceID, "--group", group.ID); !strings.Contains(out, "moved 1 device(s)") {
		t.Errorf("devices move printed %q", out)
	}
	r.json(&got, "devices", "get", deviceID)
	if got.GroupID != group.ID {
		t.Errorf("devices get after the move: %+v", got)
	}
	r.fail(1, []string{"portico: ", "90 days"}, "devices", "move", deviceID, "--group", "unassigned")
	var history []struct {
		Action string `json:"action"`
	}
	r.json(&history, "devices", "history", deviceID)
	if len(history) < 2 || history[0].Action != "moved" {
		t.Errorf("devices history: %+v", history)
	}

	// Remote sessions: the agent runs, a technician opens a session over the WebSocket, and the
	// command line sees it and ends it.
	runAgent(t, agentConfig, deviceID)
	eventually.True(t, 20*time.Second, "the device available", func() bool {
		r.json(&got, "devices", "get", deviceID)
		return got.Status == "available"
	})
	technician, code := openSession(t, srv.URL, acct.APIKey, deviceID, "chat")
	if code != 101 {
		t.Fatalf("open a session: HTTP %d", code)
	}
	sessionID, _ := technician.State("active")["session_id"].(string)
	var sessions []struct {
		ID       string   `json:"id"`
		DeviceID string   `json:"device_id"`
		State    string   `json:"state"`
		Actions  []string `json:"actions"`
		EndedBy  string   `json:"ended_by"`
	}
	r.json(&sessions, "sessions", "list")
	if len(sessions) != 1 || sessions[0].ID != sessionID || sessions[0].DeviceID != deviceID {
		t.Fatalf("sessions list: %+v, want %s", sessions, sessionID)
	}
	r.table([]string{"ID", "DEVICE", "USER", "STATE", "ACTIONS", "STARTED", "ENDED"}, "sessions", "list")
	r.json(&sessions[0], "sessions", "get", sessionID)
	if sessions[0].State != "active" || len(sessions[0].Actions) != 1 || sessions[0].Actions[0] != "chat" {
		t.Errorf("sessions get: %+v", sessions[0])
	}
	if out := r.run("sessions", "end", sessionID); !strings.Contains(out, "ended session "+sessionID) {
		t.Errorf("sessions end printed %q", out)
	}
	technician.State("ended")
	r.json(&sessions[0], "sessions", "get", sessionID)
	if sessions[0].State != "ended" || sessions[0].EndedBy == "" {
		t.Errorf("sessions get after end: %+v", sessions[0])
	}
	r.json(&sessions, "sessions", "list")
	if len(sessions) != 0 {
		t.Errorf("sessions list after end: %+v", sessions)
	}

	// Users and user groups.
	var invited, tech cliObject
	r.json(&invited, "users", "create", "--email", "new@cli.test", "--name", "Newcomer")
	if invited.State != "invited" || invited.InvitationLink == "" {
		t.Errorf("users create (invited): %+v", invited)
	}
	techPw := filepath.Join(t.TempDir(), "tech-pw")
	os.WriteFile(techPw, []byte("another fine password 42\n"), 0o600)
	r.json(&tech, "users", "create", "--email", "tech@cli.test", "--name", "Tech", "--password-file", techPw)
	if tech.State != "activated" || tech.Status != "active" {
		t.Errorf("users create (active): %+v", tech)
	}
	r.table([]string{"ID", "EMAIL", "NAME", "STATE", "STATUS", "OWNER"}, "users", "list")
	var users []cliObject
	r.json(&users, "users", "list", "--state", "invited")
	if len(users) != 1 || users[0].ID != invited.ID {
		t.Errorf("users list --state invited: %+v", users)
	}
	r.json(&got, "users", "update", tech.ID, "--name", "Technician")
	if got.Name != "Technician" {
		t.Errorf("users update: %+v", got)
	}
	r.json(&got, "users", "disable", tech.ID)
	if got.Status != "disabled" {
		t.Errorf("users disable: %+v", got)
	}
	r.json(&got, "users", "enable", tech.ID)
	if got.Status != "active" {
		t.Errorf("users enable: %+v", got)
	}
	r.json(&got, "users", "get", tech.ID)
	if got.Email != "tech@cli.test" {
		t.Errorf("users get: %+v", got)
	}
	var invitation struct {
		ID        string `json:"id"`
		UserID    string `json:"user_id"`
		ExpiresAt string `json:"expires_at"`
	}
	r.json(&invitation, "users", "invitation", invited.ID)
	if invitation.ID == "" || invitation.UserID != invited.ID || invitation.ExpiresAt == "" {
		t.Errorf("users invitation: %+v", invitation)
	}
	r.table([]string{"ID", "USER", "CREATED", "EXPIRES"}, "users", "invitation", invited.ID)
	var resent cliObject
	r.json(&resent, "users", "resend-invitation", invited.ID)
	if resent.InvitationLink == "" || resent.InvitationLink == invited.InvitationLink || resent.State != "invited" {
		t.Errorf("users resend-invitation: %+v", resent)
	}
	if out := r.run("users", "revoke-invitation", invited.ID); !strings.Contains(out, "revoked the invitation of user "+invited.ID) {
		t.Errorf("users revoke-invitation printed %q", out)
	}
	r.fail(1, []string{"not found"}, "users", "invitation", invited.ID)
	r.fail(1, []string{"already completed registration"}, "users", "resend-invitation", tech.ID)
	r.run("users", "delete", invited.ID)
	r.fail(1, []string{"not found"}, "users", "get", invited.ID)

	var team cliObject
	r.json(&team, "user-groups", "create", "--name", "Helpdesk", "--members", tech.ID)
	if len(team.MemberIDs) != 1 || team.MemberIDs[0] != tech.ID {
		t.Errorf("user-groups create: %+v", team)
	}
	r.json(&team, "user-groups", "update", team.ID, "--description", "First line")
	r.json(&team, "user-groups", "set-members", team.ID)
	if len(team.MemberIDs) != 0 || team.Description != "First line" {
		t.Errorf("user-groups set-members (none): %+v", team)
	}
	r.json(&team, "user-groups", "set-members", team.ID, tech.ID)
	r.json(&team, "user-groups", "get", team.ID)
	if len(team.MemberIDs) != 1 {
		t.Errorf("user-groups get: %+v", team)
	}
	r.table([]string{"ID", "NAME", "MEMBERS", "DESCRIPTION"}, "user-groups", "list")

	// Roles, assignments and what they allow.
	var role, clone cliObject
	r.json(&role, "roles", "create", "--name", "Viewers", "--purpose", "devices", "--permissions", "devices.list,device.view",
		"--permissions", "device.history")
	if len(role.Permissions) != 3 {
		t.Fatalf("roles create: %+v", role)
	}
	r.json(&role, "roles", "update", role.ID, "--description", "Look, do not touch")
	r.json(&got, "roles", "get", role.ID)
	if got.Description != "Look, do not touch" || len(got.Permissions) != 3 {
		t.Errorf("roles get: %+v", got)
	}
	r.json(&clone, "roles", "clone", role.ID, "--name", "Viewers (copy)")
	if clone.Name != "Viewers (copy)" || len(clone.Permissions) != 3 {
		t.Errorf("roles clone: %+v", clone)
	}
	r.table([]string{"ID", "NAME", "PURPOSE", "SYSTEM", "PERMISSIONS"}, "roles", "list")
	var assignment cliObject
	r.json(&assignment, "assignments", "create", "--user-group", team.ID, "--role", role.ID,
		"--scope", "device_group:"+group.ID, "--expires", "720h")
	if assignment.ID == "" {
		t.Fatalf("assignments create: %+v", assignment)
	}
	var assignments []cliObject
	r.json(&assignments, "assignments", "list", "--user-group", team.ID)
	if len(assignments) != 1 || assignments[0].ID != assignment.ID {
		t.Errorf("assignments list: %+v", assignments)
	}
	r.json(&assignments, "roles", "dependents", role.ID)
	if len(assignments) != 1 {
		t.Errorf("roles dependents: %+v", assignments)
	}
	r.table([]string{"ID", "PRINCIPAL", "ROLE", "SCOPE", "EXPIRES"}, "assignments", "list")
	var explained struct {
		Allowed bool `json:"allowed"`
		Grants  []struct {
			AssignmentID string `json:"assignment_id"`
		} `json:"grants"`
	}
	r.json(&explained, "access", "explain", "--user", tech.ID, "--permission", "device.history", "--device", deviceID)
	if !explained.Allowed || len(explained.Grants) != 1 || explained.Grants[0].AssignmentID != assignment.ID {
		t.Errorf("access explain: %+v", explained)
	}
	r.table([]string{"ALLOWED", "REASON", "MESSAGE"}, "access", "explain", "--user", tech.ID, "--permission", "device.delete", "--device", deviceID)
	var who []struct {
		UserID string `json:"user_id"`
	}
	r.json(&who, "access", "who-can", "--permission", "device.history", "--device", deviceID)
	if len(who) != 2 { // the owner, and the technician through the group
		t.Errorf("access who-can: %+v", who)
	}
	r.table([]string{"USER", "NAME", "EMAIL", "OWNER", "ROLES"}, "access", "who-can", "--permission", "device.view", "--group", group.ID)
	r.run("assignments", "delete", assignment.ID)
	r.run("roles", "delete", clone.ID)
	r.run("roles", "delete", role.ID)
	r.run("user-groups", "delete", team.ID)

	// API keys: a new key works until it is revoked.
	var key cliObject
	r.json(&key, "api-keys", "create", "--name", "ci", "--permissions", "devices.list,device.view")
	if key.Secret == "" {
		t.Fatalf("api-keys create: %+v", key)
	}
	r.table([]string{"ID", "NAME", "PERMISSIONS", "CREATED", "LAST", "USED", "REVOKED"}, "api-keys", "list")
	narrow := r.withKey(key.Secret)
	narrow.json(&devices, "devices", "list")
	var me struct {
		User struct {
			ID    string `json:"id"`
			Owner bool   `json:"owner"`
		} `json:"user"`
		Account struct {
			Name string `json:"name"`
		} `json:"account"`
		Permissions []string `json:"permissions"`
	}
	narrow.json(&me, "me", "get") // the key's permissions, not its owner's
	slices.Sort(me.Permissions)
	if me.User.ID != acct.OwnerID || strings.Join(me.Permissions, ",") != "device.view,devices.list" {
		t.Errorf("me get with a narrowed key: %+v", me)
	}
	narrow.fail(1, []string{"portico: "}, "users", "list") // the key is narrowed to devices
	r.run("api-keys", "revoke", key.ID)
	narrow.fail(1, []string{"check --api-key"}, "devices", "list")

	// The audit log.
	var events []struct {
		Action   string `json:"action"`
		TargetID string `json:"target_id"`
	}
	r.json(&events, "audit", "events", "--action", "device.move")
	if len(events) != 1 || events[0].TargetID != deviceID {
		t.Errorf("audit events --action device.move: %+v", events)
	}
	r.table([]string{"SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "OUTCOME", "DETAIL"}, "audit", "events", "--limit", "3")
	lines := strings.Split(strings.TrimSpace(r.run("audit", "export", "--action", "device.move")), "\n")
	var exported struct {
		Action   string `json:"action"`
		TargetID string `json:"target_id"`
		Hash     string `json:"hash"`
	}
	if len(lines) != 1 || json.Unmarshal([]byte(lines[0]), &exported) != nil || exported.TargetID != deviceID || exported.Hash == "" {
		t.Errorf("audit export --action device.move printed %q", lines)
	}
	if out := r.run("audit", "verify"); !strings.HasPrefix(out, "ok, ") {
		t.Errorf("audit verify --server printed %q", out)
	}
	var verified struct {
		OK      bool `json:"ok"`
		Entries int  `json:"entries"`
	}
	r.json(&verified, "audit", "verify")
	if !verified.OK || verified.Entries < 20 {
		t.Errorf("audit verify -o json: %+v", verified)
	}

	// The account, its plan and the permission catalogue.
	var account struct {
		Name     string `json:"name"`
		Settings struct {
			IdleTimeoutMinutes    int    `json:"idle_timeout_minutes"`
			ManagedLicences       int    `json:"managed_licences"`
			TechnicianDisplayName string `json:"technician_display_name"`
		} `json:"settings"`
	}
	r.json(&account, "account", "get")
	if account.Name != "CLI Ltd" || account.Settings.IdleTimeoutMinutes != 15 {
		t.Errorf("account get: %+v", account)
	}
	r.table(fieldValue, "account", "get")
	r.json(&account, "account", "update", "--name", "CLI Limited", "--idle-timeout-minutes", "30",
		"--technician-display-name", "Support")
	if account.Name != "CLI Limited" || account.Settings.IdleTimeoutMinutes != 30 ||
		account.Settings.TechnicianDisplayName != "Support" || account.Settings.ManagedLicences != 100 {
		t.Errorf("account update (the other settings kept): %+v", account)
	}
	r.fail(1, []string{"idle_timeout_minutes", "between 3 and 1440"}, "account", "update", "--idle-timeout-minutes", "1")
	var licences struct {
		ManagedUsed  int `json:"managed_used"`
		ManagedLimit int `json:"managed_limit"`
		SeatsUsed    int `json:"seats_used"`
	}
	r.json(&licences, "account", "licences")
	if licences.ManagedUsed != 1 || licences.ManagedLimit != 100 || licences.SeatsUsed != 1 {
		t.Errorf("account licences: %+v", licences) // the device in a group, the technician
	}
	r.table(fieldValue, "account", "licences")
	r.json(&me, "me", "get")
	if me.User.ID != acct.OwnerID || !me.User.Owner || me.Account.Name != "CLI Limited" || len(me.Permissions) < 20 {
		t.Errorf("me get: %+v", me)
	}
	r.table(fieldValue, "me", "get")
	var permissions []struct {
		ID string `json:"id"`
	}
	r.json(&permissions, "permissions", "list")
	if len(permissions) != len(me.Permissions) {
		t.Errorf("permissions list: %d permissions, the owner holds %d", len(permissions), len(me.Permissions))
	}
	r.table([]string{"ID", "CATEGORY", "SCOPE", "TITLE", "GATED", "BY"}, "permissions", "list", "--limit", "3")

	// The password policy.
	var policy struct {
		MinLength  int  `json:"min_length"`
		RequireMix bool `json:"require_mix"`
	}
	r.json(&policy, "password-policy", "set", "--min-length", "12")
	if policy.MinLength != 12 || policy.RequireMix {
		t.Errorf("password-policy set --min-length: %+v", policy)
	}
	r.json(&policy, "password-policy", "set", "--require-mix")
	if policy.MinLength != 12 || !policy.RequireMix {
		t.Errorf("password-policy set --require-mix: %+v", policy)
	}
	r.json(&policy, "password-policy", "get")
	if policy.MinLength != 12 || !policy.RequireMix {
		t.Errorf("password-policy get: %+v", policy)
	}
	r.table(fieldValue, "password-policy", "get")
	r.fail(1, []string{"min_length"}, "password-policy", "set", "--min-length", "4")

	// Branding: a logo from a file, refused when it is not an image, then removed.
	var logo bytes.Buffer
	if err := png.Encode(&logo, image.NewRGBA(image.Rect(0, 0, 4, 3))); err != nil {
		t.Fatal(err)
	}
	var branding struct {
		HasLogo   bool   `json:"has_logo"`
		MediaType string `json:"media_type"`
		Width     int    `json:"width"`
		Height    int    `json:"height"`
	}
	r.json(&branding, "branding", "upload-logo", writeTestFile(t, "logo.png", logo.Bytes()))
	if !branding.HasLogo || branding.MediaType != "image/png" || branding.Width != 4 || branding.Height != 3 {
		t.Errorf("branding upload-logo: %+v", branding)
	}
	r.table(fieldValue, "branding", "get")
	r.fail(1, []string{"PNG or JPEG"}, "branding", "upload-logo", pwFile)
	if out := r.run("branding", "delete-logo"); !strings.Contains(out, "deleted the logo") {
		t.Errorf("branding delete-logo printed %q", out)
	}
	r.json(&branding, "branding", "get")
	if branding.HasLogo {
		t.Errorf("branding get after delete-logo: %+v", branding)
	}

	// Legal documents: new versions shut the key's user out until they accept them.
	type legalDoc struct {
		Version string `json:"version"`
		Text    string `json:"text"`
		URL     string `json:"url"`
	}
	type legalView struct {
		Terms    legalDoc `json:"terms"`
		Privacy  legalDoc `json:"privacy"`
		Required bool     `json:"required"`
		Accepted bool     `json:"accepted"`
	}
	var legal legalView
	r.json(&legal, "legal", "set", "--terms-version", "2025-01", "--terms-text-file", writeTestFile(t, "terms.txt", []byte("Be kind.\n")),
		"--privacy-version", "v1", "--privacy-url", "https://example.com/privacy")
	if legal.Terms != (legalDoc{"2025-01", "Be kind.", ""}) || legal.Privacy != (legalDoc{"v1", "", "https://example.com/privacy"}) ||
		!legal.Required || legal.Accepted {
		t.Errorf("legal set: %+v", legal)
	}
	r.fail(1, []string{"accept the current terms of service and privacy policy first"}, "groups", "list")
	r.json(&legal, "legal", "get")
	if legal.Accepted {
		t.Errorf("legal get before accept: %+v", legal)
	}
	r.json(&legal, "legal", "accept")
	if !legal.Accepted {
		t.Errorf("legal accept: %+v", legal)
	}
	legal = legalView{}                                     // the answer leaves out an empty text and url
	r.json(&legal, "legal", "set", "--privacy-version", "") // removes the privacy policy, keeps the terms
	if legal.Terms.Version != "2025-01" || legal.Privacy != (legalDoc{}) || !legal.Accepted {
		t.Errorf("legal set --privacy-version '': %+v", legal)
	}
	r.table(fieldValue, "legal", "get")
	r.table([]string{"ID", "NAME", "PARENT", "COLOUR", "DESCRIPTION"}, "groups", "list") // accepted: allowed again

	// Single sign-on, with metadata from a file, then from the identity provider's URL.
	idp := ssotest.NewIdP(t)
	var sso struct {
		Enabled        bool   `json:"enabled"`
		IdPMetadataURL string `json:"idp_metadata_url"`
		IdPEntityID    string `json:"idp_entity_id"`
		EmailAttribute string `json:"email_attribute"`
		ACSURL         string `json:"acs_url"`
	}
	r.json(&sso, "sso", "set", "--idp-metadata-xml-file", writeTestFile(t, "idp.xml", idp.Metadata(t)), "--email-attribute", "mail")
	if sso.Enabled || sso.IdPEntityID == "" || sso.EmailAttribute != "mail" || sso.ACSURL == "" {
		t.Errorf("sso set --idp-metadata-xml-file: %+v", sso)
	}
	r.json(&sso, "sso", "set", "--enabled", "--idp-metadata-url", idp.MetadataURL())
	if !sso.Enabled || sso.IdPMetadataURL != idp.MetadataURL() || sso.EmailAttribute != "mail" {
		t.Errorf("sso set --enabled --idp-metadata-url: %+v", sso)
	}
	r.json(&sso, "sso", "set", "--enabled=false")
	if sso.Enabled || sso.IdPMetadataURL != idp.MetadataURL() || sso.IdPEntityID == "" {
		t.Errorf("sso set --enabled=false (the metadata kept): %+v", sso)
	}
	r.json(&sso, "sso", "get")
	if sso.Enabled || sso.IdPMetadataURL != idp.MetadataURL() {
		t.Errorf("sso get: %+v", sso)
	}
	r.table(fieldValue, "sso", "get")
	r.fail(1, []string{"idp_metadata_xml", "not usable IdP metadata"}, "sso", "set", "--idp-metadata-xml-file", pwFile)

	// The directory: configured, then refused by the server's rule for loopback addresses, which
	// preview and the import job report.
	var directory struct {
		Configured      bool   `json:"configured"`
		URL             string `json:"url"`
		BaseDN          string `json:"base_dn"`
		UserFilter      string `json:"user_filter"`
		BindPasswordSet bool   `json:"bind_password_set"`
	}
	r.json(&directory, "directory", "get")
	if directory.Configured {
		t.Errorf("directory get before set: %+v", directory)
	}
	r.json(&directory, "directory", "set", "--url", "ldap://127.0.0.1:1", "--base-dn", "dc=example,dc=org",
		"--bind-dn", "cn=admin,dc=example,dc=org", "--bind-password-file", pwFile)
	if !directory.Configured || directory.URL != "ldap://127.0.0.1:1" || !directory.BindPasswordSet {
		t.Errorf("directory set: %+v", directory)
	}
	r.json(&directory, "directory", "set", "--user-filter", "(objectClass=person)")
	if directory.URL != "ldap://127.0.0.1:1" || directory.BaseDN != "dc=example,dc=org" || !directory.BindPasswordSet ||
		directory.UserFilter != "(objectClass=person)" {
		t.Errorf("directory set --user-filter (the rest kept): %+v", directory)
	}
	r.table(fieldValue, "directory", "get")
	r.fail(1, []string{"the directory could not be read", "--allow-local-directory"}, "directory", "preview")
	var job struct {
		ID    string `json:"id"`
		State string `json:"state"`
		Error string `json:"error"`
	}
	r.json(&job, "directory", "import")
	if job.ID == "" || job.State != "running" {
		t.Fatalf("directory import: %+v", job)
	}
	eventually.True(t, 20*time.Second, "the import's end", func() bool {
		r.json(&job, "directory", "job", job.ID)
		return job.State != "running"
	})
	if job.State != "failed" || !strings.Contains(job.Error, "--allow-local-directory") {
		t.Errorf("directory job: %+v", job)
	}
	r.table([]string{"ID", "STATE", "PHASE", "PROCESSED", "STARTED", "ERROR"}, "directory", "job", job.ID)
	r.fail(1, []string{"failed", "--allow-local-directory"}, "directory", "import", "--wait")

	// The IP allow list; the lock-out itself is tried last.
	var allow struct {
		Entries []struct {
			CIDR        string `json:"cidr"`
			Description string `json:"description"`
		} `json:"entries"`
		YourAddress        string `json:"your_address"`
		YourAddressAllowed bool   `json:"your_address_allowed"`
	}
	r.json(&allow, "ip-allowlist", "set", "127.0.0.1=this machine", "10.0.0.0/8")
	if len(allow.Entries) != 2 || allow.Entries[0].CIDR != "127.0.0.1/32" || allow.Entries[0].Description != "this machine" ||
		allow.YourAddress != "127.0.0.1" || !allow.YourAddressAllowed {
		t.Errorf("ip-allowlist set: %+v", allow)
	}
	if out := r.table([]string{"CIDR", "DESCRIPTION"}, "ip-allowlist", "get"); !strings.Contains(out, "your address: 127.0.0.1 (allowed)") {
		t.Errorf("ip-allowlist get:\n%s", out)
	}
	r.fail(1, []string{"would lock you out", "i_understand"}, "ip-allowlist", "set", "10.0.0.0/8")
	r.json(&allow, "ip-allowlist", "set")
	if len(allow.Entries) != 0 || !allow.YourAddressAllowed {
		t.Errorf("ip-allowlist set (none): %+v", allow)
	}
	r.json(&allow, "ip-allowlist", "get")
	if len(allow.Entries) != 0 {
		t.Errorf("ip-allowlist get: %+v", allow)
	}

	// The device, last: delete it.
	r.run("devices", "delete", deviceID)
	r.fail(1, []string{"portico: device not found"}, "devices", "get", deviceID)
	r.fail(1, []string{"name is required"}, "groups", "create", "--name", "")

	// Usage mistakes exit 2; missing settings say where to put them.
	r.fail(2, []string{`unknown command "frobnicate"`}, "devices", "frobnicate")
	r.fail(2, []string{"expects ID"}, "devices", "get")
	_, errOut, code = r.exec(nil, "devices", "list")
	if code != 1 || !strings.Contains(errOut, "no server") {
		t.Errorf("without a server: exit %d, %q", code, errOut)
	}

	// The server and key from the environment, then from the config file; flags win over both.
	env := []string{"PORTICO_SERVER=" + srv.URL, "PORTICO_API_KEY=" + acct.APIKey}
	if out, errOut, code := r.exec(env, "groups", "list", "-o", "json"); code != 0 || !strings.Contains(out, group.ID) {
		t.Errorf("from the environment: exit %d\n%s%s", code, out, errOut)
	}
	cfg := filepath.Join(t.TempDir(), "cli.json")
	os.WriteFile(cfg, []byte(`{"server":"`+srv.URL+`","api_key":"`+acct.APIKey+`","output":"json"}`), 0o600)
	if out, errOut, code := r.exec([]string{"PORTICO_CONFIG=" + cfg}, "groups", "list"); code != 0 || !strings.HasPrefix(out, "[") {
		t.Errorf("from the config file: exit %d\n%s%s", code, out, errOut)
	}
	if _, errOut, code := r.exec([]string{"PORTICO_CONFIG=" + cfg, "PORTICO_API_KEY=pk_wrong"}, "groups", "list"); code != 1 ||
		!strings.Contains(errOut, "check --api-key") {
		t.Errorf("the environment over the config file: exit %d, %q", code, errOut)
	}
	if out, errOut, code := r.exec([]string{"PORTICO_CONFIG=" + cfg, "PORTICO_API_KEY=pk_wrong"}, "groups", "list",
		"--api-key", acct.APIKey); code != 0 || !strings.HasPrefix(out, "[") {
		t.Errorf("the flag over the environment: exit %d\n%s%s", code, out, errOut)
	}

	// Shell completion.
	if out, _, code := r.exec(nil, "completion", "bash"); code != 0 || !strings.Contains(out, "complete -F _portico portico") {
		t.Errorf("completion bash: exit %d\n%s", code, out)
	}

	// The lock-out the allow list guards against, confirmed: the key is refused from then on.
	r.json(&allow, "ip-allowlist", "set", "10.0.0.0/8", "--i-understand")
	if len(allow.Entries) != 1 || allow.YourAddressAllowed {
		t.Errorf("ip-allowlist set --i-understand: %+v", allow)
	}
	r.fail(1, []string{"your address is not allowed"}, "ip-allowlist", "get")

	t.Run("every verb ran", func(t *testing.T) { checkEveryVerbRan(t, r.ran) })

	// The offline check of the database is as it was.
	srv.stop()
	if out, errOut, code := runCmd(t, "", "audit", "verify", "--data", data); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("audit verify --data: exit %d\n%s%s", code, out, errOut)
	}
}
