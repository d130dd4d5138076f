package client

import (
	"context"
	"iter"

	"github.com/portico-dev/portico"
)

// ListAssignmentRules returns a page of the device assignment rules, in order.
func (c *Client) ListAssignmentRules(ctx context.Context, opts ListOptions) (*Page[portico.AssignmentRule], error) {
	return call[Page[portico.AssignmentRule]](ctx, c, request{method: "GET", path: "/api/v1/assignment-rules", query: opts.values()})
}

// AllAssignmentRules iterates over every assignment rule, in order.
func (c *Client) AllAssignmentRules(ctx context.Context, opts ListOptions) iter.Seq2[portico.AssignmentRule, error] {
	return all(ctx, opts, c.ListAssignmentRules)
}

// RuleRequest is a whole assignment rule, as created or replaced.
type RuleRequest struct {
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	// Enabled defaults to true.
	Enabled       *bool                   `json:"enabled,omitempty"`
	Match         portico.RuleMatch       `json:"match"`
	TargetGroupID string                  `json:"target_group_id"`
	Conditions    []portico.RuleCondition `json:"conditions"`
}

// CreateAssignmentRule creates a rule, added last.
func (c *Client) CreateAssignmentRule(ctx context.Context, in RuleRequest) (*portico.AssignmentRule, error) {
	return call[portico.AssignmentRule](ctx, c, request{method: "POST", path: "/api/v1/assignment-rules", body: in.sendable()})
}

// sendable lists no conditions as [] rather than null, for the server to refuse by name.
func (in RuleRequest) sendable() RuleRequest {
	if in.Conditions == nil {
		in.Conditions = []portico.RuleCondition{}
	}
	return in
}

// GetAssignmentRule returns a rule.
func (c *Client) GetAssignmentRule(ctx context.Context, id string) (*portico.AssignmentRule, error) {
	return call[portico.AssignmentRule](ctx, c, request{method: "GET", path: "/api/v1/assignment-rules/{id}", id: id})
}

// UpdateAssignmentRule replaces a rule.
func (c *Client) UpdateAssignmentRule(ctx context.Context, id string, in RuleRequest) (*portico.AssignmentRule, error) {
	return call[portico.AssignmentRule](ctx, c, request{method: "PUT", path: "/api/v1/assignment-rules/{id}", id: id, body: in.sendable()})
}

// DeleteAssignmentRule deletes a rule.
func (c *Client) DeleteAssignmentRule(ctx context.Context, id string) error {
	return c.exec(ctx, request{method: "DELETE", path: "/api/v1/assignment-rules/{id}", id: id})
}

// ruleIDs lists rules.
type ruleIDs struct {
	RuleIDs []string `json:"rule_ids"`
}

// ReorderAssignmentRules sets the order of every rule.
func (c *Client) ReorderAssignmentRules(ctx context.Context, ids ...string) error {
	if ids == nil {
		ids = []string{}
	}
	return c.exec(ctx, request{method: "PUT", path: "/api/v1/assignment-rules/order", body: ruleIDs{ids}})
}

// DeleteAssignmentRules deletes several rules at once, all or none.
func (c *Client) DeleteAssignmentRules(ctx context.Context, ids ...string) error {
	if ids == nil {
		ids = []string{}
	}
	return c.exec(ctx, request{method: "POST", path: "/api/v1/assignment-rules/delete", body: ruleIDs{ids}})
}

// ApplyAssignmentRules runs the rules over the devices in Unassigned now.
func (c *Client) ApplyAssignmentRules(ctx context.Context) (*AppliedRules, error) {
	return call[AppliedRules](ctx, c, request{method: "POST", path: "/api/v1/assignment-rules/apply"})
}

// DryRunAssignmentRule returns a page of the devices in Unassigned the rule would move, moving none.
func (c *Client) DryRunAssignmentRule(ctx context.Context, id string, opts ListOptions) (*Page[DryRunMatch], error) {
	return call[Page[DryRunMatch]](ctx, c, request{method: "POST", path: "/api/v1/assignment-rules/{id}/dry-run", id: id,
		query: opts.values()})
}

// AllDryRunAssignmentRule iterates over the devices in Unassigned the rule would move.
func (c *Client) AllDryRunAssignmentRule(ctx context.Context, id string, opts ListOptions) iter.Seq2[DryRunMatch, error] {
	return all(ctx, opts, func(ctx context.Context, o ListOptions) (*Page[DryRunMatch], error) {
		return c.DryRunAssignmentRule(ctx, id, o)
	})
}
