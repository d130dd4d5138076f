package portal

// The browser harness: the whole server (store, app, agent hub, REST API and portal, routed as
// `portico serve` routes them) on a loopback test server, a real agent in-process when a test needs a
// device, and Debian's Chromium driven over the DevTools protocol. Tests skip without Chromium,
// except in CI, where they must run.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/agent/actions"
	"github.com/portico-dev/portico/internal/api"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/eventually"
	"github.com/portico-dev/portico/internal/hub"
	"github.com/portico-dev/portico/internal/protocol"
	"github.com/portico-dev/portico/internal/store"
)

// chromiumPath is Debian's Chromium, installed by scripts/ensure-services.
const chromiumPath = "/usr/bin/chromium"

// liveEnv is the whole server on a loopback address, with one account and its owner.
type liveEnv struct {
	t     *testing.T
	app   *app.App
	st    *store.Store // for seeding devices
	hub   *hub.Hub
	srv   *httptest.Server
	acc   *app.CreatedAccount
	owner *app.Actor
	// skew moves the server's clock forward (nanoseconds), for idle and expiry checks.
	skew atomic.Int64
}

// newLiveEnv starts the server. It skips the test when Chromium is missing (outside CI), since every
// caller drives a browser.
func newLiveEnv(t *testing.T) *liveEnv {
	t.Helper()
	requireChromium(t)
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := store.OpenAndMigrate(ctx, store.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	a := app.New(st, log)
	e := &liveEnv{t: t, app: a, st: st}
	// The clock is replaced before anything runs, so no goroutine reads it while it changes.
	a.SetClock(func() time.Time { return time.Now().UTC().Add(time.Duration(e.skew.Load())) })
	acc, err := a.CreateAccount(ctx, app.NewAccount{Company: "Example Ltd", OwnerEmail: "owner@example.test",
		OwnerName: "Olivia Owner", OwnerPassword: testPassword})
	if err != nil {
		t.Fatal(err)
	}
	e.acc = acc
	e.owner = &app.Actor{Kind: app.ActorUser, AccountID: acc.Account.ID, UserID: acc.Owner.ID}
	e.hub = hub.New(a, hub.Options{Logger: log, RecheckEvery: 200 * time.Millisecond})
	if err := e.hub.Start(ctx); err != nil {
		t.Fatal(err)
	}
	web, err := New(a, Options{Logger: log, Hub: e.hub})
	if err != nil {
		t.Fatal(err)
	}
	// Routed as cmd/portico routeRoot routes them: the API and operational endpoints, then the portal.
	mux := http.NewServeMux()
	apiHandler := api.New(a, api.Options{Logger: log, Hub: e.hub})
	for _, p := range []string{"/api/", "/healthz", "/readyz", "/metrics"} {
		mux.Handle(p, apiHandler)
	}
	mux.Handle("/", web)
	e.srv = httptest.NewServer(mux)
	a.BaseURL = e.srv.URL
	// The hub first: it ends the hijacked WebSockets that would keep the test server's Close waiting.
	t.Cleanup(func() {
		e.hub.Close()
		e.srv.CloseClientConnections()
		e.srv.Close()
	})
	return e
}

// requireChromium skips the test when Chromium is not installed, except in CI.
func requireChromium(t *testing.T) {
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
}

// advance moves the server's clock forward by d.
func (e *liveEnv) advance(d time.Duration) { e.skew.Add(int64(d)) }

// liveAgent is a real agent for this computer, enrolled through the API and connected to the hub.
type liveAgent struct {
	DeviceID string
	Window   *agent.Window
	cancel   context.CancelFunc
	done     chan struct{}
}

// startAgent enrolls this computer with a fresh enrollment token and runs its agent (with the
// built-in actions and an end-user window on a free port) until the test ends. It waits until the
// device is connected.
func (e *liveEnv) startAgent(name string) *liveAgent {
	e.t.Helper()
	return e.startAgentWith(name, plainShellActions())
}

// startAgentWith is startAgent with the given actions.
func (e *liveEnv) startAgentWith(name string, acts agent.Actions) *liveAgent {
	t := e.t
	t.Helper()
	ctx := context.Background()
	_, token, err := e.app.CreateEnrollmentToken(ctx, app.SystemActor(e.acc.Account.ID), "")
	if err != nil {
		t.Fatal(err)
	}
	inv := agent.CollectInventory(ctx, agent.CollectOptions{AgentVersion: "test"})
	cfg, err := agent.Enroll(ctx, agent.EnrollOptions{Server: e.srv.URL, Token: token, Name: name, Inventory: inv,
		HTTPClient: &http.Client{Timeout: 30 * time.Second}})
	if err != nil {
		t.Fatalf("enroll the agent: %v", err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	sessions := agent.NewSessions(agent.SessionsOptions{Logger: log, Server: cfg.Server, DeviceID: cfg.DeviceID,
		AgentVersion: "test"})
	w, err := agent.NewWindow("127.0.0.1:0", sessions, log)
	if err != nil {
		t.Fatalf("end-user window: %v", err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	la := &liveAgent{DeviceID: cfg.DeviceID, Window: w, cancel: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); _ = w.Serve(runCtx) }()
	go func() {
		defer wg.Done()
		a := agent.New(agent.Options{Config: cfg, Version: "test", Actions: acts, Sessions: sessions, Logger: log})
		if err := a.Run(runCtx); err != nil && runCtx.Err() == nil {
			t.Logf("agent stopped: %v", err)
		}
	}()
	go func() { wg.Wait(); close(la.done) }()
	t.Cleanup(la.stop)
	eventually.True(t, 10*time.Second, "the agent to connect", func() bool {
		d, err := e.app.GetDevice(ctx, app.SystemActor(e.acc.Account.ID), cfg.DeviceID)
		return err == nil && d.Status == portico.DeviceAvailable
	})
	return la
}

// plainShellActions are the built-in actions with terminals running /bin/sh unless the technician
// asks for another shell: the login scripts of this machine's own user (a version manager's
// initialisation, say) must not decide how long a test waits for a prompt.
func plainShellActions() agent.Actions {
	acts := actions.Builtin()
	streams := map[string]agent.StreamHandler{}
	for name, h := range acts.Streams {
		streams[name] = h
	}
	if terminal, ok := streams["terminal"]; ok {
		streams["terminal"] = func(ctx context.Context, s *protocol.Stream, args json.RawMessage) error {
			var m map[string]any
			if err := json.Unmarshal(args, &m); err == nil && m != nil {
				if _, set := m["shell"]; !set {
					m["shell"] = "/bin/sh"
					if b, err := json.Marshal(m); err == nil {
						args = b
					}
				}
			}
			return terminal(ctx, s, args)
		}
	}
	acts.Streams = streams
	return acts
}

// stop ends the agent and waits for its goroutines.
func (la *liveAgent) stop() {
	la.cancel()
	select {
	case <-la.done:
	case <-time.After(10 * time.Second):
	}
}

// tab is one Chromium tab with its own cookies (a browser context of its own), driving the portal.
type tab struct {
	t    *testing.T
	base string
	ctx  context.Context
}

// chromium starts one headless Chromium for the test and returns its first tab. Further tabs with
// separate cookies come from newTab.
func (e *liveEnv) chromium() *tab {
	t := e.t
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1366, 900),
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	// Start the browser now, so a failure to start is reported as such.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium: %v", err)
	}
	return &tab{t: t, base: e.srv.URL, ctx: ctx}
}

// newTab opens a tab in a new browser context of the same Chromium: a second person with cookies
// of their own.
func (b *tab) newTab() *tab {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	b.t.Cleanup(cancel)
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		b.t.Fatalf("open a tab: %v", err)
	}
	return &tab{t: b.t, base: b.base, ctx: ctx}
}

// actionTimeout bounds every browser step.
const actionTimeout = 10 * time.Second

// do runs steps with a timeout, failing the test on error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.debugShot(what)
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

// run runs one action returning a value, with a timeout, failing the test on error.
func run[T any](b *tab, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
	return v
}

// debugShot saves a screenshot of the tab into the folder PORTICO_BROWSER_DEBUG names, if set, for
// looking at a failure.
func (b *tab) debugShot(what string) {
	dir := os.Getenv("PORTICO_BROWSER_DEBUG")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	if png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot()); err == nil {
		name := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return '-'
		}, strings.ToLower(b.t.Name()+"-"+what))
		_ = os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644)
	}
}

