package api_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/directory"
	"github.com/portico-dev/portico/internal/directory/slapdtest"
	"github.com/portico-dev/portico/internal/eventually"
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
	var job *portico.DirectoryJob
	eventually.NoError(e.t, 30*time.Second, "an earlier import of this account to finish", func() error {
		j, err := e.app.StartDirectoryImport(ctx, f.sys)
		if err != nil && !strings.Contains(err.Error(), "already running") {
			e.t.Fatal(err)
		}
		job = j
		return err
	})
	eventually.NoError(e.t, 30*time.Second, "the import to finish", func() error {
		if j := check(e.app.GetDirectoryJob(ctx, f.sys, job.ID))(e.t); j.State == app.JobRunning {
			return fmt.Errorf("still running: %+v", j)
		}
		return nil
	})
	return job.ID
}

// TestDirectoryRoundTrip configures, previews and imports a directory through the API.
func TestDirectoryRoundTrip(t *testing.T) {
	srv := slapdtest.Start(t)
	n := slapdtest.Seed(t, srv, 300)
	e := newEnv(t)
	e.app.AllowLocalDirectory = true // the test directory listens on loopback
	owner := e.signIn(e.A.acc.Owner.Email)

	// Bad input is refused naming the field.
	res := owner.Do("PUT", "/api/v1/directory", map[string]any{"url": "ftp://x", "base_dn": slapdtest.Base})
	if res.Status != 422 && res.Status != 400 {
		t.Fatalf("bad url: %d %s", res.Status, res.Body)
	}
	if p := res.Problem(t); len(p.Errors) != 1 || p.Errors[0].Field != "url" {
		t.Fatalf("bad url problem: %s", res.Body)
	}
	res = owner.Do("PUT", "/api/v1/directory", map[string]any{"url": srv.URL, "base_dn": slapdtest.Base, "bind_dn": slapdtest.Admin,
		"bind_password": slapdtest.AdminPassword, "page_size": 100})

	if res.Status != 200 || strings.Contains(string(res.Body), slapdtest.AdminPassword) {
		t.Fatalf("put directory: %d %s", res.Status, res.Body)
	}
	res = owner.Do("GET", "/api/v1/directory", nil)
	if res.Status != 200 || strings.Contains(string(res.Body), slapdtest.AdminPassword) || !strings.Contains(string(res.Body), `"bind_password_set":true`) {
		t.Fatalf("get directory: %d %s", res.Status, res.Body)
	}

	res = owner.Do("POST", "/api/v1/directory/preview", nil)
	var plan app.DirectoryPlan
	res.Decode(t, &plan)
	if res.Status != 200 || plan.UsersCreate != n-1 || plan.GroupsCreate+plan.GroupsUpdate != 8 {
		t.Fatalf("preview: %d %s", res.Status, res.Body)
	}

	res = owner.Do("POST", "/api/v1/directory/import", nil)
	var job portico.DirectoryJob
	res.Decode(t, &job)
	if res.Status != 201 || job.ID == "" {
		t.Fatalf("import: %d %s", res.Status, res.Body)
	}
	eventually.NoError(t, 30*time.Second, "the import to succeed", func() error {
		if owner.Do("GET", "/api/v1/directory/jobs/"+job.ID, nil).Decode(t, &job); job.State == app.JobFailed {
			t.Fatalf("job %+v", job)
		}
		if job.State != app.JobSucceeded {
			return fmt.Errorf("job %+v", job)
		}
		return nil
	})
	if job.Processed != job.Total || job.Total == 0 {
		t.Errorf("finished job at %d/%d", job.Processed, job.Total)
	}
	var users struct {
		Total int `json:"total"`
	}
	owner.Do("GET", "/api/v1/users?state=invited&limit=1", nil).Decode(t, &users)
	if users.Total != n-1 {
		t.Errorf("%d invited users, want %d", users.Total, n-1)
	}
}
