package main

// End-to-end test of the administration commands: the real binary against a real `portico serve`.

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// cliRunner runs `portico RESOURCE VERB` against one server, in an environment of its own: no
// PORTICO_* variables and no config file of the developer's leak in.
type cliRunner struct {
	t      *testing.T
	server string
	key    string
	env    []string
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
	return &cliRunner{t: t, server: server, key: key, env: env}
}

// exec runs the binary with args as they are and the extra environment.
func (r *cliRunner) exec(extraEnv []string, args ...string) (stdout, stderr string, code int) {
	r.t.Helper()
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
	srv := startServer(t, "serve", "--data", data, "--addr", "127.0.0.1:0")
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
	r.table([]string{"FEATURE", "OWN", "EFFECTIVE", "FROM", "GROUP"}, "groups", "settings", group.ID)
	r.json(&temp, "groups", "create", "--name", "Temporary", "--parent", group.ID, "--colour", "#aabbcc")
	if out := r.run("groups", "delete", temp.ID); !strings.Contains(out, "deleted device group "+temp.ID) {
		t.Errorf("groups delete printed %q", out)
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
	_, deviceID := enrollAgent(t, srv.URL, token.Secret)

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
	narrow := newCLIRunner(t, srv.URL, key.Secret)
	narrow.json(&devices, "devices", "list")
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

	// The offline check of the database is as it was.
	srv.stop()
	if out, errOut, code := runCmd(t, "", "audit", "verify", "--data", data); code != 0 || !strings.Contains(out, "ok") {
		t.Errorf("audit verify --data: exit %d\n%s%s", code, out, errOut)
	}
}
