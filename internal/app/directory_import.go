package app

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/directory"
	"github.com/portico-dev/portico/internal/store"
)

// Directory job states and phases.
const (
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"

	PhaseReading     = "reading"
	PhaseUsers       = "users"
	PhaseGroups      = "groups"
	PhaseMemberships = "memberships"
	PhaseDone        = "done"
)

// DirectoryBatchSize is how many users or groups one import transaction writes: small enough that a
// large directory neither holds the account's write lock for long nor loses much when it fails.
const DirectoryBatchSize = 100

// StartDirectoryImport starts importing the directory (users.invite and user_groups.manage) and returns
// the job at once; GetDirectoryJob tells its progress. Users are created invited — they complete
// registration like any invited technician — and user groups with their memberships. Re-importing is
// idempotent: nothing is duplicated, memberships follow the directory, and users gone from it are
// reported in the result, never deleted.
func (a *App) StartDirectoryImport(ctx context.Context, ac *Actor) (*portico.DirectoryJob, error) {
	if err := a.authorizeDirectory(ctx, ac, portico.ActionDirectoryImport); err != nil {
		return nil, err
	}
	cfg, _, err := a.loadDirectoryConfig(ctx, ac.AccountID)
	if portico.IsKind(err, portico.KindNotFound) {
		return nil, portico.Errorf(portico.KindConflict, "configure the directory first")
	}
	if err != nil {
		return nil, err
	}
	runKey := fmt.Sprintf("%p/%s", a, ac.AccountID)
	if _, busy := directoryRuns.LoadOrStore(runKey, struct{}{}); busy {
		return nil, portico.Errorf(portico.KindConflict, "an import of this account is already running")
	}
	now := a.now()
	job := &portico.DirectoryJob{ID: portico.NewID("djb"), AccountID: ac.AccountID, StartedBy: ac.UserID,
		State: JobRunning, Phase: PhaseReading, CreatedAt: now, UpdatedAt: now}
	if err := a.store.CreateDirectoryJob(ctx, job); err != nil {
		directoryRuns.Delete(runKey)
		return nil, err
	}
	started := *job
	// The import outlives the request that started it; it keeps the actor for its audit entries.
	runner := &Actor{Kind: ac.Kind, AccountID: ac.AccountID, UserID: ac.UserID, Name: ac.Name, APIKeyID: ac.APIKeyID, SourceIP: ac.SourceIP}
	go func() {
		defer directoryRuns.Delete(runKey)
		a.runDirectoryImport(context.WithoutCancel(ctx), runner, cfg, job)
	}()
	return &started, nil
}

