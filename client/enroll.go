package client

import (
	"context"
	"encoding/json"
	"iter"

	"github.com/portico-dev/portico"
)

// ListEnrollmentTokens returns a page of enrollment tokens (never their secrets).
func (c *Client) ListEnrollmentTokens(ctx context.Context, opts ListOptions) (*Page[portico.EnrollmentToken], error) {
	return call[Page[portico.EnrollmentToken]](ctx, c, request{method: "GET", path: "/api/v1/enrollment-tokens", query: opts.values()})
}

// AllEnrollmentTokens iterates over the enrollment tokens.
func (c *Client) AllEnrollmentTokens(ctx context.Context, opts ListOptions) iter.Seq2[portico.EnrollmentToken, error] {
	return all(ctx, opts, c.ListEnrollmentTokens)
}

// CreateEnrollmentTokenRequest creates an enrollment token.
type CreateEnrollmentTokenRequest struct {
	// DeviceGroupID binds the token to a group (installer group assignment); empty for the account.
	DeviceGroupID string `json:"device_group_id,omitempty"`
}

// CreateEnrollmentToken creates an enrollment token; its secret is in the answer, shown this once.
func (c *Client) CreateEnrollmentToken(ctx context.Context, in CreateEnrollmentTokenRequest) (*CreatedEnrollmentToken, error) {
	return call[CreatedEnrollmentToken](ctx, c, request{method: "POST", path: "/api/v1/enrollment-tokens", body: in})
}

// RevokeEnrollmentToken revokes an enrollment token.
func (c *Client) RevokeEnrollmentToken(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "POST", path: "/api/v1/enrollment-tokens/{id}/revoke", id: id})
}

// EnrollRequest enrolls a device with an enrollment token: what an agent sends.
type EnrollRequest struct {
	Token        string   `json:"token"`
	Hostname     string   `json:"hostname"`
	Name         string   `json:"name,omitempty"`
	OSName       string   `json:"os_name,omitempty"`
	OSVersion    string   `json:"os_version,omitempty"`
	DeviceType   string   `json:"device_type,omitempty"`
	Manufacturer string   `json:"manufacturer,omitempty"`
	AssetID      string   `json:"asset_id,omitempty"`
	AgentVersion string   `json:"agent_version,omitempty"`
	LoggedInUser string   `json:"logged_in_user,omitempty"`
	IPAddresses  []string `json:"ip_addresses,omitempty"`
}

// EnrollDevice enrolls a device; it needs no other credentials than the request's token.
func (c *Client) EnrollDevice(ctx context.Context, in EnrollRequest) (*Enrollment, error) {
	return call[Enrollment](ctx, c, request{method: "POST", path: "/api/v1/agent/enroll", body: in})
}

// GetOpenAPI returns the OpenAPI 3.1 document describing every operation.
func (c *Client) GetOpenAPI(ctx context.Context) (json.RawMessage, error) {
	var raw []byte
	if _, err := c.do(ctx, request{method: "GET", path: "/api/v1/openapi.json"}, &raw); err != nil {
		return nil, err
	}
	return raw, nil
}

// Health asks whether the server process serves (liveness).
func (c *Client) Health(ctx context.Context) (*Health, error) {
	return call[Health](ctx, c, request{method: "GET", path: "/healthz"})
}

// Ready asks whether the server's database answers (readiness); it is an *Error (503) when not.
func (c *Client) Ready(ctx context.Context) (*Health, error) {
	return call[Health](ctx, c, request{method: "GET", path: "/readyz"})
}

// Metrics returns the server's Prometheus metrics in the text format.
func (c *Client) Metrics(ctx context.Context) (string, error) {
	var raw []byte
	if _, err := c.do(ctx, request{method: "GET", path: "/metrics"}, &raw); err != nil {
		return "", err
	}
	return string(raw), nil
}
