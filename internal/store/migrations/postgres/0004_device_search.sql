-- Device search as the user types: trigram indexes (pg_trgm) on the lower-cased fields a device search
-- matches, so that LOWER(col) LIKE '%text%' reads the index instead of scanning every device. The
-- planner combines the four with a bitmap OR, and still prefers the name-ordered index when a broad
-- term would match most devices. pg_trgm ships with PostgreSQL (contrib) and is a trusted extension.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX devices_search_name ON devices USING gin (LOWER(name) gin_trgm_ops);
CREATE INDEX devices_search_hostname ON devices USING gin (LOWER(hostname) gin_trgm_ops);
CREATE INDEX devices_search_ip_addresses ON devices USING gin (LOWER(ip_addresses) gin_trgm_ops);
CREATE INDEX devices_search_logged_in_user ON devices USING gin (LOWER(logged_in_user) gin_trgm_ops);