// GetDirectoryJob returns an import job of the account (users.invite).
func (a *App) GetDirectoryJob(ctx context.Context, ac *Actor, id string) (*portico.DirectoryJob, error) {
	if err := a.authorize(ctx, ac, portico.ActionDirectoryJobView, portico.PermUsersInvite, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.GetDirectoryJob(ctx, ac.AccountID, id)
}

// ListDirectoryJobs returns the account's latest import jobs, newest first (users.invite).
func (a *App) ListDirectoryJobs(ctx context.Context, ac *Actor) ([]portico.DirectoryJob, error) {
	if err := a.authorize(ctx, ac, portico.ActionDirectoryJobList, portico.PermUsersInvite, authz.Account()); err != nil {
		return nil, err
	}
	return a.store.ListDirectoryJobs(ctx, ac.AccountID, 10)
}

func (a *App) saveJob(ctx context.Context, job *portico.DirectoryJob) {
	job.UpdatedAt = a.now()
	if err := a.store.UpdateDirectoryJob(ctx, job); err != nil {
		a.log.Error("directory import: save progress", "job", job.ID, "err", err)
	}
}

func (a *App) runDirectoryImport(ctx context.Context, ac *Actor, cfg directory.Config, job *portico.DirectoryJob) {
	plan, err := a.importDirectory(ctx, ac, cfg, job)
	fin := a.now()
	job.FinishedAt = &fin
	if err != nil {
		job.State, job.Error = JobFailed, err.Error()
		a.log.Warn("directory import failed", "account", ac.AccountID, "job", job.ID, "err", err)
		if portico.IsKind(err, portico.KindForbidden) {
			a.auditDenied(ctx, ac, portico.ActionDirectoryImport, "account", ac.AccountID, err.Error())
		} else {
			a.auditFailed(ctx, ac, portico.ActionDirectoryImport, "account", ac.AccountID, err.Error())
		}
	} else {
		job.State, job.Phase = JobSucceeded, PhaseDone
	}
	if plan != nil {
		job.Result, _ = json.Marshal(plan)
	}
	a.saveJob(ctx, job)
}

func (a *App) importDirectory(ctx context.Context, ac *Actor, cfg directory.Config, job *portico.DirectoryJob) (*DirectoryPlan, error) {
	snap, err := directory.Fetch(ctx, cfg, func(read int) {
		job.Processed = read
		a.saveJob(ctx, job)
	})
	if err != nil {
		return nil, directoryError(err)
	}
	plan, err := a.planDirectory(ctx, ac.AccountID, snap)
	if err != nil {
		return nil, err
	}
	var users []*plannedUser
	for i := range plan.users {
		if plan.users[i].action != "unchanged" {
			users = append(users, &plan.users[i])
		}
	}
	job.Phase, job.Processed, job.Total = PhaseUsers, 0, len(users)+2*len(plan.groups)
	a.saveJob(ctx, job)

	// Users, in batches. created maps the DN key of each new user to its id.
	ids := map[string]string{}
	for _, pu := range plan.users {
		if pu.id != "" {
			ids[pu.key] = pu.id
		}
	}
	for start := 0; start < len(users); start += DirectoryBatchSize {
		batch := users[start:min(start+DirectoryBatchSize, len(users))]
		if err := a.importUserBatch(ctx, ac, batch, ids); err != nil {
			return plan, err
		}
		job.Processed += len(batch)
		a.saveJob(ctx, job)
	}

	job.Phase = PhaseGroups
	a.saveJob(ctx, job)
	for start := 0; start < len(plan.groups); start += DirectoryBatchSize {
		batch := plan.groups[start:min(start+DirectoryBatchSize, len(plan.groups))]
		if err := a.importGroupBatch(ctx, ac, batch); err != nil {
			return plan, err
		}
		job.Processed += len(batch)
		a.saveJob(ctx, job)
	}

	job.Phase = PhaseMemberships
	a.saveJob(ctx, job)
	links, err := a.store.ListDirectoryLinks(ctx, ac.AccountID, false)
	if err != nil {
		return plan, err
	}
	managed := map[string]bool{}
	for _, l := range links {
		managed[l.ObjectID] = true
	}
	for start := 0; start < len(plan.groups); start += DirectoryBatchSize {
		batch := plan.groups[start:min(start+DirectoryBatchSize, len(plan.groups))]
		if err := a.syncMemberBatch(ctx, ac, batch, ids, managed); err != nil {
			return plan, err
		}
		job.Processed += len(batch)
		a.saveJob(ctx, job)
	}

	devices, err := a.syncDeviceDirectoryGroups(ctx, ac, snap.Computers)
	if err != nil {
		return plan, err
	}
	detail := fmt.Sprintf("users: %d created, %d updated; groups: %d created, %d updated; memberships: +%d −%d; %d removed from the directory, %d skipped; %d devices given their directory groups",
		plan.UsersCreate, plan.UsersUpdate, plan.GroupsCreate, plan.GroupsUpdate, plan.MembersAdd, plan.MembersRemove, len(plan.Removed), len(plan.Skipped), devices)
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		return &change{action: portico.ActionDirectoryImport, targetType: "account", targetID: ac.AccountID, detail: detail}, nil
	})
	return plan, err
}

// importUserBatch creates (invited) or updates one batch of users with their directory links, each
// with its own audit entry.
func (a *App) importUserBatch(ctx context.Context, ac *Actor, batch []*plannedUser, ids map[string]string) error {
	created := map[string]string{}
	err := a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		now := a.now()
		var edits []authz.Change
		for _, pu := range batch {
			var u *portico.User
			action := portico.ActionUserInvite
			if pu.id == "" {
				u = &portico.User{ID: portico.NewID("usr"), AccountID: ac.AccountID, Email: pu.email, Name: pu.name,
					Language: "en-GB", Theme: "system", CreatedAt: now, State: portico.StateInvited, Status: portico.StatusActive}
				if err := tx.CreateUser(ctx, u); err != nil {
					return nil, fmt.Errorf("directory user %s: %w", pu.dir.DN, err)
				}
			} else {
				var err error
				if u, err = tx.GetUser(ctx, ac.AccountID, pu.id); err != nil {
					return nil, fmt.Errorf("directory user %s: %w", pu.dir.DN, err)
				}
				action = portico.ActionUserUpdate
				if !u.Owner {
					u.Email, u.Name = pu.email, pu.name
					if err := tx.UpdateUser(ctx, u); err != nil {
						return nil, fmt.Errorf("directory user %s: %w", pu.dir.DN, err)
					}
				}
			}
			if err := tx.SetDirectoryLink(ctx, ac.AccountID, false, store.DirectoryLink{ObjectID: u.ID, DN: pu.dir.DN, DNKey: pu.key}, now); err != nil {
				return nil, fmt.Errorf("directory user %s: %w", pu.dir.DN, err)
			}
			if err := tx.AppendAudit(ctx, a.auditEvent(ac, action, "user", u.ID, portico.OutcomeSuccess, "from the directory: "+pu.dir.DN)); err != nil {
				return nil, err
			}
			created[pu.key] = u.ID
			n := userNode(u)
			edits = append(edits, authz.Change{UpsertUser: &n})
		}
		return &change{action: portico.ActionDirectoryImportUsers, targetType: "account", targetID: ac.AccountID,
			detail: fmt.Sprintf("%d users", len(batch)), edits: edits}, nil
	})
	if err != nil {
		return err
	}
	for k, v := range created {
		ids[k] = v
	}
	return nil
}

