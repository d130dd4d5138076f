package portal

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/directory"
)

// adminDirectoryPage is the directory import page: the configuration form, a preview of what an
// import would do, the progress of the current import and the recent ones.
type adminDirectoryPage struct {
	adminForm
	Settings *app.DirectorySettings
	// Form is what the configuration form shows: the stored settings, or the posted ones after a
	// refusal. Settings equal to the kind's defaults are shown empty, the default as placeholder.
	Form adminDirectoryForm
	// Defaults are the defaults of the form's kind, shown as placeholders.
	Defaults directory.Config
	Saved    bool
	// Plan is the result of a preview; PlanFailed says why a preview or import could not be made.
	Plan       *app.DirectoryPlan
	PlanFailed string
	// Job is the import whose progress the page follows (the one just started, or one still running).
	Job  *adminDirectoryJob
	Jobs []adminDirectoryJob
	// JobsOutOfBand makes the progress fragment carry the recent jobs too, once its job has ended.
	JobsOutOfBand bool
}

// adminDirectoryForm holds the configuration form's values as text, so that a refused post shows
// what was typed.
type adminDirectoryForm struct {
	Kind               string
	URL                string
	StartTLS           bool
	InsecureSkipVerify bool
	BindDN             string
	BaseDN             string
	UserFilter         string
	GroupFilter        string
	LoginAttr          string
	EmailAttr          string
	NameAttr           string
	GroupNameAttr      string
	MemberAttr         string
	PageSize           string
}

// adminDirectoryJob is an import job as the page shows it.
type adminDirectoryJob struct {
	portico.DirectoryJob
	// Result is the job's plan once it has one (what the import did, or had planned when it failed).
	Result *app.DirectoryPlan
	// StartedByName is the name of the user who started it, when the viewer may list users.
	StartedByName string
}

// Running reports whether the job is still going, so the panel keeps polling.
func (j adminDirectoryJob) Running() bool { return j.State == app.JobRunning }

// Percent is the share of the job done, for the progress bar's text.
func (j adminDirectoryJob) Percent() int {
	if j.Total <= 0 {
		return 0
	}
	return min(100, j.Processed*100/j.Total)
}

// adminDirectoryFormOf shows stored settings in the form, leaving the kind's defaults empty.
func adminDirectoryFormOf(c directory.Config) adminDirectoryForm {
	def := directory.Config{Kind: c.Kind}.WithDefaults()
	keep := func(v, d string) string {
		if v == d {
			return ""
		}
		return v
	}
	f := adminDirectoryForm{Kind: string(def.Kind), URL: c.URL, StartTLS: c.StartTLS, InsecureSkipVerify: c.InsecureSkipVerify,
		BindDN: c.BindDN, BaseDN: c.BaseDN,
		UserFilter: keep(c.UserFilter, def.UserFilter), GroupFilter: keep(c.GroupFilter, def.GroupFilter),
		LoginAttr: keep(c.LoginAttr, def.LoginAttr), EmailAttr: keep(c.EmailAttr, def.EmailAttr), NameAttr: keep(c.NameAttr, def.NameAttr),
		GroupNameAttr: keep(c.GroupNameAttr, def.GroupNameAttr), MemberAttr: keep(c.MemberAttr, def.MemberAttr)}
	if c.PageSize > 0 && c.PageSize != def.PageSize {
		f.PageSize = strconv.Itoa(c.PageSize)
	}
	return f
}

// config turns the form into the app's configuration; empty settings take the kind's defaults there.
func (f adminDirectoryForm) config() directory.Config {
	c := directory.Config{Kind: directory.Kind(f.Kind), URL: f.URL, StartTLS: f.StartTLS, InsecureSkipVerify: f.InsecureSkipVerify,
		BindDN: f.BindDN, BaseDN: f.BaseDN, UserFilter: f.UserFilter, GroupFilter: f.GroupFilter, LoginAttr: f.LoginAttr,
		EmailAttr: f.EmailAttr, NameAttr: f.NameAttr, GroupNameAttr: f.GroupNameAttr, MemberAttr: f.MemberAttr}
	c.PageSize, _ = strconv.Atoi(f.PageSize)
	return c
}

