package agent

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/portico-dev/portico/internal/protocol"
)

// chromiumPath is Debian's Chromium, as the portal's browser tests use it.
const chromiumPath = "/usr/bin/chromium"

// browserPage opens url in a headless Chromium of the test's own and returns a function that waits
// until a JavaScript expression holds in the page.
func browserPage(t *testing.T, url string) (ctx context.Context, until func(what, expr string)) {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Chromium is required in CI: %v", err)
		}
		t.Skipf("Chromium not installed at %s", chromiumPath)
	}
	if testing.Short() {
		t.Skip("browser tests are skipped with -short")
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), chromedp.ExecPath(chromiumPath),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()))
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("open %s in Chromium: %v", url, err)
	}
	until = func(what, expr string) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			ectx, ecancel := context.WithTimeout(ctx, 2*time.Second)
			ok, err := chromedp.Run(ectx, chromedp.Evaluate[bool](expr))
			ecancel()
			if err == nil && ok {
				return
			}
			if time.Now().After(deadline) {
				body, _ := chromedp.Run(ctx, chromedp.Evaluate[string]("document.body ? document.body.innerText : ''"))
				t.Fatalf("timed out waiting for %s (%s, last error %v); the page reads:\n%s", what, expr, err, body)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return ctx, until
}

// visible is a JavaScript expression true when the element matching sel is shown.
func visible(sel string) string {
	return fmt.Sprintf(`(function(){var e=document.querySelector(%q);return !!e && !e.closest("[hidden]") && e.offsetParent!==null;})()`, sel)
}

func click(t *testing.T, ctx context.Context, sel string) {
	t.Helper()
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	// confirm() would wait for a person: the page's questions are answered yes.
	if err := chromedp.Do(cctx, chromedp.Evaluate[chromedp.Void]("window.confirm = () => true"),
		chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible)); err != nil {
		t.Fatalf("click %s: %v", sel, err)
	}
}

// TestSupportWindowInBrowser drives the support window's page: it names the technician and company,
// counts the time, approves a request, offers chat but no per-session End button, and its End session
// ends the support session.
func TestSupportWindowInBrowser(t *testing.T) {
	m := NewSessions(SessionsOptions{Logger: quietLog, Support: &Support{SessionID: "od_1", Company: "Acme IT", Technician: "Tess"}})
	rec := &recorder{}
	m.Attach(rec.send)
	w := startWindow(t, m)
	ctx, until := browserPage(t, w.URL())
	until("the support title", `document.getElementById("support-title").textContent === "Support session with Tess (Acme IT)"`)
	until("the title of the page", `document.title === "Support session with Tess (Acme IT)"`)
	until("the timer", `/^[0-9]+:[0-9]{2}$/.test(document.getElementById("support-timer").textContent)`)
	until("the idle text", `document.getElementById("idle-text").textContent.includes("Tess will ask")`)

	m.Request(protocol.SessionRequest{SessionID: "s1", Technician: "Tess", Actions: []string{"chat", "terminal"}, AckRequired: true})
	until("the request", visible("button.approve"))
	click(t, ctx, "button.approve")
	until("the active session", visible("#sessions form input"))
	if msgs := rec.take(); len(msgs) != 1 || msgs[0].body != (protocol.SessionAnswer{SessionID: "s1", Accepted: true}) {
		t.Fatalf("sent %+v", msgs)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#sessions button.end").length`)); err != nil || n != 0 {
		t.Errorf("a support session shows %d per-session End buttons (%v)", n, err)
	}

	click(t, ctx, "#end-support")
	until("the end of the session", visible("#ended")+` && !document.querySelector("#support").offsetParent`)
	got := map[string]bool{}
	for _, msg := range rec.take() {
		if e, ok := msg.body.(protocol.SessionEnd); ok && e.By == "end_user" {
			got[e.SessionID] = true
		}
	}
	if !got["s1"] || !got["od_1"] {
		t.Errorf("session ends sent: %v", got)
	}
}

// TestSupportWindowFollowsAndEnds checks the page moves to the elevated support agent's window, and
// says the session ended once its support agent is gone.
func TestSupportWindowFollowsAndEnds(t *testing.T) {
	old := NewSessions(SessionsOptions{Logger: quietLog, Support: &Support{SessionID: "od_1", Technician: "Tess"}})
	next := NewSessions(SessionsOptions{Logger: quietLog, Support: &Support{SessionID: "od_1", Technician: "Tess",
		Company: "Elevated"}})
	oldWin, nextWin := startWindow(t, old), startWindow(t, next)
	ctx, until := browserPage(t, oldWin.URL())
	until("the support title", `document.getElementById("support-title").textContent === "Support session with Tess"`)
	old.SetSupportMovedTo(nextWin.URL())
	until("the elevated window", fmt.Sprintf(`location.href === %q && document.getElementById("support-title").textContent.includes("Elevated")`, nextWin.URL()))

	nextWin.Close() // the support agent exited
	until("the notice that the session ended", visible("#ended"))
	if s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("conn").textContent`)); err != nil || s != "ended" {
		t.Errorf("status %q, %v", s, err)
	}
}
