package api

import "github.com/portico-dev/portico/internal/app"

func getLegal(c *call) (*app.Legal, error) { return c.app().GetLegal(c.ctx(), c.ac) }

func setLegal(c *call, in *app.LegalUpdate) (*app.Legal, error) {
	return c.app().SetLegal(c.ctx(), c.ac, *in)
}

func acceptLegal(c *call) (*app.Legal, error) { return c.app().AcceptLegal(c.ctx(), c.ac) }

// legalOpen are the operations a user who has not accepted the account's current terms of service
// and privacy policy may still call: reading and accepting them, and the 2FA enrolment that the 2FA
// gate (which runs first) may demand before anything else.
var legalOpen = map[string]bool{"getLegal": true, "acceptLegal": true}

// withLegalGate makes every authenticated route, except reading and accepting the legal documents and
// 2FA enrolment, refuse a caller who has not accepted the account's current versions (403, "accept
// the current terms of service and privacy policy first", field "legal"). It runs after the IP allow
// list and the 2FA gate: a user who must set up 2FA does that first, then accepts, so that neither
// gate's own pages are closed by the other.
func withLegalGate(rs []Route) []Route {
	for i := range rs {
		if rs[i].Public || legalOpen[rs[i].OperationID] || twoFactorOpen[rs[i].OperationID] {
			continue
		}
		inner := rs[i].ep.fn
		rs[i].ep.fn = func(c *call) (any, error) {
			if err := c.app().LegalGate(c.ctx(), c.ac); err != nil {
				return nil, err
			}
			return inner(c)
		}
	}
	return rs
}
