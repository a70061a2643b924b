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
    day            TEXT NOT NULL,
    party          TEXT NOT NULL,
    rule           TEXT NOT NULL,
    suggested_rule TEXT NOT NULL,
    overridden     INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (day, party, rule, suggested_rule, overridden)
) WITHOUT ROWID;
CREATE INDEX decision_days_rule ON decision_days (rule, day, party, n);
CREATE TABLE rule_days (
    day            TEXT NOT NULL,
    suggested_rule TEXT NOT NULL,
    overridden     INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (day, suggested_rule, overridden)
) WITHOUT ROWID;
CREATE TABLE party_starts (
    party TEXT NOT NULL,
    day   TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (party, day)
) WITHOUT ROWID;

INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2, 3, 4, 5;
INSERT INTO rule_days (day, suggested_rule, overridden, n)
SELECT substr(a.decided_at, 1, 10), a.suggested_rule, a.party <> a.suggested_party, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2, 3;
INSERT INTO party_starts (party, day, n)
SELECT a.party, substr(i.started_at, 1, 10), COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2;

-- An incident adds its decision in force to the counts, and takes it away
-- when it points elsewhere, moves its start or goes.
CREATE TRIGGER decision_days_incident_insert AFTER INSERT ON incidents WHEN NEW.attribution IS NOT NULL BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.suggested_rule, a.party <> a.suggested_party, 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT a.party, substr(NEW.started_at, 1, 10), 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER decision_days_incident_update AFTER UPDATE OF attribution, started_at ON incidents
WHEN OLD.attribution IS NOT NEW.attribution OR OLD.started_at IS NOT NEW.started_at BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, -1
    FROM attributions a WHERE a.id = OLD.attribution
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.suggested_rule, a.party <> a.suggested_party, -1
    FROM attributions a WHERE a.id = OLD.attribution
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT a.party, substr(OLD.started_at, 1, 10), -1
    FROM attributions a WHERE a.id = OLD.attribution
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.suggested_rule, a.party <> a.suggested_party, 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT a.party, substr(NEW.started_at, 1, 10), 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER decision_days_incident_delete AFTER DELETE ON incidents WHEN OLD.attribution IS NOT NULL BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, -1
    FROM attributions a WHERE a.id = OLD.attribution
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.suggested_rule, a.party <> a.suggested_party, -1
    FROM attributions a WHERE a.id = OLD.attribution
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT a.party, substr(OLD.started_at, 1, 10), -1
    FROM attributions a WHERE a.id = OLD.attribution
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
END;
-- A decision's own row written after an incident points at it (a bulk
-- load), changed or removed moves the counts of the incidents that do.
CREATE TRIGGER decision_days_attribution_insert AFTER INSERT ON attributions BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(NEW.decided_at, 1, 10), NEW.party, NEW.rule, NEW.suggested_rule, NEW.party <> NEW.suggested_party, COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id HAVING COUNT(*) > 0
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(NEW.decided_at, 1, 10), NEW.suggested_rule, NEW.party <> NEW.suggested_party, COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id HAVING COUNT(*) > 0
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT NEW.party, substr(i.started_at, 1, 10), COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id GROUP BY 2
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER decision_days_attribution_update AFTER UPDATE ON attributions BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(OLD.decided_at, 1, 10), OLD.party, OLD.rule, OLD.suggested_rule, OLD.party <> OLD.suggested_party, -COUNT(*)
    FROM incidents i WHERE i.attribution = OLD.id HAVING COUNT(*) > 0
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(OLD.decided_at, 1, 10), OLD.suggested_rule, OLD.party <> OLD.suggested_party, -COUNT(*)
    FROM incidents i WHERE i.attribution = OLD.id HAVING COUNT(*) > 0
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT OLD.party, substr(i.started_at, 1, 10), -COUNT(*)
    FROM incidents i WHERE i.attribution = OLD.id GROUP BY 2
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(NEW.decided_at, 1, 10), NEW.party, NEW.rule, NEW.suggested_rule, NEW.party <> NEW.suggested_party, COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id HAVING COUNT(*) > 0
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(NEW.decided_at, 1, 10), NEW.suggested_rule, NEW.party <> NEW.suggested_party, COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id HAVING COUNT(*) > 0
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT NEW.party, substr(i.started_at, 1, 10), COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id GROUP BY 2
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER decision_days_attribution_delete AFTER DELETE ON attributions BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(OLD.decided_at, 1, 10), OLD.party, OLD.rule, OLD.suggested_rule, OLD.party <> OLD.suggested_party, -COUNT(*)
    FROM incidents i WHERE i.attribution = OLD.id HAVING COUNT(*) > 0
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO rule_days (day, suggested_rule, overridden, n)
    SELECT substr(OLD.decided_at, 1, 10), OLD.suggested_rule, OLD.party <> OLD.suggested_party, -COUNT(*)
    FROM incidents i WHERE i.attribution = OLD.id HAVING COUNT(*) > 0
    ON CONFLICT (day, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
    INSERT INTO party_starts (party, day, n)
    SELECT OLD.party, substr(i.started_at, 1, 10), -COUNT(*)
    FROM incidents i WHERE i.attribution = OLD.id GROUP BY 2
    ON CONFLICT (party, day) DO UPDATE SET n = n + excluded.n;
END;
