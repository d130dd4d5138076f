package portal

// adminRoutes are the pages of the Account section and the audit log.
func (p *Portal) adminRoutes() []route { return nil }
