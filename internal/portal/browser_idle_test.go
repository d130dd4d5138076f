package portal

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	cdppage "github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"github.com/portico-dev/portico/internal/app"
)

// TestBrowserIdleTimeout checks the account's idle timeout (15 minutes, the default) in Chromium with
// the page's clock on virtual time, fast-forwarded, and the server's clock moved along with it: the
// warning dialog opens at 13 minutes and not before, "Stay signed in" resets both clocks, and without
// input the page goes to the sign-in page at 15 minutes while the server refuses the old session.
func TestBrowserIdleTimeout(t *testing.T) {
	e := newLiveEnv(t)
	if got := e.acc.Account.Settings.IdleTimeoutMinutes; got != 15 {
		t.Fatalf("default idle timeout %d minutes, want 15", got)
	}
	b := e.chromium()
	b.signIn("owner@example.test", testPassword)
	if got := b.attr("body", "data-idle-seconds"); got != "900" {
		t.Fatalf("body data-idle-seconds %q, want 900", got)
	}
	session := b.cookie(SessionCookie)
	// From here on the page's timers and Date run on virtual time, which moves only when told to.
	b.pauseTime()

	b.advanceTime(13*time.Minute - 5*time.Second)
	if b.dialogOpen() {
		t.Fatal("the idle warning is open before 13 minutes")
	}
	b.advanceTime(7 * time.Second)
	if !b.dialogOpen() {
		t.Fatal("no idle warning at 13 minutes")
	}
	if left := b.text("#idle-countdown"); left != "1:58" && left != "1:59" && left != "2:00" {
		t.Errorf("countdown reads %q at 13 minutes", left)
	}
	// The dialog is labelled by its title, for screen readers.
	if lb := b.attr("#idle-dialog", "aria-labelledby"); lb == "" || !b.exists("#"+lb) {
		t.Errorf("idle dialog aria-labelledby %q does not name an element", lb)
	}

	// "Stay signed in" closes the warning and tells the server (whose clock is 13 minutes on too).
	e.advance(13 * time.Minute)
	b.click("#idle-stay")
	if b.dialogOpen() {
		t.Fatal("the idle warning stays open after Stay signed in")
	}
	// The keepalive reaches the server: 14 minutes after it the session still holds, though 27
	// minutes have passed since signing in.
	b.poll("the keepalive", "performance.getEntriesByName(location.origin+'/keepalive').length > 0")
	e.advance(14 * time.Minute)
	if code, _, loc := e.get(e.directClient(session), "/"); code != http.StatusOK {
		t.Fatalf("session refused 14 minutes after Stay signed in: %d %s", code, loc)
	}
	// That request was activity too: the server's idle clock now runs from it.

	// The page's clock started over at Stay: no warning 12 minutes later, one at 13 minutes.
	b.advanceTime(12 * time.Minute)
	if b.dialogOpen() {
		t.Fatal("the idle warning is open 12 minutes after Stay signed in")
	}
	b.advanceTime(time.Minute + 2*time.Second)
	if !b.dialogOpen() {
		t.Fatal("no idle warning 13 minutes after Stay signed in")
	}

	// Without input the page signs out at 15 minutes; the server, 15 minutes after the last
	// request it saw, refuses the session.
	// Chromium does not commit a navigation while the page is on virtual time, so the test watches
	// the page ask for it, then opens that address in another tab carrying the same session cookie.
	e.advance(15*time.Minute + time.Second)
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	navigations := chromedp.Events(ctx, cdppage.FrameRequestedNavigation)
	b.advanceTime(2*time.Minute - 2*time.Second)
	if !b.dialogOpen() {
		t.Fatal("the idle warning closed before the timeout")
	}
	b.advanceTime(3 * time.Second)
	var target string
	for ev, err := range navigations {
		if err != nil {
			t.Fatalf("no navigation at the timeout: %v", err)
		}
		target = ev.URL
		break
	}
	if target != e.srv.URL+"/sign-in?idle=1" {
		t.Fatalf("at the timeout the page goes to %q", target)
	}
	after := b.newTab()
	after.setCookie(SessionCookie, session)
	after.open("/sign-in?idle=1")
	after.waitVisible("#email")
	if p := after.path(); p != "/sign-in?idle=1" {
		t.Fatalf("the sign-in page with the old session cookie sends on to %s", p)
	}
	after.waitText("main", "inactivity")
	code, _, loc := e.get(e.directClient(session), "/")
	if code != http.StatusSeeOther || !strings.HasPrefix(loc, "/sign-in") {
		t.Fatalf("old session after the timeout: %d %s", code, loc)
	}
}

// TestServerIdleTimeout checks the server side alone at the shortest allowed setting (3 minutes):
// a session idle for less is kept, one idle for more is refused and sent to sign in with idle=1.
func TestServerIdleTimeout(t *testing.T) {
	e := newTestEnv(t)
	ctx := context.Background()
	settings := e.acc.Account.Settings
	settings.IdleTimeoutMinutes = 3
	if _, err := e.app.UpdateAccount(ctx, e.owner, app.AccountUpdate{Settings: &settings}); err != nil {
		t.Fatal(err)
	}
	var skew time.Duration
	e.app.SetClock(func() time.Time { return time.Now().UTC().Add(skew) })
	b := e.browser()
	b.signIn("owner@example.test")
	if _, body, _ := b.get("/"); !strings.Contains(body, `data-idle-seconds="180"`) {
		t.Fatal("the page does not carry the 3-minute setting")
	}
	skew = 2*time.Minute + 50*time.Second
	if code, _, _ := b.get("/"); code != http.StatusOK {
		t.Fatalf("session refused after 2:50 idle: %d", code)
	}
	// That request was activity: the clock starts over from it.
	skew += 3*time.Minute + time.Second
	code, _, h := b.get("/")
	if code != http.StatusSeeOther || !strings.Contains(h.Get("Location"), "idle=1") {
		t.Fatalf("session after 3:01 idle: %d %s", code, h.Get("Location"))
	}
	// The session is gone for good, even if the clock came back.
	skew = 0
	if code, _, _ := b.get("/"); code != http.StatusSeeOther {
		t.Fatalf("ended session accepted again: %d", code)
	}
}

// pauseTime puts the page on virtual time, paused.
func (b *tab) pauseTime() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetVirtualTimePolicy,
		emulation.SetVirtualTimePolicyParams{Policy: emulation.VirtualTimePolicyPause}); err != nil {
		b.t.Fatalf("pause virtual time: %v", err)
	}
}

// advanceTime runs the page's timers through d of virtual time and waits until they have run.
func (b *tab) advanceTime(d time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	expired := chromedp.Events(ctx, emulation.VirtualTimeBudgetExpired)
	budget := float64(d.Milliseconds())
	if _, err := chromedp.Call(ctx, emulation.SetVirtualTimePolicy, emulation.SetVirtualTimePolicyParams{
		Policy: emulation.VirtualTimePolicyAdvance, Budget: &budget}); err != nil {
		b.t.Fatalf("advance virtual time: %v", err)
	}
	for _, err := range expired {
		if err != nil {
			b.t.Fatalf("advance virtual time by %s: %v", d, err)
		}
		return
	}
}

// dialogOpen reports whether the idle warning dialog is open.
func (b *tab) dialogOpen() bool {
	b.t.Helper()
	return evalJS[bool](b, `document.getElementById("idle-dialog").open`)
}
