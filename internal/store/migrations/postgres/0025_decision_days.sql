-- 0025_decision_days: the decisions in force (an incident's current
-- attribution) counted three ways, so the weekly review reads a few
-- hundred rows instead of joining every decision of 90 days to its
-- incident (80,000 at a million incidents: rule counts 0.2-0.35 s, A4
-- counts 0.05-0.13 s, team trends 0.1-0.15 s through each named team's
-- every decision):
--   decision_days  per UTC day of decision, party, rule, suggested rule
--                  and override (A8): the week's totals by party and
--                  rule, and the leader corner's A4 counts;
--   rule_days      per UTC day of decision, suggested rule and override:
--                  how often each rule's suggestion was overridden;
--   party_starts   per party and UTC day of the incident's start: the
--                  trends of the teams named most.
-- Triggers on incidents and attributions keep them in the transaction of
-- the write, whichever of an incident and its attribution is written
-- first (a bulk load); derived data, not accountable tables. A row whose
-- count falls to zero stays; readers skip it.
CREATE TABLE decision_days (
    day            DATE NOT NULL,
    party          TEXT NOT NULL,
    rule           TEXT NOT NULL,
    suggested_rule TEXT NOT NULL,
    overridden     INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (day, party, rule, suggested_rule, overridden)
);
CREATE INDEX decision_days_rule ON decision_days (rule, day, party, n);
CREATE TABLE rule_days (
    day            DATE NOT NULL,
    suggested_rule TEXT NOT NULL,
    overridden     INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (day, suggested_rule, overridden)
);
CREATE TABLE party_starts (
    party TEXT NOT NULL,
    day   DATE NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (party, day)
);

INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
SELECT (a.decided_at AT TIME ZONE 'UTC')::date, a.party, a.rule, a.suggested_rule, (a.party <> a.suggested_party)::int, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO rule_days (day, suggested_rule, overridden, n)
SELECT (a.decided_at AT TIME ZONE 'UTC')::date, a.suggested_rule, (a.party <> a.suggested_party)::int, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2, 3;
INSERT INTO party_starts (party, day, n)
SELECT a.party, (i.started_at AT TIME ZONE 'UTC')::date, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2;

-- Adds k decisions made at decided naming party under rule, whose
-- suggestion named suggested under suggested_rule, of incidents started
-- at started, to the three counts.
CREATE FUNCTION decision_counts_add(decided TIMESTAMPTZ, party_ TEXT, rule_ TEXT, suggested TEXT, suggested_rule_ TEXT,
    started TIMESTAMPTZ, k INTEGER) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO decision_days AS d (day, party, rule, suggested_rule, overridden, n)
    VALUES ((decided AT TIME ZONE 'UTC')::date, party_, rule_, suggested_rule_, (party_ <> suggested)::int, k)
    ON CONFLICT ON CONSTRAINT decision_days_pkey DO UPDATE SET n = d.n + excluded.n;
    INSERT INTO rule_days AS r (day, suggested_rule, overridden, n)
    VALUES ((decided AT TIME ZONE 'UTC')::date, suggested_rule_, (party_ <> suggested)::int, k)
    ON CONFLICT ON CONSTRAINT rule_days_pkey DO UPDATE SET n = r.n + excluded.n;
    INSERT INTO party_starts AS p (party, day, n)
    VALUES (party_, (started AT TIME ZONE 'UTC')::date, k)
    ON CONFLICT ON CONSTRAINT party_starts_pkey DO UPDATE SET n = p.n + excluded.n;
END
$$;

-- An incident adds its decision in force to the counts, and takes it away
-- when it points elsewhere, moves its start or goes.
CREATE FUNCTION decision_days_incidents() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.attribution IS NOT DISTINCT FROM NEW.attribution AND OLD.started_at = NEW.started_at THEN
        RETURN NULL;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.attribution IS NOT NULL THEN
        PERFORM decision_counts_add(a.decided_at, a.party, a.rule, a.suggested_party, a.suggested_rule, OLD.started_at, -1)
        FROM attributions a WHERE a.id = OLD.attribution;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.attribution IS NOT NULL THEN
        PERFORM decision_counts_add(a.decided_at, a.party, a.rule, a.suggested_party, a.suggested_rule, NEW.started_at, 1)
        FROM attributions a WHERE a.id = NEW.attribution;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER decision_days_incidents AFTER INSERT OR UPDATE OF attribution, started_at OR DELETE ON incidents
FOR EACH ROW EXECUTE FUNCTION decision_days_incidents();

-- A decision's own row written after an incident points at it (a bulk
-- load), changed or removed moves the counts of the incidents that do.
CREATE FUNCTION decision_days_attributions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM decision_counts_add(OLD.decided_at, OLD.party, OLD.rule, OLD.suggested_party, OLD.suggested_rule, i.started_at, -1)
        FROM incidents i WHERE i.attribution = OLD.id;
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        PERFORM decision_counts_add(NEW.decided_at, NEW.party, NEW.rule, NEW.suggested_party, NEW.suggested_rule, i.started_at, 1)
        FROM incidents i WHERE i.attribution = NEW.id;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER decision_days_attributions AFTER INSERT OR UPDATE OR DELETE ON attributions
FOR EACH ROW EXECUTE FUNCTION decision_days_attributions();

-- The planner gets the new tables' statistics now (see 0023).
ANALYZE decision_days;
ANALYZE rule_days;
ANALYZE party_starts;
