package portal

import (
	"bytes"
	"context"
	"encoding/json"
	"image"
	"image/color"
	"image/draw"
	"image/png"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/portico-dev/portico/internal/agent"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/protocol"
)

// TestBrowserSessionAllActions opens the session page as the link with every remote action does,
// against a live agent whose screen is busy (a film playing, say: every tile changes in every
// frame). The screen tab comes first and streams at once; the technician then opens the terminal,
// which must show the shell's prompt and run a typed command, and the page must log no console
// error, xterm.js's styles included under the portal's Content Security Policy.
func TestBrowserSessionAllActions(t *testing.T) {
	e := newLiveEnv(t)
	ag := e.startBusyScreenAgent("ALL-ACTIONS")
	ctx := context.Background()
	sys := app.SystemActor(e.acc.Account.ID)
	grp, err := e.app.CreateDeviceGroup(ctx, sys, app.GroupInput{Name: "This computer", Colour: "#27ae60"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.app.MoveDevices(ctx, sys, []string{ag.DeviceID}, grp.ID); err != nil {
		t.Fatal(err)
	}
	b := e.chromium()
	errs := b.watchConsole()
	b.signIn("owner@example.test", testPassword)
	errs.take() // signing in is checked by TestBrowserConsoleHasNoErrors

	b.open("/devices/" + ag.DeviceID + "/session?actions=" + strings.Join(app.SessionActions, ","))
	b.waitAttr("#session", "data-state", "active")
	if got := evalJS[int](b, `document.querySelectorAll("#session-actions li[data-action]:not([hidden])").length`); got != len(app.SessionActions) {
		t.Fatalf("the page carries %d actions, want %d", got, len(app.SessionActions))
	}
	// The screen panel is shown first and its stream is busy before the terminal is opened. (Before
	// the fix, the hidden screen went on streaming and the page decoded every tile of every frame: the
	// terminal's messages queued behind them for many seconds, and the terminal stayed blank.)
	b.poll("screen frames", `+(document.getElementById("screen-canvas").getAttribute("data-frames") || 0) >= 2`)

	b.click("#tab-terminal")
	b.waitAttr("#terminal", "data-state", "open")
	b.poll("the shell prompt", `/[#$] $/.test(document.querySelector("#terminal .xterm-rows").textContent.trimEnd() + " ")`)
	b.typeInto("#terminal .xterm-helper-textarea", "echo portico-$((6*7))", true)
	b.waitText("#terminal .xterm-rows", "portico-42")
	// A colour of 24 bits, which xterm sets with a style attribute of its own.
	b.typeInto("#terminal .xterm-helper-textarea", `printf '\033[38;2;200;30;30mportico-red\033[0m\n'`, true)
	b.poll("red text", `Array.prototype.some.call(document.querySelectorAll("#terminal .xterm-rows span"), function (s) { return s.textContent === "portico-red" && getComputedStyle(s).color === "rgb(200, 30, 30)"; })`)

	// Back on the screen tab, the screen streams again.
	frames := evalJS[string](b, `document.getElementById("screen-canvas").getAttribute("data-frames") || ""`)
	b.click("#tab-screen")
	b.poll("the screen again", `(document.getElementById("screen-canvas").getAttribute("data-frames") || "") !== `+jsString(frames))
	b.poll("tiles drawn", `(function(){var c=document.getElementById("screen-canvas");return c.width>0&&c.getContext("2d").getImageData(c.width-8,c.height-8,1,1).data[3]===255;})()`)

	time.Sleep(300 * time.Millisecond)
	for _, m := range errs.take() {
		t.Errorf("console error %s", m)
	}
}

// jsString quotes s as a JavaScript string.
func jsString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// startBusyScreenAgent is startAgent with a screen that never stops changing: screen_view and
// remote_control send full frames of 1280×800 in tiles as fast as the stream takes them, at
// most at the frame rate asked for. The other actions are this computer's own.
func (e *liveEnv) startBusyScreenAgent(name string) *liveAgent {
	e.t.Helper()
	acts := plainShellActions()
	acts.Streams["screen_view"] = busyScreen(e.t)
	acts.Streams["remote_control"] = busyScreen(e.t)
	return e.startAgentWith(name, acts)
}

// busyScreen serves a screen stream whose every frame changes every tile.
func busyScreen(t *testing.T) agent.StreamHandler {
	// Tiles of a few plain colours, used in turn: small messages, and many of them, as from a screen
	// whose colours change everywhere at once.
	var tiles [][]byte
	for i := range 4 {
		img := image.NewRGBA(image.Rect(0, 0, protocol.TileSize, protocol.TileSize))
		draw.Draw(img, img.Bounds(), image.NewUniform(color.RGBA{R: byte(60 * i), G: 90, B: byte(200 - 40*i), A: 255}), image.Point{}, draw.Src)
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		tiles = append(tiles, buf.Bytes())
	}
	const width, height = 1920, 1080
	return func(ctx context.Context, s *protocol.Stream, args json.RawMessage) error {
		a, err := protocol.DecodeScreenArgs(args)
		if err != nil {
			return err
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg sync.WaitGroup
		wg.Add(1)
		go func() { // input is read and dropped; the technician's close ends the stream
			defer wg.Done()
			defer cancel()
			for {
				if _, err := s.Recv(ctx); err != nil {
					return
				}
			}
		}()
		defer wg.Wait()
		tick := time.NewTicker(time.Second / time.Duration(max(a.FPS, 1)))
		defer tick.Stop()
		for seq := uint32(1); ; seq++ {
			begin, err := protocol.EncodeFrameBegin(protocol.FrameBegin{Seq: seq, Width: width, Height: height, Full: true})
			if err != nil {
				return err
			}
			if err := s.Send(ctx, begin); err != nil {
				return nil
			}
			n := 0
			for y := 0; y < height; y += protocol.TileSize {
				for x := 0; x < width; x += protocol.TileSize {
					msg, err := protocol.AppendTile(nil, protocol.Tile{X: x, Y: y, W: min(protocol.TileSize, width-x),
						H: min(protocol.TileSize, height-y), Format: protocol.TilePNG, Data: tiles[(n+int(seq))%len(tiles)]})
					if err != nil {
						return err
					}
					n++
					if err := s.Send(ctx, msg); err != nil {
						return nil
					}
				}
			}
			if err := s.Send(ctx, protocol.EncodeFrameEnd(seq)); err != nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return nil
			case <-tick.C:
			}
		}
	}
}
