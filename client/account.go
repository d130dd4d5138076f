package client

import (
	"context"
	"iter"
	"net/http"

	"github.com/portico-dev/portico"
)

// SignInRequest signs a user in.
type SignInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// TOTP is the current code or a recovery code, for users with two-factor authentication.
	TOTP string `json:"totp,omitempty"`
}

// SignIn signs in with a password and keeps the session cookie: later calls act as the user.
func (c *Client) SignIn(ctx context.Context, in SignInRequest) (*portico.User, error) {
	return c.signIn(ctx, request{method: "POST", path: "/api/v1/session", body: in})
}

// signIn sends a request that answers a user and sets the session cookie, and keeps the cookie.
func (c *Client) signIn(ctx context.Context, r request) (*portico.User, error) {
	u := new(portico.User)
	h, err := c.do(ctx, r, u)
	if err != nil {
		return nil, err
	}
	resp := http.Response{Header: h}
	for _, ck := range resp.Cookies() {
		if ck.Name == SessionCookie {
			c.setSession(ck.Value)
		}
	}
	return u, nil
}

// SignOut ends the session the client holds and forgets its cookie.
func (c *Client) SignOut(ctx context.Context) error {
	err := c.exec(ctx, request{method: "DELETE", path: "/api/v1/session"})
	if err == nil {
		c.setSession("")
	}
	return err
}

