-- Two-factor authentication (TOTP, RFC 6238): one row per user who started enrolment. The secret is
-- stored encrypted with the server's key (AES-256-GCM, see internal/app/totp_key.go), never in clear
-- text; last_step is the last accepted time step, so that a code cannot be used twice.

CREATE TABLE user_two_factor (
    account_id    TEXT NOT NULL,
    user_id       TEXT NOT NULL PRIMARY KEY,
    secret_sealed TEXT NOT NULL,
    enabled       BOOLEAN NOT NULL,
    last_step     BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    enabled_at    TEXT,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);

-- Single-use recovery codes, stored as SHA-256 hashes (the codes are random, 50 bits and more).
CREATE TABLE two_factor_recovery_codes (
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    hash       TEXT NOT NULL,
    used_at    TEXT,
    PRIMARY KEY (user_id, hash),
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);

-- Pending sign-ins: a password was checked and a code is still due. The portal keeps only the random
-- token (its hash is the key here) between the two steps; the record expires after five minutes and
-- is deleted on success.
CREATE TABLE sign_in_challenges (
    hash       TEXT PRIMARY KEY,
    account_id TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    failures   INTEGER NOT NULL,
    FOREIGN KEY (account_id, user_id) REFERENCES users (account_id, id) ON DELETE CASCADE
);
