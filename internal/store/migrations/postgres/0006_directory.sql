-- Directory import (LDAP / Active Directory): one configuration per account, the link between each
-- imported user or user group and its directory entry (by DN), and the import jobs with their progress.

CREATE TABLE directory_configs (
    account_id    TEXT PRIMARY KEY REFERENCES accounts (id),
    config        TEXT NOT NULL,
    bind_password TEXT NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- dn_key is the DN in canonical form (lower case, no spaces around separators), for matching.
CREATE TABLE directory_users (
    user_id    TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    dn         TEXT NOT NULL,
    dn_key     TEXT NOT NULL,
    synced_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX directory_users_dn ON directory_users (account_id, dn_key);

CREATE TABLE directory_groups (
    group_id   TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    dn         TEXT NOT NULL,
    dn_key     TEXT NOT NULL,
    synced_at  TIMESTAMPTZ NOT NULL,
    FOREIGN KEY (account_id, group_id) REFERENCES user_groups (account_id, id) ON DELETE CASCADE
);
CREATE UNIQUE INDEX directory_groups_dn ON directory_groups (account_id, dn_key);

CREATE TABLE directory_jobs (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    started_by  TEXT NOT NULL,
    state       TEXT NOT NULL,
    phase       TEXT NOT NULL,
    processed   INTEGER NOT NULL,
    total       INTEGER NOT NULL,
    result      TEXT NOT NULL,
    error       TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ
);
CREATE INDEX directory_jobs_account ON directory_jobs (account_id, created_at);
