package api

type deleteRulesRequest struct {
	// RuleIDs lists the rules to delete; one that is not a rule of the account deletes none.
	RuleIDs []string `json:"rule_ids" openapi:"required"`
}

func deleteRules(c *call, in *deleteRulesRequest) (noContent, error) {
	if in.RuleIDs == nil {
		return noContent{}, required("rule_ids", "list the ids of the rules to delete")
	}
	return noContent{}, c.app().DeleteRules(c.ctx(), c.ac, in.RuleIDs)
}
