-- Account hardening: one row per account that changed any of its policies. policy is a JSON document
-- (IP allow list, password policy, legal document versions) that the database never queries inside;
-- the logo is kept apart from it so that reading the policy on every request stays small.
CREATE TABLE account_policies (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
    policy     TEXT NOT NULL,
    logo       BLOB,
    logo_type  TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);

-- Which version of the terms of service and the privacy policy each user accepted, and when.
CREATE TABLE legal_acceptances (
    account_id  TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    document    TEXT NOT NULL,
    version     TEXT NOT NULL,
    accepted_at TEXT NOT NULL,
    source_ip   TEXT NOT NULL,
    PRIMARY KEY (user_id, document, version),
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
