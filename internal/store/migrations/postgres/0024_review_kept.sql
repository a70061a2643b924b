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
    resolved_at TIMESTAMPTZ
);
CREATE INDEX open_postmortems_resolved ON open_postmortems (resolved_at, incident);

INSERT INTO open_postmortems (incident, state, title, severity, resolved_at)
SELECT p.incident, p.state, i.title, i.severity, i.resolved_at
FROM postmortems p JOIN incidents i ON i.id = p.incident
WHERE p.state IN ('draft', 'in_review');

-- A postmortem's row follows its state; one written before its incident
-- (a bulk load) gets its row when the incident is.
CREATE FUNCTION open_postmortems_postmortems() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM open_postmortems WHERE incident = OLD.incident;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.state IN ('draft', 'in_review') THEN
        INSERT INTO open_postmortems (incident, state, title, severity, resolved_at)
        SELECT NEW.incident, NEW.state, i.title, i.severity, i.resolved_at FROM incidents i WHERE i.id = NEW.incident
        ON CONFLICT (incident) DO UPDATE SET state = excluded.state, title = excluded.title,
            severity = excluded.severity, resolved_at = excluded.resolved_at;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER open_postmortems_postmortems AFTER INSERT OR UPDATE OF incident, state OR DELETE ON postmortems
FOR EACH ROW EXECUTE FUNCTION open_postmortems_postmortems();

CREATE FUNCTION open_postmortems_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM open_postmortems WHERE incident = OLD.id;
    ELSIF TG_OP = 'UPDATE' THEN
        UPDATE open_postmortems SET title = NEW.title, severity = NEW.severity, resolved_at = NEW.resolved_at WHERE incident = NEW.id;
    ELSE
        INSERT INTO open_postmortems (incident, state, title, severity, resolved_at)
        SELECT NEW.id, p.state, NEW.title, NEW.severity, NEW.resolved_at FROM postmortems p
        WHERE p.incident = NEW.id AND p.state IN ('draft', 'in_review')
        ON CONFLICT (incident) DO UPDATE SET state = excluded.state, title = excluded.title,
            severity = excluded.severity, resolved_at = excluded.resolved_at;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER open_postmortems_incidents AFTER INSERT OR UPDATE OF title, severity, resolved_at OR DELETE ON incidents
FOR EACH ROW EXECUTE FUNCTION open_postmortems_incidents();

-- How many open follow-ups fall due on each day.
CREATE TABLE open_followups_due (
    due TEXT PRIMARY KEY,
    n   INTEGER NOT NULL
);

INSERT INTO open_followups_due (due, n)
SELECT due, COUNT(*) FROM followups WHERE status = 'open' GROUP BY due;

CREATE FUNCTION open_followups_due_followups() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.status = 'open' THEN
        UPDATE open_followups_due SET n = n - 1 WHERE due = OLD.due;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.status = 'open' THEN
        INSERT INTO open_followups_due AS d (due, n) VALUES (NEW.due, 1) ON CONFLICT (due) DO UPDATE SET n = d.n + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER open_followups_due_followups AFTER INSERT OR UPDATE OF status, due OR DELETE ON followups
FOR EACH ROW EXECUTE FUNCTION open_followups_due_followups();

-- The alert labels of each incident (incident_signals of kind label) with
-- its start beside them, ordered by start: drift's "alert labels that
-- name no entity" reads the labels of 90 days' incidents as one range
-- instead of probing each incident's signals (1 s on SQLite, 2.9 s on
-- PostgreSQL at a million incidents).
CREATE TABLE label_signals (
    started_at TIMESTAMPTZ NOT NULL,
    value      TEXT NOT NULL,
    incident   TEXT NOT NULL,
    PRIMARY KEY (started_at, value, incident)
);
CREATE INDEX label_signals_value ON label_signals (value, started_at);
CREATE INDEX label_signals_incident ON label_signals (incident);

INSERT INTO label_signals (started_at, value, incident)
SELECT i.started_at, s.value, i.id FROM incident_signals s JOIN incidents i ON i.id = s.incident WHERE s.kind = 'label'
ON CONFLICT DO NOTHING;

