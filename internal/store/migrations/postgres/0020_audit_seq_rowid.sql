-- 0020_audit_seq_rowid: on SQLite this makes audit_events' seq the table's
-- rowid, so that audit verify reads a span of the chain as one range of the
-- table. PostgreSQL already reads a span through the primary key's index
-- and needs no change; the migration is here so that both engines keep the
-- same numbers.
SELECT 1;
