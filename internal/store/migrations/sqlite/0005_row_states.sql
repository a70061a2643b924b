-- 0005_row_states: the audit log vouches for the current rows, not only for
-- its own history (PRODUCT.md section 5).
--
-- From now on the last audit event of each write lists, in states, every
-- unit of an accountable table the write touched, with the SHA-256 of its
-- rows as the write left them (store/rowstate.go says which tables, columns
-- and units). The event's hash covers that list (encoding version 2).
-- audit_rows is the same list as rows, so that the latest state recorded
-- for any unit is one index probe away: audit verify compares every current
-- row with it. audit verify also checks that audit_rows holds exactly what
-- the chain's events list, so it is an index, not evidence of its own.
ALTER TABLE audit_events ADD COLUMN states TEXT NOT NULL DEFAULT '';

CREATE TABLE audit_rows (
    seq  BIGINT NOT NULL,
    tbl  TEXT NOT NULL,
    key  TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (seq, tbl, key)
) WITHOUT ROWID;
-- The latest state of a unit: its last entry here. The hash is in the
-- index so that the probe never reads the table.
CREATE INDEX audit_rows_latest ON audit_rows (tbl, key, seq, hash);

-- A person's row holds their name and email until erasure blanks them. Its
-- state hash, kept in the chain for good, must not let anyone confirm a
-- guessed name afterwards: so the row also holds a random nonce, hashed
-- with it and replaced on erasure. Existing people get theirs here.
ALTER TABLE people ADD COLUMN nonce TEXT NOT NULL DEFAULT '';
UPDATE people SET nonce = lower(hex(randomblob(16)));

-- The rows already here were written before any event recorded states.
-- This migration ends with a baseline (store/rowstate.go, in Go, in the
-- same transaction): audit events of action audit.baseline recording the
-- state of every accountable row as it stands now.
