-- 0001_core: the foundation (SQLite: times are fixed-width RFC 3339 text,
-- booleans 0/1). People, teams and catalog entities, with every
-- relation among them (membership, leadership, team parent, ownership,
-- system, dependency) held as effective-dated edges so the org can be
-- rebuilt as of any moment. Then incidents with their failed entities and
-- timeline, postmortems, attribution decisions, follow-ups, API tokens, and
-- the audit log that every write appends to in the same transaction.

CREATE TABLE people (
    ref        TEXT PRIMARY KEY,
    name       TEXT NOT NULL DEFAULT '',
    email      TEXT NOT NULL DEFAULT '',
    handle     TEXT NOT NULL DEFAULT '',
    left_at    TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE teams (
    ref         TEXT PRIMARY KEY,
    name        TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE entities (
    ref         TEXT PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('component', 'system', 'resource', 'provider', 'domain', 'api')),
    title       TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    type        TEXT NOT NULL DEFAULT '',
    lifecycle   TEXT NOT NULL DEFAULT '',
    code_paths  TEXT NOT NULL DEFAULT '[]',
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- An edge states "subject relation object" as claimed by a source, in effect
-- from valid_from (NULL: since the beginning) until valid_to (NULL: still).
-- Edges may point at references that do not exist (a dangling owner is
-- evidence, not an error), so there are no foreign keys here.
CREATE TABLE edges (
    id          TEXT PRIMARY KEY,
    relation    TEXT NOT NULL CHECK (relation IN ('member_of', 'leads', 'child_of', 'owned_by', 'part_of', 'depends_on')),
    subject     TEXT NOT NULL,
    object      TEXT NOT NULL,
    source      TEXT NOT NULL,
    valid_from  TEXT,
    valid_to    TEXT,
    recorded_at TEXT NOT NULL,
    CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_from <= valid_to)
);
CREATE INDEX edges_subject ON edges (subject, relation);
CREATE INDEX edges_object ON edges (object, relation);
-- One open edge per fact and source: re-importing cannot duplicate it.
CREATE UNIQUE INDEX edges_open ON edges (relation, subject, object, source) WHERE valid_to IS NULL;

-- Per-year sequences for human-readable IDs (INC-2026-0042).
CREATE TABLE counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

CREATE TABLE incidents (
    id           TEXT PRIMARY KEY,
    title        TEXT NOT NULL,
    severity     TEXT NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3', 'SEV4')),
    status       TEXT NOT NULL CHECK (status IN ('open', 'mitigated', 'resolved')),
    summary      TEXT NOT NULL DEFAULT '',
    impact       TEXT NOT NULL DEFAULT '',
    source       TEXT NOT NULL DEFAULT 'manual',
    started_at   TEXT NOT NULL,
    detected_at  TEXT,
    declared_at  TEXT NOT NULL,
    mitigated_at TEXT,
    resolved_at  TEXT,
    created_by   TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX incidents_started ON incidents (started_at);
CREATE INDEX incidents_resolved ON incidents (resolved_at);

CREATE TABLE incident_entities (
    incident TEXT NOT NULL REFERENCES incidents (id),
    entity   TEXT NOT NULL,
    origin   INTEGER NOT NULL,
    position INTEGER NOT NULL,
    PRIMARY KEY (incident, entity)
);
CREATE INDEX incident_entities_entity ON incident_entities (entity);
-- At most one origin per incident.
CREATE UNIQUE INDEX incident_entities_origin ON incident_entities (incident) WHERE origin = 1;

CREATE TABLE timeline_entries (
    id          TEXT PRIMARY KEY,
    incident    TEXT NOT NULL REFERENCES incidents (id),
    occurred_at TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    author      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('alert', 'action', 'observation', 'decision', 'change')),
    text        TEXT NOT NULL,
    deleted     INTEGER NOT NULL DEFAULT 0,
    revision    INTEGER NOT NULL DEFAULT 0,
    updated_at  TEXT NOT NULL
);
CREATE INDEX timeline_entries_incident ON timeline_entries (incident, occurred_at);

-- The earlier states of edited or deleted timeline entries: nothing said
-- about an incident is ever lost.
CREATE TABLE timeline_revisions (
    entry       TEXT NOT NULL REFERENCES timeline_entries (id),
    revision    INTEGER NOT NULL,
    occurred_at TEXT NOT NULL,
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('edit', 'delete')),
    changed_at  TEXT NOT NULL,
    changed_by  TEXT NOT NULL,
    PRIMARY KEY (entry, revision)
);

