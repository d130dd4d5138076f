package portal

// sessionRoutes are the remote session pages.
func (p *Portal) sessionRoutes() []route { return nil }
