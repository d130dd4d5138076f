package api

import "github.com/portico-dev/portico/internal/app"

func getSSO(c *call) (*app.SSOSettings, error) {
	return c.app().GetSSO(c.ctx(), c.ac)
}

type putSSORequest struct {
	Enabled bool `json:"enabled"`
	// IdPMetadataURL, when set, is fetched; otherwise IdPMetadataXML is used.
	IdPMetadataURL string `json:"idp_metadata_url,omitempty"`
	IdPMetadataXML string `json:"idp_metadata_xml,omitempty"`
	EmailAttribute string `json:"email_attribute,omitempty"`
	Enforce        bool   `json:"enforce,omitempty"`
	CreateUsers    bool   `json:"create_users,omitempty"`
}

func putSSO(c *call, in *putSSORequest) (*app.SSOSettings, error) {
	return c.app().PutSSO(c.ctx(), c.ac, app.SSOInput{Enabled: in.Enabled, IdPMetadataURL: in.IdPMetadataURL,
		IdPMetadataXML: in.IdPMetadataXML, EmailAttribute: in.EmailAttribute, Enforce: in.Enforce, CreateUsers: in.CreateUsers})
}
