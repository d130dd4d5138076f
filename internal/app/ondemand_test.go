package app

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/portico-dev/portico"
)

// onDemandTechs returns two technicians with on_demand.own in the On-demand section, and one with
// on_demand.all there.
func onDemandTechs(e *env) (ann, bob, lead *Actor) {
	e.t.Helper()
	own := e.role("On-demand own", portico.PermOnDemandOwn)
	all := e.role("On-demand all", portico.PermOnDemandAll)
	section := func(role string) grant {
		return grant{roleID: role, scopeType: portico.ScopeTypeSection, scopeID: portico.SectionOnDemand}
	}
	return e.user("ann@example.test", section(own)), e.user("bob@example.test", section(own)),
		e.user("lead@example.test", section(all))
}

func redeem(e *env, code, ip string) (*Redemption, error) {
	return e.a.RedeemOnDemandCode(e.ctx, RedeemInput{Code: code, Hostname: "anns-laptop", OSName: "Windows 11",
		LoggedInUser: "ann", SourceIP: ip})
}

// TestOnDemandOwnAndAll: on_demand.own sees, and ends, only its own sessions (another's is not found);
// on_demand.all every one; a technician with neither is refused, and another account's session is
// not found.
func TestOnDemandOwnAndAll(t *testing.T) {
	e := newEnv(t)
	ann, bob, lead := onDemandTechs(e)
	anns, err := e.a.CreateOnDemandSession(e.ctx, ann, portico.OnDemandInput{CustomerName: "Carol", Note: "printer"})
	if err != nil {
		t.Fatal(err)
	}
	if len(anns.Code) != 9 || anns.State != portico.OnDemandWaiting || anns.Link != "http://localhost:8080/support/"+anns.Code ||
		!anns.ExpiresAt.Equal(e.now.Add(20*time.Minute)) {
		t.Fatalf("created %+v", anns)
	}
	bobs, err := e.a.CreateOnDemandSession(e.ctx, bob, portico.OnDemandInput{})
	if err != nil {
		t.Fatal(err)
	}

	list := func(ac *Actor) []string {
		t.Helper()
		l, err := e.a.ListOnDemandSessions(e.ctx, ac, false)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, o := range l {
			ids = append(ids, o.ID)
		}
		return ids
	}
	if got := list(ann); len(got) != 1 || got[0] != anns.ID {
		t.Errorf("ann lists %v, want only her own %s", got, anns.ID)
	}
	if got := list(lead); len(got) != 2 {
		t.Errorf("on_demand.all lists %v, want both", got)
	}
	_, err = e.a.GetOnDemandSession(e.ctx, ann, bobs.ID)
	wantKind(t, err, portico.KindNotFound)
	wantKind(t, e.a.EndOnDemandSession(e.ctx, ann, bobs.ID), portico.KindNotFound)
	if _, err := e.a.GetOnDemandSession(e.ctx, lead, bobs.ID); err != nil {
		t.Errorf("on_demand.all cannot see bob's session: %v", err)
	}

	nobody := e.user("nobody@example.test")
	_, err = e.a.CreateOnDemandSession(e.ctx, nobody, portico.OnDemandInput{})
	wantKind(t, err, portico.KindForbidden)
	_, err = e.a.ListOnDemandSessions(e.ctx, nobody, false)
	wantKind(t, err, portico.KindForbidden)
	_, err = e.a.GetOnDemandSession(e.ctx, nobody, anns.ID)
	wantKind(t, err, portico.KindNotFound)

	_, other := e.newAccount("Other Ltd", "owner@other.test")
	_, err = e.a.GetOnDemandSession(e.ctx, other, anns.ID)
	wantKind(t, err, portico.KindNotFound)

	// The lead ends bob's session: it is ended by the server, naming who, and its code is worthless.
	if err := e.a.EndOnDemandSession(e.ctx, lead, bobs.ID); err != nil {
		t.Fatal(err)
	}
	got, err := e.a.GetOnDemandSession(e.ctx, bob, bobs.ID)
	if err != nil || got.State != portico.OnDemandEnded || got.EndedBy != "server" || got.EndReason != "ended by lead@example.test" {
		t.Fatalf("after the lead ended it: %+v, %v", got, err)
	}
	_, err = redeem(e, bobs.Code, "192.0.2.1")
	wantKind(t, err, portico.KindNotFound)

	// Bad input names the field.
	_, err = e.a.CreateOnDemandSession(e.ctx, ann, portico.OnDemandInput{CustomerName: "Eve\u202egnp.exe"})
	wantField(t, err, "customer_name")
	_, err = e.a.CreateOnDemandSession(e.ctx, ann, portico.OnDemandInput{Language: "xx"})
	wantField(t, err, "language")
}

