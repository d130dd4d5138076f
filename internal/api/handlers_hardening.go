package api

import "github.com/portico-dev/portico/internal/app"

func getIPAllowlist(c *call) (*app.IPAllowlist, error) { return c.app().GetIPAllowlist(c.ctx(), c.ac) }

func setIPAllowlist(c *call, in *app.IPAllowlistUpdate) (*app.IPAllowlist, error) {
	return c.app().SetIPAllowlist(c.ctx(), c.ac, *in)
}

func getPasswordPolicy(c *call) (*app.PasswordPolicy, error) {
	return c.app().GetPasswordPolicy(c.ctx(), c.ac)
}

func setPasswordPolicy(c *call, in *app.PasswordPolicy) (*app.PasswordPolicy, error) {
	return c.app().SetPasswordPolicy(c.ctx(), c.ac, *in)
}

// withAccountGates makes every authenticated route refuse a person whose address is outside the
// account's IP allow list (403, "your address is not allowed for this account"), before any other
// gate and before the body is read. Agents authenticate on public routes with their own credential
// and are never subject to the list.
func withAccountGates(rs []Route) []Route {
	for i := range rs {
		if rs[i].Public {
			continue
		}
		inner := rs[i].ep.fn
		rs[i].ep.fn = func(c *call) (any, error) {
			if err := c.app().IPAllowlistGate(c.ctx(), c.ac); err != nil {
				return nil, err
			}
			return inner(c)
		}
	}
	return rs
}
