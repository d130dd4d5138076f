package client

import (
	"context"
	"time"
)

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
