package store

import (
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

func TestOutboxSQLite(t *testing.T) { testOutbox(t, openSQLiteTest(t)) }

func TestOutboxPostgres(t *testing.T) { testOutbox(t, openPostgresTest(t)) }

func TestPendingInvitationsSQLite(t *testing.T) { testPendingInvitations(t, openSQLiteTest(t)) }

func TestPendingInvitationsPostgres(t *testing.T) { testPendingInvitations(t, openPostgresTest(t)) }

// us keeps the test's instants apart once stored to the microsecond.
const us = 1000

func testOutbox(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	g := newFixture(t, s, "Globex")
	due := at(10 * us)
	a := &OutboxMail{ID: "mail_a", AccountID: f.acc.ID, Ref: "inv_1", Kind: "invitation", To: "a@example.test",
		Subject: "Join", Text: "secret link", HTML: "<p>secret link</p>", CreatedAt: now, NextAttemptAt: &due}
	later := at(20 * us)
	b := &OutboxMail{ID: "mail_b", AccountID: g.acc.ID, Kind: "password_changed", To: "b@example.test",
		Subject: "Changed", Text: "t", HTML: "h", CreatedAt: now, NextAttemptAt: &later}
	must(t, s.EnqueueMail(ctx, a))
	must(t, s.EnqueueMail(ctx, b))
	equal(t, must1[*OutboxMail](t)(s.GetMail(ctx, f.acc.ID, a.ID)), a)
	_, err := s.GetMail(ctx, g.acc.ID, a.ID)
	wantKind(t, err, portico.KindNotFound)

	// Due is across accounts, by time.
	if got := must1[[]OutboxMail](t)(s.DueMail(ctx, at(5*us), 10)); len(got) != 0 {
		t.Fatalf("due before time: %v", got)
	}
	if got := must1[[]OutboxMail](t)(s.DueMail(ctx, at(30*us), 10)); len(got) != 2 || got[0].ID != a.ID || got[1].ID != b.ID {
		t.Fatalf("due: %+v", got)
	}
	// One claim wins; the loser sees the lease.
	if !must1[bool](t)(s.ClaimMail(ctx, a.ID, at(30*us), at(90*us))) {
		t.Fatal("first claim failed")
	}
	if must1[bool](t)(s.ClaimMail(ctx, a.ID, at(30*us), at(90*us))) {
		t.Fatal("second claim succeeded during the lease")
	}
	// A failure with a retry keeps the body; the message is due again later.
	retry := at(100 * us)
	must(t, s.MarkMailFailed(ctx, a.ID, "451 try again", &retry))
	got := must1[*OutboxMail](t)(s.GetMail(ctx, f.acc.ID, a.ID))
	if got.Attempts != 1 || got.LastError != "451 try again" || got.Text == "" || !got.NextAttemptAt.Equal(normTime(retry)) {
		t.Fatalf("after a failure: %+v", got)
	}
	// Sent: bodies blanked, no longer due.
	must(t, s.MarkMailSent(ctx, a.ID, at(101*us)))
	got = must1[*OutboxMail](t)(s.GetMail(ctx, f.acc.ID, a.ID))
	if got.SentAt == nil || got.NextAttemptAt != nil || got.Text != "" || got.HTML != "" || got.Attempts != 2 || got.LastError != "" {
		t.Fatalf("after sending: %+v", got)
	}
	// Abandoned: bodies blanked too.
	must(t, s.MarkMailFailed(ctx, b.ID, "550 no such user", nil))
	got = must1[*OutboxMail](t)(s.GetMail(ctx, g.acc.ID, b.ID))
	if got.NextAttemptAt != nil || got.Text != "" || got.SentAt != nil {
		t.Fatalf("abandoned: %+v", got)
	}
	if got := must1[[]OutboxMail](t)(s.DueMail(ctx, at(1000*us), 10)); len(got) != 0 {
		t.Fatalf("due after sending and abandoning: %v", got)
	}

	// Withdraw removes only unsent messages of that account and ref.
	c := &OutboxMail{ID: "mail_c", AccountID: f.acc.ID, Ref: "inv_1", Kind: "invitation", To: "a@example.test",
		Subject: "Join", Text: "t", HTML: "h", CreatedAt: now, NextAttemptAt: &due}
	must(t, s.EnqueueMail(ctx, c))
	if n := must1[int](t)(s.WithdrawMail(ctx, g.acc.ID, "inv_1")); n != 0 {
		t.Fatalf("withdrew %d of another account", n)
	}
	if n := must1[int](t)(s.WithdrawMail(ctx, f.acc.ID, "inv_1")); n != 1 {
		t.Fatalf("withdrew %d, want 1 (the sent one stays)", n)
	}
	must1[*OutboxMail](t)(s.GetMail(ctx, f.acc.ID, a.ID))

	// Pruning drops finished messages created before the cutoff.
	must(t, s.PruneMail(ctx, now.Add(time.Hour)))
	_, err = s.GetMail(ctx, f.acc.ID, a.ID)
	wantKind(t, err, portico.KindNotFound)
}

func testPendingInvitations(t *testing.T, s *Store) {
	f := newFixture(t, s, "Acme")
	bob := f.user(t, s, "bob")
	_, err := s.PendingInvitation(ctx, f.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)
	old := &portico.Invitation{ID: "inv_old", AccountID: f.acc.ID, UserID: bob.ID, Hash: "h1", CreatedAt: at(1 * us), ExpiresAt: at(100 * us)}
	newer := &portico.Invitation{ID: "inv_new", AccountID: f.acc.ID, UserID: bob.ID, Hash: "h2", CreatedAt: at(2 * us), ExpiresAt: at(200 * us)}
	must(t, s.CreateInvitation(ctx, old))
	must(t, s.CreateInvitation(ctx, newer))
	equal(t, must1[*portico.Invitation](t)(s.PendingInvitation(ctx, f.acc.ID, bob.ID)), newer)
	g := newFixture(t, s, "Globex")
	_, err = s.PendingInvitation(ctx, g.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)
	if ids := must1[[]string](t)(s.RevokeInvitations(ctx, g.acc.ID, bob.ID)); len(ids) != 0 {
		t.Fatalf("revoked %v through another account", ids)
	}
	if ids := must1[[]string](t)(s.RevokeInvitations(ctx, f.acc.ID, bob.ID)); len(ids) != 2 {
		t.Fatalf("revoked %v, want both", ids)
	}
	_, err = s.GetInvitationByHash(ctx, "h2")
	wantKind(t, err, portico.KindNotFound)
	_, err = s.PendingInvitation(ctx, f.acc.ID, bob.ID)
	wantKind(t, err, portico.KindNotFound)
}
