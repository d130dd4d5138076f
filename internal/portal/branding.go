package portal

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

// brandingRoutes serve the account's logo and its settings page.
func (p *Portal) brandingRoutes() []route {
	return []route{
		// Public only in that it skips the 2FA and terms gates, whose own pages show the top bar too;
		// the handler still needs a signed-in user of the account and applies the IP allow list.
		{pattern: "GET /branding/logo", public: true, handle: (*request).brandingLogo},
		{pattern: "GET /settings/branding", handle: (*request).brandingPage},
		{pattern: "POST /settings/branding", handle: (*request).brandingUpload},
		{pattern: "POST /settings/branding/delete", handle: (*request).brandingDelete},
	}
}

// brandingLogo serves the logo of the signed-in user's account, with the type read from its bytes
// when it was stored and nosniff, so that the browser never takes it for anything but an image.
func (q *request) brandingLogo() error {
	if q.actor == nil {
		return portico.NotFound("logo")
	}
	if q.holdForAllowlist() {
		return nil
	}
	data, typ, err := q.p.app.GetLogo(q.ctx, q.actor)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(data)
	h := q.w.Header()
	h.Set("Content-Type", typ)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-cache")
	h.Set("ETag", `"`+hex.EncodeToString(sum[:8])+`"`)
	http.ServeContent(q.w, q.r, "", time.Time{}, bytes.NewReader(data))
	return nil
}

// brandingData is the branding page.
type brandingData struct {
	adminForm
	Branding *app.Branding
	Saved    string
}

func (q *request) brandingPage() error {
	return q.brandingRender(http.StatusOK, adminForm{Errors: map[string]string{}})
}

func (q *request) brandingRender(status int, form adminForm) error {
	if !q.can(portico.PermBrandingManage) {
		return portico.Errorf(portico.KindForbidden, "you do not have the permission branding.manage")
	}
	b, err := q.p.app.GetBranding(q.ctx, q.actor)
	if err != nil {
		return err
	}
	q.active = "settings"
	q.crumb(q.p.locales.text(q.lang, "menu.settings"), "/settings")
	q.crumb(q.p.locales.text(q.lang, "branding.title"), "")
	return q.render(status, "branding/settings", brandingData{adminForm: form, Branding: b, Saved: q.r.URL.Query().Get("saved")})
}

func (q *request) brandingUpload() error {
	// The form's envelope adds headers and boundaries around the file.
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, app.MaxLogoBytes+64<<10)
	data, err := brandingReadFile(q.r)
	if err == nil {
		_, err = q.p.app.SetLogo(q.ctx, q.actor, data)
	}
	if err != nil {
		form, err := adminFormError(err)
		if err != nil {
			return err
		}
		return q.brandingRender(http.StatusUnprocessableEntity, form)
	}
	return q.redirect("/settings/branding?saved=uploaded")
}

// brandingReadFile reads the file of the form's "logo" input; a missing or oversized one becomes the
// app's own field message.
func brandingReadFile(r *http.Request) ([]byte, error) {
	f, _, err := r.FormFile("logo")
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		// Let the app word the refusal: hand it a body one byte over the limit.
		return make([]byte, app.MaxLogoBytes+1), nil
	case err != nil:
		return nil, nil // the app answers "is required"
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, app.MaxLogoBytes+1))
	if errors.As(err, &tooBig) {
		return make([]byte, app.MaxLogoBytes+1), nil
	}
	return data, err
}

func (q *request) brandingDelete() error {
	if err := q.p.app.DeleteLogo(q.ctx, q.actor); err != nil && !portico.IsKind(err, portico.KindNotFound) {
		return err
	}
	return q.redirect("/settings/branding?saved=removed")
}
