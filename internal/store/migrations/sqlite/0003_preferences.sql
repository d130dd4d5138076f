-- Per-user preferences of the portal (the columns a device table shows, in which order…): small JSON
-- values under a key, private to their user and gone with them.

CREATE TABLE user_preferences (
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (user_id, key),
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