// location is the tab's current URL, for failure messages.
func (b *tab) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	loc, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "unknown location"
	}
	return loc
}

// open navigates to a portal path and waits until the page and its deferred scripts have loaded.
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path), chromedp.WaitReady(chromedp.CSS("body")))
	b.poll("the page to load", `document.readyState === "complete"`)
}

// typeInto focuses an element and types text as one input (Input.insertText), then presses Enter if
// enter is set. Terminals get each character once, as from a person typing.
func (b *tab) typeInto(sel, text string, enter bool) {
	b.t.Helper()
	b.do("focus "+sel, chromedp.Focus(chromedp.CSS(sel)))
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, input.InsertText, input.InsertTextParams{Text: text}); err != nil {
		b.t.Fatalf("type into %s: %v", sel, err)
	}
	if enter {
		b.do("press Enter", chromedp.KeyEvent("\r"))
	}
}

// path is the tab's current path with its query.
func (b *tab) path() string {
	b.t.Helper()
	u, err := url.Parse(run(b, "read the location", chromedp.Location()))
	if err != nil {
		b.t.Fatal(err)
	}
	return u.RequestURI()
}

// signIn signs in through the sign-in form and waits for the dashboard.
func (b *tab) signIn(email, password string) {
	b.t.Helper()
	b.open("/sign-in")
	b.fill("#email", email)
	b.fill("#password", password)
	b.click(`main form button[type=submit]`)
	b.waitVisible(".topbar")
}