// directoryDefaults are the placeholders of a kind; an unknown kind shows OpenLDAP's.
func directoryDefaults(kind string) directory.Config {
	k := directory.Kind(kind)
	if k != directory.KindActiveDirectory {
		k = directory.KindOpenLDAP
	}
	return directory.Config{Kind: k}.WithDefaults()
}

// directoryLoad reads the stored settings (which needs both directory permissions, so that a user
// who may not configure the directory is refused here) and the recent jobs.
func (q *request) directoryLoad(pg *adminDirectoryPage) error {
	q.active = "directory"
	q.crumb(q.p.locales.text(q.lang, "menu.users"), "/users")
	q.crumb(q.p.locales.text(q.lang, "admin.directory.title"), "")
	s, err := q.p.app.GetDirectoryConfig(q.ctx, q.actor)
	if err != nil {
		return err
	}
	pg.Settings = s
	if pg.Errors == nil {
		pg.Errors = map[string]string{}
	}
	if pg.Form.Kind == "" {
		pg.Form = adminDirectoryFormOf(s.Config)
	}
	pg.Defaults = directoryDefaults(pg.Form.Kind)
	jobs, err := q.p.app.ListDirectoryJobs(q.ctx, q.actor)
	if err != nil {
		return err
	}
	names, err := q.adminUserNames()
	if err != nil {
		return err
	}
	for _, j := range jobs {
		pg.Jobs = append(pg.Jobs, directoryJobView(j, names))
	}
	return nil
}

func directoryJobView(j portico.DirectoryJob, names map[string]string) adminDirectoryJob {
	v := adminDirectoryJob{DirectoryJob: j, StartedByName: names[j.StartedBy]}
	if len(j.Result) > 0 {
		var plan app.DirectoryPlan
		if json.Unmarshal(j.Result, &plan) == nil {
			v.Result = &plan
		}
	}
	return v
}

// directoryPage shows the page. ?job=ID follows that import; otherwise a running import is followed.
func (q *request) directoryPage() error {
	pg := &adminDirectoryPage{Saved: q.r.URL.Query().Get("saved") == "1"}
	if err := q.directoryLoad(pg); err != nil {
		return err
	}
	if id := q.r.URL.Query().Get("job"); id != "" {
		for i := range pg.Jobs {
			if pg.Jobs[i].ID == id {
				pg.Job = &pg.Jobs[i]
			}
		}
		if pg.Job == nil {
			j, err := q.p.app.GetDirectoryJob(q.ctx, q.actor, id)
			if err != nil {
				return err
			}
			v := directoryJobView(*j, nil)
			pg.Job = &v
		}
	} else if len(pg.Jobs) > 0 && pg.Jobs[0].Running() {
		pg.Job = &pg.Jobs[0]
	}
	return q.render(http.StatusOK, "admin/directory", pg)
}

// saveDirectory stores the configuration. An empty password keeps the stored one unless the user
// ticks "remove".
func (q *request) saveDirectory() error {
	f := adminDirectoryForm{
		Kind: q.r.PostFormValue("kind"), URL: strings.TrimSpace(q.r.PostFormValue("url")),
		StartTLS: q.adminChecked("start_tls"), InsecureSkipVerify: q.adminChecked("insecure_skip_verify"),
		BindDN: strings.TrimSpace(q.r.PostFormValue("bind_dn")), BaseDN: strings.TrimSpace(q.r.PostFormValue("base_dn")),
		UserFilter: strings.TrimSpace(q.r.PostFormValue("user_filter")), GroupFilter: strings.TrimSpace(q.r.PostFormValue("group_filter")),
		LoginAttr: strings.TrimSpace(q.r.PostFormValue("login_attr")), EmailAttr: strings.TrimSpace(q.r.PostFormValue("email_attr")),
		NameAttr: strings.TrimSpace(q.r.PostFormValue("name_attr")), GroupNameAttr: strings.TrimSpace(q.r.PostFormValue("group_name_attr")),
		MemberAttr: strings.TrimSpace(q.r.PostFormValue("member_attr")), PageSize: strings.TrimSpace(q.r.PostFormValue("page_size")),
	}
	if f.Kind == "" {
		f.Kind = string(directory.KindOpenLDAP)
	}
	pg := &adminDirectoryPage{Form: f, adminForm: adminForm{Errors: map[string]string{}}}
	if f.PageSize != "" {
		if _, err := strconv.Atoi(f.PageSize); err != nil {
			pg.Errors["page_size"] = q.p.locales.text(q.lang, "admin.not_a_number")
		}
	}
	in := app.DirectoryInput{Config: f.config()}
	if pw := q.r.PostFormValue("bind_password"); pw != "" {
		in.BindPassword = &pw
	} else if q.adminChecked("bind_password_clear") {
		empty := ""
		in.BindPassword = &empty
	}
	if len(pg.Errors) == 0 {
		_, err := q.p.app.SetDirectoryConfig(q.ctx, q.actor, in)
		if err == nil {
			return q.redirect("/directory?saved=1")
		}
		form, ferr := adminFormError(err)
		if ferr != nil {
			return ferr
		}
		pg.adminForm = form
	}
	if err := q.directoryLoad(pg); err != nil {
		return err
	}
	return q.render(http.StatusUnprocessableEntity, "admin/directory", pg)
}

