-- 0035_incidents_source: the incident list of one source (manual,
-- alertmanager, …), the latest first. With only incidents_started_id to
-- read it by, SQLite walked every incident from the latest, looking each
-- one's source up in the table, until it had a page: 16.6 s in C at
-- PRODUCT.md section 9's size for a source with no incident. Keyed by the
-- source and then the whole order, one source's page is a range.
CREATE INDEX incidents_source ON incidents (source, started_at, id);
