-- 0013_recurrence: what recurrence detection (F6, F7) reads and records.
--
-- incident_signals are an incident's alert fingerprints and labels (a label
-- is stored as name=value); they belong to the incident, so the table is
-- accountable like its failed entities. recurrences are the confirmed or
-- dismissed links between an incident and an earlier one, re-decided in
-- place with every decision in the audit log; missed_followups are the
-- follow-ups a confirmed recurrence found still open (F7), withdrawn rather
-- than deleted when the link is dismissed. All three are accountable
-- (store/rowstate.go).
--
-- incident_search is the text of an incident (title, summary and its
-- postmortem's mechanism) for the text index, kept by triggers: derived
-- data, not accountable. On PostgreSQL it is a tsvector (the title weighs
-- more) under a GIN index; on SQLite an FTS5 table of the same name.

CREATE TABLE incident_signals (
    incident TEXT NOT NULL REFERENCES incidents (id),
    kind     TEXT NOT NULL CHECK (kind IN ('fingerprint', 'label')),
    value    TEXT NOT NULL,
    PRIMARY KEY (incident, kind, value)
);
-- "the incidents that carried this fingerprint or label".
CREATE INDEX incident_signals_value ON incident_signals (kind, value);

CREATE TABLE recurrences (
    incident   TEXT NOT NULL REFERENCES incidents (id),
    earlier    TEXT NOT NULL REFERENCES incidents (id),
    state      TEXT NOT NULL CHECK (state IN ('confirmed', 'dismissed')),
    reason     TEXT NOT NULL DEFAULT '',
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (incident, earlier)
);
CREATE INDEX recurrences_earlier ON recurrences (earlier);
CREATE INDEX recurrences_decided ON recurrences (state, decided_at);

CREATE TABLE missed_followups (
    incident     TEXT NOT NULL REFERENCES incidents (id),
    followup     TEXT NOT NULL REFERENCES followups (id),
    earlier      TEXT NOT NULL REFERENCES incidents (id),
    owner        TEXT NOT NULL,
    due          TEXT NOT NULL,
    recorded_at  TIMESTAMPTZ NOT NULL,
    withdrawn_at TIMESTAMPTZ,
    PRIMARY KEY (incident, followup)
);
CREATE INDEX missed_followups_owner ON missed_followups (owner, recorded_at);
CREATE INDEX missed_followups_followup ON missed_followups (followup);

CREATE TABLE incident_search (
    incident TEXT PRIMARY KEY,
    document TSVECTOR NOT NULL
);
CREATE INDEX incident_search_document ON incident_search USING gin (document);

CREATE FUNCTION incident_search_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target TEXT;
BEGIN
    IF TG_TABLE_NAME = 'incidents' THEN
        target := NEW.id;
    ELSE
        target := NEW.incident;
    END IF;
    INSERT INTO incident_search (incident, document)
    SELECT i.id, setweight(to_tsvector('english', i.title), 'A') || to_tsvector('english', i.summary)
        || to_tsvector('english', COALESCE(p.mechanism, ''))
    FROM incidents i LEFT JOIN postmortems p ON p.incident = i.id
    WHERE i.id = target
    ON CONFLICT (incident) DO UPDATE SET document = excluded.document;
    RETURN NULL;
END
$$;

CREATE FUNCTION incident_search_forget() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM incident_search WHERE incident = OLD.id;
    RETURN NULL;
END
$$;

CREATE TRIGGER incidents_search_insert AFTER INSERT ON incidents FOR EACH ROW EXECUTE FUNCTION incident_search_refresh();
CREATE TRIGGER incidents_search_update AFTER UPDATE OF title, summary ON incidents FOR EACH ROW EXECUTE FUNCTION incident_search_refresh();
CREATE TRIGGER incidents_search_delete AFTER DELETE ON incidents FOR EACH ROW EXECUTE FUNCTION incident_search_forget();
CREATE TRIGGER postmortems_search_insert AFTER INSERT ON postmortems FOR EACH ROW EXECUTE FUNCTION incident_search_refresh();
CREATE TRIGGER postmortems_search_update AFTER UPDATE OF mechanism ON postmortems FOR EACH ROW EXECUTE FUNCTION incident_search_refresh();

INSERT INTO incident_search (incident, document)
SELECT i.id, setweight(to_tsvector('english', i.title), 'A') || to_tsvector('english', i.summary)
    || to_tsvector('english', COALESCE(p.mechanism, ''))
FROM incidents i LEFT JOIN postmortems p ON p.incident = i.id;
