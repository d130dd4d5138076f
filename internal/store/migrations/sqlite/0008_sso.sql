-- SAML single sign-on: one configuration per account. The service provider's private key is sealed
-- by the application with the server's key (like TOTP secrets), never stored in clear text.
CREATE TABLE account_sso (
    account_id       TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    enabled          BOOLEAN NOT NULL,
    idp_metadata_url TEXT NOT NULL,
    idp_metadata_xml TEXT NOT NULL,
    idp_entity_id    TEXT NOT NULL,
    email_attribute  TEXT NOT NULL,
    enforce          BOOLEAN NOT NULL,
    create_users     BOOLEAN NOT NULL,
    sp_key_sealed    TEXT NOT NULL,
    sp_cert_pem      TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);

-- Authentication requests sent to the IdP and not yet answered: a response must answer one of them
-- (InResponseTo), once, before it expires.
CREATE TABLE sso_requests (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
);
CREATE INDEX sso_requests_expiry ON sso_requests (expires_at);

-- Assertions already accepted, remembered until they expire, so that none is accepted twice.
CREATE TABLE sso_assertions (
    id         TEXT NOT NULL,
    account_id TEXT NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL,
    PRIMARY KEY (account_id, id)
);
CREATE INDEX sso_assertions_expiry ON sso_assertions (expires_at);
