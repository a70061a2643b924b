-- 0032_incidents_latest: the incident list is the latest first, ordered by
-- start and then ID. With the start alone indexed, SQLite took a list of
-- one (GET /api/v1/incidents?limit=1) as a reason to read and sort every
-- incident: 0.5 s in C and 2 s in the product at a million, where a list
-- of 50 read the index. Keyed by both, the index gives the whole order,
-- and it serves whatever the start alone served.
CREATE INDEX incidents_started_id ON incidents (started_at, id);
DROP INDEX incidents_started;
