-- The trigram indexes of device search (0004) now cover the folded columns of 0011 instead of the
-- lower-cased raw fields: the same folding as on SQLite, and IP addresses without the brackets, quotes
-- and commas of their JSON list. The planner uses them for search_col LIKE '%text%'.

DROP INDEX devices_search_name;
DROP INDEX devices_search_hostname;
DROP INDEX devices_search_ip_addresses;
DROP INDEX devices_search_logged_in_user;

CREATE INDEX devices_search_name ON devices USING gin (search_name gin_trgm_ops);
CREATE INDEX devices_search_hostname ON devices USING gin (search_hostname gin_trgm_ops);
CREATE INDEX devices_search_ips ON devices USING gin (search_ips gin_trgm_ops);
CREATE INDEX devices_search_user ON devices USING gin (search_user gin_trgm_ops);
