package client

import (
	"context"
	"iter"
	"time"

	"github.com/portico-dev/portico"
)

// OnDemandSession is an on-demand (quick support) session, with the link the person opens.
type OnDemandSession struct {
	portico.OnDemandSession
	Link string `json:"link"`
}

// OnDemandListOptions select on-demand sessions.
type OnDemandListOptions struct {
	ListOptions
	// Live keeps those neither ended nor expired.
	Live bool
}

// ListOnDemandSessions returns a page of the on-demand sessions the caller may see (their own, or
// every one with on_demand.all), newest first.
func (c *Client) ListOnDemandSessions(ctx context.Context, opts OnDemandListOptions) (*Page[OnDemandSession], error) {
	v := opts.values()
	if opts.Live {
		v.Set("live", "true")
	}
	return call[Page[OnDemandSession]](ctx, c, request{method: "GET", path: "/api/v1/on-demand/sessions", query: v})
}

// AllOnDemandSessions iterates over the on-demand sessions the caller may see.
func (c *Client) AllOnDemandSessions(ctx context.Context, opts OnDemandListOptions) iter.Seq2[OnDemandSession, error] {
	return all(ctx, opts.ListOptions, func(ctx context.Context, lo ListOptions) (*Page[OnDemandSession], error) {
		o := opts
		o.ListOptions = lo
		return c.ListOnDemandSessions(ctx, o)
	})
}

// CreateOnDemandSession creates an on-demand session: a single-use code, its link and its expiry.
func (c *Client) CreateOnDemandSession(ctx context.Context, in portico.OnDemandInput) (*OnDemandSession, error) {
	return call[OnDemandSession](ctx, c, request{method: "POST", path: "/api/v1/on-demand/sessions", body: in})
}

// GetOnDemandSession returns an on-demand session.
func (c *Client) GetOnDemandSession(ctx context.Context, id string) (*OnDemandSession, error) {
	return call[OnDemandSession](ctx, c, request{method: "GET", path: "/api/v1/on-demand/sessions/{id}", id: id})
}

// EndOnDemandSession ends an on-demand session; its support agent exits.
func (c *Client) EndOnDemandSession(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/on-demand/sessions/{id}", id: id})
}

// GetOnDemandHistory returns a page of an on-demand session's history, newest first.
func (c *Client) GetOnDemandHistory(ctx context.Context, id string, opts ListOptions) (*Page[portico.HistoryEntry], error) {
	return call[Page[portico.HistoryEntry]](ctx, c, request{method: "GET", path: "/api/v1/on-demand/sessions/{id}/history",
		id: id, query: opts.values()})
}

// GetOnDemandSettings returns the account's on-demand settings.
func (c *Client) GetOnDemandSettings(ctx context.Context) (*portico.OnDemandSettings, error) {
	return call[portico.OnDemandSettings](ctx, c, request{method: "GET", path: "/api/v1/on-demand/settings"})
}

// SetOnDemandSettings replaces the account's on-demand settings.
func (c *Client) SetOnDemandSettings(ctx context.Context, in portico.OnDemandSettings) (*portico.OnDemandSettings, error) {
	return call[portico.OnDemandSettings](ctx, c, request{method: "PUT", path: "/api/v1/on-demand/settings", body: in})
}

// RedeemOnDemandRequest redeems an on-demand session's code: what a support agent sends.
type RedeemOnDemandRequest struct {
	Code         string `json:"code"`
	Hostname     string `json:"hostname"`
	OSName       string `json:"os_name,omitempty"`
	OSVersion    string `json:"os_version,omitempty"`
	LoggedInUser string `json:"logged_in_user,omitempty"`
}

// OnDemandRedemption is what a redeemed code gives the support agent: the session it joined, the
// credential it connects with from then on, and what the end-user window shows.
type OnDemandRedemption struct {
	SessionID      string    `json:"session_id"`
	Credential     string    `json:"credential"`
	CompanyName    string    `json:"company_name"`
	TechnicianName string    `json:"technician_name"`
	ExpiresAt      time.Time `json:"expires_at"`
}

// RedeemOnDemandCode redeems a code; it needs no other credentials. A wrong, expired or used code is
// a not_found *Error; an address locked after too many wrong codes a rate_limited one.
func (c *Client) RedeemOnDemandCode(ctx context.Context, in RedeemOnDemandRequest) (*OnDemandRedemption, error) {
	return call[OnDemandRedemption](ctx, c, request{method: "POST", path: "/api/v1/on-demand/redeem", body: in})
}
