-- 0024_review_kept: what the weekly review reads kept small (issue 10).
-- At a million incidents the profile showed the review reading 17,000
-- open postmortems' incidents from disk for their resolution (0.3-0.5 s),
-- counting the 173,000 overdue follow-ups one index entry at a time (0.4 s
-- on PostgreSQL), counting the week's 41,000 reminders and escalations
-- through a table lookup each for its kind, reading every fairness flag
-- for those of a week, and probing the signals of each of 90 days'
-- incidents for its alert labels. The tables below are derived data kept by
-- triggers in the writing transaction, like entity_owned_since; not
-- accountable tables.

-- The postmortems still in draft or review, with what the review lists of
-- their incident.
CREATE TABLE open_postmortems (
    incident    TEXT PRIMARY KEY,
    state       TEXT NOT NULL,
    title       TEXT NOT NULL,
    severity    TEXT NOT NULL,
    resolved_at TEXT
) WITHOUT ROWID;
CREATE INDEX open_postmortems_resolved ON open_postmortems (resolved_at, incident);

INSERT INTO open_postmortems (incident, state, title, severity, resolved_at)
SELECT p.incident, p.state, i.title, i.severity, i.resolved_at
FROM postmortems p JOIN incidents i ON i.id = p.incident
WHERE p.state IN ('draft', 'in_review');

-- A postmortem's row follows its state; one written before its incident
-- (a bulk load) gets its row when the incident is.
CREATE TRIGGER open_postmortems_insert AFTER INSERT ON postmortems WHEN NEW.state IN ('draft', 'in_review') BEGIN
    INSERT OR REPLACE INTO open_postmortems (incident, state, title, severity, resolved_at)
    SELECT NEW.incident, NEW.state, i.title, i.severity, i.resolved_at FROM incidents i WHERE i.id = NEW.incident;
END;
CREATE TRIGGER open_postmortems_update AFTER UPDATE OF incident, state ON postmortems BEGIN
    DELETE FROM open_postmortems WHERE incident IN (OLD.incident, NEW.incident);
    INSERT OR REPLACE INTO open_postmortems (incident, state, title, severity, resolved_at)
    SELECT NEW.incident, NEW.state, i.title, i.severity, i.resolved_at FROM incidents i
    WHERE i.id = NEW.incident AND NEW.state IN ('draft', 'in_review');
END;
CREATE TRIGGER open_postmortems_delete AFTER DELETE ON postmortems BEGIN
    DELETE FROM open_postmortems WHERE incident = OLD.incident;
END;
CREATE TRIGGER open_postmortems_incident_insert AFTER INSERT ON incidents BEGIN
    INSERT OR REPLACE INTO open_postmortems (incident, state, title, severity, resolved_at)
    SELECT NEW.id, p.state, NEW.title, NEW.severity, NEW.resolved_at FROM postmortems p
    WHERE p.incident = NEW.id AND p.state IN ('draft', 'in_review');
END;
CREATE TRIGGER open_postmortems_incident_update AFTER UPDATE OF title, severity, resolved_at ON incidents BEGIN
    UPDATE open_postmortems SET title = NEW.title, severity = NEW.severity, resolved_at = NEW.resolved_at WHERE incident = NEW.id;
END;
CREATE TRIGGER open_postmortems_incident_delete AFTER DELETE ON incidents BEGIN
    DELETE FROM open_postmortems WHERE incident = OLD.id;
END;

-- How many open follow-ups fall due on each day.
CREATE TABLE open_followups_due (
    due TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
) WITHOUT ROWID;

INSERT INTO open_followups_due (due, n)
SELECT due, COUNT(*) FROM followups WHERE status = 'open' GROUP BY due;

CREATE TRIGGER open_followups_due_insert AFTER INSERT ON followups WHEN NEW.status = 'open' BEGIN
    INSERT INTO open_followups_due (due, n) VALUES (NEW.due, 1) ON CONFLICT (due) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER open_followups_due_update AFTER UPDATE OF status, due ON followups
WHEN OLD.status = 'open' OR NEW.status = 'open' BEGIN
    UPDATE open_followups_due SET n = n - 1 WHERE OLD.status = 'open' AND due = OLD.due;
    INSERT INTO open_followups_due (due, n) SELECT NEW.due, 1 WHERE NEW.status = 'open'
    ON CONFLICT (due) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER open_followups_due_delete AFTER DELETE ON followups WHEN OLD.status = 'open' BEGIN
    UPDATE open_followups_due SET n = n - 1 WHERE due = OLD.due;
END;

