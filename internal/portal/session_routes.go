package portal

// sessionRoutes are the remote session pages.
func (p *Portal) sessionRoutes() []route {
	return []route{
		{pattern: "GET /devices/{id}/session", handle: (*request).sessionPage},
	}
}
