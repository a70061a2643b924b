-- 0025_decision_days: the decisions in force (an incident's current
-- attribution) counted per UTC day of decision, party, rule, suggested
-- rule and whether the party overrode the suggestion (A8), so the weekly
-- review's rule table, its leader corner's A4 counts and the week's
-- totals read a few rows a day instead of joining every decision of 90
-- days to its incident (80,000 at a million incidents: 0.2-0.35 s).
-- Triggers keep it in the transaction of the write, whichever of the
-- incident and its attribution is written first; derived data, not an
-- accountable table. A row whose count falls to zero stays; readers skip
-- it.
CREATE TABLE decision_days (
    day            DATE NOT NULL,
    party          TEXT NOT NULL,
    rule           TEXT NOT NULL,
    suggested_rule TEXT NOT NULL,
    overridden     INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (day, party, rule, suggested_rule, overridden)
);

INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
SELECT (a.decided_at AT TIME ZONE 'UTC')::date, a.party, a.rule, a.suggested_rule, (a.party <> a.suggested_party)::int, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2, 3, 4, 5;

-- Adds k to the count of decision id's day, party and rules (nothing when
-- its row does not exist yet).
CREATE FUNCTION decision_days_add(id TEXT, k INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO decision_days AS d (day, party, rule, suggested_rule, overridden, n)
    SELECT (a.decided_at AT TIME ZONE 'UTC')::date, a.party, a.rule, a.suggested_rule, (a.party <> a.suggested_party)::int, k
    FROM attributions a WHERE a.id = decision_days_add.id
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = d.n + excluded.n;
END
$$;

-- A decision enters or leaves the count when an incident comes to point at
-- it or stops doing so.
CREATE FUNCTION decision_days_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.attribution IS NOT NULL THEN
        IF TG_OP = 'DELETE' OR OLD.attribution IS DISTINCT FROM NEW.attribution THEN
            PERFORM decision_days_add(OLD.attribution, -1);
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.attribution IS NOT NULL THEN
        IF TG_OP = 'INSERT' OR OLD.attribution IS DISTINCT FROM NEW.attribution THEN
            PERFORM decision_days_add(NEW.attribution, 1);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER decision_days_incidents AFTER INSERT OR UPDATE OF attribution OR DELETE ON incidents
FOR EACH ROW EXECUTE FUNCTION decision_days_incidents();

-- A decision's own row written after an incident points at it (a bulk
-- load), changed or removed moves the counts of the incidents that point
-- at it.
CREATE FUNCTION decision_days_attributions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    k INTEGER;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT COUNT(*) INTO k FROM incidents i WHERE i.attribution = OLD.id;
        IF k > 0 THEN
            UPDATE decision_days SET n = n - k
            WHERE day = (OLD.decided_at AT TIME ZONE 'UTC')::date AND party = OLD.party AND rule = OLD.rule
              AND suggested_rule = OLD.suggested_rule AND overridden = (OLD.party <> OLD.suggested_party)::int;
        END IF;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        SELECT COUNT(*) INTO k FROM incidents i WHERE i.attribution = NEW.id;
        IF k > 0 THEN
            PERFORM decision_days_add(NEW.id, k);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER decision_days_attributions AFTER INSERT OR UPDATE OR DELETE ON attributions
FOR EACH ROW EXECUTE FUNCTION decision_days_attributions();
