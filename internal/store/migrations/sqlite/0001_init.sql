-- Portico schema, SQLite. Kept in step with migrations/postgres/0001_init.sql: same tables, columns
-- and constraint names; only the column types differ. Times are fixed-width UTC text
-- (2006-01-02T15:04:05.000000Z) so that text order is time order; booleans are 0/1.
--
-- Conventions:
-- * Ids are opaque text made by the application. Every child table carries account_id and refers to its
--   parent by (account_id, id), so a row can never point into another account.
-- * Lists and maps the database never looks inside (settings, permissions, conditions…) are JSON text.
-- * Devices in the Unassigned folder have group_id NULL: Unassigned is not a row.

CREATE TABLE accounts (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    settings   TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE users (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    email           TEXT NOT NULL,
    name            TEXT NOT NULL,
    owner           BOOLEAN NOT NULL,
    state           TEXT NOT NULL,
    status          TEXT NOT NULL,
    disabled_reason TEXT NOT NULL,
    language        TEXT NOT NULL,
    theme           TEXT NOT NULL,
    password_hash   TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    activated_at    TEXT,
    CONSTRAINT users_account_id_key UNIQUE (account_id, id)
);
-- Sign-in is by email alone, so an email is unique across the whole server.
CREATE UNIQUE INDEX users_email ON users (email);
-- Exactly one owner per account (at most one here; the account is created with it).
CREATE UNIQUE INDEX users_one_owner ON users (account_id) WHERE owner;

CREATE TABLE invitations (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX invitations_user ON invitations (user_id);

CREATE TABLE web_sessions (
    hash         TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    source_ip    TEXT NOT NULL,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX web_sessions_user ON web_sessions (user_id);

CREATE TABLE user_groups (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CONSTRAINT user_groups_account_id_key UNIQUE (account_id, id)
);
CREATE UNIQUE INDEX user_groups_name ON user_groups (account_id, name);

CREATE TABLE user_group_members (
    account_id TEXT NOT NULL,
    group_id   TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    PRIMARY KEY (group_id, user_id),
    FOREIGN KEY (account_id, group_id) REFERENCES user_groups (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX user_group_members_user ON user_group_members (user_id);
CREATE INDEX user_group_members_account ON user_group_members (account_id);

CREATE TABLE roles (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    purpose     TEXT NOT NULL,
    permissions TEXT NOT NULL,
    system      BOOLEAN NOT NULL,
    system_key  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CONSTRAINT roles_account_id_key UNIQUE (account_id, id)
);
CREATE UNIQUE INDEX roles_name ON roles (account_id, name);

-- Principals and scopes point at different tables by type, so they cannot be foreign keys: deleting a
-- user, user group, device group or device deletes its assignments explicitly, in the same transaction.
CREATE TABLE assignments (
    id             TEXT PRIMARY KEY,
    account_id     TEXT NOT NULL REFERENCES accounts (id),
    principal_type TEXT NOT NULL,
    principal_id   TEXT NOT NULL,
    role_id        TEXT NOT NULL,
    scope_type     TEXT NOT NULL,
    scope_id       TEXT NOT NULL,
    expires_at     TEXT,
    created_at     TEXT NOT NULL,
    FOREIGN KEY (account_id, role_id) REFERENCES roles (account_id, id) ON DELETE CASCADE
);
CREATE INDEX assignments_account ON assignments (account_id);
CREATE INDEX assignments_role ON assignments (role_id);
CREATE INDEX assignments_principal ON assignments (principal_id);
CREATE INDEX assignments_scope ON assignments (scope_id);

CREATE TABLE device_groups (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    parent_id   TEXT,
    name        TEXT NOT NULL,
    colour      TEXT NOT NULL,
    description TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    CONSTRAINT device_groups_account_id_key UNIQUE (account_id, id),
    FOREIGN KEY (account_id, parent_id) REFERENCES device_groups (account_id, id)
);
-- Sibling names are unique; top-level groups (parent NULL) are siblings of each other.
CREATE UNIQUE INDEX device_groups_name ON device_groups (account_id, (COALESCE(parent_id, '')), name);
CREATE INDEX device_groups_parent ON device_groups (parent_id);

CREATE TABLE devices (
    id                 TEXT PRIMARY KEY,
    account_id         TEXT NOT NULL REFERENCES accounts (id),
    group_id           TEXT,
    name               TEXT NOT NULL,
    hostname           TEXT NOT NULL,
    ip_addresses       TEXT NOT NULL,
    logged_in_user     TEXT NOT NULL,
    os_name            TEXT NOT NULL,
    os_version         TEXT NOT NULL,
    device_type        TEXT NOT NULL,
    manufacturer       TEXT NOT NULL,
    asset_id           TEXT NOT NULL,
    agent_version      TEXT NOT NULL,
    directory_groups   TEXT NOT NULL,
    status             TEXT NOT NULL,
    last_seen          TEXT,
    created_at         TEXT NOT NULL,
    left_unassigned_at TEXT,
    rule_applied       BOOLEAN NOT NULL,
    credential_hash    TEXT NOT NULL,
    CONSTRAINT devices_account_id_key UNIQUE (account_id, id),
    FOREIGN KEY (account_id, group_id) REFERENCES device_groups (account_id, id)
);
CREATE INDEX devices_account_name ON devices (account_id, name, id);
CREATE INDEX devices_group ON devices (group_id);

CREATE TABLE favourites (
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    PRIMARY KEY (user_id, device_id),
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE,
    FOREIGN KEY (account_id, device_id) REFERENCES devices (account_id, id) ON DELETE CASCADE
);
CREATE INDEX favourites_device ON favourites (device_id);

-- seq orders entries made in the same microsecond.
CREATE TABLE device_history (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    device_id  TEXT NOT NULL,
    at         TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    FOREIGN KEY (account_id, device_id) REFERENCES devices (account_id, id) ON DELETE CASCADE
);
CREATE INDEX device_history_device ON device_history (device_id, at);

CREATE TABLE assignment_rules (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    name            TEXT NOT NULL,
    description     TEXT NOT NULL,
    enabled         BOOLEAN NOT NULL,
    match_type      TEXT NOT NULL,
    target_group_id TEXT NOT NULL,
    conditions      TEXT NOT NULL,
    position        INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    FOREIGN KEY (account_id, target_group_id) REFERENCES device_groups (account_id, id)
);
CREATE INDEX assignment_rules_account ON assignment_rules (account_id, position);

CREATE TABLE enrollment_tokens (
    id         TEXT PRIMARY KEY,
    account_id TEXT NOT NULL REFERENCES accounts (id),
    group_id   TEXT,
    hash       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    revoked_at TEXT,
    FOREIGN KEY (account_id, group_id) REFERENCES device_groups (account_id, id)
);
CREATE INDEX enrollment_tokens_account ON enrollment_tokens (account_id);

CREATE TABLE api_keys (
    id           TEXT PRIMARY KEY,
    account_id   TEXT NOT NULL,
    user_id      TEXT NOT NULL,
    name         TEXT NOT NULL,
    permissions  TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
CREATE INDEX api_keys_account ON api_keys (account_id);

-- The audit log. Rows are only ever inserted. audit_heads keeps each account's last seq and hash: it
-- serialises appends per account, and lets verification notice that the newest entries were removed.
CREATE TABLE audit_events (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    seq         BIGINT NOT NULL,
    at          TEXT NOT NULL,
    actor_type  TEXT NOT NULL,
    actor_id    TEXT NOT NULL,
    actor_name  TEXT NOT NULL,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT NOT NULL,
    source_ip   TEXT NOT NULL,
    outcome     TEXT NOT NULL,
    detail      TEXT NOT NULL,
    prev_hash   TEXT NOT NULL,
    hash        TEXT NOT NULL,
    CONSTRAINT audit_events_seq_key UNIQUE (account_id, seq)
);
CREATE INDEX audit_events_at ON audit_events (account_id, at);

CREATE TABLE audit_heads (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    seq        BIGINT NOT NULL,
    hash       TEXT NOT NULL
);
