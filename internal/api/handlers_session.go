package api

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

type signInRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	// TOTP is the second factor, for accounts that require one.
	TOTP string `json:"totp,omitempty"`
}

func signOut(c *call) (noContent, error) {
	c.ac.MarkDecided() // ending one's own session needs no permission
	if ck, err := c.r.Cookie(SessionCookie); err == nil && ck.Value != "" {
		if err := c.app().SignOut(c.ctx(), ck.Value); err != nil && !portico.IsKind(err, portico.KindNotFound) {
			return noContent{}, err
		}
	}
	c.clearSessionCookie()
	return noContent{}, nil
}

type acceptInvitationRequest struct {
	Token    string `json:"token" openapi:"required"`
	Name     string `json:"name"`
	Password string `json:"password"`
}

func acceptInvitation(c *call, in *acceptInvitationRequest) (*portico.User, error) {
	c.ac.MarkDecided() // the invitation token is the credential
	if in.Token == "" {
		return nil, &portico.Error{Kind: portico.KindInvalid, Message: "invalid input",
			Fields: []portico.FieldError{{Field: "token", Message: "is required"}}}
	}
	u, err := c.app().AcceptInvitation(c.ctx(), in.Token, in.Name, in.Password, c.ip)
	if err != nil {
		return nil, err
	}
	secret, u, err := c.app().SignIn(c.ctx(), u.Email, in.Password, c.ip)
	if err != nil {
		return nil, err
	}
	c.setSessionCookie(secret)
	return u, nil
}

func getMe(c *call) (*app.Me, error) { return c.app().GetMe(c.ctx(), c.ac) }

func getAccount(c *call) (*portico.Account, error) { return c.app().GetAccount(c.ctx(), c.ac) }

// accountUpdateRequest renames the account and/or replaces all of its settings.
type accountUpdateRequest struct {
	Name     *string                  `json:"name,omitempty"`
	Settings *portico.AccountSettings `json:"settings,omitempty"`
}

func updateAccount(c *call, in *accountUpdateRequest) (*portico.Account, error) {
	return c.app().UpdateAccount(c.ctx(), c.ac, app.AccountUpdate{Name: in.Name, Settings: in.Settings})
}

// licencesResponse is the plan's usage.
type licencesResponse struct {
	ManagedUsed  int `json:"managed_used"`
	ManagedLimit int `json:"managed_limit"`
	SeatsUsed    int `json:"seats_used"`
	SeatsLimit   int `json:"seats_limit"`
}

func getLicences(c *call) (*licencesResponse, error) {
	l, err := c.app().GetLicences(c.ctx(), c.ac)
	if err != nil {
		return nil, err
	}
	return &licencesResponse{ManagedUsed: l.ManagedUsed, ManagedLimit: l.ManagedLimit,
		SeatsUsed: l.SeatsUsed, SeatsLimit: l.SeatsLimit}, nil
}

func listPermissions(c *call) (*Page[portico.PermissionInfo], error) {
	c.ac.MarkDecided() // the catalogue is fixed in code and public
	return paginate(c, func() ([]portico.PermissionInfo, error) { return portico.Catalogue(), nil })
}

func getOpenAPI(c *call) (json.RawMessage, error) {
	c.ac.MarkDecided()
	return c.s.openapi, nil
}

type healthResponse struct {
	Status string `json:"status"`
}

func health(c *call) (*healthResponse, error) {
	c.ac.MarkDecided()
	return &healthResponse{Status: "ok"}, nil
}

func ready(c *call) (*healthResponse, error) {
	c.ac.MarkDecided()
	ctx, cancel := context.WithTimeout(c.ctx(), 2*time.Second)
	defer cancel()
	if err := c.app().Ping(ctx); err != nil {
		c.s.log.Warn("readiness: database unreachable", "err", err)
		return nil, &portico.Error{Kind: portico.KindUnavailable, Message: "the database does not answer"}
	}
	return &healthResponse{Status: "ok"}, nil
}

func metricsHandler(c *call) (http.Handler, error) {
	c.ac.MarkDecided()
	return c.s.metrics.handler(), nil
}
