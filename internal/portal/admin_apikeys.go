package portal

import (
	"net/http"
	"strings"

	"github.com/portico-dev/portico"
)

// adminAPIKeysPage lists the account's API keys and offers to create one.
type adminAPIKeysPage struct {
	adminForm
	Keys []portico.APIKey
	// Held are the permissions the user holds at account level: a key may be narrowed to some of them.
	Held []portico.PermissionInfo
	// Name and Chosen are the create form's values after a refusal.
	Name   string
	Chosen map[string]bool
	// Created is the key just made, with its secret, shown this once.
	Created *portico.APIKey
	Secret  string
}

// apiKeysPage shows the API keys (api_keys.view).
func (q *request) apiKeysPage() error {
	return q.renderAPIKeys(http.StatusOK, &adminAPIKeysPage{adminForm: adminForm{Errors: map[string]string{}}, Chosen: map[string]bool{}})
}

func (q *request) renderAPIKeys(status int, pg *adminAPIKeysPage) error {
	keys, err := q.p.app.ListAPIKeys(q.ctx, q.actor)
	if err != nil {
		return err
	}
	pg.Keys = keys
	for _, info := range portico.Catalogue() {
		if q.perms.Has(info.ID) {
			pg.Held = append(pg.Held, info)
		}
	}
	q.active = "api-keys"
	q.crumb(q.p.locales.text(q.lang, "menu.api_keys"), "")
	return q.render(status, "admin/api-keys", pg)
}

// createAPIKey makes a key acting as the user, narrowed to the ticked permissions (none ticked: the
// user's rights of this moment). The secret is shown once.
func (q *request) createAPIKey() error {
	if err := q.r.ParseForm(); err != nil {
		return err
	}
	pg := &adminAPIKeysPage{adminForm: adminForm{Errors: map[string]string{}}, Chosen: map[string]bool{},
		Name: strings.TrimSpace(q.r.PostFormValue("name"))}
	var perms []portico.Permission
	for _, p := range q.r.PostForm["permissions"] {
		pg.Chosen[p] = true
		perms = append(perms, portico.Permission(p))
	}
	key, secret, err := q.p.app.CreateAPIKey(q.ctx, q.actor, pg.Name, perms)
	if err != nil {
		form, err := adminFormError(err)
		if err != nil {
			return err
		}
		pg.adminForm = form
		return q.renderAPIKeys(http.StatusUnprocessableEntity, pg)
	}
	pg.Created, pg.Secret, pg.Name, pg.Chosen = key, secret, "", map[string]bool{}
	return q.renderAPIKeys(http.StatusCreated, pg)
}

// revokeAPIKey revokes a key (api_keys.manage); it fails from its next use.
func (q *request) revokeAPIKey() error {
	if err := q.p.app.RevokeAPIKey(q.ctx, q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	return q.redirect("/api-keys")
}