// AcceptInvitationRequest completes registration from an invitation link's token.
type AcceptInvitationRequest struct {
	Token    string `json:"token"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

// AcceptInvitation completes an invited user's registration and keeps the new session's cookie.
func (c *Client) AcceptInvitation(ctx context.Context, in AcceptInvitationRequest) (*portico.User, error) {
	return c.signIn(ctx, request{method: "POST", path: "/api/v1/invitations/accept", body: in})
}

// GetMe returns the caller, their account and their account-level permissions.
func (c *Client) GetMe(ctx context.Context) (*Me, error) {
	return call[Me](ctx, c, request{method: "GET", path: "/api/v1/me"})
}

// GetAccount returns the account and its settings.
func (c *Client) GetAccount(ctx context.Context) (*portico.Account, error) {
	return call[portico.Account](ctx, c, request{method: "GET", path: "/api/v1/account"})
}

// UpdateAccountRequest renames the account and/or replaces all of its settings.
type UpdateAccountRequest struct {
	Name     *string                  `json:"name,omitempty"`
	Settings *portico.AccountSettings `json:"settings,omitempty"`
}

// UpdateAccount renames the account or replaces its settings.
func (c *Client) UpdateAccount(ctx context.Context, in UpdateAccountRequest) (*portico.Account, error) {
	return call[portico.Account](ctx, c, request{method: "PATCH", path: "/api/v1/account", body: in})
}

// GetLicences returns the licences and seats in use and available.
func (c *Client) GetLicences(ctx context.Context) (*Licences, error) {
	return call[Licences](ctx, c, request{method: "GET", path: "/api/v1/licences"})
}

// ListPermissions returns a page of the permission catalogue.
func (c *Client) ListPermissions(ctx context.Context, opts ListOptions) (*Page[portico.PermissionInfo], error) {
	return call[Page[portico.PermissionInfo]](ctx, c, request{method: "GET", path: "/api/v1/permissions", query: opts.values()})
}

// AllPermissions iterates over the permission catalogue.
func (c *Client) AllPermissions(ctx context.Context, opts ListOptions) iter.Seq2[portico.PermissionInfo, error] {
	return all(ctx, opts, c.ListPermissions)
}

// GetTwoFactorStatus says whether the caller has two-factor authentication.
func (c *Client) GetTwoFactorStatus(ctx context.Context) (*TwoFactorStatus, error) {
	return call[TwoFactorStatus](ctx, c, request{method: "GET", path: "/api/v1/me/2fa"})
}

// StartTwoFactor starts the caller's enrolment: a new secret, not in force until confirmed.
func (c *Client) StartTwoFactor(ctx context.Context) (*TwoFactorEnrolment, error) {
	return call[TwoFactorEnrolment](ctx, c, request{method: "POST", path: "/api/v1/me/2fa"})
}

// twoFactorCode carries a TOTP code or a recovery code.
type twoFactorCode struct {
	TOTP string `json:"totp"`
}

// ConfirmTwoFactor turns two-factor authentication on with a current code and returns the recovery
// codes, shown once.
func (c *Client) ConfirmTwoFactor(ctx context.Context, code string) (*RecoveryCodes, error) {
	return call[RecoveryCodes](ctx, c, request{method: "POST", path: "/api/v1/me/2fa/confirm", body: twoFactorCode{code}})
}

// DisableTwoFactor turns the caller's two-factor authentication off; code is a current or recovery code.
func (c *Client) DisableTwoFactor(ctx context.Context, code string) error {
	return c.exec(ctx, request{method: "POST", path: "/api/v1/me/2fa/disable", body: twoFactorCode{code}})
}

// RegenerateRecoveryCodes replaces the caller's recovery codes; code is a current or recovery code.
func (c *Client) RegenerateRecoveryCodes(ctx context.Context, code string) (*RecoveryCodes, error) {
	return call[RecoveryCodes](ctx, c, request{method: "POST", path: "/api/v1/me/2fa/recovery-codes", body: twoFactorCode{code}})
}

// GetDirectory returns the directory configuration (never the bind password).
func (c *Client) GetDirectory(ctx context.Context) (*DirectorySettings, error) {
	return call[DirectorySettings](ctx, c, request{method: "GET", path: "/api/v1/directory"})
}

// PutDirectory configures the directory.
func (c *Client) PutDirectory(ctx context.Context, in DirectoryConfig) (*DirectorySettings, error) {
	return call[DirectorySettings](ctx, c, request{method: "PUT", path: "/api/v1/directory", body: in})
}

// PreviewDirectory reads the directory and tells what an import would do, changing nothing.
func (c *Client) PreviewDirectory(ctx context.Context) (*DirectoryPlan, error) {
	return call[DirectoryPlan](ctx, c, request{method: "POST", path: "/api/v1/directory/preview"})
}

// ImportDirectory starts importing the directory and returns the job to poll with GetDirectoryJob.
func (c *Client) ImportDirectory(ctx context.Context) (*DirectoryJob, error) {
	return call[DirectoryJob](ctx, c, request{method: "POST", path: "/api/v1/directory/import"})
}

// GetDirectoryJob returns an import job: its progress, then its result.
func (c *Client) GetDirectoryJob(ctx context.Context, id string) (*DirectoryJob, error) {
	return call[DirectoryJob](ctx, c, request{method: "GET", path: "/api/v1/directory/jobs/{id}", id: id})
}

// GetSSO returns the SAML single sign-on configuration.
func (c *Client) GetSSO(ctx context.Context) (*SSOSettings, error) {
	return call[SSOSettings](ctx, c, request{method: "GET", path: "/api/v1/sso"})
}

// PutSSO configures SAML single sign-on.
func (c *Client) PutSSO(ctx context.Context, in SSOConfig) (*SSOSettings, error) {
	return call[SSOSettings](ctx, c, request{method: "PUT", path: "/api/v1/sso", body: in})
}

// GetIPAllowlist returns the IP allow list and the caller's own address.
func (c *Client) GetIPAllowlist(ctx context.Context) (*IPAllowlist, error) {
	return call[IPAllowlist](ctx, c, request{method: "GET", path: "/api/v1/ip-allowlist"})
}

// SetIPAllowlist replaces the IP allow list.
func (c *Client) SetIPAllowlist(ctx context.Context, in IPAllowlistUpdate) (*IPAllowlist, error) {
	if in.Entries == nil {
		in.Entries = []IPAllowEntry{} // an empty list, not null: every address
	}
	return call[IPAllowlist](ctx, c, request{method: "PUT", path: "/api/v1/ip-allowlist", body: in})
}

// GetPasswordPolicy returns what new passwords must be.
func (c *Client) GetPasswordPolicy(ctx context.Context) (*PasswordPolicy, error) {
	return call[PasswordPolicy](ctx, c, request{method: "GET", path: "/api/v1/password-policy"})
}

// SetPasswordPolicy replaces the password policy.
func (c *Client) SetPasswordPolicy(ctx context.Context, in PasswordPolicy) (*PasswordPolicy, error) {
	return call[PasswordPolicy](ctx, c, request{method: "PUT", path: "/api/v1/password-policy", body: in})
}

// GetLegal returns the current terms of service and privacy policy and whether the caller accepted them.
func (c *Client) GetLegal(ctx context.Context) (*Legal, error) {
	return call[Legal](ctx, c, request{method: "GET", path: "/api/v1/legal"})
}

// SetLegal sets the current version of each legal document.
func (c *Client) SetLegal(ctx context.Context, in LegalUpdate) (*Legal, error) {
	return call[Legal](ctx, c, request{method: "PUT", path: "/api/v1/legal", body: in})
}

// AcceptLegal accepts the current versions as the caller.
func (c *Client) AcceptLegal(ctx context.Context) (*Legal, error) {
	return call[Legal](ctx, c, request{method: "POST", path: "/api/v1/legal/accept"})
}

// GetBranding says whether the account has a logo.
func (c *Client) GetBranding(ctx context.Context) (*Branding, error) {
	return call[Branding](ctx, c, request{method: "GET", path: "/api/v1/branding"})
}

// UploadLogo replaces the portal's logo with a PNG or JPEG image (at most 512 KiB, 1024×1024 px).
func (c *Client) UploadLogo(ctx context.Context, image []byte) (*Branding, error) {
	if image == nil {
		image = []byte{} // sent as an empty body, for the server to refuse by name
	}
	return call[Branding](ctx, c, request{method: "POST", path: "/api/v1/branding/logo", raw: image,
		contentType: http.DetectContentType(image)})
}

// DeleteLogo removes the logo.
func (c *Client) DeleteLogo(ctx context.Context) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/branding/logo"})
}
