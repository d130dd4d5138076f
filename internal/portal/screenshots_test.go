package portal

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/portico-dev/portico/internal/app"
)

// TestScreenshots saves PNGs of the main pages, in the light and dark themes and in English (UK) and
// German, into the folder named by PORTICO_SCREENSHOTS (scripts/screenshots sets it to
// docs/screenshots). Files are named page-theme-lang.png. Without the variable the test is skipped.
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("PORTICO_SCREENSHOTS")
	if dir == "" {
		t.Skip("set PORTICO_SCREENSHOTS=DIR to write screenshots of the portal")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	e := newLiveEnv(t)
	s := e.seedShowcase()
	ag := e.startAgent("this-computer")
	ctx := context.Background()
	sys := app.SystemActor(e.acc.Account.ID)
	if err := e.app.MoveDevices(ctx, sys, []string{ag.DeviceID}, s.Groups["This computer"]); err != nil {
		t.Fatal(err)
	}
	b := e.chromium()
	b.do("laptop screen", chromedp.EmulateViewport(1366, 768))

	pages := []struct {
		name, path string
		// ready is a selector to wait for before the shot.
		ready string
		// then prepares the page (may be nil).
		then func(b *tab)
	}{
		{"dashboard", "/", "main h1", nil},
		{"group", "/groups/" + s.Groups["UK"], "main h1", nil},
		{"device", "/devices/" + ag.DeviceID, "main h1", nil},
		{"users", "/users", "main h1", nil},
		{"roles", "/roles", "main h1", nil},
		{"device-assignment", "/device-assignment", "main h1", nil},
		{"audit", "/audit", "main h1", nil},
		{"session", "/devices/" + ag.DeviceID + "/session", "#session", screenshotTerminal},
	}
	for _, lang := range []string{"en-GB", "de"} {
		for _, theme := range []string{"light", "dark"} {
			// The sign-in page is public: the language comes from the cookie, the theme from the
			// system (emulated here).
			b.do("sign out", chromedp.Navigate(e.srv.URL+"/sign-in"))
			b.clearCookies()
			b.setCookie(LanguageCookie, lang)
			b.emulateColourScheme(theme)
			b.open("/sign-in")
			b.waitVisible("#email")
			b.shot(dir, "sign-in", theme, lang)

			if _, err := e.app.UpdateUser(ctx, e.owner, e.owner.UserID, app.UserUpdate{Language: &lang, Theme: &theme}); err != nil {
				t.Fatal(err)
			}
			b.signIn("owner@example.test", testPassword)
			owner := e.directClient(b.cookie(SessionCookie))
			for _, pg := range pages {
				if code, _, _ := e.get(owner, pg.path); code != http.StatusOK {
					t.Logf("%s (%s): status %d, no screenshot", pg.name, pg.path, code)
					continue
				}
				b.open(pg.path)
				b.waitVisible(pg.ready)
				if pg.then != nil {
					pg.then(b)
				}
				b.shot(dir, pg.name, theme, lang)
			}
		}
	}
}

// screenshotTerminal opens the terminal tab of the session page, starts a shell on the agent and runs
// a command, so the picture shows a live terminal.
func screenshotTerminal(b *tab) {
	b.t.Helper()
	if !b.exists("#tab-terminal") {
		b.t.Log("session page has no terminal tab")
		return
	}
	b.click("#tab-terminal") // showing the tab opens a shell
	input := "#terminal .xterm-helper-textarea"
	if err := b.until(`document.getElementById("terminal").getAttribute("data-state") === "open"`); err != nil {
		b.t.Logf("session page: the terminal did not open: %v", err)
		return
	}
	// Type once the shell has printed its prompt, so the command is not echoed twice.
	if err := b.until(`/[#$] *$/.test(document.querySelector("#terminal .xterm-rows").textContent.trim() + " ")`); err != nil {
		b.t.Logf("session page: no shell prompt: %v", err)
	}
	b.typeInto(input, "uname -sr; id -un", true)
	if err := b.until(`(document.querySelector("#terminal .xterm-rows")||{textContent:""}).textContent.indexOf("Linux") >= 0`); err != nil {
		b.t.Logf("session page: no command output in the terminal: %v", err)
	}
}

// shot saves the viewport as dir/name-theme-lang.png, recompressed to keep the file small.
func (b *tab) shot(dir, name, theme, lang string) {
	b.t.Helper()
	b.do("settle", chromedp.Evaluate[chromedp.Void](`document.activeElement && document.activeElement.blur && document.activeElement.blur()`))
	raw := run(b, "screenshot "+name, chromedp.CaptureScreenshot())
	img, _, err := image.Decode(bytes.NewReader(raw))
	if err != nil {
		b.t.Fatalf("decode screenshot %s: %v", name, err)
	}
	var buf bytes.Buffer
	if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&buf, img); err != nil {
		b.t.Fatal(err)
	}
	path := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.png", name, theme, lang))
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// emulateColourScheme makes the page see the system preferring a light or dark colour scheme.
func (b *tab) emulateColourScheme(scheme string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, actionTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}); err != nil {
		b.t.Fatalf("emulate %s colour scheme: %v", scheme, err)
	}
}
