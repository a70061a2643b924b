-- 0014_followup_chase: what following through needs beyond a follow-up row.
-- Requests to drop a follow-up as wont_do, which wait for a leader (F3);
-- the reminders and escalations sent (F4), one per follow-up, step and due
-- date, whichever server sends it; the entities a clarify-ownership
-- follow-up is about (one open per entity, A4); and the background jobs
-- that ran, one per job and due time. Requests, notices and the clarified
-- entities are accountable tables (store/rowstate.go); job runs are
-- bookkeeping.

-- A request to close a follow-up as wont_do. outcome is pending until the
-- approver (a leader above the owner; '' for HR) decides, or until the
-- follow-up is done or reopened first (withdrawn).
CREATE TABLE followup_requests (
    id              TEXT PRIMARY KEY,
    followup        TEXT NOT NULL REFERENCES followups (id),
    reason          TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_at    TIMESTAMPTZ NOT NULL,
    approver        TEXT NOT NULL,
    outcome         TEXT NOT NULL CHECK (outcome IN ('pending', 'approved', 'refused', 'withdrawn')),
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      TIMESTAMPTZ,
    note            TEXT NOT NULL DEFAULT ''
);
-- At most one pending request per follow-up.
CREATE UNIQUE INDEX followup_requests_pending ON followup_requests (followup) WHERE outcome = 'pending';
CREATE INDEX followup_requests_followup ON followup_requests (followup, requested_at);
CREATE INDEX followup_requests_approver ON followup_requests (approver, outcome);

-- A reminder or escalation sent. id is followup/kind/due, so a step is
-- taken once per due date even when two servers take it at the same time.
CREATE TABLE followup_notices (
    id        TEXT PRIMARY KEY,
    followup  TEXT NOT NULL REFERENCES followups (id),
    kind      TEXT NOT NULL CHECK (kind IN ('reminder_before', 'reminder_due', 'escalation', 'escalation_up')),
    due       TEXT NOT NULL CHECK (length(due) = 10),
    owner     TEXT NOT NULL,
    recipient TEXT NOT NULL,
    sent_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX followup_notices_followup ON followup_notices (followup, sent_at);
CREATE INDEX followup_notices_sent ON followup_notices (sent_at);

-- The entities an A4 clarify-ownership follow-up is about.
CREATE TABLE followup_entities (
    followup TEXT NOT NULL REFERENCES followups (id),
    entity   TEXT NOT NULL,
    PRIMARY KEY (followup, entity)
);
CREATE INDEX followup_entities_entity ON followup_entities (entity);

-- A background job's run for one due time (the weekly digest's week, say):
-- the primary key lets one server of several take it.
CREATE TABLE job_runs (
    job     TEXT NOT NULL,
    due_key TEXT NOT NULL,
    ran_at  TIMESTAMPTZ NOT NULL,
    ran_by  TEXT NOT NULL,
    result  TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (job, due_key)
);
