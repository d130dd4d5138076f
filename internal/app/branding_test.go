package app

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// testPNG encodes a w×h image; noisy pixels make it large.
func testPNG(t testing.TB, w, h int, noisy bool) []byte {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBA{R: uint8(x), G: uint8(y), B: 200, A: 255}
			if noisy {
				c = color.NRGBA{R: uint8(r.IntN(256)), G: uint8(r.IntN(256)), B: uint8(r.IntN(256)), A: 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLogo(t *testing.T) {
	e := newEnv(t)
	bob := e.user("bob@example.test")
	small := testPNG(t, 64, 32, false)
	var jpg bytes.Buffer
	if err := jpeg.Encode(&jpg, image.NewRGBA(image.Rect(0, 0, 10, 10)), nil); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"empty", nil, "required"},
		{"svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`), "PNG or JPEG"},
		{"gif", []byte("GIF89a\x01\x00\x01\x00\x00\x00\x00;"), "PNG or JPEG"},
		{"truncated png", small[:40], "readable"},
		{"too many pixels", testPNG(t, 1025, 10, false), "1024×1024"},
		{"too big", testPNG(t, 1000, 1000, true), "at most 512 KiB: this image is larger"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.a.SetLogo(e.ctx, e.owner, tc.data)
			if msg := wantField(t, err, "logo"); !strings.Contains(msg, tc.msg) {
				t.Fatalf("message %q lacks %q", msg, tc.msg)
			}
		})
	}
	if e.a.AccountHasLogo(e.ctx, e.acc.Account.ID) {
		t.Fatal("a refused logo was stored")
	}
	wantKind(t, func() error { _, err := e.a.SetLogo(e.ctx, bob, small); return err }(), portico.KindForbidden)
	wantKind(t, e.a.DeleteLogo(e.ctx, e.owner), portico.KindNotFound)

	b, err := e.a.SetLogo(e.ctx, e.owner, small)
	if err != nil || b.MediaType != "image/png" || b.Width != 64 || b.Height != 32 {
		t.Fatalf("png: %+v, %v", b, err)
	}
	data, typ, err := e.a.GetLogo(e.ctx, bob) // anyone signed in to the account sees it
	if err != nil || typ != "image/png" || !bytes.Equal(data, small) {
		t.Fatalf("get: %s, %v", typ, err)
	}
	if b, err := e.a.SetLogo(e.ctx, e.owner, jpg.Bytes()); err != nil || b.MediaType != "image/jpeg" {
		t.Fatalf("jpeg: %+v, %v", b, err)
	}
	other, _ := e.newAccount("Other", "other@example.test")
	if e.a.AccountHasLogo(e.ctx, other.Account.ID) {
		t.Fatal("the other account has the logo")
	}
	wantKind(t, e.a.DeleteLogo(e.ctx, bob), portico.KindForbidden)
	if err := e.a.DeleteLogo(e.ctx, e.owner); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.a.GetLogo(e.ctx, bob); !portico.IsKind(err, portico.KindNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	for _, action := range []portico.AuditAction{portico.ActionBrandingLogoUpdate, portico.ActionBrandingLogoDelete} {
		events, err := e.a.store.ListAudit(e.ctx, e.acc.Account.ID, portico.AuditFilter{Action: action})
		if err != nil || len(events) < 2 {
			t.Fatalf("audit of %s: %d, %v", action, len(events), err)
		}
	}
}
