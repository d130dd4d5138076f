-- Device search as the user types: a trigram full-text index over the fields a device search matches
-- (name, hostname, IP addresses, logged-in user), so that a substring query reads a few index pages
-- instead of scanning every device. The index holds no copy of the text (content='devices'): it is
-- keyed by the devices' rowid and kept in step by the triggers below. Nothing may VACUUM this
-- database without then running INSERT INTO devices_search (devices_search) VALUES ('rebuild'), as
-- VACUUM may renumber the rowids of a table without an INTEGER PRIMARY KEY.

CREATE VIRTUAL TABLE devices_search USING fts5 (
    name, hostname, ip_addresses, logged_in_user,
    content = 'devices', content_rowid = 'rowid', tokenize = 'trigram'
);

CREATE TRIGGER devices_search_insert AFTER INSERT ON devices BEGIN
    INSERT INTO devices_search (rowid, name, hostname, ip_addresses, logged_in_user)
    VALUES (new.rowid, new.name, new.hostname, new.ip_addresses, new.logged_in_user);
END;

CREATE TRIGGER devices_search_delete AFTER DELETE ON devices BEGIN
    INSERT INTO devices_search (devices_search, rowid, name, hostname, ip_addresses, logged_in_user)
    VALUES ('delete', old.rowid, old.name, old.hostname, old.ip_addresses, old.logged_in_user);
END;

-- Status and last-seen writes, by far the most frequent, leave the index untouched.
CREATE TRIGGER devices_search_update AFTER UPDATE OF name, hostname, ip_addresses, logged_in_user ON devices
WHEN old.name IS NOT new.name OR old.hostname IS NOT new.hostname OR old.ip_addresses IS NOT new.ip_addresses
    OR old.logged_in_user IS NOT new.logged_in_user
BEGIN
    INSERT INTO devices_search (devices_search, rowid, name, hostname, ip_addresses, logged_in_user)
    VALUES ('delete', old.rowid, old.name, old.hostname, old.ip_addresses, old.logged_in_user);
    INSERT INTO devices_search (rowid, name, hostname, ip_addresses, logged_in_user)
    VALUES (new.rowid, new.name, new.hostname, new.ip_addresses, new.logged_in_user);
END;

-- Index the devices that exist already.
INSERT INTO devices_search (devices_search) VALUES ('rebuild');
