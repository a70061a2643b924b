-- 0026_recurrence_keys: what makes the lookups of recurrence candidates
-- (F6) read a few index pages instead of an incident per match (issue 10).
--
-- A lookup asks for the latest incidents of a time window that failed one
-- of some entities, or carried one of some fingerprints or labels. From
-- incident_entities or incident_signals that means reading every matching
-- row and then each matching incident by key for its start: at a million
-- incidents, hundreds of scattered reads for an alert label or the
-- entities of a system. recurrence_keys holds the same facts with the
-- incident's start beside them, ordered by (key, started_at), so a lookup
-- is a range of one index. A key is the kind and the value: "e " and a
-- failed entity, "f " and a fingerprint of the incident's signals, "l "
-- and a label (name=value), "a " and the fingerprint of one of its alert
-- events.
--
-- Triggers keep it exactly in step with those tables and with the
-- incidents' starts, in the same transaction as the write: derived data,
-- like incident_search, not an accountable table.
CREATE TABLE recurrence_keys (
    key        TEXT NOT NULL,
    started_at TEXT NOT NULL,
    incident   TEXT NOT NULL,
    PRIMARY KEY (key, started_at, incident)
) WITHOUT ROWID;
-- "the keys of this incident", for when its start moves or it goes.
CREATE INDEX recurrence_keys_incident ON recurrence_keys (incident);

INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
SELECT 'e ' || ie.entity, i.started_at, i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident;
INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
SELECT CASE s.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || s.value, i.started_at, i.id
FROM incident_signals s JOIN incidents i ON i.id = s.incident;
INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
SELECT 'a ' || a.fingerprint, i.started_at, i.id FROM alert_events a JOIN incidents i ON i.id = a.incident;

CREATE TRIGGER recurrence_keys_entity_insert AFTER INSERT ON incident_entities BEGIN
    INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
    SELECT 'e ' || NEW.entity, started_at, id FROM incidents WHERE id = NEW.incident;
END;
-- An incident fails an entity once (the primary key of incident_entities),
-- so its key goes with the row.
CREATE TRIGGER recurrence_keys_entity_delete AFTER DELETE ON incident_entities BEGIN
    DELETE FROM recurrence_keys WHERE incident = OLD.incident AND key = 'e ' || OLD.entity;
END;
CREATE TRIGGER recurrence_keys_entity_update AFTER UPDATE OF incident, entity ON incident_entities BEGIN
    DELETE FROM recurrence_keys WHERE incident = OLD.incident AND key = 'e ' || OLD.entity;
    INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
    SELECT 'e ' || NEW.entity, started_at, id FROM incidents WHERE id = NEW.incident;
END;

CREATE TRIGGER recurrence_keys_signal_insert AFTER INSERT ON incident_signals BEGIN
    INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
    SELECT CASE NEW.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || NEW.value, started_at, id FROM incidents WHERE id = NEW.incident;
END;
CREATE TRIGGER recurrence_keys_signal_delete AFTER DELETE ON incident_signals BEGIN
    DELETE FROM recurrence_keys WHERE incident = OLD.incident AND key = CASE OLD.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || OLD.value;
END;
CREATE TRIGGER recurrence_keys_signal_update AFTER UPDATE OF incident, kind, value ON incident_signals BEGIN
    DELETE FROM recurrence_keys WHERE incident = OLD.incident AND key = CASE OLD.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || OLD.value;
    INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
    SELECT CASE NEW.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || NEW.value, started_at, id FROM incidents WHERE id = NEW.incident;
END;

-- Several alert events of an incident may carry one fingerprint: the key
-- stays while any of them does.
CREATE TRIGGER recurrence_keys_event_insert AFTER INSERT ON alert_events BEGIN
    INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
    SELECT 'a ' || NEW.fingerprint, started_at, id FROM incidents WHERE id = NEW.incident;
END;
CREATE TRIGGER recurrence_keys_event_delete AFTER DELETE ON alert_events
WHEN NOT EXISTS (SELECT 1 FROM alert_events WHERE incident = OLD.incident AND fingerprint = OLD.fingerprint) BEGIN
    DELETE FROM recurrence_keys WHERE incident = OLD.incident AND key = 'a ' || OLD.fingerprint;
END;
CREATE TRIGGER recurrence_keys_event_update AFTER UPDATE OF incident, fingerprint ON alert_events BEGIN
    DELETE FROM recurrence_keys WHERE incident = OLD.incident AND key = 'a ' || OLD.fingerprint
        AND NOT EXISTS (SELECT 1 FROM alert_events WHERE incident = OLD.incident AND fingerprint = OLD.fingerprint);
    INSERT OR IGNORE INTO recurrence_keys (key, started_at, incident)
    SELECT 'a ' || NEW.fingerprint, started_at, id FROM incidents WHERE id = NEW.incident;
END;

-- An incident whose start moves takes its keys along; UpdateIncident sets
-- started_at on every update, so only a changed value counts.
CREATE TRIGGER recurrence_keys_incident_start AFTER UPDATE OF started_at ON incidents
WHEN NEW.started_at IS NOT OLD.started_at BEGIN
    UPDATE recurrence_keys SET started_at = NEW.started_at WHERE incident = NEW.id;
END;
CREATE TRIGGER recurrence_keys_incident_delete AFTER DELETE ON incidents BEGIN
    DELETE FROM recurrence_keys WHERE incident = OLD.id;
END;
