package main

// End-to-end tests of the real binary: they build cmd/portico, run its commands as a newcomer or an
// operator would, and talk to the server over HTTP.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/protocol"
	"github.com/portico-dev/portico/internal/servertest"
	"github.com/portico-dev/portico/internal/store/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite"
)

// porticoBin and agentBin are the binaries under test, built once by TestMain.
var porticoBin, agentBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "portico-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	porticoBin = filepath.Join(dir, "portico")
	agentBin = filepath.Join(dir, "portico-agent")
	for bin, pkg := range map[string]string{porticoBin: ".", agentBin: "../portico-agent"} {
		build := exec.Command("go", "build", "-o", bin, pkg)
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build", pkg+":", err)
			os.Exit(1)
		}
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runCmd runs the binary to completion and returns its output and exit code.
func runCmd(t *testing.T, stdin string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, porticoBin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Stdin = strings.NewReader(stdin)
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("run portico %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

// serverProc is a running `portico serve` or `portico demo` process.
type serverProc struct {
	t      *testing.T
	cmd    *exec.Cmd
	URL    string
	stdout *bytes.Buffer
	stderr *syncBuffer
	done   chan error
}

var listeningRE = regexp.MustCompile(`listening on (https?://\S+)`)

// startServer starts the binary with args (which must make it listen on 127.0.0.1:0) and waits until
// it prints its address.
func startServer(t *testing.T, args ...string) *serverProc {
	t.Helper()
	cmd := exec.Command(porticoBin, args...)
	pr, pw := io.Pipe()
	cmd.Stdout = pw
	stderr := &syncBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatalf("start portico: %v", err)
	}
	s := &serverProc{t: t, cmd: cmd, stdout: &bytes.Buffer{}, stderr: stderr, done: make(chan error, 1)}
	go func() { s.done <- cmd.Wait(); pw.Close() }()
	urlc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		found := false
		for sc.Scan() {
			line := sc.Text()
			s.stdout.WriteString(line + "\n")
			if m := listeningRE.FindStringSubmatch(line); m != nil && !found {
				found = true
				urlc <- m[1]
			}
		}
	}()
	select {
	case s.URL = <-urlc:
	case err := <-s.done:
		t.Fatalf("portico exited before listening: %v\nstderr:\n%s", err, stderr.String())
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatalf("portico did not start listening\nstderr:\n%s", stderr.String())
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			<-s.done
		}
	})
	return s
}

// stop sends SIGTERM and expects a graceful exit with status 0.
func (s *serverProc) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		s.t.Fatalf("signal portico: %v", err)
	}
	select {
	case err := <-s.done:
		if err != nil {
			s.t.Fatalf("portico did not exit cleanly: %v", err)
		}
	case <-time.After(20 * time.Second):
		s.t.Fatal("portico did not stop within 20s of SIGTERM")
	}
}

// newClient returns the project's raw test client for a server whose TLS certificate the test made.
func newClient(t *testing.T, base, bearer string) *servertest.Client {
	c := servertest.NewClient(t, base, bearer)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true}
	c.HTTP.Transport = tr
	return c
}

type listOf[T any] struct {
	Items []T `json:"items"`
	Total int `json:"total"`
}

type idName struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	GroupID string `json:"group_id"`
}

func TestVersionAndUsage(t *testing.T) {
	out, _, code := runCmd(t, "", "version")
	if code != 0 || !strings.HasPrefix(out, "portico ") {
		t.Fatalf("version: code %d, output %q", code, out)
	}
	_, errOut, code := runCmd(t, "", "frobnicate")
	if code != 2 || !strings.Contains(errOut, `unknown command "frobnicate"`) {
		t.Fatalf("unknown command: code %d, stderr %q", code, errOut)
	}
}

// TestOperatorFlow bootstraps an account from the command line, drives the API with the printed key,
// enrolls a device, then proves that `audit verify` detects an edited row in the database file.
// TestOperatorFlow scripts a fresh install as an operator would, on each storage backend: create the
// account from the command line, serve, enroll a device and move it over the API, then verify the
// audit log, tamper with it behind the server's back and see `audit verify` name the entry.
func TestOperatorFlow(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) {
		data := t.TempDir()
		operatorFlow(t, []string{"--data", data}, func(seq int) {
			tamperAudit(t, "sqlite", filepath.Join(data, "portico.db"), `UPDATE audit_events SET action = 'user.nothing_to_see' WHERE seq = ?`, seq)
		})
	})
	t.Run("postgres", func(t *testing.T) {
		dbURL := pgtest.NewDatabase(t)
		// The data directory holds the server's own files (its server key) beside the database.
		operatorFlow(t, []string{"--database-url", dbURL, "--data", t.TempDir()}, func(seq int) {
			tamperAudit(t, "pgx", dbURL, `UPDATE audit_events SET action = 'user.nothing_to_see' WHERE seq = $1`, seq)
		})
	})
}

