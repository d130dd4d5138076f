-- On-demand (quick support) sessions: a technician's single-use code for a person whose computer is
-- not managed, the support agent that redeemed it, and how it ended.
--
-- code is kept to show it to technicians; code_hash is what a redemption looks up (a unique index over
-- the codes still redeemable, so two waiting sessions never share one) and is cleared when the code is
-- redeemed or the session ends: a code works once. credential_hash is the support agent's credential
-- from its redemption on. conn_node / conn_id name the node and connection holding the support agent,
-- as devices' do.
CREATE TABLE on_demand_sessions (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL REFERENCES accounts (id),
    user_id         TEXT NOT NULL,
    user_name       TEXT NOT NULL,
    code            TEXT NOT NULL,
    code_hash       TEXT,
    customer_name   TEXT NOT NULL,
    note            TEXT NOT NULL,
    email           TEXT NOT NULL,
    language        TEXT NOT NULL,
    state           TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    redeemed_at     TEXT,
    ended_at        TEXT,
    ended_by        TEXT NOT NULL,
    end_reason      TEXT NOT NULL,
    credential_hash TEXT NOT NULL,
    computer_name   TEXT NOT NULL,
    os_name         TEXT NOT NULL,
    os_version      TEXT NOT NULL,
    logged_in_user  TEXT NOT NULL,
    source_ip       TEXT NOT NULL,
    device_id       TEXT NOT NULL,
    conn_node       TEXT,
    conn_id         TEXT,
    conn_at         TEXT,
    last_seen_at    TEXT
);
CREATE UNIQUE INDEX on_demand_sessions_code ON on_demand_sessions (code_hash) WHERE code_hash IS NOT NULL;
CREATE INDEX on_demand_sessions_account ON on_demand_sessions (account_id, created_at);
CREATE INDEX on_demand_sessions_live ON on_demand_sessions (state, expires_at) WHERE state <> 'ended' AND state <> 'expired';
CREATE INDEX on_demand_sessions_conn_node ON on_demand_sessions (conn_node);

-- What happened in an on-demand session, as a device's history: connections, remote sessions, the
-- computer it became after an install request.
CREATE TABLE on_demand_history (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    id         TEXT NOT NULL UNIQUE,
    account_id TEXT NOT NULL,
    session_id TEXT NOT NULL REFERENCES on_demand_sessions (id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    actor_id   TEXT NOT NULL,
    actor_name TEXT NOT NULL,
    action     TEXT NOT NULL,
    detail     TEXT NOT NULL
);
CREATE INDEX on_demand_history_session ON on_demand_history (session_id, at);

-- The account's on-demand settings (JSON; empty until changed, meaning the defaults).
ALTER TABLE accounts ADD COLUMN on_demand_settings TEXT NOT NULL DEFAULT '';

-- Whether a remote session ran on an on-demand session (device_id then names it) rather than a device.
ALTER TABLE remote_sessions ADD COLUMN on_demand BOOLEAN NOT NULL DEFAULT FALSE;
