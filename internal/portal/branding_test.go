package portal

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

func brandingPNG(t *testing.T, w, h int) []byte {
	t.Helper()
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{R: uint8(x), G: uint8(y), B: 180, A: 255})
		}
	}
	var b bytes.Buffer
	if err := png.Encode(&b, img); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// brandingUpload posts a file as the settings form does.
func brandingUpload(t *testing.T, b *browser, name string, data []byte) (int, string, http.Header) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("logo", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(data)
	mw.Close()
	res, err := b.c.Post(b.base+"/settings/branding", mw.FormDataContentType(), &body)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(out), res.Header
}

func TestBrandingLogo(t *testing.T) {
	e := newTestEnv(t)
	owner := e.browser()
	owner.signIn("owner@example.test")
	adminUserWithRole(t, e, "tech@example.test", portico.PurposeDevices, portico.PermDeviceView)
	tech := e.browser()
	tech.signIn("tech@example.test")
	logo := brandingPNG(t, 160, 40)

	code, body, _ := owner.get("/settings/branding")
	wantStatus(t, "page", code, http.StatusOK, body)
	if !strings.Contains(body, `type="file"`) || !strings.Contains(body, `enctype="multipart/form-data"`) {
		t.Fatalf("no upload form:\n%s", body)
	}
	if _, body, _ := owner.get("/"); !strings.Contains(body, `class="brand" href="/">Portico</a>`) {
		t.Fatalf("top bar without a logo:\n%s", body)
	}

	// Refusals: the field's message on the form, nothing stored.
	for _, tc := range []struct {
		name string
		data []byte
		msg  string
	}{
		{"logo.svg", []byte(`<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>`), "must be a PNG or JPEG image"},
		{"big.png", append(append([]byte{}, logo...), make([]byte, 600<<10)...), "512 KiB"},
		{"wide.png", brandingPNG(t, 1200, 4), "1024×1024"},
	} {
		code, body, _ := brandingUpload(t, owner, tc.name, tc.data)
		wantStatus(t, tc.name, code, http.StatusUnprocessableEntity, body)
		if !strings.Contains(body, `id="logo-error"`) || !strings.Contains(body, tc.msg) {
			t.Fatalf("%s: message %q missing:\n%s", tc.name, tc.msg, body)
		}
	}
	if code, _, _ := owner.get("/branding/logo"); code != http.StatusNotFound {
		t.Fatalf("a refused logo is served: %d", code)
	}

	// A user without branding.manage: page hidden, direct post refused, nothing changed.
	code, body, _ = tech.get("/settings/branding")
	wantStatus(t, "narrow page", code, http.StatusForbidden, body)
	code, body, _ = brandingUpload(t, tech, "logo.png", logo)
	wantStatus(t, "narrow upload", code, http.StatusForbidden, body)
	if code, _, _ := owner.get("/branding/logo"); code != http.StatusNotFound {
		t.Fatalf("the narrow user's logo was stored: %d", code)
	}

	code, body, h := brandingUpload(t, owner, "logo.png", logo)
	wantStatus(t, "upload", code, http.StatusSeeOther, body)
	if h.Get("Location") != "/settings/branding?saved=uploaded" {
		t.Fatalf("upload goes to %s", h.Get("Location"))
	}
	// Served to everyone signed in to the account, as an image and nothing else.
	code, body, h = tech.get("/branding/logo")
	wantStatus(t, "logo", code, http.StatusOK, "")
	if h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" || body != string(logo) {
		t.Fatalf("served as %q nosniff=%q, %d bytes", h.Get("Content-Type"), h.Get("X-Content-Type-Options"), len(body))
	}
	if code, _, _ := e.browser().get("/branding/logo"); code != http.StatusNotFound {
		t.Fatalf("anonymous logo: %d", code)
	}
	// The top bar shows it, and the page previews it.
	if _, body, _ := tech.get("/"); !strings.Contains(body, `<a class="brand" href="/"><img src="/branding/logo" alt="Example Ltd"`) {
		t.Fatalf("top bar without the logo:\n%s", body)
	}
	if _, body, _ := owner.get("/settings/branding?saved=uploaded"); !strings.Contains(body, "160 × 40") || !strings.Contains(body, "The logo has been saved.") {
		t.Fatalf("preview:\n%s", body)
	}

	// Removing it brings the name back; the narrow user cannot.
	code, body, _ = tech.post("/settings/branding/delete", nil)
	wantStatus(t, "narrow delete", code, http.StatusForbidden, body)
	code, body, _ = owner.post("/settings/branding/delete", nil)
	wantStatus(t, "delete", code, http.StatusSeeOther, body)
	if _, body, _ := owner.get("/"); !strings.Contains(body, `class="brand" href="/">Portico</a>`) {
		t.Fatalf("top bar after removal:\n%s", body)
	}
}
