-- 0019_credential_epoch: one counter that every write able to change what
-- a token authenticates as moves on (a token revoked, a person saved or
-- erased, a leads edge opened, closed or corrected), in the same
-- transaction. Servers keep authenticated tokens in memory and read this
-- counter at most once a second: when it has moved, they forget them all,
-- so a change made through one server reaches every other within about a
-- second.
CREATE TABLE credential_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
);
INSERT INTO credential_epoch (id, epoch) VALUES (1, 0);
