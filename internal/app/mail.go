package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/mail"
	"github.com/portico-dev/portico/internal/store"
)

// Email delivery. A message is stored in the outbox in the same transaction as the change that causes
// it, then delivered: an invitation at once, within a bounded time, so the inviter learns whether it
// went; a notice by the outbox loop (RunMailOutbox). A failed delivery is tried again with growing
// delays, so nothing acknowledged is lost to a slow or absent SMTP server.

// Email statuses reported with an invitation.
const (
	EmailSent          = "sent"           // the SMTP server accepted the message
	EmailQueued        = "queued"         // not delivered yet: it will be tried again (see EmailError)
	EmailNotConfigured = "not_configured" // no SMTP server is configured: share the link yourself
)

// MailDeliveryTimeout bounds the delivery an invitation waits for before answering.
const MailDeliveryTimeout = 10 * time.Second

// mailRetryDelays are the waits after each failed attempt; after the last, the message is abandoned.
var mailRetryDelays = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour}

// mailLease is how long a claimed message is left to its sender before another may try it.
const mailLease = 2 * time.Minute

type mailer struct {
	sender  mail.Sender
	timeout time.Duration
	kick    chan struct{}
}

// SetMailSender configures email delivery; nil turns it off (invitation links are then only returned
// to the inviter, and notices are not sent).
func (a *App) SetMailSender(s mail.Sender) {
	if s == nil {
		a.mail.Store(nil)
		return
	}
	a.mail.Store(&mailer{sender: s, timeout: MailDeliveryTimeout, kick: make(chan struct{}, 1)})
}

// SetMailDeliveryTimeout changes how long an invitation waits for its email (tests of slow servers).
func (a *App) SetMailDeliveryTimeout(d time.Duration) {
	if m := a.mailer(); m != nil {
		a.mail.Store(&mailer{sender: m.sender, timeout: d, kick: m.kick})
	}
}

func (a *App) mailer() *mailer { return a.mail.Load() }

// MailConfigured reports whether an SMTP server is configured.
func (a *App) MailConfigured() bool { return a.mailer() != nil }

// queueMail renders a message of kind to u in their language and stores it in the outbox: a notice is
// due at once, an invitation after a lease (see deliverNow).
// Without a mail sender it stores nothing and returns "".
func (a *App) queueMail(ctx context.Context, tx *store.Tx, acc *portico.Account, u *portico.User, kind mail.Kind, ref string, d mail.Data) (string, error) {
	if a.mailer() == nil {
		return "", nil
	}
	d.Company, d.Recipient = acc.Name, u.Name
	if d.At.IsZero() {
		d.At = a.now()
	}
	if kind == mail.KindInvitation {
		d.Recipient = "" // not chosen by the invitee yet
	}
	subject, text, html, err := mail.Render(kind, u.Language, d)
	if err != nil {
		return "", err
	}
	now := a.now()
	due := now
	if kind == mail.KindInvitation {
		// The request delivers an invitation itself (deliverNow): the outbox loop leaves it alone for a
		// lease, and takes it over only if that delivery never finished.
		due = now.Add(mailLease)
	}
	m := &store.OutboxMail{ID: portico.NewID("mail"), AccountID: acc.ID, Ref: ref, Kind: string(kind), To: u.Email,
		Subject: subject, Text: text, HTML: html, CreatedAt: now, NextAttemptAt: &due}
	if err := tx.EnqueueMail(ctx, m); err != nil {
		return "", err
	}
	return m.ID, nil
}

// deliverNow tries to send one queued message within the delivery timeout and reports the outcome. A
// failure is audited against the user and left to the outbox loop to retry.
func (a *App) deliverNow(ctx context.Context, ac *Actor, userID, mailID string) (status, reason string) {
	m := a.mailer()
	if m == nil || mailID == "" {
		a.log.Info("no email sent: no SMTP server is configured", "account", ac.AccountID, "user", userID)
		return EmailNotConfigured, ""
	}
	// The request may be cancelled by its client; the delivery and its record should not be.
	ctx = context.WithoutCancel(ctx)
	msg, err := a.store.GetMail(ctx, ac.AccountID, mailID)
	if err != nil {
		a.log.Error("read queued mail", "mail", mailID, "err", err)
		return EmailQueued, "the message is queued"
	}
	claimAt := a.now()
	if msg.NextAttemptAt != nil && msg.NextAttemptAt.After(claimAt) {
		claimAt = *msg.NextAttemptAt // still under the lease queueMail gave it
	}
	err = a.attempt(ctx, m, msg, claimAt)
	if err == nil {
		return EmailSent, ""
	}
	if errors.Is(err, errNotClaimed) {
		return EmailQueued, "the message is being sent"
	}
	a.auditFailed(ctx, ac, portico.ActionMailFailed, "user", userID, fmt.Sprintf("%s to %s: %v", msg.Kind, msg.To, err))
	return EmailQueued, err.Error()
}

