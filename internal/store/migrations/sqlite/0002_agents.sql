-- Live agents: the latest inventory each device reported, and remote sessions.

CREATE TABLE device_inventory (
    device_id  TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    inventory  TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    FOREIGN KEY (account_id, device_id) REFERENCES devices (account_id, id) ON DELETE CASCADE
);

-- A session row outlives its device and technician: it is part of the record of what happened.
CREATE TABLE remote_sessions (
    id          TEXT PRIMARY KEY,
    account_id  TEXT NOT NULL REFERENCES accounts (id),
    device_id   TEXT NOT NULL,
    device_name TEXT NOT NULL,
    user_id     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    actions     TEXT NOT NULL,
    state       TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    ended_at    TEXT,
    ended_by    TEXT NOT NULL,
    end_reason  TEXT NOT NULL
);
CREATE INDEX remote_sessions_account ON remote_sessions (account_id, state, started_at);
CREATE INDEX remote_sessions_device ON remote_sessions (device_id);
