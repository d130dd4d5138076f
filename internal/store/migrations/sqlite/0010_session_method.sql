-- How a portal session was opened: "password" (with the second factor when the user has one) or
-- "sso" (the identity provider vouched for the user, and is their second factor).
ALTER TABLE web_sessions ADD COLUMN method TEXT NOT NULL DEFAULT 'password';
