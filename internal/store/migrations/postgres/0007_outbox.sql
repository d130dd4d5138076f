-- The mail outbox: a message is stored in the same transaction as the change that causes it (an
-- invitation, a security notice), then delivered by the server with retries, so nothing acknowledged
-- is lost to a slow or absent SMTP server. Once sent or abandoned its bodies are blanked, since an
-- invitation's body carries the only clear copy of its link.

CREATE TABLE mail_outbox (
    id              TEXT PRIMARY KEY,
    account_id      TEXT NOT NULL,
    ref             TEXT NOT NULL DEFAULT '',
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    subject         TEXT NOT NULL,
    body_text       TEXT NOT NULL,
    body_html       TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ,
    sent_at         TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT '',
    FOREIGN KEY (account_id) REFERENCES accounts (id) ON DELETE CASCADE
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at);
CREATE INDEX mail_outbox_ref ON mail_outbox (account_id, ref);