func operatorFlow(t *testing.T, db []string, tamper func(seq int)) {
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runCmd(t, "", append([]string{"admin", "create-account", "--company", "Example Ltd",
		"--owner-email", "owner@example.test", "--owner-password-file", pwFile, "--print-api-key"}, db...)...)
	if code != 0 {
		t.Fatalf("create-account: exit %d: %s", code, errOut)
	}
	var created struct {
		AccountID string `json:"account_id"`
		OwnerID   string `json:"owner_id"`
		APIKey    string `json:"api_key"`
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil || created.AccountID == "" || created.APIKey == "" {
		t.Fatalf("create-account printed %q (%v)", out, err)
	}

	// Bad input on the command line changes nothing and says what is wrong.
	_, errOut, code = runCmd(t, "", append([]string{"admin", "create-account", "--company", "",
		"--owner-email", "not-an-email", "--owner-password-file", pwFile}, db...)...)
	if code == 0 || !strings.Contains(errOut, "email") {
		t.Fatalf("bad create-account: exit %d, stderr %q", code, errOut)
	}

	srv := startServer(t, append([]string{"serve", "--addr", "127.0.0.1:0"}, db...)...)
	api := newClient(t, srv.URL, created.APIKey)
	api.Must(200, "GET", "/healthz", nil, nil)
	newClient(t, srv.URL, "").Must(401, "GET", "/api/v1/devices", nil, nil)
	// The server has its server key (made at first start unless given): the owner can start enrolling.
	owner := newClient(t, srv.URL, "")
	owner.Must(200, "POST", "/api/v1/session", map[string]any{"email": "owner@example.test", "password": "correct horse battery staple"}, nil)
	var enrol struct {
		URL string `json:"otpauth_url"`
	}
	if r := owner.Do("POST", "/api/v1/me/2fa", nil); r.Status >= 300 {
		t.Fatalf("start 2FA enrolment: %s", r)
	} else if r.Decode(t, &enrol); !strings.HasPrefix(enrol.URL, "otpauth://") {
		t.Fatalf("start 2FA enrolment: %+v", enrol)
	}

	var group idName
	api.Must(201, "POST", "/api/v1/device-groups", map[string]any{"name": "Branch office", "colour": "#336699"}, &group)
	var token struct {
		ID     string `json:"id"`
		Secret string `json:"secret"`
	}
	api.Must(201, "POST", "/api/v1/enrollment-tokens", map[string]any{}, &token)
	if token.Secret == "" {
		t.Fatal("enrollment token secret missing")
	}
	var enrolled struct {
		DeviceID   string `json:"device_id"`
		Credential string `json:"credential"`
	}
	anon := newClient(t, srv.URL, "")
	anon.Must(201, "POST", "/api/v1/agent/enroll", map[string]any{"token": token.Secret, "hostname": "branch-pc-1"}, &enrolled)
	var devices listOf[idName]
	api.Must(200, "GET", "/api/v1/devices", nil, &devices)
	if devices.Total != 1 || devices.Items[0].ID != enrolled.DeviceID || devices.Items[0].GroupID != "unassigned" {
		t.Fatalf("devices after enrollment: %+v", devices)
	}
	api.Must(204, "POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{enrolled.DeviceID}, "group_id": group.ID}, nil)
	// Moving it back to Unassigned within 90 days is refused, naming the field.
	var problem struct {
		Errors []struct{ Field, Message string } `json:"errors"`
	}
	api.Must(422, "POST", "/api/v1/devices/move", map[string]any{"device_ids": []string{enrolled.DeviceID}, "group_id": "unassigned"}, &problem)
	if len(problem.Errors) == 0 || problem.Errors[0].Field != "group_id" {
		t.Fatalf("move back to Unassigned: %+v", problem)
	}
	var verify struct {
		OK      bool `json:"ok"`
		Entries int  `json:"entries"`
	}
	api.Must(200, "GET", "/api/v1/audit-events/verify", nil, &verify)
	if !verify.OK || verify.Entries < 4 {
		t.Fatalf("verify over the API: %+v", verify)
	}
	srv.stop()

	out, errOut, code = runCmd(t, "", append([]string{"audit", "verify"}, db...)...)
	if code != 0 || !strings.Contains(out, "ok") {
		t.Fatalf("audit verify on an intact log: exit %d\n%s%s", code, out, errOut)
	}
	tamper(2)
	out, _, code = runCmd(t, "", append([]string{"audit", "verify"}, db...)...)
	if code != 3 || !strings.Contains(out, "BROKEN at entry 2") {
		t.Fatalf("audit verify after tampering: exit %d, output %q", code, out)
	}
}

// tamperAudit edits one audit entry behind the server's back, as an intruder with file access would.
func tamperAudit(t *testing.T, driver, dsn, update string, seq int) {
	t.Helper()
	db, err := sql.Open(driver, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	res, err := db.Exec(update, seq)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		t.Fatalf("tamper: %d rows changed", n)
	}
}

// TestDemo runs the README's first command (on a free port) and signs in as the demo users: the owner
// sees every device, Alice only those her roles reach; this computer's own agent comes online in its
// group, and the owner opens a terminal on it. A restart reuses the account and the agent's enrollment.
func TestDemo(t *testing.T) {
	data := t.TempDir()
	srv := startServer(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	signIn := func(email string) *servertest.Client {
		c := newClient(t, srv.URL, "")
		c.Must(200, "POST", "/api/v1/session", map[string]any{"email": email, "password": demoPassword}, nil)
		return c
	}
	type dev struct {
		ID      string `json:"id"`
		Name    string `json:"name"`
		GroupID string `json:"group_id"`
		Status  string `json:"status"`
	}
	devices := func(c *servertest.Client) listOf[dev] {
		var l listOf[dev]
		c.Must(200, "GET", "/api/v1/devices?limit=500", nil, &l)
		return l
	}
	// waitLocal waits for this computer's agent to be online and returns its device.
	waitLocal := func(c *servertest.Client) dev {
		t.Helper()
		var local dev
		eventually.NoError(t, 30*time.Second, "this computer's agent to come online", func() error {
			l := devices(c)
			for _, d := range l.Items {
				if d.Status == "available" {
					if l.Total != 11 {
						t.Fatalf("owner sees %d devices, want 10 demo devices and this computer", l.Total)
					}
					local = d
					return nil
				}
			}
			return fmt.Errorf("%+v\n%s\n%s", l, srv.stdout.String(), srv.stderr.String())
		})
		return local
	}
	owner := signIn(demoOwnerEmail)
	local := waitLocal(owner)
	var group struct{ Name string }
	owner.Must(200, "GET", "/api/v1/device-groups/"+local.GroupID, nil, &group)
	if group.Name != "This computer" {
		t.Fatalf("this computer's device is in %q, want the group its rule names", group.Name)
	}
	alice := devices(signIn("alice@demo.portico.test")).Total
	if alice == 0 || alice >= 10 {
		t.Fatalf("alice sees %d devices, want some but not all", alice)
	}

	// The owner opens a terminal on this computer, as the portal would (cookie and Origin).
	su, _ := url.Parse(srv.URL)
	h := http.Header{"Origin": {srv.URL}}
	for _, ck := range owner.HTTP.Jar.Cookies(su) {
		h.Add("Cookie", ck.String())
	}
	s, code := dialSession(t, srv.URL, h, local.ID, "terminal")
	if s == nil {
		t.Fatalf("open a session on this computer: %d", code)
	}
	s.State("active")
	s.OpenChannel(1, "terminal", map[string]any{"shell": "/bin/sh"})
	in, _ := protocol.EncodeBytes(protocol.KindTermInput, []byte("echo demo-$((40+2))\n"))
	s.SendBin(1, in)
	var out strings.Builder
	for !strings.Contains(out.String(), "demo-42") {
		if b, err := protocol.DecodeBytes(s.Recv(1), protocol.KindTermOutput); err == nil {
			out.Write(b)
		}
	}
	s.Send(map[string]any{"type": "end"})
	s.State("ended")
	srv.stop()

	// A second start reuses the account and the agent's enrollment rather than making new ones.
	srv = startServer(t, "demo", "--data", data, "--addr", "127.0.0.1:0")
	if again := waitLocal(signIn(demoOwnerEmail)); again.ID != local.ID {
		t.Fatalf("after a restart this computer is device %s, was %s", again.ID, local.ID)
	}
	srv.stop()
}
