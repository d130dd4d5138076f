-- The trigram index of device search (0004) now covers the folded columns of 0011 instead of the raw
-- fields: the same folding as the scan for short and broad texts, and IP addresses without the
-- brackets, quotes and commas of their JSON list. The text is folded already, so the index is case
-- sensitive. As before it holds no copy of the text (content='devices'), is keyed by the devices'
-- rowid and kept in step by the triggers below; nothing may VACUUM this database without then running
-- INSERT INTO devices_search (devices_search) VALUES ('rebuild').

DROP TRIGGER devices_search_insert;
DROP TRIGGER devices_search_delete;
DROP TRIGGER devices_search_update;
DROP TABLE devices_search;

CREATE VIRTUAL TABLE devices_search USING fts5 (
    search_name, search_hostname, search_ips, search_user,
    content = 'devices', content_rowid = 'rowid', tokenize = 'trigram case_sensitive 1'
);

CREATE TRIGGER devices_search_insert AFTER INSERT ON devices BEGIN
    INSERT INTO devices_search (rowid, search_name, search_hostname, search_ips, search_user)
    VALUES (new.rowid, new.search_name, new.search_hostname, new.search_ips, new.search_user);
END;

CREATE TRIGGER devices_search_delete AFTER DELETE ON devices BEGIN
    INSERT INTO devices_search (devices_search, rowid, search_name, search_hostname, search_ips, search_user)
    VALUES ('delete', old.rowid, old.search_name, old.search_hostname, old.search_ips, old.search_user);
END;

-- Status and last-seen writes, by far the most frequent, leave the index untouched.
CREATE TRIGGER devices_search_update AFTER UPDATE OF search_name, search_hostname, search_ips, search_user ON devices
WHEN old.search_name IS NOT new.search_name OR old.search_hostname IS NOT new.search_hostname
    OR old.search_ips IS NOT new.search_ips OR old.search_user IS NOT new.search_user
BEGIN
    INSERT INTO devices_search (devices_search, rowid, search_name, search_hostname, search_ips, search_user)
    VALUES ('delete', old.rowid, old.search_name, old.search_hostname, old.search_ips, old.search_user);
    INSERT INTO devices_search (rowid, search_name, search_hostname, search_ips, search_user)
    VALUES (new.rowid, new.search_name, new.search_hostname, new.search_ips, new.search_user);
END;

-- Index the devices that exist already.
INSERT INTO devices_search (devices_search) VALUES ('rebuild');