CREATE TABLE postmortems (
    incident          TEXT PRIMARY KEY REFERENCES incidents (id),
    state             TEXT NOT NULL CHECK (state IN ('draft', 'in_review', 'published', 'closed')),
    summary           TEXT NOT NULL DEFAULT '',
    impact            TEXT NOT NULL DEFAULT '',
    mechanism         TEXT NOT NULL DEFAULT '',
    factors           TEXT NOT NULL DEFAULT '[]',
    went_well         TEXT NOT NULL DEFAULT '',
    went_poorly       TEXT NOT NULL DEFAULT '',
    updated_at        TEXT NOT NULL,
    updated_by        TEXT NOT NULL,
    review_started_at TEXT,
    published_at      TEXT,
    closed_at         TEXT
);
CREATE INDEX postmortems_state ON postmortems (state);

-- Attribution decisions. A decision is never changed or deleted: a new one
-- supersedes it, and incidents point at the one in force (J8).
CREATE TABLE attributions (
    id              TEXT PRIMARY KEY,
    incident        TEXT NOT NULL REFERENCES incidents (id),
    party           TEXT NOT NULL,
    rule            TEXT NOT NULL,
    justification   TEXT NOT NULL DEFAULT '',
    suggested_party TEXT NOT NULL DEFAULT '',
    suggested_rule  TEXT NOT NULL DEFAULT '',
    suggestion      TEXT NOT NULL DEFAULT '{}',
    supersedes      TEXT REFERENCES attributions (id),
    decided_by      TEXT NOT NULL,
    decided_at      TEXT NOT NULL
);
CREATE INDEX attributions_incident ON attributions (incident, decided_at);
CREATE INDEX attributions_decided ON attributions (decided_at);
CREATE UNIQUE INDEX attributions_supersedes ON attributions (supersedes);
ALTER TABLE incidents ADD COLUMN attribution TEXT REFERENCES attributions (id);

CREATE TABLE followups (
    id          TEXT PRIMARY KEY,
    incident    TEXT NOT NULL REFERENCES incidents (id),
    title       TEXT NOT NULL,
    owner       TEXT NOT NULL,
    due         TEXT NOT NULL CHECK (length(due) = 10),
    priority    TEXT NOT NULL CHECK (priority IN ('P1', 'P2', 'P3')),
    status      TEXT NOT NULL CHECK (status IN ('open', 'done', 'wont_do')),
    reason      TEXT NOT NULL DEFAULT '',
    tracker_url TEXT NOT NULL DEFAULT '',
    rule        TEXT NOT NULL DEFAULT '',
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    closed_at   TEXT,
    updated_at  TEXT NOT NULL
);
CREATE INDEX followups_incident ON followups (incident);
CREATE INDEX followups_status_due ON followups (status, due);
CREATE INDEX followups_owner ON followups (owner);

-- API tokens, stored as SHA-256 of the secret: the secret itself is shown
-- once and never kept.
CREATE TABLE tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    actor        TEXT NOT NULL,
    roles        TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    revoked_at   TEXT,
    last_used_at TEXT
);

-- The audit log: one row per write, hash-chained. seq is dense from 1;
-- prev_hash is unique so that two events cannot claim the same predecessor
-- (the chain cannot fork), and data is kept as the exact bytes that were
-- hashed.
CREATE TABLE audit_events (
    seq       BIGINT PRIMARY KEY,
    id        TEXT NOT NULL UNIQUE,
    at        TEXT NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    subject   TEXT NOT NULL,
    data      TEXT NOT NULL,
    version   INTEGER NOT NULL,
    prev_hash TEXT NOT NULL UNIQUE,
    hash      TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_events_subject ON audit_events (subject, seq);

-- The head of the chain, one row. SQLite has one writer, so appends are
-- serialised by the write lock taken at BEGIN.
CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  BIGINT NOT NULL,
    hash TEXT NOT NULL
);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
