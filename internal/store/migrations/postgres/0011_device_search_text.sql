-- Device search compares case-folded text: full Unicode case folding and NFC, done by the store, the
-- same on either database (PostgreSQL's LOWER follows the database's locale). These columns hold the
-- folded name, hostname, IP addresses (one per line, not their JSON list) and logged-in user. The store
-- writes them with those fields on every write, and fills them for the devices that exist already
-- right after this file runs (fillDeviceSearch).

ALTER TABLE devices ADD COLUMN search_name TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN search_hostname TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN search_ips TEXT NOT NULL DEFAULT '';
ALTER TABLE devices ADD COLUMN search_user TEXT NOT NULL DEFAULT '';
