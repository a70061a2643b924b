-- 0021_review_scale: what keeps the weekly review fast over a million
-- incidents and fifty thousand entities (issue 10).
--
-- entity_owned_since narrows "the entities with no owner at t" to a few
-- candidates. An entity with an open-ended ownership edge that has no
-- start is owned at every moment and has no row here; every other entity
-- has one, with since the earliest start of its open-ended ownership edges
-- (owned from then on), NULL when it has none (unowned now). The entities
-- unowned at t are among those with since NULL or after t, which an index
-- finds without visiting the rest. Triggers keep it: derived data, like
-- incident_search, not an accountable table.
CREATE TABLE entity_owned_since (
    entity TEXT PRIMARY KEY,
    since  TIMESTAMPTZ
);
CREATE INDEX entity_owned_since_since ON entity_owned_since (since);

INSERT INTO entity_owned_since (entity, since)
SELECT ref, (SELECT MIN(e.valid_from) FROM edges e WHERE e.subject = entities.ref AND e.relation = 'owned_by' AND e.valid_to IS NULL)
FROM entities
WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = entities.ref AND e.relation = 'owned_by' AND e.valid_to IS NULL AND e.valid_from IS NULL);

-- Works the row of one entity out again from its edges.
CREATE FUNCTION entity_owned_since_refresh(target TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM entity_owned_since WHERE entity = target;
    INSERT INTO entity_owned_since (entity, since)
    SELECT ref, (SELECT MIN(e.valid_from) FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL)
    FROM entities WHERE ref = target
      AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL AND e.valid_from IS NULL);
END
$$;

CREATE FUNCTION entity_owned_since_entities() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        DELETE FROM entity_owned_since WHERE entity = OLD.ref;
    ELSE
        PERFORM entity_owned_since_refresh(NEW.ref);
    END IF;
    RETURN NULL;
END
$$;

-- An update may move an edge from one subject or relation to another:
-- both ends are worked out again.
CREATE FUNCTION entity_owned_since_edges() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.relation = 'owned_by' THEN
        PERFORM entity_owned_since_refresh(OLD.subject);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.relation = 'owned_by' THEN
        PERFORM entity_owned_since_refresh(NEW.subject);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER entity_owned_since_entities AFTER INSERT OR DELETE ON entities FOR EACH ROW EXECUTE FUNCTION entity_owned_since_entities();
CREATE TRIGGER entity_owned_since_edges AFTER INSERT OR UPDATE OR DELETE ON edges FOR EACH ROW EXECUTE FUNCTION entity_owned_since_edges();

-- The five weeks of counts by severity read the index alone.
CREATE INDEX incidents_started_severity ON incidents (started_at, severity);
-- The week's missed follow-ups (F7), which were found by reading them all.
CREATE INDEX missed_followups_recorded ON missed_followups (recorded_at);
