package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SSOConfig is an account's SAML single sign-on configuration.
type SSOConfig struct {
	AccountID string
	Enabled   bool
	// IdPMetadataURL is where the IdP's metadata was fetched from ("" when it was pasted).
	IdPMetadataURL string
	// IdPMetadataXML is the IdP's metadata as last fetched or pasted.
	IdPMetadataXML string
	IdPEntityID    string
	// EmailAttribute names the assertion attribute carrying the email ("" = NameID when it is an
	// email address, else "email" or "mail").
	EmailAttribute string
	// Enforce refuses password sign-in to everyone but the owner.
	Enforce bool
	// CreateUsers creates a technician for an unknown email of the IdP, within the seat limit.
	CreateUsers bool
	// SPKeySealed is the service provider's private key (PEM), sealed by the application.
	SPKeySealed string
	// SPCertPEM is the service provider's self-signed certificate.
	SPCertPEM string
	UpdatedAt time.Time
}

const ssoCols = `account_id, enabled, idp_metadata_url, idp_metadata_xml, idp_entity_id, email_attribute,
	enforce, create_users, sp_key_sealed, sp_cert_pem, updated_at`

// GetSSOConfig returns an account's SSO configuration, or NotFound when it has none.
func (q *querier) GetSSOConfig(ctx context.Context, accountID string) (*SSOConfig, error) {
	var c SSOConfig
	err := q.queryRow(ctx, `SELECT `+ssoCols+` FROM account_sso WHERE account_id = $1`, accountID).Scan(
		&c.AccountID, &c.Enabled, &c.IdPMetadataURL, &c.IdPMetadataXML, &c.IdPEntityID, &c.EmailAttribute,
		&c.Enforce, &c.CreateUsers, &c.SPKeySealed, &c.SPCertPEM, timeCol{&c.UpdatedAt})
	if errors.Is(err, sql.ErrNoRows) {
		return nil, notFound("SSO configuration")
	}
	if err != nil {
		return nil, fmt.Errorf("get SSO configuration: %w", err)
	}
	return &c, nil
}

// PutSSOConfig creates or replaces an account's SSO configuration.
func (q *querier) PutSSOConfig(ctx context.Context, c *SSOConfig) error {
	c.UpdatedAt = normTime(c.UpdatedAt)
	_, err := q.exec(ctx, `INSERT INTO account_sso (`+ssoCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
		ON CONFLICT (account_id) DO UPDATE SET enabled = excluded.enabled, idp_metadata_url = excluded.idp_metadata_url,
		idp_metadata_xml = excluded.idp_metadata_xml, idp_entity_id = excluded.idp_entity_id,
		email_attribute = excluded.email_attribute, enforce = excluded.enforce, create_users = excluded.create_users,
		sp_key_sealed = excluded.sp_key_sealed, sp_cert_pem = excluded.sp_cert_pem, updated_at = excluded.updated_at`,
		c.AccountID, c.Enabled, c.IdPMetadataURL, c.IdPMetadataXML, c.IdPEntityID, c.EmailAttribute,
		c.Enforce, c.CreateUsers, c.SPKeySealed, c.SPCertPEM, c.UpdatedAt)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("put SSO configuration: %w", notFound("account"))
	}
	return wrap("put SSO configuration", err)
}

// CreateSSORequest records an authentication request sent to the account's IdP, and drops the
// expired ones of every account.
func (q *querier) CreateSSORequest(ctx context.Context, accountID, id string, expiresAt, now time.Time) error {
	if _, err := q.exec(ctx, `DELETE FROM sso_requests WHERE expires_at < $1`, normTime(now)); err != nil {
		return wrap("prune SSO requests", err)
	}
	_, err := q.exec(ctx, `INSERT INTO sso_requests (id, account_id, expires_at) VALUES ($1, $2, $3)`,
		id, accountID, normTime(expiresAt))
	return wrap("create SSO request", err)
}

// SSORequestPending reports whether id is an unexpired, unanswered request of the account.
func (q *querier) SSORequestPending(ctx context.Context, accountID, id string, now time.Time) (bool, error) {
	var n int
	err := q.queryRowW(ctx, `SELECT COUNT(*) FROM sso_requests WHERE account_id = $1 AND id = $2 AND expires_at >= $3`,
		accountID, id, normTime(now)).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("check SSO request: %w", err)
	}
	return n > 0, nil
}

// ConsumeSSORequest deletes a pending request and reports whether it was still there: of two
// responses to one request, only one consumes it.
func (q *querier) ConsumeSSORequest(ctx context.Context, accountID, id string, now time.Time) (bool, error) {
	res, err := q.exec(ctx, `DELETE FROM sso_requests WHERE account_id = $1 AND id = $2 AND expires_at >= $3`,
		accountID, id, normTime(now))
	if err != nil {
		return false, wrap("consume SSO request", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("consume SSO request: %w", err)
	}
	return n == 1, nil
}

// RememberSSOAssertion records an accepted assertion id until expiresAt and reports false when it was
// already recorded (a replay). Expired records are dropped first.
func (q *querier) RememberSSOAssertion(ctx context.Context, accountID, id string, expiresAt, now time.Time) (bool, error) {
	if _, err := q.exec(ctx, `DELETE FROM sso_assertions WHERE expires_at < $1`, normTime(now)); err != nil {
		return false, wrap("prune SSO assertions", err)
	}
	res, err := q.exec(ctx, `INSERT INTO sso_assertions (id, account_id, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, id) DO NOTHING`, id, accountID, normTime(expiresAt))
	if err != nil {
		return false, wrap("remember SSO assertion", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("remember SSO assertion: %w", err)
	}
	return n == 1, nil
}
