-- 0008_audit_runs: each verification of the audit chain as it ended, the
-- scheduled ones and those someone asked for, so that the audit page shows
-- the last one instead of walking the whole chain on every view.
--
-- Like audit_checkpoints, a row here is bookkeeping, not evidence: whoever
-- can rewrite the chain can also add a row saying that it holds. The chain
-- stays the proof, and the next verification walks it again. A run is not
-- an audit event either: it changes nothing anyone is accountable for, and
-- as an event it would move the head it just vouched for. Rows are only
-- ever added.
CREATE TABLE audit_runs (
    id            TEXT PRIMARY KEY,
    started_at    TIMESTAMPTZ NOT NULL,
    duration_us   BIGINT NOT NULL,
    -- who asked: a person, or system:default/audit-verify for the schedule
    actor         TEXT NOT NULL,
    ok            BOOLEAN NOT NULL,
    -- the events vouched for, and the last of them
    events        BIGINT NOT NULL,
    head_seq      BIGINT NOT NULL,
    head_hash     TEXT NOT NULL,
    checkpoints   INTEGER NOT NULL,
    -- the first link that does not hold: NULL and '' when none
    break_seq     BIGINT,
    break_reason  TEXT NOT NULL,
    rows_checked  BOOLEAN NOT NULL,
    units         BIGINT NOT NULL,
    finding_count BIGINT NOT NULL,
    -- JSON array of the first row findings (app.MaxRowFindings at most)
    findings      TEXT NOT NULL
);
CREATE INDEX audit_runs_started ON audit_runs (started_at);
