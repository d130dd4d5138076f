package api_test

import (
	"bytes"
	"image"
	"image/color"
	"image/png"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"github.com/portico-dev/portico"
)

// testLogo is a w×h PNG, as a string for rawJSON bodies (the upload reads the bytes, whatever the
// declared type).
func testLogo(t *testing.T, w, h int) string {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, color.NRGBA{R: uint8(x * 7), G: uint8(y * 13), B: uint8(x ^ y), A: 255})
		}
	}
	var b bytes.Buffer
	must(t, png.Encode(&b, img))
	return b.String()
}

func TestLogoUpload(t *testing.T) {
	e := newEnv(t)
	f := e.A
	owner := e.signIn(f.acc.Owner.Email)
	logo := testLogo(t, 120, 40)
	pngType := http.Header{"Content-Type": {"image/png"}}

	// Refusals name the field; nothing is stored.
	for _, tc := range []struct {
		name, body, msg string
	}{
		{"svg", `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`, "PNG or JPEG"},
		{"text", "hello", "PNG or JPEG"},
		{"too big", logo + strings.Repeat("x", 512<<10), "512 KiB"},
		{"too wide", testLogo(t, 1100, 2), "1024×1024"},
	} {
		r := owner.DoWith("POST", "/api/v1/branding/logo", rawJSON(tc.body), pngType)
		if r.Status != 422 || !hasField(r.Problem(t), "logo") || !strings.Contains(string(r.Body), tc.msg) {
			t.Errorf("%s: %d %s", tc.name, r.Status, r.Body)
		}
	}
	if r := owner.Do("GET", "/api/v1/branding", nil); !strings.Contains(string(r.Body), `"has_logo":false`) {
		t.Fatalf("refused logo stored: %s", r.Body)
	}

	// A user without branding.manage is refused.
	plain := e.signIn(e.activeUser(f, allBut(portico.PermBrandingManage)).Email)
	if r := plain.DoWith("POST", "/api/v1/branding/logo", rawJSON(logo), pngType); r.Status != 403 {
		t.Fatalf("without branding.manage: %d %s", r.Status, r.Body)
	}

	// Raw body.
	r := owner.DoWith("POST", "/api/v1/branding/logo", rawJSON(logo), pngType)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"media_type":"image/png"`) || !strings.Contains(string(r.Body), `"width":120`) {
		t.Fatalf("raw upload: %d %s", r.Status, r.Body)
	}
	// Multipart, as a browser form sends it.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("logo", "logo.png")
	must(t, err)
	_, _ = fw.Write([]byte(testLogo(t, 30, 30)))
	must(t, mw.Close())
	r = owner.DoWith("POST", "/api/v1/branding/logo", rawJSON(body.String()), http.Header{"Content-Type": {mw.FormDataContentType()}})
	if r.Status != 200 || !strings.Contains(string(r.Body), `"width":30`) {
		t.Fatalf("multipart upload: %d %s", r.Status, r.Body)
	}
	// Everyone signed in to the account sees that there is one.
	if r := plain.Do("GET", "/api/v1/branding", nil); r.Status != 200 || !strings.Contains(string(r.Body), `"has_logo":true`) {
		t.Fatalf("plain user reads branding: %d %s", r.Status, r.Body)
	}
	if r := plain.Do("DELETE", "/api/v1/branding/logo", nil); r.Status != 403 {
		t.Fatalf("plain user deletes: %d %s", r.Status, r.Body)
	}
	if r := owner.Do("DELETE", "/api/v1/branding/logo", nil); r.Status != 204 {
		t.Fatalf("delete: %d %s", r.Status, r.Body)
	}
	if r := owner.Do("DELETE", "/api/v1/branding/logo", nil); r.Status != 404 {
		t.Fatalf("delete again: %d %s", r.Status, r.Body)
	}
}