CREATE FUNCTION label_signals_signals() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.kind = 'label' THEN
        DELETE FROM label_signals WHERE incident = OLD.incident AND value = OLD.value;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.kind = 'label' THEN
        INSERT INTO label_signals (started_at, value, incident)
        SELECT started_at, NEW.value, id FROM incidents WHERE id = NEW.incident
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER label_signals_signals AFTER INSERT OR UPDATE OF incident, kind, value OR DELETE ON incident_signals
FOR EACH ROW EXECUTE FUNCTION label_signals_signals();

CREATE FUNCTION label_signals_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM label_signals WHERE incident = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO label_signals (started_at, value, incident)
        SELECT NEW.started_at, s.value, NEW.id FROM incident_signals s WHERE s.incident = NEW.id AND s.kind = 'label'
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER label_signals_incidents AFTER INSERT OR UPDATE OF id, started_at OR DELETE ON incidents
FOR EACH ROW EXECUTE FUNCTION label_signals_incidents();

-- Incidents per UTC day of start and severity: the five weeks of counts
-- by severity (32,000 incidents through an index at a million).
CREATE TABLE incident_days (
    day      DATE NOT NULL,
    severity TEXT NOT NULL,
    n        INTEGER NOT NULL,
    PRIMARY KEY (day, severity)
);

INSERT INTO incident_days (day, severity, n)
SELECT (started_at AT TIME ZONE 'UTC')::date, severity, COUNT(*) FROM incidents GROUP BY 1, 2;

CREATE FUNCTION incident_days_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE incident_days SET n = n - 1 WHERE day = (OLD.started_at AT TIME ZONE 'UTC')::date AND severity = OLD.severity;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO incident_days AS d (day, severity, n) VALUES ((NEW.started_at AT TIME ZONE 'UTC')::date, NEW.severity, 1)
        ON CONFLICT (day, severity) DO UPDATE SET n = d.n + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER incident_days_incidents AFTER INSERT OR UPDATE OF started_at, severity OR DELETE ON incidents
FOR EACH ROW EXECUTE FUNCTION incident_days_incidents();

-- Reminders and escalations per UTC day sent and kind (41,000 in the
-- week at a million incidents).
CREATE TABLE notice_days (
    day  DATE NOT NULL,
    kind TEXT NOT NULL,
    n    INTEGER NOT NULL,
    PRIMARY KEY (day, kind)
);

INSERT INTO notice_days (day, kind, n)
SELECT (sent_at AT TIME ZONE 'UTC')::date, kind, COUNT(*) FROM followup_notices GROUP BY 1, 2;

CREATE FUNCTION notice_days_notices() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE notice_days SET n = n - 1 WHERE day = (OLD.sent_at AT TIME ZONE 'UTC')::date AND kind = OLD.kind;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO notice_days AS d (day, kind, n) VALUES ((NEW.sent_at AT TIME ZONE 'UTC')::date, NEW.kind, 1)
        ON CONFLICT (day, kind) DO UPDATE SET n = d.n + 1;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER notice_days_notices AFTER INSERT OR UPDATE OF sent_at, kind OR DELETE ON followup_notices
FOR EACH ROW EXECUTE FUNCTION notice_days_notices();

-- Drift reads the whole team tree (2,000 child_of edges among 170,000
-- edges at the full size) by relation, which no index led with.
CREATE INDEX edges_relation ON edges (relation);

-- Counting notices by kind, and the A8 fairness flags of a period, from
-- an index alone.
CREATE INDEX followup_notices_sent_kind ON followup_notices (sent_at, kind);
DROP INDEX followup_notices_sent;
CREATE INDEX fairness_flags_rule_created ON fairness_flags (rule, created_at, about);

-- The planner gets the new tables' statistics now (see 0023).
ANALYZE open_postmortems;
ANALYZE open_followups_due;
ANALYZE label_signals;
ANALYZE incident_days;
ANALYZE notice_days;
