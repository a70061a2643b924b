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
    started_at TIMESTAMPTZ NOT NULL,
    incident   TEXT NOT NULL,
    PRIMARY KEY (key, started_at, incident)
);
-- "the keys of this incident", for when its start moves or it goes.
CREATE INDEX recurrence_keys_incident ON recurrence_keys (incident);

INSERT INTO recurrence_keys (key, started_at, incident)
SELECT 'e ' || ie.entity, i.started_at, i.id FROM incident_entities ie JOIN incidents i ON i.id = ie.incident
ON CONFLICT DO NOTHING;
INSERT INTO recurrence_keys (key, started_at, incident)
SELECT CASE s.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || s.value, i.started_at, i.id
FROM incident_signals s JOIN incidents i ON i.id = s.incident
ON CONFLICT DO NOTHING;
INSERT INTO recurrence_keys (key, started_at, incident)
SELECT 'a ' || a.fingerprint, i.started_at, i.id FROM alert_events a JOIN incidents i ON i.id = a.incident
ON CONFLICT DO NOTHING;

-- recurrence_keys_refresh drops the key of the old row, unless another
-- alert event of the incident still carries the fingerprint (an incident
-- fails an entity or carries a signal once: their primary keys), and adds
-- the key of the new row.
CREATE FUNCTION recurrence_keys_refresh() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    old_key TEXT;
    new_key TEXT;
BEGIN
    IF TG_TABLE_NAME = 'incident_entities' THEN
        IF TG_OP <> 'INSERT' THEN old_key := 'e ' || OLD.entity; END IF;
        IF TG_OP <> 'DELETE' THEN new_key := 'e ' || NEW.entity; END IF;
    ELSIF TG_TABLE_NAME = 'incident_signals' THEN
        IF TG_OP <> 'INSERT' THEN old_key := CASE OLD.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || OLD.value; END IF;
        IF TG_OP <> 'DELETE' THEN new_key := CASE NEW.kind WHEN 'fingerprint' THEN 'f ' ELSE 'l ' END || NEW.value; END IF;
    ELSE
        IF TG_OP <> 'INSERT' AND NOT EXISTS (
            SELECT 1 FROM alert_events WHERE incident = OLD.incident AND fingerprint = OLD.fingerprint) THEN
            old_key := 'a ' || OLD.fingerprint;
        END IF;
        IF TG_OP <> 'DELETE' THEN new_key := 'a ' || NEW.fingerprint; END IF;
    END IF;
    IF old_key IS NOT NULL THEN
        DELETE FROM recurrence_keys WHERE incident = OLD.incident AND key = old_key;
    END IF;
    IF new_key IS NOT NULL THEN
        INSERT INTO recurrence_keys (key, started_at, incident)
        SELECT new_key, started_at, id FROM incidents WHERE id = NEW.incident
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER recurrence_keys_entities AFTER INSERT OR DELETE OR UPDATE OF incident, entity ON incident_entities
FOR EACH ROW EXECUTE FUNCTION recurrence_keys_refresh();
CREATE TRIGGER recurrence_keys_signals AFTER INSERT OR DELETE OR UPDATE OF incident, kind, value ON incident_signals
FOR EACH ROW EXECUTE FUNCTION recurrence_keys_refresh();
CREATE TRIGGER recurrence_keys_events AFTER INSERT OR DELETE OR UPDATE OF incident, fingerprint ON alert_events
FOR EACH ROW EXECUTE FUNCTION recurrence_keys_refresh();

-- An incident whose start moves takes its keys along; UpdateIncident sets
-- started_at on every update, so only a changed value counts.
CREATE FUNCTION recurrence_keys_incident() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM recurrence_keys WHERE incident = OLD.id;
    ELSE
        UPDATE recurrence_keys SET started_at = NEW.started_at WHERE incident = NEW.id;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER recurrence_keys_incident_start AFTER UPDATE OF started_at ON incidents
FOR EACH ROW WHEN (NEW.started_at IS DISTINCT FROM OLD.started_at) EXECUTE FUNCTION recurrence_keys_incident();
CREATE TRIGGER recurrence_keys_incident_delete AFTER DELETE ON incidents
FOR EACH ROW EXECUTE FUNCTION recurrence_keys_incident();
