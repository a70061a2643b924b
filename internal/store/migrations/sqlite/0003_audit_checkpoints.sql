-- 0003_audit_checkpoints (SQLite: times as fixed-width text): the signed
-- checkpoints of the audit chain that this database's servers have emitted
-- (PRODUCT.md section 5).
--
-- A row here is bookkeeping, not evidence: it tells the emitter when it last
-- signed and at which event, so it knows when the next checkpoint is due.
-- Someone who can rewrite the audit log can rewrite this table too, so a
-- checkpoint proves something only in the copies kept outside the database
-- (the log line, the outbox's delivery, a file); audit verify never reads
-- this table. Rows are only ever added.
CREATE TABLE audit_checkpoints (
    id        TEXT PRIMARY KEY,
    version   INTEGER NOT NULL,
    seq       BIGINT NOT NULL,
    hash      TEXT NOT NULL,
    at        TEXT NOT NULL,
    key_id    TEXT NOT NULL,
    -- base64 of the ed25519 signature over audit.EncodeCheckpoint
    signature TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_seq ON audit_checkpoints (seq, at);