var errNotClaimed = errors.New("another sender has the message")

// attempt claims msg if it is due at claimAt, sends it and records the outcome.
func (a *App) attempt(ctx context.Context, m *mailer, msg *store.OutboxMail, claimAt time.Time) error {
	now := a.now()
	ok, err := a.store.ClaimMail(ctx, msg.ID, claimAt, now.Add(mailLease))
	if err != nil {
		return err
	}
	if !ok {
		return errNotClaimed
	}
	sendCtx, cancel := context.WithTimeout(ctx, m.timeout)
	err = m.sender.Send(sendCtx, mail.Message{To: msg.To, Subject: msg.Subject, Text: msg.Text, HTML: msg.HTML})
	cancel()
	if err == nil {
		if err := a.store.MarkMailSent(ctx, msg.ID, a.now()); err != nil {
			a.log.Error("record sent mail", "mail", msg.ID, "err", err)
		}
		a.log.Info("email sent", "account", msg.AccountID, "kind", msg.Kind, "mail", msg.ID)
		return nil
	}
	var next *time.Time
	if msg.Attempts < len(mailRetryDelays) {
		t := a.now().Add(mailRetryDelays[msg.Attempts])
		next = &t
	}
	if rerr := a.store.MarkMailFailed(ctx, msg.ID, err.Error(), next); rerr != nil {
		a.log.Error("record failed mail", "mail", msg.ID, "err", rerr)
	}
	if next == nil {
		a.log.Error("email abandoned", "account", msg.AccountID, "kind", msg.Kind, "mail", msg.ID, "attempts", msg.Attempts+1, "err", err)
		a.auditFailed(ctx, SystemActor(msg.AccountID), portico.ActionMailAbandoned, "mail", msg.ID, fmt.Sprintf("%s to %s: %v", msg.Kind, msg.To, err))
	} else {
		a.log.Warn("email not sent; will retry", "account", msg.AccountID, "kind", msg.Kind, "mail", msg.ID, "retry_at", next, "err", err)
	}
	return err
}

// notify sends a security notice of kind to a user of ac's account: it is queued at once and delivered
// by the outbox loop. Call it after the change it reports has been written; detail fills the notice's
// kind-specific placeholder (an API key's name). Failures are logged, never returned: the change
// itself has happened.
func (a *App) notify(ctx context.Context, ac *Actor, userID string, kind mail.Kind, detail string) {
	m := a.mailer()
	if m == nil {
		a.log.Info("no email sent: no SMTP server is configured", "kind", string(kind), "account", ac.AccountID, "user", userID)
		return
	}
	ctx = context.WithoutCancel(ctx)
	actorName := ac.Name
	if ac.Kind == ActorSystem || actorName == "" {
		actorName = "Portico"
	}
	err := a.store.Tx(ctx, func(tx *store.Tx) error {
		acc, err := tx.GetAccount(ctx, ac.AccountID)
		if err != nil {
			return err
		}
		u, err := tx.GetUser(ctx, ac.AccountID, userID)
		if err != nil {
			return err
		}
		_, err = a.queueMail(ctx, tx, acc, u, kind, "", mail.Data{ActorName: actorName, Detail: detail})
		return err
	})
	if err != nil {
		a.log.Error("queue security notice", "kind", string(kind), "user", userID, "err", err)
		return
	}
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// RunMailOutbox delivers queued email until ctx ends: at once when a notice is queued, and every
// interval for retries. Run one per server; with several servers the claims keep a message from being
// sent twice.
func (a *App) RunMailOutbox(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = 30 * time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	var kick chan struct{}
	if m := a.mailer(); m != nil {
		kick = m.kick
	}
	lastPrune := time.Time{}
	for {
		a.flushOutbox(ctx)
		if time.Since(lastPrune) > time.Hour {
			if err := a.store.PruneMail(ctx, a.now().Add(-30*24*time.Hour)); err != nil && ctx.Err() == nil {
				a.log.Error("prune the mail outbox", "err", err)
			}
			lastPrune = time.Now()
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-kick:
		}
	}
}

// flushOutbox sends every message that is due.
func (a *App) flushOutbox(ctx context.Context) {
	m := a.mailer()
	if m == nil {
		return
	}
	for ctx.Err() == nil {
		due, err := a.store.DueMail(ctx, a.now(), 20)
		if err != nil {
			if ctx.Err() == nil {
				a.log.Error("read the mail outbox", "err", err)
			}
			return
		}
		sent := 0
		for i := range due {
			if ctx.Err() != nil {
				return
			}
			if err := a.attempt(ctx, m, &due[i], a.now()); err == nil {
				sent++
			}
		}
		if len(due) < 20 || sent == 0 {
			return
		}
	}
}
