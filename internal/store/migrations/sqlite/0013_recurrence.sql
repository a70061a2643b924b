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
-- data, not accountable. On SQLite the index is the FTS5 table
-- incident_search_document over it (external content); on PostgreSQL a
-- GIN index over a tsvector column.

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
    decided_at TEXT NOT NULL,
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
    recorded_at  TEXT NOT NULL,
    withdrawn_at TEXT,
    PRIMARY KEY (incident, followup)
);
CREATE INDEX missed_followups_owner ON missed_followups (owner, recorded_at);
CREATE INDEX missed_followups_followup ON missed_followups (followup);

CREATE TABLE incident_search (
    incident TEXT PRIMARY KEY,
    document TEXT NOT NULL
);
CREATE VIRTUAL TABLE incident_search_document USING fts5 (
    document, content = 'incident_search', content_rowid = 'rowid', tokenize = 'porter unicode61'
);

CREATE TRIGGER incident_search_insert AFTER INSERT ON incident_search BEGIN
    INSERT INTO incident_search_document (rowid, document) VALUES (new.rowid, new.document);
END;
CREATE TRIGGER incident_search_delete AFTER DELETE ON incident_search BEGIN
    INSERT INTO incident_search_document (incident_search_document, rowid, document) VALUES ('delete', old.rowid, old.document);
END;
CREATE TRIGGER incident_search_update AFTER UPDATE ON incident_search BEGIN
    INSERT INTO incident_search_document (incident_search_document, rowid, document) VALUES ('delete', old.rowid, old.document);
    INSERT INTO incident_search_document (rowid, document) VALUES (new.rowid, new.document);
END;

CREATE TRIGGER incidents_search_insert AFTER INSERT ON incidents BEGIN
    INSERT INTO incident_search (incident, document)
    VALUES (new.id, new.title || ' ' || new.summary || ' ' || COALESCE((SELECT mechanism FROM postmortems WHERE incident = new.id), ''));
END;
CREATE TRIGGER incidents_search_update AFTER UPDATE OF title, summary ON incidents BEGIN
    UPDATE incident_search
    SET document = new.title || ' ' || new.summary || ' ' || COALESCE((SELECT mechanism FROM postmortems WHERE incident = new.id), '')
    WHERE incident = new.id;
END;
CREATE TRIGGER incidents_search_delete AFTER DELETE ON incidents BEGIN
    DELETE FROM incident_search WHERE incident = old.id;
END;
CREATE TRIGGER postmortems_search_insert AFTER INSERT ON postmortems BEGIN
    UPDATE incident_search
    SET document = (SELECT title || ' ' || summary FROM incidents WHERE id = new.incident) || ' ' || new.mechanism
    WHERE incident = new.incident;
END;
CREATE TRIGGER postmortems_search_update AFTER UPDATE OF mechanism ON postmortems BEGIN
    UPDATE incident_search
    SET document = (SELECT title || ' ' || summary FROM incidents WHERE id = new.incident) || ' ' || new.mechanism
    WHERE incident = new.incident;
END;

INSERT INTO incident_search (incident, document)
SELECT i.id, i.title || ' ' || i.summary || ' ' || COALESCE(p.mechanism, '')
FROM incidents i LEFT JOIN postmortems p ON p.incident = i.id;
