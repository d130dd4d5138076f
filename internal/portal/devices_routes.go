package portal

// deviceRoutes are the pages of the Managed section: device groups, devices, favourites, In session.
func (p *Portal) deviceRoutes() []route { return nil }
