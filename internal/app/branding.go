package app

import (
	"bytes"
	"context"
	"fmt"
	"image"
	// The two formats a logo may have register their decoders for image.DecodeConfig.
	_ "image/jpeg"
	_ "image/png"
	"net/http"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/authz"
	"github.com/portico-dev/portico/internal/store"
)

// Limits of an account's logo. Only PNG and JPEG are taken: they cannot carry script, unlike SVG.
const (
	MaxLogoBytes  = 512 << 10
	MaxLogoPixels = 1024
)

// Branding is what an account's logo is, once stored.
type Branding struct {
	HasLogo   bool   `json:"has_logo"`
	MediaType string `json:"media_type,omitempty"`
	Width     int    `json:"width,omitempty"`
	Height    int    `json:"height,omitempty"`
	Bytes     int    `json:"bytes,omitempty"`
}

// SetLogo replaces the account's logo (branding.manage). The type is taken from the bytes, never from
// what the client declares: PNG or JPEG that decodes, at most MaxLogoBytes and MaxLogoPixels on each
// side; anything else is refused naming the field "logo".
func (a *App) SetLogo(ctx context.Context, ac *Actor, data []byte) (*Branding, error) {
	if err := a.authorize(ctx, ac, portico.ActionBrandingLogoUpdate, portico.PermBrandingManage, authz.Account()); err != nil {
		return nil, err
	}
	b, err := checkLogo(data)
	if err != nil {
		return nil, err
	}
	err = a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if err := tx.PutLogo(ctx, ac.AccountID, data, b.MediaType, a.now()); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionBrandingLogoUpdate, targetType: "account", targetID: ac.AccountID,
			detail: fmt.Sprintf("%s, %d×%d px, %d bytes", b.MediaType, b.Width, b.Height, b.Bytes)}, nil
	})
	if err != nil {
		return nil, err
	}
	return b, nil
}

// checkLogo reads what an uploaded logo is, refusing what is not an acceptable PNG or JPEG.
func checkLogo(data []byte) (*Branding, error) {
	refuse := func(format string, args ...any) error {
		return validate(func(v *portico.Validation) { v.Add("logo", format, args...) })
	}
	if len(data) == 0 {
		return nil, refuse("is required: send a PNG or JPEG image")
	}
	if len(data) > MaxLogoBytes {
		// The reader stops one byte past the limit, so the real size is not known: only that it is over.
		return nil, refuse("must be at most %d KiB: this image is larger", MaxLogoBytes>>10)
	}
	typ := http.DetectContentType(data)
	if typ != "image/png" && typ != "image/jpeg" {
		return nil, refuse("must be a PNG or JPEG image (this is %s)", typ)
	}
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil || "image/"+format != typ {
		return nil, refuse("is not a readable PNG or JPEG image")
	}
	if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > MaxLogoPixels || cfg.Height > MaxLogoPixels {
		return nil, refuse("must be at most %d×%d pixels (it is %d×%d)", MaxLogoPixels, MaxLogoPixels, cfg.Width, cfg.Height)
	}
	// The header alone can be followed by anything: decode the whole image (its size is bounded now)
	// so that what browsers are served is a picture and nothing else.
	if _, _, err := image.Decode(bytes.NewReader(data)); err != nil {
		return nil, refuse("is not a readable PNG or JPEG image")
	}
	return &Branding{HasLogo: true, MediaType: typ, Width: cfg.Width, Height: cfg.Height, Bytes: len(data)}, nil
}

// DeleteLogo removes the account's logo (branding.manage); the portal shows the product name again.
func (a *App) DeleteLogo(ctx context.Context, ac *Actor) error {
	if err := a.authorize(ctx, ac, portico.ActionBrandingLogoDelete, portico.PermBrandingManage, authz.Account()); err != nil {
		return err
	}
	return a.write(ctx, ac, func(tx *store.Tx) (*change, error) {
		if _, _, err := tx.GetLogo(ctx, ac.AccountID); err != nil {
			return nil, err // NotFound: there is nothing to remove
		}
		if err := tx.PutLogo(ctx, ac.AccountID, nil, "", a.now()); err != nil {
			return nil, err
		}
		return &change{action: portico.ActionBrandingLogoDelete, targetType: "account", targetID: ac.AccountID}, nil
	})
}

// GetLogo returns the account's logo and its media type, for anyone signed in to the account (it is
// shown on every page); NotFound when there is none.
func (a *App) GetLogo(ctx context.Context, ac *Actor) ([]byte, string, error) {
	if ac == nil || ac.AccountID == "" || (ac.Kind != ActorUser && ac.Kind != ActorAPIKey) {
		return nil, "", portico.Errorf(portico.KindForbidden, "sign in to see the account's logo")
	}
	ac.MarkDecided() // being signed in to the account is the whole check
	return a.store.GetLogo(ctx, ac.AccountID)
}

// GetBranding describes the account's logo (for anyone signed in to the account).
func (a *App) GetBranding(ctx context.Context, ac *Actor) (*Branding, error) {
	data, _, err := a.GetLogo(ctx, ac)
	if portico.IsKind(err, portico.KindNotFound) {
		return &Branding{}, nil
	}
	if err != nil {
		return nil, err
	}
	return checkLogo(data)
}

// AccountHasLogo reports whether the account has a logo, for the portal's top bar. A failure to read
// counts as no logo: the bar then shows the product name.
func (a *App) AccountHasLogo(ctx context.Context, accountID string) bool {
	has, err := a.store.HasLogo(ctx, accountID)
	return err == nil && has
}
