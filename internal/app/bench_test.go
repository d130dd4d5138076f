package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// bigAccount sizes the generated account of the benchmarks (issue: 100,000 devices, 5,000 groups up to
// 8 deep, 10,000 users, 1,000 user groups, 200 roles, 50,000 assignments).
const (
	bigDevices     = 100_000
	bigGroups      = 5_000
	bigDepth       = 8
	bigUsers       = 10_000
	bigUserGroups  = 1_000
	bigRoles       = 200
	bigAssignments = 50_000
)

// newBenchApp returns an App on a fresh SQLite store that is closed when the benchmark ends.
func newBenchApp(b *testing.B) *App {
	b.Helper()
	st, err := store.OpenAndMigrate(context.Background(), store.Config{DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	return New(st, slog.New(slog.NewTextHandler(io.Discard, nil)))
}

// seedBigAccount writes the generated account straight into the store in one transaction (the App's
// use cases would audit every row, which is not what is measured) and returns the owner and a few
// ids the benchmarks use.
func seedBigAccount(b *testing.B, a *App) (owner *Actor, users, devices []string, roleID string) {
	b.Helper()
	ctx := context.Background()
	acc, err := a.CreateAccount(ctx, NewAccount{Company: "Big Ltd", OwnerEmail: "owner@big.test", OwnerName: "Owner",
		OwnerPassword: "correct horse battery"})
	if err != nil {
		b.Fatal(err)
	}
	owner = &Actor{Kind: ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID, Name: "Owner"}
	accID := acc.Account.ID
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Now().UTC()
	devicePerms := []portico.Permission{portico.PermDeviceView, portico.PermDeviceEdit, portico.PermDeviceMove,
		portico.PermDeviceScreenView, portico.PermDeviceRemoteControl, portico.PermDeviceTerminal, portico.PermDeviceChat,
		portico.PermDeviceFileTransfer, portico.PermDeviceTaskManager, portico.PermDeviceHistory}
	err = a.store.Tx(ctx, func(tx *store.Tx) error {
		groups := []string{acc.DefaultGroup.ID}
		depth := []int{0}
		for i := 1; i < bigGroups; i++ {
			p := rng.IntN(len(groups))
			for depth[p] >= bigDepth-1 {
				p = rng.IntN(len(groups))
			}
			g := &portico.DeviceGroup{ID: fmt.Sprintf("grp_big%05d", i), AccountID: accID, ParentID: groups[p],
				Name: fmt.Sprintf("Group %05d", i), Colour: "#4A90D9", CreatedAt: now}
			if i%10 == 0 {
				g.Settings = portico.GroupSettings{portico.FeatureTerminal: i%20 == 0}
			}
			if err := tx.CreateDeviceGroup(ctx, g); err != nil {
				return err
			}
			groups = append(groups, g.ID)
			depth = append(depth, depth[p]+1)
		}
		for i := range bigDevices {
			gid := groups[rng.IntN(len(groups))]
			if i%50 == 0 {
				gid = portico.UnassignedGroupID
			}
			d := &portico.Device{ID: fmt.Sprintf("dev_big%06d", i), AccountID: accID, GroupID: gid,
				Name: fmt.Sprintf("device-%06d", i), Status: portico.DeviceUnavailable, CreatedAt: now}
			if err := tx.CreateDevice(ctx, d); err != nil {
				return err
			}
			if gid != portico.UnassignedGroupID {
				devices = append(devices, d.ID)
			}
		}
		for i := range bigUsers {
			u := &portico.User{ID: fmt.Sprintf("usr_big%05d", i), AccountID: accID, Email: fmt.Sprintf("u%05d@big.test", i),
				Name: fmt.Sprintf("User %05d", i), State: portico.StateActivated, Status: portico.StatusActive,
				Language: "en-GB", Theme: "system", CreatedAt: now, PasswordHash: "unusable"}
			if i%20 == 0 {
				u.Status = portico.StatusDisabled
			}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			users = append(users, u.ID)
		}
		var userGroups []string
		for i := range bigUserGroups {
			g := &portico.UserGroup{ID: fmt.Sprintf("ugr_big%04d", i), AccountID: accID, Name: fmt.Sprintf("Team %04d", i), CreatedAt: now}
			for range 1 + rng.IntN(20) {
				g.MemberIDs = append(g.MemberIDs, users[rng.IntN(len(users))])
			}
			slices.Sort(g.MemberIDs)
			g.MemberIDs = slices.Compact(g.MemberIDs)
			if err := tx.CreateUserGroup(ctx, g); err != nil {
				return err
			}
			userGroups = append(userGroups, g.ID)
		}
		var roles []string
		for i := range bigRoles {
			r := &portico.Role{ID: fmt.Sprintf("rol_big%03d", i), AccountID: accID, Name: fmt.Sprintf("Role %03d", i),
				Purpose: portico.PurposeDevices, CreatedAt: now}
			for _, p := range devicePerms {
				if rng.IntN(3) == 0 {
					r.Permissions = append(r.Permissions, p)
				}
			}
			if err := tx.CreateRole(ctx, r); err != nil {
				return err
			}
			roles = append(roles, r.ID)
		}
		for i := range bigAssignments {
			as := &portico.Assignment{ID: fmt.Sprintf("asg_big%05d", i), AccountID: accID, RoleID: roles[rng.IntN(len(roles))],
				PrincipalType: portico.PrincipalUser, PrincipalID: users[rng.IntN(len(users))], CreatedAt: now}
			if i%5 < 2 {
				as.PrincipalType, as.PrincipalID = portico.PrincipalUserGroup, userGroups[rng.IntN(len(userGroups))]
			}
			switch r := rng.IntN(100); {
			case r < 3:
				as.ScopeType = portico.ScopeTypeAccount
			case r < 63:
				as.ScopeType, as.ScopeID = portico.ScopeTypeDeviceGroup, groups[rng.IntN(len(groups))]
			default:
				as.ScopeType, as.ScopeID = portico.ScopeTypeDevice, devices[rng.IntN(len(devices))]
			}
			if err := tx.CreateAssignment(ctx, as); err != nil {
				return err
			}
		}
		// The role the benchmarks grant: the terminal, which the engine gates by group setting.
		r := &portico.Role{ID: "rol_bigterm", AccountID: accID, Name: "Terminal", Purpose: portico.PurposeDevices,
			Permissions: []portico.Permission{portico.PermDeviceTerminal}, CreatedAt: now}
		roleID = r.ID
		return tx.CreateRole(ctx, r)
	})
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Reload(ctx, accID); err != nil {
		b.Fatal(err)
	}
	return owner, users, devices, roleID
}

// BenchmarkWriteToDecision measures, on the generated account in SQLite, how long a role assignment
// takes to be acknowledged (the whole use case: authorization, validation, the transaction with its
// audit entry, the snapshot edit) and when decisions reflect it. A poller goroutine decides the
// granted permission in a loop; ack-to-decision-ns is the time from the write returning to the
// poller's first decision that sees it, and first-decision-ns the cost of the first decision the
// writer makes itself after the acknowledgement (which must already allow).
func BenchmarkWriteToDecision(b *testing.B) {
	ctx := context.Background()
	a := newBenchApp(b)
	owner, users, devices, roleID := seedBigAccount(b, a)
	snap, err := a.snapshot(ctx, owner.AccountID)
	if err != nil {
		b.Fatal(err)
	}
	// Pairs whose user cannot yet use the terminal on the device, and can once the role is assigned
	// there (active user, terminal not switched off on the device's group).
	type pair struct{ user, device string }
	var pairs []pair
	rng := rand.New(rand.NewPCG(3, 4))
	for len(pairs) < 4096 {
		u, d := users[rng.IntN(len(users))], devices[rng.IntN(len(devices))]
		q := authz.Query{UserID: u, Permission: portico.PermDeviceTerminal, Target: authz.Device(d), At: time.Now()}
		if snap.Decide(q).Allowed {
			continue
		}
		// Disabled users get nothing; the owner is refused only where the terminal is switched off.
		if snap.Decide(authz.Query{UserID: u, Permission: portico.PermDeviceTerminal, Target: authz.Device(d), At: time.Now()}).Reason == authz.ReasonUserInactive ||
			!snap.Decide(authz.Query{UserID: owner.UserID, Permission: portico.PermDeviceTerminal, Target: authz.Device(d), At: time.Now()}).Allowed {
			continue
		}
		pairs = append(pairs, pair{u, d})
	}

	var lagTotal, lagMax, firstTotal int64
	var target atomic.Pointer[pair]
	var seenAt atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { // the poller: another request deciding in a loop
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			p := target.Load()
			if p == nil || seenAt.Load() != 0 {
				continue
			}
			ac := &Actor{Kind: ActorUser, AccountID: owner.AccountID, UserID: p.user}
			if a.can(ctx, ac, portico.PermDeviceTerminal, authz.Device(p.device)) {
				seenAt.Store(time.Now().UnixNano())
			}
		}
	}()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := &pairs[i%len(pairs)]
		seenAt.Store(0)
		target.Store(p)
		as, err := a.CreateAssignment(ctx, owner, AssignmentInput{PrincipalType: portico.PrincipalUser, PrincipalID: p.user,
			RoleID: roleID, ScopeType: portico.ScopeTypeDevice, ScopeID: p.device})
		acked := time.Now().UnixNano()
		if err != nil {
			b.Fatal(err)
		}
		ac := &Actor{Kind: ActorUser, AccountID: owner.AccountID, UserID: p.user}
		if !a.can(ctx, ac, portico.PermDeviceTerminal, authz.Device(p.device)) {
			b.Fatalf("the first decision after the write does not reflect it (%s on %s)", p.user, p.device)
		}
		firstTotal += time.Now().UnixNano() - acked
		for seenAt.Load() == 0 {
		}
		lag := max(seenAt.Load()-acked, 0) // seen before the ack returned counts as no lag
		lagTotal += lag
		lagMax = max(lagMax, lag)
		b.StopTimer()
		target.Store(nil)
		if err := a.DeleteAssignment(ctx, owner, as.ID); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.StopTimer()
	close(stop)
	<-done
	b.ReportMetric(float64(firstTotal)/float64(b.N), "first-decision-ns")
	b.ReportMetric(float64(lagTotal)/float64(b.N), "ack-to-decision-ns")
	b.ReportMetric(float64(lagMax), "max-ack-to-decision-ns")
}

// BenchmarkEnroll measures one agent enrollment into the generated account of 100,000 devices: the
// transaction with its history and audit entries, the assignment rules, and the snapshot edit.
func BenchmarkEnroll(b *testing.B) {
	ctx := context.Background()
	a := newBenchApp(b)
	owner, _, _, _ := seedBigAccount(b, a)
	if _, err := a.snapshot(ctx, owner.AccountID); err != nil {
		b.Fatal(err)
	}
	owner.MarkDecided()
	_, token, err := a.CreateEnrollmentToken(ctx, owner, "")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, _, err := a.Enroll(ctx, EnrollInput{Token: token, Hostname: fmt.Sprintf("bench-%d", i), OSName: "Linux"}); err != nil {
			b.Fatal(err)
		}
	}
}
