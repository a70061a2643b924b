-- 0029_recurrence_words: the words of each incident's search document in
-- recurrence_keys, so that PostgreSQL finds the latest incidents holding a
-- word the way it finds those sharing an entity (F6, issue 10).
--
-- The text lookup of recurrence candidates wants the most recent 250
-- incidents of the window whose document holds any of the subject's rare
-- words. The GIN index of incident_search returns its matches in no order,
-- so the latest 250 of a word found in a few thousand documents meant
-- reading every one of them (or walking incidents backwards by start and
-- testing each document): 150-940 ms at a million incidents. Here each
-- lexeme of a document is a key "w <lexeme>" with the incident's start, so
-- the latest matches of a word are one backward range of the primary key.
--
-- SQLite needs none of this: FTS5 walks a word's documents newest first
-- and stops, so on SQLite recurrence_keys holds no "w " keys.
--
-- The trigger follows incident_search, which its own triggers keep in step
-- with titles, summaries and mechanisms; recurrence_keys_incident (0026)
-- already moves every key of an incident whose start moves, and drops them
-- with it.
CREATE FUNCTION recurrence_keys_words() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.incident = OLD.incident AND NEW.document = OLD.document THEN
        RETURN NULL;
    END IF;
    IF TG_OP <> 'INSERT' THEN
        DELETE FROM recurrence_keys
        WHERE incident = OLD.incident AND key IN (
            SELECT 'w ' || w FROM unnest(tsvector_to_array(OLD.document)) w
            EXCEPT
            SELECT 'w ' || w FROM unnest(tsvector_to_array(NEW.document)) w WHERE NEW.incident = OLD.incident);
    END IF;
    -- Only the words the incident does not hold yet: an update of its
    -- title and start in one statement runs this before
    -- recurrence_keys_incident moves its other keys to the new start, so a
    -- word it keeps is still under the old start here.
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO recurrence_keys (key, started_at, incident)
        SELECT 'w ' || w, i.started_at, i.id FROM incidents i, unnest(tsvector_to_array(NEW.document)) w
        WHERE i.id = NEW.incident
          AND NOT EXISTS (SELECT 1 FROM recurrence_keys r WHERE r.incident = NEW.incident AND r.key = 'w ' || w)
        ON CONFLICT DO NOTHING;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER recurrence_keys_search AFTER INSERT OR DELETE OR UPDATE ON incident_search
FOR EACH ROW EXECUTE FUNCTION recurrence_keys_words();

INSERT INTO recurrence_keys (key, started_at, incident)
SELECT 'w ' || w, i.started_at, i.id
FROM incident_search s JOIN incidents i ON i.id = s.incident, unnest(tsvector_to_array(s.document)) w
ON CONFLICT DO NOTHING;
