-- 0032_list_order: lists come in a whole order (the latest incidents and
-- changes first, follow-ups by due date), each ending on the ID. With only
-- the first column indexed, SQLite took a short list as a reason to read
-- and sort the whole table: at PRODUCT.md §9's size, in C, 0.5 s for
-- GET /api/v1/incidents?limit=1, 2.7 s for the latest change, and 1.7 s
-- (19 s from a cold cache) for GET /api/v1/followups, which sorted all
-- five million follow-ups, where a list of 50 incidents read the index.
-- Keyed by the whole order, each index gives it, and serves whatever the
-- first column alone served.
CREATE INDEX incidents_started_id ON incidents (started_at, id);
DROP INDEX incidents_started;
CREATE INDEX changes_at_id ON changes (at, id);
DROP INDEX changes_at;
CREATE INDEX followups_due_id ON followups (due, id);
