package api

import (
	"iter"

	"github.com/portico-dev/portico"
)

// auditVerifyResponse reports whether the audit log's hash chain is intact.
type auditVerifyResponse struct {
	OK bool `json:"ok"`
	// Entries counts the entries checked.
	Entries int                   `json:"entries"`
	Problem *portico.ChainProblem `json:"problem,omitempty"`
}

func verifyAudit(c *call) (*auditVerifyResponse, error) {
	v, err := c.app().VerifyAudit(c.ctx(), c.ac)
	if err != nil {
		return nil, err
	}
	return &auditVerifyResponse{OK: v.OK, Entries: v.Checked, Problem: v.Problem}, nil
}

func listAPIKeys(c *call) (*Page[portico.APIKey], error) {
	return paginate(c, func() ([]portico.APIKey, error) { return c.app().ListAPIKeys(c.ctx(), c.ac) })
}

type createAPIKeyRequest struct {
	Name string `json:"name" openapi:"required"`
	// Permissions narrows the key; empty means every permission of its owner.
	Permissions []portico.Permission `json:"permissions,omitempty"`
}

// apiKeyCreated carries the key's secret, shown this once.
type apiKeyCreated struct {
	*portico.APIKey
	// Secret is the key itself, shown this once.
	Secret string `json:"secret"`
}

func createAPIKey(c *call, in *createAPIKeyRequest) (*apiKeyCreated, error) {
	k, secret, err := c.app().CreateAPIKey(c.ctx(), c.ac, in.Name, in.Permissions)
	if err != nil {
		return nil, err
	}
	return &apiKeyCreated{APIKey: k, Secret: secret}, nil
}

func revokeAPIKey(c *call) (noContent, error) {
	return noContent{}, c.app().RevokeAPIKey(c.ctx(), c.ac, c.id())
}

// auditFilters are the query parameters that select audit events.
var auditFilters = []Param{
	{Name: "user_id", Description: "only this actor"}, {Name: "action", Description: "only this action, such as user.create (docs/audit.md lists them)"},
	{Name: "target_type"}, {Name: "target_id"}, {Name: "outcome", Description: "success, denied or failed"},
	{Name: "since", Description: "RFC 3339 time"}, {Name: "until", Description: "RFC 3339 time"}}

// auditFilter reads auditFilters.
func (c *call) auditFilter() (portico.AuditFilter, error) {
	since, err := c.queryTime("since")
	if err != nil {
		return portico.AuditFilter{}, err
	}
	until, err := c.queryTime("until")
	if err != nil {
		return portico.AuditFilter{}, err
	}
	outcome, err := c.queryOneOf("outcome", string(portico.OutcomeSuccess), string(portico.OutcomeDenied), string(portico.OutcomeFailed))
	if err != nil {
		return portico.AuditFilter{}, err
	}
	q := c.r.URL.Query()
	return portico.AuditFilter{ActorID: q.Get("user_id"), Action: portico.AuditAction(q.Get("action")),
		TargetType: q.Get("target_type"), TargetID: q.Get("target_id"), Outcome: portico.Outcome(outcome),
		Since: since, Until: until}, nil
}

// listAudit answers one page of the audit log, newest first.
func listAudit(c *call) (*Page[portico.AuditEvent], error) {
	limit, offset, err := c.pageParams()
	if err != nil {
		return nil, err
	}
	f, err := c.auditFilter()
	if err != nil {
		return nil, err
	}
	f.Page = portico.Page{Limit: limit, Offset: offset}
	events, total, err := c.app().AuditPage(c.ctx(), c.ac, f)
	if err != nil {
		return nil, err
	}
	if events == nil {
		events = []portico.AuditEvent{}
	}
	return &Page[portico.AuditEvent]{Items: events, Total: total, Limit: limit, Offset: offset}, nil
}

// exportAudit streams every event the filters select, for a SIEM or an archive.
func exportAudit(c *call) (iter.Seq2[portico.AuditEvent, error], error) {
	f, err := c.auditFilter()
	if err != nil {
		return nil, err
	}
	return c.app().ExportAudit(c.ctx(), c.ac, f)
}
