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
    since  TEXT
) WITHOUT ROWID;
CREATE INDEX entity_owned_since_since ON entity_owned_since (since);

INSERT INTO entity_owned_since (entity, since)
SELECT ref, (SELECT MIN(e.valid_from) FROM edges e WHERE e.subject = entities.ref AND e.relation = 'owned_by' AND e.valid_to IS NULL)
FROM entities
WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = entities.ref AND e.relation = 'owned_by' AND e.valid_to IS NULL AND e.valid_from IS NULL);

-- Each trigger works the row of one entity out again from its edges.
CREATE TRIGGER entity_owned_since_entity_insert AFTER INSERT ON entities BEGIN
    DELETE FROM entity_owned_since WHERE entity = NEW.ref;
    INSERT INTO entity_owned_since (entity, since)
    SELECT NEW.ref, (SELECT MIN(e.valid_from) FROM edges e WHERE e.subject = NEW.ref AND e.relation = 'owned_by' AND e.valid_to IS NULL)
    WHERE NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = NEW.ref AND e.relation = 'owned_by' AND e.valid_to IS NULL AND e.valid_from IS NULL);
END;
CREATE TRIGGER entity_owned_since_entity_delete AFTER DELETE ON entities BEGIN
    DELETE FROM entity_owned_since WHERE entity = OLD.ref;
END;
CREATE TRIGGER entity_owned_since_edge_insert AFTER INSERT ON edges WHEN NEW.relation = 'owned_by' BEGIN
    DELETE FROM entity_owned_since WHERE entity = NEW.subject;
    INSERT INTO entity_owned_since (entity, since)
    SELECT ref, (SELECT MIN(e.valid_from) FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL)
    FROM entities WHERE ref = NEW.subject
      AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL AND e.valid_from IS NULL);
END;
CREATE TRIGGER entity_owned_since_edge_delete AFTER DELETE ON edges WHEN OLD.relation = 'owned_by' BEGIN
    DELETE FROM entity_owned_since WHERE entity = OLD.subject;
    INSERT INTO entity_owned_since (entity, since)
    SELECT ref, (SELECT MIN(e.valid_from) FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL)
    FROM entities WHERE ref = OLD.subject
      AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL AND e.valid_from IS NULL);
END;
-- An update may move an edge from one subject or relation to another:
-- both ends are worked out again.
CREATE TRIGGER entity_owned_since_edge_update AFTER UPDATE ON edges WHEN OLD.relation = 'owned_by' OR NEW.relation = 'owned_by' BEGIN
    DELETE FROM entity_owned_since WHERE entity IN (OLD.subject, NEW.subject);
    INSERT INTO entity_owned_since (entity, since)
    SELECT ref, (SELECT MIN(e.valid_from) FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL)
    FROM entities WHERE ref IN (OLD.subject, NEW.subject)
      AND NOT EXISTS (SELECT 1 FROM edges e WHERE e.subject = ref AND e.relation = 'owned_by' AND e.valid_to IS NULL AND e.valid_from IS NULL);
END;

-- The five weeks of counts by severity read the index alone.
CREATE INDEX incidents_started_severity ON incidents (started_at, severity);
-- The week's missed follow-ups (F7), which were found by reading them all.
CREATE INDEX missed_followups_recorded ON missed_followups (recorded_at);