-- The alert labels of each incident (incident_signals of kind label) with
-- its start beside them, ordered by start: drift's "alert labels that
-- name no entity" reads the labels of 90 days' incidents as one range
-- instead of probing each incident's signals (1 s on SQLite, 2.9 s on
-- PostgreSQL at a million incidents).
CREATE TABLE label_signals (
    started_at TEXT NOT NULL,
    value      TEXT NOT NULL,
    incident   TEXT NOT NULL,
    PRIMARY KEY (started_at, value, incident)
) WITHOUT ROWID;
CREATE INDEX label_signals_value ON label_signals (value, started_at);
CREATE INDEX label_signals_incident ON label_signals (incident);

INSERT OR IGNORE INTO label_signals (started_at, value, incident)
SELECT i.started_at, s.value, i.id FROM incident_signals s JOIN incidents i ON i.id = s.incident WHERE s.kind = 'label';

CREATE TRIGGER label_signals_signal_insert AFTER INSERT ON incident_signals WHEN NEW.kind = 'label' BEGIN
    INSERT OR IGNORE INTO label_signals (started_at, value, incident)
    SELECT started_at, NEW.value, id FROM incidents WHERE id = NEW.incident;
END;
CREATE TRIGGER label_signals_signal_delete AFTER DELETE ON incident_signals WHEN OLD.kind = 'label' BEGIN
    DELETE FROM label_signals WHERE incident = OLD.incident AND value = OLD.value;
END;
CREATE TRIGGER label_signals_signal_update AFTER UPDATE OF incident, kind, value ON incident_signals BEGIN
    DELETE FROM label_signals WHERE OLD.kind = 'label' AND incident = OLD.incident AND value = OLD.value;
    INSERT OR IGNORE INTO label_signals (started_at, value, incident)
    SELECT started_at, NEW.value, id FROM incidents WHERE id = NEW.incident AND NEW.kind = 'label';
END;
CREATE TRIGGER label_signals_incident_insert AFTER INSERT ON incidents BEGIN
    INSERT OR IGNORE INTO label_signals (started_at, value, incident)
    SELECT NEW.started_at, s.value, NEW.id FROM incident_signals s WHERE s.incident = NEW.id AND s.kind = 'label';
END;
CREATE TRIGGER label_signals_incident_update AFTER UPDATE OF id, started_at ON incidents BEGIN
    DELETE FROM label_signals WHERE incident = OLD.id;
    INSERT OR IGNORE INTO label_signals (started_at, value, incident)
    SELECT NEW.started_at, s.value, NEW.id FROM incident_signals s WHERE s.incident = NEW.id AND s.kind = 'label';
END;
CREATE TRIGGER label_signals_incident_delete AFTER DELETE ON incidents BEGIN
    DELETE FROM label_signals WHERE incident = OLD.id;
END;

-- Incidents per UTC day of start and severity: the five weeks of counts
-- by severity (32,000 incidents through an index at a million).
CREATE TABLE incident_days (
    day      TEXT NOT NULL,
    severity TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (day, severity)
) WITHOUT ROWID;

INSERT INTO incident_days (day, severity, n)
SELECT substr(started_at, 1, 10), severity, COUNT(*) FROM incidents GROUP BY 1, 2;

CREATE TRIGGER incident_days_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incident_days (day, severity, n) VALUES (substr(NEW.started_at, 1, 10), NEW.severity, 1)
    ON CONFLICT (day, severity) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER incident_days_update AFTER UPDATE OF started_at, severity ON incidents BEGIN
    UPDATE incident_days SET n = n - 1 WHERE day = substr(OLD.started_at, 1, 10) AND severity = OLD.severity;
    INSERT INTO incident_days (day, severity, n) VALUES (substr(NEW.started_at, 1, 10), NEW.severity, 1)
    ON CONFLICT (day, severity) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER incident_days_delete AFTER DELETE ON incidents BEGIN
    UPDATE incident_days SET n = n - 1 WHERE day = substr(OLD.started_at, 1, 10) AND severity = OLD.severity;
END;

-- Reminders and escalations per UTC day sent and kind (41,000 in the
-- week at a million incidents).
CREATE TABLE notice_days (
    day  TEXT NOT NULL,
    kind TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (day, kind)
) WITHOUT ROWID;

INSERT INTO notice_days (day, kind, n)
SELECT substr(sent_at, 1, 10), kind, COUNT(*) FROM followup_notices GROUP BY 1, 2;

