-- 0020_audit_seq_rowid: audit verify reads the whole chain in seq order, in
-- spans of seq side by side. audit_events was keyed by a BIGINT PRIMARY KEY,
-- which in SQLite is a unique index beside the table's own rowid, so every
-- event read in seq order cost a search of the index and then one of the
-- table. Declared INTEGER PRIMARY KEY, seq is the rowid itself: a span of
-- the chain is one range of the table, read in place. The events, their
-- columns, constraints and the subject index are otherwise as they were;
-- the chain's hashes do not change.
CREATE TABLE audit_events_by_seq (
    seq       INTEGER PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    data      TEXT NOT NULL,
    version   INTEGER NOT NULL,
    prev_hash TEXT NOT NULL UNIQUE,
    hash      TEXT NOT NULL UNIQUE,
    states    TEXT NOT NULL DEFAULT ''
);
INSERT INTO audit_events_by_seq (seq, id, at, actor, action, subject, data, version, prev_hash, hash, states)
SELECT seq, id, at, actor, action, subject, data, version, prev_hash, hash, states FROM audit_events ORDER BY seq;
DROP TABLE audit_events;
ALTER TABLE audit_events_by_seq RENAME TO audit_events;
CREATE INDEX audit_events_subject ON audit_events (subject, seq);
