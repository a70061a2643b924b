-- 0012_changes: deploys and configuration changes, code freezes, and which
-- changes an incident is linked to: the facts of rule A6. Changes and
-- freezes are written once; a link is never removed. All are accountable
-- tables (store/rowstate.go).

-- A change of an entity, made by a person at a moment. An approved freeze
-- exception names its approver, a leader above the entity's owner as of
-- the change (checked by the app when it is recorded).
CREATE TABLE changes (
    id                    TEXT PRIMARY KEY,
    entity                TEXT NOT NULL,
    version               TEXT NOT NULL,
    actor                 TEXT NOT NULL,
    at                    TEXT NOT NULL,
    source                TEXT NOT NULL,
    exception_approved_by TEXT NOT NULL DEFAULT '',
    recorded_at           TEXT NOT NULL,
    recorded_by           TEXT NOT NULL
);
-- "the changes of an entity since …", and the freeze page's recent changes.
CREATE INDEX changes_entity_at ON changes (entity, at);
CREATE INDEX changes_at ON changes (at);

-- A freeze window [starts_at, ends_at). scope is 'all', or 'listed' with
-- its entities and teams in freeze_scope.
CREATE TABLE freezes (
    id         TEXT PRIMARY KEY,
    starts_at  TEXT NOT NULL,
    ends_at    TEXT NOT NULL,
    scope      TEXT NOT NULL CHECK (scope IN ('all', 'listed')),
    reason     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL,
    CHECK (ends_at > starts_at)
);
-- Freezes overlapping a moment: those that started before it, latest end
-- first.
CREATE INDEX freezes_window ON freezes (starts_at, ends_at);

CREATE TABLE freeze_scope (
    freeze_id TEXT NOT NULL REFERENCES freezes (id),
    target    TEXT NOT NULL,
    position  INTEGER NOT NULL,
    PRIMARY KEY (freeze_id, target)
);

-- An incident linked to a change that may have caused it.
CREATE TABLE incident_changes (
    incident  TEXT NOT NULL REFERENCES incidents (id),
    change_id TEXT NOT NULL REFERENCES changes (id),
    linked_at TEXT NOT NULL,
    linked_by TEXT NOT NULL,
    PRIMARY KEY (incident, change_id)
);
CREATE INDEX incident_changes_change ON incident_changes (change_id);
