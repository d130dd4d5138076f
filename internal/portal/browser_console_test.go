package portal

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// consoleErrors collects what a tab reports as an error in its console: messages of the browser
// itself (a Content Security Policy violation, a failed request such as a missing favicon), script
// calls of console.error and uncaught exceptions.
type consoleErrors struct {
	mu   sync.Mutex
	list []string
}

// watchConsole starts collecting the tab's console errors.
func (b *tab) watchConsole() *consoleErrors {
	b.t.Helper()
	c := &consoleErrors{}
	err := chromedp.Listen(b.ctx, func(ev any) {
		var msg string
		switch ev := ev.(type) {
		case *log.EventEntryAdded:
			if ev.Entry.Level == log.EntryLevelError {
				msg = fmt.Sprintf("%s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL)
			}
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, strings.Trim(string(a.Value), `"`)+a.Description)
				}
				msg = "console.error: " + strings.Join(parts, " ")
			}
		case *runtime.EventExceptionThrown:
			msg = "exception: " + ev.ExceptionDetails.Text
			if ev.ExceptionDetails.Exception != nil {
				msg += " " + ev.ExceptionDetails.Exception.Description
			}
		}
		if msg != "" {
			c.mu.Lock()
			c.list = append(c.list, msg)
			c.mu.Unlock()
		}
	})
	if err != nil {
		b.t.Fatalf("listen to the console: %v", err)
	}
	return c
}

// take returns the errors collected since the last call, and forgets them.
func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.list
	c.list = nil
	return out
}

// TestBrowserConsoleHasNoErrors opens a sample of pages, signed out and as an owner and a technician
// of the demo-like account, and fails when any of them logs an error in the browser's console: a
// style or script the Content Security Policy refuses, a request that fails (the favicon), a script
// error.
func TestBrowserConsoleHasNoErrors(t *testing.T) {
	e := newLiveEnv(t)
	s := e.seedShowcase()
	b := e.chromium()
	errs := b.watchConsole()
	check := func(who, path string) {
		t.Helper()
		b.open(path)
		// Deferred scripts, htmx's start and the favicon's request finish after the load event.
		time.Sleep(300 * time.Millisecond)
		for _, m := range errs.take() {
			t.Errorf("%s, %s: console error %s", who, path, m)
		}
	}
	check("signed out", "/sign-in")

	b.signIn("owner@example.test", testPassword)
	errs.take() // the pages of signing in were checked above
	lon := s.Devices["LON-LT-401"]
	for _, path := range []string{"/", "/users", "/user-groups", "/roles", "/audit", "/settings",
		"/settings/ip-allowlist", "/groups/" + s.Groups["Germany"], "/groups/" + s.Groups["UK"] + "?tab=settings",
		"/groups/" + s.Groups["UK"] + "?tab=assignments", "/groups/unassigned", "/devices/" + lon,
		"/devices/confirm?action=move&device_ids=" + lon + "&back=" + url.QueryEscape("/groups/"+s.Groups["UK"]),
		"/search?q=LON"} {
		check("owner", path)
	}

	alice := b.newTab()
	aliceErrs := alice.watchConsole()
	alice.signIn("alice@example.test", testPassword)
	aliceErrs.take()
	for _, path := range []string{"/", "/groups/" + s.Groups["UK"], "/devices/" + lon,
		"/devices/confirm?action=move&device_ids=" + lon + "&back=" + url.QueryEscape("/groups/"+s.Groups["UK"])} {
		alice.open(path)
		time.Sleep(300 * time.Millisecond)
		for _, m := range aliceErrs.take() {
			t.Errorf("alice, %s: console error %s", path, m)
		}
	}
}
