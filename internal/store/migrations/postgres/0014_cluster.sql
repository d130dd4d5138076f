-- Cluster: nodes share one database and keep their copies of each account's access snapshot current
-- by its revision. Every committed change that touches access advances the account's revision in the
-- same transaction (the row is also the lock that serialises an account's check-then-write changes
-- across nodes), and records what changed, so that other nodes apply the same edits in order.
CREATE TABLE account_revisions (
    account_id TEXT PRIMARY KEY REFERENCES accounts (id),
    revision   BIGINT NOT NULL
);
INSERT INTO account_revisions (account_id, revision) SELECT id, 0 FROM accounts;

-- body is a JSON document of snapshot edits and signals (see internal/app/changelog.go). Old rows are
-- pruned; a node that falls further behind reloads the account.
CREATE TABLE access_changes (
    account_id TEXT NOT NULL REFERENCES accounts (id),
    revision   BIGINT NOT NULL,
    at         TIMESTAMPTZ NOT NULL,
    body       TEXT NOT NULL,
    PRIMARY KEY (account_id, revision)
);
CREATE INDEX access_changes_at ON access_changes (at);
-- Up to which revision an account's log was pruned.
CREATE TABLE access_change_marks (
    account_id     TEXT PRIMARY KEY REFERENCES accounts (id),
    pruned_through BIGINT NOT NULL
);

-- The server processes sharing this database. A node renews its lease (heartbeat_at) every few
-- seconds; one whose lease ran out is presumed dead, and the others release what it held.
CREATE TABLE nodes (
    id           TEXT PRIMARY KEY,
    url          TEXT NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    heartbeat_at TIMESTAMPTZ NOT NULL
);

-- Which node holds a device's agent connection, and which connection (the newest wins).
ALTER TABLE devices ADD COLUMN conn_node TEXT;
ALTER TABLE devices ADD COLUMN conn_id TEXT;
ALTER TABLE devices ADD COLUMN conn_at TIMESTAMPTZ;
CREATE INDEX devices_conn_node ON devices (conn_node);

-- The node that relays a session.
ALTER TABLE remote_sessions ADD COLUMN node_id TEXT NOT NULL DEFAULT '';
CREATE INDEX remote_sessions_live ON remote_sessions (node_id) WHERE state <> 'ended';

-- Nothing is connected while the schema changes: what earlier versions left marked live is not.
UPDATE devices SET status = 'unavailable' WHERE status <> 'unavailable';
UPDATE remote_sessions SET state = 'ended', ended_by = 'server', end_reason = 'the server was upgraded',
    ended_at = started_at WHERE state <> 'ended';
