package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/portico-dev/portico"
)

// AccountPolicy is an account's hardening policy: who may reach it from where, what its passwords
// must look like and which legal documents its users must accept. The zero value is the policy of an
// account that set none.
type AccountPolicy struct {
	// IPAllowlist, when not empty, limits the addresses people may use the account from.
	IPAllowlist []portico.IPAllowEntry `json:"ip_allowlist"`
	// PasswordRequireMix requires both letters and digits in new passwords.
	PasswordRequireMix bool `json:"password_require_mix"`
	// Terms and Privacy are the current terms of service and privacy policy; an empty version means
	// the account asks for no acceptance of that document.
	Terms   portico.LegalDocument `json:"terms"`
	Privacy portico.LegalDocument `json:"privacy"`
}

// LegalAcceptance records that a user accepted one version of a legal document.
type LegalAcceptance struct {
	AccountID  string
	UserID     string
	Document   string
	Version    string
	AcceptedAt time.Time
	SourceIP   string
}

// GetAccountPolicy returns the account's policy; an account that never set one has the zero policy.
func (q *querier) GetAccountPolicy(ctx context.Context, accountID string) (*AccountPolicy, error) {
	var p AccountPolicy
	err := q.queryRow(ctx, `SELECT policy FROM account_policies WHERE account_id = $1`, accountID).Scan(jsonCol{&p})
	if errors.Is(err, sql.ErrNoRows) {
		return &AccountPolicy{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("get account policy: %w", err)
	}
	return &p, nil
}

// PutAccountPolicy replaces the account's policy, keeping its logo.
func (q *querier) PutAccountPolicy(ctx context.Context, accountID string, p *AccountPolicy, at time.Time) error {
	doc, err := toJSON(p)
	if err != nil {
		return fmt.Errorf("put account policy: %w", err)
	}
	_, err = q.exec(ctx, `INSERT INTO account_policies (account_id, policy, updated_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id) DO UPDATE SET policy = excluded.policy, updated_at = excluded.updated_at`,
		accountID, doc, normTime(at))
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("put account policy: %w", notFound("account"))
	}
	return wrap("put account policy", err)
}

// GetLogo returns the account's logo and its media type, or NotFound when it has none.
func (q *querier) GetLogo(ctx context.Context, accountID string) ([]byte, string, error) {
	var logo []byte
	var typ string
	err := q.queryRow(ctx, `SELECT logo, logo_type FROM account_policies WHERE account_id = $1`, accountID).Scan(&logo, &typ)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && len(logo) == 0) {
		return nil, "", notFound("logo")
	}
	if err != nil {
		return nil, "", fmt.Errorf("get logo: %w", err)
	}
	return logo, typ, nil
}

// HasLogo reports whether the account has a logo, without reading it.
func (q *querier) HasLogo(ctx context.Context, accountID string) (bool, error) {
	var n int
	err := q.queryRow(ctx, `SELECT COUNT(*) FROM account_policies
		WHERE account_id = $1 AND logo IS NOT NULL AND LENGTH(logo) > 0`, accountID).Scan(&n)
	if err != nil {
		return false, fmt.Errorf("has logo: %w", err)
	}
	return n > 0, nil
}

// PutLogo replaces the account's logo; an empty logo removes it.
func (q *querier) PutLogo(ctx context.Context, accountID string, logo []byte, mediaType string, at time.Time) error {
	var v any
	if len(logo) > 0 {
		v = logo
	}
	_, err := q.exec(ctx, `INSERT INTO account_policies (account_id, policy, logo, logo_type, updated_at) VALUES ($1, '{}', $2, $3, $4)
		ON CONFLICT (account_id) DO UPDATE SET logo = excluded.logo, logo_type = excluded.logo_type, updated_at = excluded.updated_at`,
		accountID, v, mediaType, normTime(at))
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("put logo: %w", notFound("account"))
	}
	return wrap("put logo", err)
}

// RecordLegalAcceptance records a user's acceptance; accepting the same version again keeps the first
// record.
func (q *querier) RecordLegalAcceptance(ctx context.Context, a *LegalAcceptance) error {
	_, err := q.exec(ctx, `INSERT INTO legal_acceptances (account_id, user_id, document, version, accepted_at, source_ip)
		VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (user_id, document, version) DO NOTHING`,
		a.AccountID, a.UserID, a.Document, a.Version, normTime(a.AcceptedAt), a.SourceIP)
	if kind, _ := constraintViolation(err); kind == "foreign_key" {
		return fmt.Errorf("record legal acceptance: %w", notFound("user"))
	}
	return wrap("record legal acceptance", err)
}

// ListLegalAcceptances returns a user's acceptances, oldest first.
func (q *querier) ListLegalAcceptances(ctx context.Context, accountID, userID string) ([]LegalAcceptance, error) {
	rows, err := q.query(ctx, `SELECT account_id, user_id, document, version, accepted_at, source_ip FROM legal_acceptances
		WHERE account_id = $1 AND user_id = $2 ORDER BY accepted_at, document, version`, accountID, userID)
	if err != nil {
		return nil, fmt.Errorf("list legal acceptances: %w", err)
	}
	defer rows.Close()
	var out []LegalAcceptance
	for rows.Next() {
		var a LegalAcceptance
		if err := rows.Scan(&a.AccountID, &a.UserID, &a.Document, &a.Version, timeCol{&a.AcceptedAt}, &a.SourceIP); err != nil {
			return nil, fmt.Errorf("list legal acceptances: %w", err)
		}
		out = append(out, a)
	}
	return out, wrap("list legal acceptances", rows.Err())
}
