package api

import (
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

func getBranding(c *call) (*app.Branding, error) { return c.app().GetBranding(c.ctx(), c.ac) }

// uploadLogo takes the logo as the raw request body (Content-Type image/png or image/jpeg) or as the
// part named "logo" of a multipart/form-data body. The declared type is ignored: the app reads the
// type from the bytes.
func uploadLogo(c *call) (*app.Branding, error) {
	data, err := readLogo(c.w, c.r)
	if err != nil {
		return nil, err
	}
	return c.app().SetLogo(c.ctx(), c.ac, data)
}

func deleteLogo(c *call) (noContent, error) { return noContent{}, c.app().DeleteLogo(c.ctx(), c.ac) }

// readLogo reads at most one byte more than a logo may have, so that a larger one is refused with a
// field message rather than read whole.
func readLogo(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	logoField := func(format string, args ...any) error {
		return &portico.Error{Kind: portico.KindInvalid, Message: "invalid input",
			Fields: []portico.FieldError{{Field: "logo", Message: fmt.Sprintf(format, args...)}}}
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt != "multipart/form-data" {
		return io.ReadAll(io.LimitReader(r.Body, app.MaxLogoBytes+1))
	}
	// The multipart envelope adds headers and boundaries around the file.
	r.Body = http.MaxBytesReader(w, r.Body, app.MaxLogoBytes+64<<10)
	parts, err := r.MultipartReader()
	if err != nil {
		return nil, logoField("cannot read the multipart body: %v", err)
	}
	for {
		p, err := parts.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, logoField("is required: send the image as the part named logo")
		}
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, logoField("must be at most %d KiB", app.MaxLogoBytes>>10)
		}
		if err != nil {
			return nil, logoField("cannot read the multipart body: %v", err)
		}
		if p.FormName() != "logo" {
			continue
		}
		data, err := io.ReadAll(io.LimitReader(p, app.MaxLogoBytes+1))
		if errors.As(err, &tooBig) {
			return nil, logoField("must be at most %d KiB", app.MaxLogoBytes>>10)
		}
		if err != nil {
			return nil, logoField("cannot read the multipart body: %v", err)
		}
		return data, nil
	}
}
