package api

import (
	"github.com/portico-dev/portico"
	"github.com/portico-dev/portico/internal/app"
	"github.com/portico-dev/portico/internal/directory"
)

func getDirectory(c *call) (*app.DirectorySettings, error) {
	return c.app().GetDirectoryConfig(c.ctx(), c.ac)
}

type putDirectoryRequest struct {
	Kind               directory.Kind `json:"kind,omitempty"`
	URL                string         `json:"url" openapi:"required"`
	StartTLS           bool           `json:"start_tls,omitempty"`
	InsecureSkipVerify bool           `json:"insecure_skip_verify,omitempty"`
	BindDN             string         `json:"bind_dn,omitempty"`
	// BindPassword, when absent, keeps the stored one; it is never returned.
	BindPassword  *string `json:"bind_password,omitempty"`
	BaseDN        string  `json:"base_dn" openapi:"required"`
	UserFilter    string  `json:"user_filter,omitempty"`
	GroupFilter   string  `json:"group_filter,omitempty"`
	LoginAttr     string  `json:"login_attr,omitempty"`
	EmailAttr     string  `json:"email_attr,omitempty"`
	NameAttr      string  `json:"name_attr,omitempty"`
	GroupNameAttr string  `json:"group_name_attr,omitempty"`
	MemberAttr    string  `json:"member_attr,omitempty"`
	PageSize      int     `json:"page_size,omitempty"`
}

func putDirectory(c *call, in *putDirectoryRequest) (*app.DirectorySettings, error) {
	return c.app().SetDirectoryConfig(c.ctx(), c.ac, app.DirectoryInput{BindPassword: in.BindPassword, Config: directory.Config{
		Kind: in.Kind, URL: in.URL, StartTLS: in.StartTLS, InsecureSkipVerify: in.InsecureSkipVerify, BindDN: in.BindDN,
		BaseDN: in.BaseDN, UserFilter: in.UserFilter, GroupFilter: in.GroupFilter, LoginAttr: in.LoginAttr,
		EmailAttr: in.EmailAttr, NameAttr: in.NameAttr, GroupNameAttr: in.GroupNameAttr, MemberAttr: in.MemberAttr,
		PageSize: in.PageSize}})
}

func previewDirectory(c *call) (*app.DirectoryPlan, error) {
	return c.app().PreviewDirectory(c.ctx(), c.ac)
}

func importDirectory(c *call) (*portico.DirectoryJob, error) {
	return c.app().StartDirectoryImport(c.ctx(), c.ac)
}

func getDirectoryJob(c *call) (*portico.DirectoryJob, error) {
	return c.app().GetDirectoryJob(c.ctx(), c.ac, c.id())
}
