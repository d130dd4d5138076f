package client

import (
	"context"
	"io"
	"iter"
	"net/url"
	"time"

	"github.com/portico-dev/portico"
)

// AuditQuery filters ListAuditEvents and ExportAuditEvents.
type AuditQuery struct {
	ListOptions
	// UserID is the actor.
	UserID     string
	Action     string // such as user.create
	TargetType string
	TargetID   string
	Outcome    portico.Outcome
	// Since and Until bound the events' times when not zero.
	Since, Until time.Time
}

// filters adds q's filters, its ListOptions aside, to v.
func (q AuditQuery) filters(v url.Values) url.Values {
	setString(v, "user_id", q.UserID)
	setString(v, "action", q.Action)
	setString(v, "target_type", q.TargetType)
	setString(v, "target_id", q.TargetID)
	setString(v, "outcome", string(q.Outcome))
	setTime(v, "since", q.Since)
	setTime(v, "until", q.Until)
	return v
}

// ListAuditEvents returns a page of audit events, newest first.
func (c *Client) ListAuditEvents(ctx context.Context, q AuditQuery) (*Page[portico.AuditEvent], error) {
	v := q.filters(q.values())
	return call[Page[portico.AuditEvent]](ctx, c, request{method: "GET", path: "/api/v1/audit-events", query: v})
}

// AllAuditEvents iterates over the audit events that q matches, newest first.
func (c *Client) AllAuditEvents(ctx context.Context, q AuditQuery) iter.Seq2[portico.AuditEvent, error] {
	return all(ctx, q.ListOptions, func(ctx context.Context, o ListOptions) (*Page[portico.AuditEvent], error) {
		q.ListOptions = o
		return c.ListAuditEvents(ctx, q)
	})
}

// ExportAuditEvents streams the audit events q selects (its ListOptions aside), newest first, as JSON
// Lines: one event per line, each as ListAuditEvents decodes it. The caller reads the body to its end
// and closes it; a read that fails before the end means the export was cut short. The client's HTTP
// timeout (one minute unless WithHTTPClient says otherwise) bounds the whole transfer.
func (c *Client) ExportAuditEvents(ctx context.Context, q AuditQuery) (io.ReadCloser, error) {
	resp, _, err := c.send(ctx, request{method: "GET", path: "/api/v1/audit-events/export", query: q.filters(url.Values{}),
		accept: "application/x-ndjson"})
	if err != nil {
		return nil, err
	}
	return resp.Body, nil
}

// VerifyAuditLog checks the audit log's hash chain and names the first bad entry.
func (c *Client) VerifyAuditLog(ctx context.Context) (*AuditVerification, error) {
	return call[AuditVerification](ctx, c, request{method: "GET", path: "/api/v1/audit-events/verify"})
}

// ListAPIKeys returns a page of API keys (never their secrets).
func (c *Client) ListAPIKeys(ctx context.Context, opts ListOptions) (*Page[portico.APIKey], error) {
	return call[Page[portico.APIKey]](ctx, c, request{method: "GET", path: "/api/v1/api-keys", query: opts.values()})
}

// AllAPIKeys iterates over the API keys.
func (c *Client) AllAPIKeys(ctx context.Context, opts ListOptions) iter.Seq2[portico.APIKey, error] {
	return all(ctx, opts, c.ListAPIKeys)
}

// CreateAPIKeyRequest creates an API key acting as the caller.
type CreateAPIKeyRequest struct {
	Name string `json:"name"`
	// Permissions narrows the key; empty means every permission of its owner.
	Permissions []portico.Permission `json:"permissions,omitempty"`
}

// CreateAPIKey creates an API key; its secret is in the answer, shown this once.
func (c *Client) CreateAPIKey(ctx context.Context, in CreateAPIKeyRequest) (*CreatedAPIKey, error) {
	return call[CreatedAPIKey](ctx, c, request{method: "POST", path: "/api/v1/api-keys", body: in})
}

// RevokeAPIKey revokes an API key.
func (c *Client) RevokeAPIKey(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/api-keys/{id}", id: id})
}
