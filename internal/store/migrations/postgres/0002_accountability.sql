-- 0002_accountability: the private accountability record behind each
-- decided attribution (PRODUCT.md section 3), the fairness and integrity
-- flags (sections 3 and 5), and the notification outbox that carries
-- messages written in the same transaction as the change that causes them.
-- Nothing here is ever updated to change what was decided: factor changes,
-- decisions, appeal outcomes and corrections are new rows (J8).

-- One assessment per decided attribution; a re-decided attribution gets a
-- new one and the old stays.
CREATE TABLE assessments (
    id          TEXT PRIMARY KEY,
    incident    TEXT NOT NULL REFERENCES incidents (id),
    attribution TEXT NOT NULL UNIQUE REFERENCES attributions (id),
    subject     TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX assessments_incident ON assessments (incident);
CREATE INDEX assessments_subject ON assessments (subject);

-- The reviewer-judged factors, one row per version.
CREATE TABLE assessment_factors (
    assessment          TEXT NOT NULL REFERENCES assessments (id),
    version             INTEGER NOT NULL,
    expected_to_prevent TEXT NOT NULL CHECK (expected_to_prevent IN ('', 'yes', 'partially', 'no')),
    policy_violation    TEXT NOT NULL CHECK (policy_violation IN ('none', 'minor', 'major')),
    set_by              TEXT NOT NULL,
    set_at              TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (assessment, version)
);

-- Decisions: the first, appeal outcomes and corrections, each a new row
-- superseding the one before. guidance keeps the factors and the arithmetic
-- the decider saw.
CREATE TABLE assessment_decisions (
    id             TEXT PRIMARY KEY,
    assessment     TEXT NOT NULL REFERENCES assessments (id),
    kind           TEXT NOT NULL CHECK (kind IN ('decision', 'appeal_outcome', 'correction')),
    level          INTEGER NOT NULL CHECK (level BETWEEN 0 AND 4),
    guidance_level INTEGER NOT NULL CHECK (guidance_level BETWEEN 0 AND 4),
    guidance       TEXT NOT NULL,
    justification  TEXT NOT NULL DEFAULT '',
    decided_by     TEXT NOT NULL,
    decided_at     TIMESTAMPTZ NOT NULL,
    supersedes     TEXT UNIQUE REFERENCES assessment_decisions (id)
);
CREATE INDEX assessment_decisions_assessment ON assessment_decisions (assessment, decided_at);
CREATE INDEX assessment_decisions_decider ON assessment_decisions (decided_by, decided_at);

-- At most one appeal per assessment (J4), heard by the decider's leader.
CREATE TABLE appeals (
    assessment TEXT PRIMARY KEY REFERENCES assessments (id),
    decision   TEXT NOT NULL REFERENCES assessment_decisions (id),
    reason     TEXT NOT NULL,
    filed_by   TEXT NOT NULL,
    filed_at   TIMESTAMPTZ NOT NULL,
    reviewer   TEXT NOT NULL,
    outcome    TEXT REFERENCES assessment_decisions (id)
);

-- Fairness flags raised when they happen (A8: an ambiguous-ownership fault
-- pushed onto one of the leader's reports). J5 consistency is computed from
-- the decisions, not stored.
CREATE TABLE fairness_flags (
    id         TEXT PRIMARY KEY,
    rule       TEXT NOT NULL CHECK (rule IN ('A8', 'J5')),
    about      TEXT NOT NULL,
    raised_to  TEXT NOT NULL,
    incident   TEXT REFERENCES incidents (id),
    detail     TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX fairness_flags_about ON fairness_flags (about);
CREATE INDEX fairness_flags_raised_to ON fairness_flags (raised_to);

-- Concealment signals. key makes detection idempotent: one flag per rule
-- and fact, however often the fact is looked at.
CREATE TABLE integrity_flags (
    id          TEXT PRIMARY KEY,
    rule        TEXT NOT NULL CHECK (rule IN ('I1', 'I2', 'I3', 'I4', 'I5', 'I6')),
    incident    TEXT REFERENCES incidents (id),
    key         TEXT NOT NULL UNIQUE,
    suspect     TEXT NOT NULL DEFAULT '',
    evidence    TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('open', 'confirmed', 'dismissed')),
    subject     TEXT NOT NULL DEFAULT '',
    reason      TEXT NOT NULL DEFAULT '',
    reviewed_by TEXT NOT NULL DEFAULT '',
    reviewed_at TIMESTAMPTZ,
    raised_at   TIMESTAMPTZ NOT NULL
);
CREATE INDEX integrity_flags_incident ON integrity_flags (incident);
CREATE INDEX integrity_flags_state ON integrity_flags (state, raised_at);
CREATE INDEX integrity_flags_subject ON integrity_flags (subject, state);

-- Messages to deliver after commit, at least once, with back-off.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    kind            TEXT NOT NULL,
    recipient       TEXT NOT NULL,
    payload         TEXT NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    delivered_at    TIMESTAMPTZ,
    last_error      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_pending ON outbox (delivered_at, next_attempt_at);

-- An erased person keeps their reference (history points at it) but loses
-- their personal fields; erased_at says when.
ALTER TABLE people ADD COLUMN erased_at TIMESTAMPTZ;
