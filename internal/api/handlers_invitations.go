package api

import (
	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

func getInvitation(c *call) (*portico.Invitation, error) {
	return c.app().GetInvitation(c.ctx(), c.ac, c.id())
}

func resendInvitation(c *call) (*app.CreatedUser, error) {
	return c.app().ResendInvitation(c.ctx(), c.ac, c.id())
}

func revokeInvitation(c *call) (noContent, error) {
	return noContent{}, c.app().RevokeInvitation(c.ctx(), c.ac, c.id())
}
