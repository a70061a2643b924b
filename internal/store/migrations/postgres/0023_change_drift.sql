-- 0023_change_drift: whether each change was made from inside its
-- entity's owner, kept as data so the weekly review's drift check
-- (DeploysFromOutside, review.Drift) reads the few entities that may have
-- drifted instead of judging every change of 90 days against the org
-- chart (83,000 changes at a million incidents: seconds).
--
-- One row per change. state is
--   inside    the actor was the owner, or belonged (member or leader) to
--             the owning team or a team under it, at the change's time;
--   outside   the entity had an owner then and the actor was none of that;
--   unjudged  no actor, or no owner at the time: drift does not judge it;
--   stale     not judged yet, or an edge it depends on was written since.
-- A stale row is never trusted: the review judges its entity from the
-- edges themselves, so the answer stays exact whatever is stale; judging
-- again (store.JudgeChanges) only makes the review read less. Derived
-- data like entity_owned_since, not an accountable table.
CREATE TABLE change_drift (
    change_id TEXT PRIMARY KEY,
    entity    TEXT NOT NULL,
    actor     TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL,
    state     TEXT NOT NULL DEFAULT 'stale' CHECK (state IN ('stale', 'inside', 'outside', 'unjudged'))
);
-- The review's candidates: stale or outside changes of the window.
CREATE INDEX change_drift_state_at ON change_drift (state, at, entity);
-- Whether an entity has an inside change in the window; invalidation by
-- entity.
CREATE INDEX change_drift_entity ON change_drift (entity, state, at);
-- Invalidation by actor.
CREATE INDEX change_drift_actor ON change_drift (actor);

INSERT INTO change_drift (change_id, entity, actor, at)
SELECT id, entity, actor, at FROM changes;

-- Judging, the same statement as store.JudgeChanges: the owners of each
-- stale change's entity at its time; the teams of its actor then and
-- every team above them then; the verdict.
WITH RECURSIVE
todo AS (SELECT change_id, entity, actor, at FROM change_drift WHERE state = 'stale'),
own AS (
    SELECT t.change_id, e.object AS owner
    FROM todo t JOIN edges e ON e.subject = t.entity AND e.relation = 'owned_by'
    WHERE (e.valid_from IS NULL OR e.valid_from <= t.at) AND (e.valid_to IS NULL OR t.at < e.valid_to)
),
up (change_id, at, team) AS (
    SELECT t.change_id, t.at, m.object
    FROM todo t JOIN edges m ON m.subject = t.actor AND m.relation IN ('member_of', 'leads')
    WHERE t.actor <> '' AND (m.valid_from IS NULL OR m.valid_from <= t.at) AND (m.valid_to IS NULL OR t.at < m.valid_to)
    UNION
    SELECT u.change_id, u.at, p.object
    FROM up u JOIN edges p ON p.subject = u.team AND p.relation = 'child_of'
    WHERE (p.valid_from IS NULL OR p.valid_from <= u.at) AND (p.valid_to IS NULL OR u.at < p.valid_to)
),
owned AS (SELECT DISTINCT change_id FROM own),
inside AS (
    SELECT DISTINCT o.change_id FROM own o JOIN todo t ON t.change_id = o.change_id WHERE o.owner = t.actor
    UNION
    SELECT o.change_id FROM own o JOIN up u ON u.change_id = o.change_id AND u.team = o.owner
),
verdict AS (
    SELECT t.change_id, CASE
        WHEN t.actor = '' OR w.change_id IS NULL THEN 'unjudged'
        WHEN i.change_id IS NOT NULL THEN 'inside'
        ELSE 'outside' END AS state
    FROM todo t LEFT JOIN owned w ON w.change_id = t.change_id LEFT JOIN inside i ON i.change_id = t.change_id
)
UPDATE change_drift SET state = verdict.state FROM verdict WHERE change_drift.change_id = verdict.change_id;

-- A new change starts stale; the store judges it in the transaction that
-- records it.
CREATE FUNCTION change_drift_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        DELETE FROM change_drift WHERE change_id = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        INSERT INTO change_drift (change_id, entity, actor, at) VALUES (NEW.id, NEW.entity, NEW.actor, NEW.at);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER change_drift_changes AFTER INSERT OR UPDATE OR DELETE ON changes FOR EACH ROW EXECUTE FUNCTION change_drift_changes();

-- Makes stale every verdict an edge (old or new) may take part in,
-- whatever its dates: an ownership the entity's changes, a membership or
-- lead the person's changes, a team's parent the changes of everyone who
-- ever belonged to that team or a team under it.
CREATE FUNCTION change_drift_stale(rel TEXT, who TEXT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    IF rel = 'owned_by' THEN
        UPDATE change_drift SET state = 'stale' WHERE entity = who AND state <> 'stale';
    ELSIF rel IN ('member_of', 'leads') THEN
        UPDATE change_drift SET state = 'stale' WHERE actor = who AND state <> 'stale';
    ELSIF rel = 'child_of' THEN
        -- The teams under who, over all the child_of edges ever recorded:
        -- a superset of the tree at any moment.
        WITH RECURSIVE down (team) AS (
            SELECT who
            UNION
            SELECT e.subject FROM down d JOIN edges e ON e.object = d.team AND e.relation = 'child_of'
        )
        UPDATE change_drift SET state = 'stale' WHERE state <> 'stale' AND actor IN (
            SELECT m.subject FROM edges m WHERE m.relation IN ('member_of', 'leads') AND m.object IN (SELECT team FROM down));
    END IF;
END
$$;

CREATE FUNCTION change_drift_edges() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM change_drift_stale(OLD.relation, OLD.subject);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM change_drift_stale(NEW.relation, NEW.subject);
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER change_drift_edges AFTER INSERT OR UPDATE OR DELETE ON edges FOR EACH ROW EXECUTE FUNCTION change_drift_edges();

-- Autovacuum may be off or late: the planner gets the new table's
-- statistics now (a million rows at the full size, and no statistics
-- made it read the suspects by bitmap scans of guessed size).
ANALYZE change_drift;
