package portal

// deviceRoutes are the pages of the Managed section: device groups, devices, favourites, In session.
func (p *Portal) deviceRoutes() []route {
	return []route{
		{pattern: "GET /groups/new", handle: (*request).devicesNewGroupPage},
		{pattern: "POST /groups/new", handle: (*request).devicesCreateGroup},
		{pattern: "GET /groups/{id}", handle: (*request).devicesGroupPage},
		{pattern: "GET /groups/{id}/new", handle: (*request).devicesNewGroupPage},
		{pattern: "POST /groups/{id}/new", handle: (*request).devicesCreateGroup},
		{pattern: "GET /groups/{id}/edit", handle: (*request).devicesEditGroupPage},
		{pattern: "POST /groups/{id}/edit", handle: (*request).devicesEditGroup},
		{pattern: "GET /groups/{id}/move", handle: (*request).devicesMoveGroupPage},
		{pattern: "POST /groups/{id}/move", handle: (*request).devicesMoveGroup},
		{pattern: "GET /groups/{id}/delete", handle: (*request).devicesDeleteGroupPage},
		{pattern: "POST /groups/{id}/delete", handle: (*request).devicesDeleteGroup},
		{pattern: "POST /groups/{id}/settings", handle: (*request).devicesSaveSettings},
		{pattern: "POST /groups/{id}/assignments", handle: (*request).devicesAddAssignment},
		{pattern: "POST /groups/{id}/assignments/{aid}/delete", handle: (*request).devicesRemoveAssignment},
		{pattern: "GET /favourites", handle: (*request).devicesFavouritesPage},
		{pattern: "GET /in-session", handle: (*request).devicesInSessionPage},
		{pattern: "GET /devices/confirm", handle: (*request).devicesConfirmPage},
		{pattern: "POST /devices/move", handle: (*request).devicesMove},
		{pattern: "POST /devices/delete", handle: (*request).devicesDelete},
		{pattern: "POST /devices/columns", handle: (*request).devicesSaveColumns},
		{pattern: "GET /devices/{id}", handle: (*request).devicesDevicePage},
		{pattern: "GET /devices/{id}/edit", handle: (*request).devicesEditPage},
		{pattern: "POST /devices/{id}/edit", handle: (*request).devicesEdit},
		{pattern: "POST /devices/{id}/favourite", handle: (*request).devicesToggleFavourite},
	}
}