// click clicks the first element matching a CSS selector, once it is visible.
func (b *tab) click(sel string) {
	b.t.Helper()
	b.do("click "+sel, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
}

// fill replaces the value of an input with text typed into it.
func (b *tab) fill(sel, text string) {
	b.t.Helper()
	b.do("fill "+sel, chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(function(){var el=document.querySelector(%q);el.focus();el.select&&el.select();el.value="";el.dispatchEvent(new Event("input",{bubbles:true}));})()`, sel)),
		chromedp.SendKeys(chromedp.CSS(sel), text))
	if got := run(b, "read "+sel, chromedp.Value(chromedp.CSS(sel))); got != text {
		b.t.Fatalf("fill %s: it holds %q, want %q", sel, got, text)
	}
}

// waitVisible waits until an element matching a CSS selector is visible.
func (b *tab) waitVisible(sel string) {
	b.t.Helper()
	b.do("wait for "+sel, chromedp.WaitVisible(chromedp.CSS(sel)))
}

// text is the visible text of the first element matching a CSS selector.
func (b *tab) text(sel string) string {
	b.t.Helper()
	return run(b, "read "+sel, chromedp.Text(chromedp.CSS(sel), chromedp.NodeReady))
}

// eval evaluates a JavaScript expression in the page.
func evalJS[T any](b *tab, expr string) T {
	b.t.Helper()
	return run(b, "evaluate "+expr, chromedp.Evaluate[T](expr))
}

// exists reports whether an element matches a CSS selector now (no waiting).
func (b *tab) exists(sel string) bool {
	b.t.Helper()
	return evalJS[bool](b, fmt.Sprintf("document.querySelector(%q) !== null", sel))
}

// waitText waits until the text of the element matching sel contains want.
func (b *tab) waitText(sel, want string) {
	b.t.Helper()
	expr := fmt.Sprintf(`(function(){var el=document.querySelector(%q);return !!el && el.textContent.indexOf(%q)>=0;})()`, sel, want)
	if err := b.until(expr); err != nil {
		got := evalQuiet(b, fmt.Sprintf(`(function(){var el=document.querySelector(%q);return el?el.textContent:"(no element)";})()`, sel))
		b.debugShot("wait-text")
		b.t.Fatalf("wait for %q in %s: %v; it reads %q (at %s)", want, sel, err, strings.Join(strings.Fields(got), " "), b.location())
	}
}

// until evaluates a JavaScript expression until it is true, for up to actionTimeout. A page
// navigating meanwhile is no error: the expression is tried again in the new page.
func (b *tab) until(expr string) error {
	var last error
	var held, gone bool
	eventually.Within(actionTimeout, func() bool {
		if b.ctx.Err() != nil {
			gone = true // the tab is closed: no use trying again
			return true
		}
		ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err != nil {
			last = err
		}
		held = err == nil && ok
		return held
	})
	switch {
	case held:
		return nil
	case gone:
		return b.ctx.Err()
	case last != nil:
		return fmt.Errorf("timed out (last error: %w)", last)
	}
	return errors.New("timed out")
}

// evalQuiet evaluates an expression returning a string, "" on any error (for failure messages).
func evalQuiet(b *tab, expr string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 2*time.Second)
	defer cancel()
	s, _ := chromedp.Run(ctx, chromedp.Evaluate[string](expr))
	return s
}

// cookie returns the value of the tab's cookie name for the portal (HttpOnly cookies included, read
// over the DevTools protocol), for direct requests with the same session.
func (b *tab) cookie(name string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/"}})
	if err != nil {
		b.t.Fatalf("read cookies: %v", err)
	}
	for _, c := range res.Cookies {
		if c.Name == name {
			return c.Value
		}
	}
	return ""
}

// setCookie sets a cookie for the portal in the tab's browser context, as the server would have.
func (b *tab) setCookie(name, value string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	httpOnly := true
	if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: name, Value: value, URL: b.base + "/",
		Path: "/", HTTPOnly: &httpOnly, SameSite: network.CookieSameSiteLax}); err != nil {
		b.t.Fatalf("set cookie %s: %v", name, err)
	}
}

// clearCookies removes every cookie of the tab's browser context (signing it out).
func (b *tab) clearCookies() {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, network.ClearBrowserCookies, cdp.Empty{}); err != nil {
		b.t.Fatalf("clear cookies: %v", err)
	}
}

// directClient is a plain HTTP client carrying a session cookie, for requesting what a page hides.
// It does not follow redirects, so a refusal by redirect is seen as one.
func (e *liveEnv) directClient(session string) *http.Client {
	jar, _ := cookiejar.New(nil)
	u, _ := url.Parse(e.srv.URL)
	if session != "" {
		jar.SetCookies(u, []*http.Cookie{{Name: SessionCookie, Value: session, Path: "/"}})
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// get requests path with the client and returns the status, body and Location header.
func (e *liveEnv) get(c *http.Client, path string) (int, string, string) {
	e.t.Helper()
	res, err := c.Get(e.srv.URL + path)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header.Get("Location")
}

// post sends a same-origin form post with the client.
func (e *liveEnv) post(c *http.Client, path string, form url.Values) (int, string, string) {
	e.t.Helper()
	req, err := http.NewRequest(http.MethodPost, e.srv.URL+path, strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", e.srv.URL)
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(body), res.Header.Get("Location")
}

// attr is an attribute of the first element matching sel ("" when it has none).
func (b *tab) attr(sel, name string) string {
	b.t.Helper()
	return evalJS[string](b, fmt.Sprintf(`(function(){var el=document.querySelector(%q);return el&&el.getAttribute(%q)||"";})()`, sel, name))
}

// waitAttr waits until the attribute of the element matching sel has the value want.
func (b *tab) waitAttr(sel, name, want string) {
	b.t.Helper()
	b.poll(fmt.Sprintf("%s[%s=%q]", sel, name, want),
		fmt.Sprintf(`(function(){var el=document.querySelector(%q);return !!el&&el.getAttribute(%q)===%q;})()`, sel, name, want))
}

// poll waits until a JavaScript expression is true in the page.
func (b *tab) poll(what, expr string) {
	b.t.Helper()
	if err := b.until(expr); err != nil {
		b.debugShot(what)
		b.t.Fatalf("wait for %s: %v (at %s)", what, err, b.location())
	}
}

// chromedpSelect chooses an option of a select as a person would: the value changes and a change
// event bubbles, so scripts listening for it run.
func chromedpSelect(sel, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(
		`(function(){var el=document.querySelector(%q);el.value=%q;el.dispatchEvent(new Event("change",{bubbles:true}));})()`, sel, value))
}