CREATE TRIGGER notice_days_insert AFTER INSERT ON followup_notices BEGIN
    INSERT INTO notice_days (day, kind, n) VALUES (substr(NEW.sent_at, 1, 10), NEW.kind, 1)
    ON CONFLICT (day, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER notice_days_update AFTER UPDATE OF sent_at, kind ON followup_notices BEGIN
    UPDATE notice_days SET n = n - 1 WHERE day = substr(OLD.sent_at, 1, 10) AND kind = OLD.kind;
    INSERT INTO notice_days (day, kind, n) VALUES (substr(NEW.sent_at, 1, 10), NEW.kind, 1)
    ON CONFLICT (day, kind) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER notice_days_delete AFTER DELETE ON followup_notices BEGIN
    UPDATE notice_days SET n = n - 1 WHERE day = substr(OLD.sent_at, 1, 10) AND kind = OLD.kind;
END;

-- Drift reads the whole team tree (2,000 child_of edges among 170,000
-- edges at the full size) by relation, which no index led with.
CREATE INDEX edges_relation ON edges (relation);

-- 0023's triggers on edges worked out the team tree (team_closure) at
-- every write of a team's parent, even with no change to make stale: an
-- import of 2,000 teams took minutes. The same triggers, with the tree
-- worked out only when some verdict could go stale.
DROP TRIGGER change_drift_edge_insert;
DROP TRIGGER change_drift_edge_delete;
DROP TRIGGER change_drift_edge_update;
CREATE TRIGGER change_drift_edge_insert AFTER INSERT ON edges
WHEN NEW.relation IN ('owned_by', 'member_of', 'leads') BEGIN
    UPDATE change_drift SET state = 'stale' WHERE NEW.relation = 'owned_by' AND entity = NEW.subject AND state <> 'stale';
    UPDATE change_drift SET state = 'stale' WHERE NEW.relation IN ('member_of', 'leads') AND actor = NEW.subject AND state <> 'stale';
END;
CREATE TRIGGER change_drift_edge_insert_tree AFTER INSERT ON edges
WHEN NEW.relation = 'child_of' AND EXISTS (SELECT 1 FROM change_drift WHERE state IN ('inside', 'outside', 'unjudged')) BEGIN
    UPDATE change_drift SET state = 'stale' WHERE state <> 'stale' AND actor IN (
        SELECT m.subject FROM edges m WHERE m.relation IN ('member_of', 'leads')
          AND m.object IN (SELECT team FROM team_closure WHERE ancestor = NEW.subject));
END;
CREATE TRIGGER change_drift_edge_delete AFTER DELETE ON edges
WHEN OLD.relation IN ('owned_by', 'member_of', 'leads') BEGIN
    UPDATE change_drift SET state = 'stale' WHERE OLD.relation = 'owned_by' AND entity = OLD.subject AND state <> 'stale';
    UPDATE change_drift SET state = 'stale' WHERE OLD.relation IN ('member_of', 'leads') AND actor = OLD.subject AND state <> 'stale';
END;
-- The edge is gone: the teams under its child are found from the child
-- itself and the edges that remain.
CREATE TRIGGER change_drift_edge_delete_tree AFTER DELETE ON edges
WHEN OLD.relation = 'child_of' AND EXISTS (SELECT 1 FROM change_drift WHERE state IN ('inside', 'outside', 'unjudged')) BEGIN
    UPDATE change_drift SET state = 'stale' WHERE state <> 'stale' AND actor IN (
        SELECT m.subject FROM edges m WHERE m.relation IN ('member_of', 'leads')
          AND (m.object = OLD.subject OR m.object IN (SELECT team FROM team_closure WHERE ancestor = OLD.subject)));
END;
CREATE TRIGGER change_drift_edge_update AFTER UPDATE ON edges
WHEN OLD.relation IN ('owned_by', 'member_of', 'leads') OR NEW.relation IN ('owned_by', 'member_of', 'leads') BEGIN
    UPDATE change_drift SET state = 'stale' WHERE state <> 'stale' AND (
        (OLD.relation = 'owned_by' AND entity = OLD.subject) OR (NEW.relation = 'owned_by' AND entity = NEW.subject));
    UPDATE change_drift SET state = 'stale' WHERE state <> 'stale' AND (
        (OLD.relation IN ('member_of', 'leads') AND actor = OLD.subject) OR (NEW.relation IN ('member_of', 'leads') AND actor = NEW.subject));
END;
CREATE TRIGGER change_drift_edge_update_tree AFTER UPDATE ON edges
WHEN (OLD.relation = 'child_of' OR NEW.relation = 'child_of')
  AND EXISTS (SELECT 1 FROM change_drift WHERE state IN ('inside', 'outside', 'unjudged')) BEGIN
    UPDATE change_drift SET state = 'stale' WHERE state <> 'stale' AND actor IN (
        SELECT m.subject FROM edges m WHERE m.relation IN ('member_of', 'leads')
          AND (m.object IN (OLD.subject, NEW.subject)
            OR m.object IN (SELECT team FROM team_closure WHERE ancestor IN (OLD.subject, NEW.subject))));
END;

-- Counting notices by kind, and the A8 fairness flags of a period, from
-- an index alone.
CREATE INDEX followup_notices_sent_kind ON followup_notices (sent_at, kind);
DROP INDEX followup_notices_sent;
CREATE INDEX fairness_flags_rule_created ON fairness_flags (rule, created_at, about);
