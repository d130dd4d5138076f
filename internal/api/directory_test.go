package api_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/directory"
	"github.com/portico-dev/portico/internal/directory/slapdtest"
)

// configureDirectory points f's account at a fresh slapd holding one user in one group.
func configureDirectory(e *env, f *fixture) {
	e.t.Helper()
	e.app.AllowLocalDirectory = true // the test directory listens on loopback
	srv := slapdtest.Start(e.t)
	srv.Add(e.t, "ou=people,"+slapdtest.Base, map[string][]string{"objectClass": {"organizationalUnit"}, "ou": {"people"}})
	user := "uid=" + uniq("dir") + ",ou=people," + slapdtest.Base
	srv.Add(e.t, user, map[string][]string{"objectClass": {"inetOrgPerson"}, "uid": {"x"}, "cn": {"Dir User"}, "sn": {"User"},
		"mail": {uniq("dir") + "@example.test"}})
	srv.Add(e.t, "cn=Imported,"+slapdtest.Base, map[string][]string{"objectClass": {"groupOfNames"}, "cn": {uniq("Imported ")}, "member": {user}})
	pw := slapdtest.AdminPassword
	check(e.app.SetDirectoryConfig(context.Background(), f.sys, app.DirectoryInput{BindPassword: &pw,
		Config: directory.Config{URL: srv.URL, BindDN: slapdtest.Admin, BaseDN: slapdtest.Base}}))(e.t)
}

// finishedDirectoryJob runs an import of f's account to its end and returns the job's id.
func finishedDirectoryJob(e *env, f *fixture) string {
	e.t.Helper()
	configureDirectory(e, f)
	ctx := context.Background()
	deadline := time.Now().Add(30 * time.Second)
	var job *portico.DirectoryJob
	for job == nil {
		j, err := e.app.StartDirectoryImport(ctx, f.sys)
		switch {
		case err == nil:
			job = j
		case strings.Contains(err.Error(), "already running") && time.Now().Before(deadline):
			time.Sleep(10 * time.Millisecond) // an earlier import of this account is finishing
		default:
			e.t.Fatal(err)
		}
	}
	for {
		j := check(e.app.GetDirectoryJob(ctx, f.sys, job.ID))(e.t)
		if j.State != app.JobRunning {
			return j.ID
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("import still running: %+v", j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestDirectoryRoundTrip configures, previews and imports a directory through the API.
func TestDirectoryRoundTrip(t *testing.T) {
	srv := slapdtest.Start(t)
	n := slapdtest.Seed(t, srv, 300)
	e := newEnv(t)
	e.app.AllowLocalDirectory = true // the test directory listens on loopback
	owner := e.signIn(e.A.acc.Owner.Email)

	// Bad input is refused naming the field.
	res := owner.do("PUT", "/api/v1/directory", map[string]any{"url": "ftp://x", "base_dn": slapdtest.Base})
	if res.status != 422 && res.status != 400 {
		t.Fatalf("bad url: %d %s", res.status, res.body)
	}
	if p := res.problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "url" {
		t.Fatalf("bad url problem: %s", res.body)
	}
	res = owner.do("PUT", "/api/v1/directory", map[string]any{"url": srv.URL, "base_dn": slapdtest.Base, "bind_dn": slapdtest.Admin,
		"bind_password": slapdtest.AdminPassword, "page_size": 100})
	if res.status != 200 || strings.Contains(string(res.body), slapdtest.AdminPassword) {
		t.Fatalf("put directory: %d %s", res.status, res.body)
	}
	res = owner.do("GET", "/api/v1/directory", nil)
	if res.status != 200 || strings.Contains(string(res.body), slapdtest.AdminPassword) || !strings.Contains(string(res.body), `"bind_password_set":true`) {
		t.Fatalf("get directory: %d %s", res.status, res.body)
	}

	res = owner.do("POST", "/api/v1/directory/preview", nil)
	var plan app.DirectoryPlan
	res.decode(t, &plan)
	if res.status != 200 || plan.UsersCreate != n-1 || plan.GroupsCreate+plan.GroupsUpdate != 8 {
		t.Fatalf("preview: %d %s", res.status, res.body)
	}

	res = owner.do("POST", "/api/v1/directory/import", nil)
	var job portico.DirectoryJob
	res.decode(t, &job)
	if res.status != 201 || job.ID == "" {
		t.Fatalf("import: %d %s", res.status, res.body)
	}
	deadline := time.Now().Add(30 * time.Second)
	for job.State != app.JobSucceeded {
		if job.State == app.JobFailed || time.Now().After(deadline) {
			t.Fatalf("job %+v", job)
		}
		time.Sleep(10 * time.Millisecond)
		owner.do("GET", "/api/v1/directory/jobs/"+job.ID, nil).decode(t, &job)
	}
	if job.Processed != job.Total || job.Total == 0 {
		t.Errorf("finished job at %d/%d", job.Processed, job.Total)
	}
	var users struct {
		Total int `json:"total"`
	}
	owner.do("GET", "/api/v1/users?state=invited&limit=1", nil).decode(t, &users)
	if users.Total != n-1 {
		t.Errorf("%d invited users, want %d", users.Total, n-1)
	}
}