// TestOnDemandCodes: a code redeems once, within its lifetime, and only exactly; the redemption's
// credential authenticates the support agent until the session ends.
func TestOnDemandCodes(t *testing.T) {
	e := newEnv(t)
	ann, _, _ := onDemandTechs(e)
	o, err := e.a.CreateOnDemandSession(e.ctx, ann, portico.OnDemandInput{CustomerName: "Carol"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = redeem(e, "12345", "192.0.2.1")
	wantField(t, err, "code")

	grouped := o.Code[:3] + " " + o.Code[3:6] + "-" + o.Code[6:]
	r, err := redeem(e, grouped, "192.0.2.1")
	if err != nil {
		t.Fatalf("redeem %q: %v", grouped, err)
	}
	if r.SessionID != o.ID || r.CompanyName != "Example Ltd" || r.TechnicianName != "ann@example.test" || r.Credential == "" {
		t.Fatalf("redemption %+v", r)
	}
	_, err = redeem(e, o.Code, "192.0.2.1")
	wantKind(t, err, portico.KindNotFound) // used

	got, err := e.a.GetOnDemandSession(e.ctx, ann, o.ID)
	if err != nil || got.State != portico.OnDemandConnected || got.ComputerName != "anns-laptop" || got.OSName != "Windows 11" {
		t.Fatalf("after redemption: %+v, %v", got, err)
	}

	agent, err := e.a.AuthenticateSupportAgent(e.ctx, o.ID, r.Credential, "192.0.2.1")
	if err != nil || !agent.OnDemand || agent.DeviceID != o.ID || agent.AccountID != e.acc.Account.ID {
		t.Fatalf("authenticate the support agent: %+v, %v", agent, err)
	}
	_, err = e.a.AuthenticateSupportAgent(e.ctx, o.ID, r.Credential+"x", "192.0.2.1")
	wantKind(t, err, portico.KindUnauthenticated)
	if err := e.a.EndOnDemandSession(e.ctx, ann, o.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.a.AuthenticateSupportAgent(e.ctx, o.ID, r.Credential, "192.0.2.1")
	wantKind(t, err, portico.KindUnauthenticated)

	// A code past its lifetime is refused, and the sweep records it as expired, with an audit entry.
	late, err := e.a.CreateOnDemandSession(e.ctx, ann, portico.OnDemandInput{})
	if err != nil {
		t.Fatal(err)
	}
	e.advance(20 * time.Minute)
	_, err = redeem(e, late.Code, "192.0.2.2")
	wantKind(t, err, portico.KindNotFound)
	if err := e.a.SweepOnDemand(e.ctx, 10*time.Minute); err != nil {
		t.Fatal(err)
	}
	got, err = e.a.GetOnDemandSession(e.ctx, ann, late.ID)
	if err != nil || got.State != portico.OnDemandExpired {
		t.Fatalf("after the sweep: %+v, %v", got, err)
	}
	events, err := e.a.ListAudit(e.ctx, e.owner, portico.AuditFilter{Action: portico.ActionOnDemandExpire})
	if err != nil || len(events) != 1 || events[0].TargetID != late.ID {
		t.Fatalf("expiry audit: %+v, %v", events, err)
	}
}

// TestOnDemandRedeemRace: of many redemptions of one code at once, exactly one succeeds.
func TestOnDemandRedeemRace(t *testing.T) {
	e := newEnv(t)
	ann, _, _ := onDemandTechs(e)
	o, err := e.a.CreateOnDemandSession(e.ctx, ann, portico.OnDemandInput{})
	if err != nil {
		t.Fatal(err)
	}
	var ok atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := redeem(e, o.Code, fmt.Sprintf("192.0.2.%d", i)); err == nil {
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	if ok.Load() != 1 {
		t.Fatalf("%d redemptions of one code succeeded, want 1", ok.Load())
	}
}

// TestOnDemandWrongCodesLockTheAddress: 20 wrong codes from one address, spread over two nodes,
// lock it out on both, even with a right code; another address is not affected.
func TestOnDemandWrongCodesLockTheAddress(t *testing.T) {
	nodes, acc, owner := newCluster(t, 2, true)
	ctx := context.Background()
	a, b := nodes[0].a, nodes[1].a
	o, err := a.CreateOnDemandSession(ctx, owner, portico.OnDemandInput{})
	if err != nil {
		t.Fatal(err)
	}
	wrong := "000000000"
	if o.Code == wrong {
		wrong = "000000001"
	}
	const ip = "198.51.100.7"
	in := func(code, ip string) RedeemInput { return RedeemInput{Code: code, Hostname: "pc", SourceIP: ip} }
	for i := range maxWrongCodes {
		node := []*App{a, b}[i%2]
		if _, err := node.RedeemOnDemandCode(ctx, in(wrong, ip)); !portico.IsKind(err, portico.KindNotFound) {
			t.Fatalf("wrong code %d: %v, want not found", i+1, err)
		}
	}
	for i, node := range []*App{a, b} {
		_, err := node.RedeemOnDemandCode(ctx, in(o.Code, ip))
		if !portico.IsKind(err, portico.KindRateLimited) {
			t.Fatalf("node %d: the right code from a locked address: %v, want rate limited", i, err)
		}
	}
	if _, err := b.RedeemOnDemandCode(ctx, in(o.Code, "198.51.100.8")); err != nil {
		t.Fatalf("another address with the right code: %v", err)
	}
	_ = acc
}