// previewDirectory reads the directory and shows what an import would do. From htmx it answers the
// preview panel alone.
func (q *request) previewDirectory() error {
	pg := &adminDirectoryPage{}
	if err := q.directoryLoad(pg); err != nil {
		return err
	}
	status := http.StatusOK
	plan, err := q.p.app.PreviewDirectory(q.ctx, q.actor)
	if err != nil {
		if pg.PlanFailed, err = q.directoryFailure(err); err != nil {
			return err
		}
		status = http.StatusUnprocessableEntity
	}
	pg.Plan = plan
	if q.r.Header.Get("HX-Request") != "" {
		// htmx swaps only 2xx answers by default: the failure is shown in the panel with a 200.
		return q.fragment("admin/directory", "directory-preview", pg)
	}
	return q.render(status, "admin/directory", pg)
}

// directoryFailure turns a refused preview or import into the message the page shows, or returns
// the error when it is for an error page (forbidden, internal).
func (q *request) directoryFailure(err error) (string, error) {
	form, ferr := adminFormError(err)
	if ferr != nil {
		return "", ferr
	}
	msg := form.Failed
	if _, ok := form.Errors["bind_password"]; ok {
		msg = q.p.locales.text(q.lang, "admin.directory.bind_refused")
	} else if msg == "" {
		for f, m := range form.Errors {
			msg = f + ": " + m
		}
	}
	return msg, nil
}

// importDirectory starts an import and follows its progress on the page.
func (q *request) importDirectory() error {
	job, err := q.p.app.StartDirectoryImport(q.ctx, q.actor)
	if err != nil {
		pg := &adminDirectoryPage{}
		if lerr := q.directoryLoad(pg); lerr != nil {
			return lerr
		}
		if pg.PlanFailed, err = q.directoryFailure(err); err != nil {
			return err
		}
		return q.render(http.StatusUnprocessableEntity, "admin/directory", pg)
	}
	return q.redirect("/directory?job=" + url.QueryEscape(job.ID) + "#directory-job")
}

// directoryJob answers the progress panel of one import, which htmx polls every second while the
// job runs; without htmx it is the whole page following that job.
func (q *request) directoryJob() error {
	id := q.r.PathValue("id")
	if q.r.Header.Get("HX-Request") == "" {
		return q.redirect("/directory?job=" + url.QueryEscape(id) + "#directory-job")
	}
	// The panel needs the same permissions as the page: a user who may only follow jobs
	// (users.invite) but not configure the directory is refused like on the page.
	if _, err := q.p.app.GetDirectoryConfig(q.ctx, q.actor); err != nil {
		return err
	}
	j, err := q.p.app.GetDirectoryJob(q.ctx, q.actor, id)
	if err != nil {
		return err
	}
	names, err := q.adminUserNames()
	if err != nil {
		return err
	}
	v := directoryJobView(*j, names)
	pg := &adminDirectoryPage{Job: &v}
	if !v.Running() {
		// The import has ended: the recent jobs below are swapped too (out of band), so that the
		// list shows its result without a reload.
		jobs, err := q.p.app.ListDirectoryJobs(q.ctx, q.actor)
		if err != nil {
			return err
		}
		for _, j := range jobs {
			pg.Jobs = append(pg.Jobs, directoryJobView(j, names))
		}
		pg.JobsOutOfBand = true
	}
	return q.fragment("admin/directory", "directory-job", pg)
}
