package api

import (
	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
)

func listOnDemandSessions(c *call) (*Page[app.OnDemandView], error) {
	live, err := c.queryBool("live")
	if err != nil {
		return nil, err
	}
	return paginate(c, func() ([]app.OnDemandView, error) { return c.app().ListOnDemandSessions(c.ctx(), c.ac, live) })
}

func createOnDemandSession(c *call, in *portico.OnDemandInput) (*app.OnDemandView, error) {
	return c.app().CreateOnDemandSession(c.ctx(), c.ac, *in)
}

func getOnDemandSession(c *call) (*app.OnDemandView, error) {
	return c.app().GetOnDemandSession(c.ctx(), c.ac, c.id())
}

func endOnDemandSession(c *call) (noContent, error) {
	return noContent{}, c.app().EndOnDemandSession(c.ctx(), c.ac, c.id())
}

func getOnDemandHistory(c *call) (*Page[portico.HistoryEntry], error) {
	limit, offset, err := c.pageParams()
	if err != nil {
		return nil, err
	}
	items, total, err := c.app().OnDemandHistory(c.ctx(), c.ac, c.id(), portico.HistoryFilter{Page: portico.Page{Limit: limit, Offset: offset}})
	if err != nil {
		return nil, err
	}
	if items == nil {
		items = []portico.HistoryEntry{}
	}
	return &Page[portico.HistoryEntry]{Items: items, Total: total, Limit: limit, Offset: offset}, nil
}

func getOnDemandSettings(c *call) (*portico.OnDemandSettings, error) {
	return c.app().GetOnDemandSettings(c.ctx(), c.ac)
}

func setOnDemandSettings(c *call, in *portico.OnDemandSettings) (*portico.OnDemandSettings, error) {
	return c.app().UpdateOnDemandSettings(c.ctx(), c.ac, *in)
}

// redeemRequest is what a support agent sends to redeem a code.
type redeemRequest struct {
	Code         string `json:"code" openapi:"required"`
	Hostname     string `json:"hostname" openapi:"required"`
	OSName       string `json:"os_name,omitempty"`
	OSVersion    string `json:"os_version,omitempty"`
	LoggedInUser string `json:"logged_in_user,omitempty"`
}

func redeemOnDemandCode(c *call, in *redeemRequest) (*app.Redemption, error) {
	c.ac.MarkDecided() // the code is the credential; the app checks it
	return c.app().RedeemOnDemandCode(c.ctx(), app.RedeemInput{Code: in.Code, Hostname: in.Hostname, OSName: in.OSName,
		OSVersion: in.OSVersion, LoggedInUser: in.LoggedInUser, SourceIP: c.ip})
}