// importGroupBatch creates, renames or links one batch of user groups.
func (a *App) importGroupBatch(ctx context.Context, ac *Actor, batch []plannedGroup) error {
	return a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		now := a.now()
		var edits []authz.Change
		for i := range batch {
			pg := &batch[i]
			if pg.action == "unchanged" {
				continue
			}
			var g *portico.UserGroup
			action := portico.ActionUserGroupUpdate
			if pg.id == "" {
				g = &portico.UserGroup{ID: portico.NewID("ugr"), AccountID: ac.AccountID, Name: pg.name,
					Description: truncate("Directory group "+pg.dir.DN, 250), CreatedAt: now, MemberIDs: []string{}}
				if err := tx.CreateUserGroup(ctx, g); err != nil {
					return nil, fmt.Errorf("directory group %s: %w", pg.dir.DN, err)
				}
				pg.id = g.ID
				action = portico.ActionUserGroupCreate
			} else {
				var err error
				if g, err = tx.GetUserGroup(ctx, ac.AccountID, pg.id); err != nil {
					return nil, fmt.Errorf("directory group %s: %w", pg.dir.DN, err)
				}
				g.Name = pg.name
				if err := tx.UpdateUserGroup(ctx, g); err != nil {
					return nil, fmt.Errorf("directory group %s: %w", pg.dir.DN, err)
				}
			}
			if err := tx.SetDirectoryLink(ctx, ac.AccountID, true, store.DirectoryLink{ObjectID: g.ID, DN: pg.dir.DN, DNKey: pg.key}, now); err != nil {
				return nil, fmt.Errorf("directory group %s: %w", pg.dir.DN, err)
			}
			if err := tx.AppendAudit(ctx, a.auditEvent(ac, action, "user_group", g.ID, portico.OutcomeSuccess, "from the directory: "+pg.dir.DN)); err != nil {
				return nil, err
			}
			edits = append(edits, authz.Change{UpsertUserGroup: &authz.UserGroupNode{ID: g.ID, Name: g.Name, MemberIDs: g.MemberIDs}})
		}
		if len(edits) == 0 {
			return nil, nil
		}
		return &change{action: portico.ActionDirectoryImportGroups, targetType: "account", targetID: ac.AccountID,
			detail: fmt.Sprintf("%d user groups", len(edits)), edits: edits}, nil
	})
}

// syncMemberBatch sets the members of one batch of groups: the directory's users, plus the members
// the directory does not manage (added by hand in Portico), which stay.
func (a *App) syncMemberBatch(ctx context.Context, ac *Actor, batch []plannedGroup, ids map[string]string, managed map[string]bool) error {
	return a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		var edits []authz.Change
		for _, pg := range batch {
			g, err := tx.GetUserGroup(ctx, ac.AccountID, pg.id)
			if err != nil {
				return nil, fmt.Errorf("directory group %s: %w", pg.dir.DN, err)
			}
			want := map[string]bool{}
			for _, udn := range pg.dir.Users {
				if id := ids[directory.NormalizeDN(udn)]; id != "" {
					want[id] = true
				}
			}
			for _, id := range g.MemberIDs {
				if !managed[id] {
					want[id] = true
				}
			}
			members := make([]string, 0, len(want))
			for id := range want {
				members = append(members, id)
			}
			sort.Strings(members)
			if equalStrings(members, g.MemberIDs) {
				continue
			}
			// The directory adds members with the importing person's authority: not beyond it.
			if err := a.checkNewMembers(ctx, tx, ac, g.ID, g.MemberIDs, members); err != nil {
				return nil, fmt.Errorf("directory group %s, user group %q: %w", pg.dir.DN, g.Name, err)
			}
			if err := tx.SetUserGroupMembers(ctx, ac.AccountID, g.ID, members); err != nil {
				return nil, fmt.Errorf("directory group %s: %w", pg.dir.DN, err)
			}
			if err := tx.AppendAudit(ctx, a.auditEvent(ac, portico.ActionUserGroupUpdate, "user_group", g.ID, portico.OutcomeSuccess,
				fmt.Sprintf("members from the directory: %d → %d", len(g.MemberIDs), len(members)))); err != nil {
				return nil, err
			}
			edits = append(edits, authz.Change{UpsertUserGroup: &authz.UserGroupNode{ID: g.ID, Name: g.Name, MemberIDs: members}})
		}
		if len(edits) == 0 {
			return nil, nil
		}
		return &change{action: portico.ActionDirectoryImportMemberships, targetType: "account", targetID: ac.AccountID,
			detail: fmt.Sprintf("%d user groups", len(edits)), edits: edits}, nil
	})
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n])
}
