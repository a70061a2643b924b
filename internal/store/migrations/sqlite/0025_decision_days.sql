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
    day            TEXT NOT NULL,
    party          TEXT NOT NULL,
    rule           TEXT NOT NULL,
    suggested_rule TEXT NOT NULL,
    overridden     INTEGER NOT NULL,
    n              INTEGER NOT NULL,
    PRIMARY KEY (day, party, rule, suggested_rule, overridden)
) WITHOUT ROWID;

INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
GROUP BY 1, 2, 3, 4, 5;

-- A decision enters or leaves the count when an incident comes to point at
-- it or stops doing so, and when its row appears under an incident that
-- already points at it.
CREATE TRIGGER decision_days_incident_insert AFTER INSERT ON incidents WHEN NEW.attribution IS NOT NULL BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER decision_days_incident_update AFTER UPDATE OF attribution ON incidents
WHEN OLD.attribution IS NOT NEW.attribution BEGIN
    UPDATE decision_days SET n = n - 1 WHERE (day, party, rule, suggested_rule, overridden) IN (
        SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party
        FROM attributions a WHERE a.id = OLD.attribution);
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party, 1
    FROM attributions a WHERE a.id = NEW.attribution
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER decision_days_incident_delete AFTER DELETE ON incidents WHEN OLD.attribution IS NOT NULL BEGIN
    UPDATE decision_days SET n = n - 1 WHERE (day, party, rule, suggested_rule, overridden) IN (
        SELECT substr(a.decided_at, 1, 10), a.party, a.rule, a.suggested_rule, a.party <> a.suggested_party
        FROM attributions a WHERE a.id = OLD.attribution);
END;
CREATE TRIGGER decision_days_attribution_insert AFTER INSERT ON attributions BEGIN
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(NEW.decided_at, 1, 10), NEW.party, NEW.rule, NEW.suggested_rule, NEW.party <> NEW.suggested_party, COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id
    GROUP BY 1 HAVING COUNT(*) > 0
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
END;
CREATE TRIGGER decision_days_attribution_delete AFTER DELETE ON attributions BEGIN
    UPDATE decision_days SET n = n - (SELECT COUNT(*) FROM incidents i WHERE i.attribution = OLD.id)
    WHERE day = substr(OLD.decided_at, 1, 10) AND party = OLD.party AND rule = OLD.rule
      AND suggested_rule = OLD.suggested_rule AND overridden = (OLD.party <> OLD.suggested_party);
END;
CREATE TRIGGER decision_days_attribution_update AFTER UPDATE ON attributions BEGIN
    UPDATE decision_days SET n = n - (SELECT COUNT(*) FROM incidents i WHERE i.attribution = OLD.id)
    WHERE day = substr(OLD.decided_at, 1, 10) AND party = OLD.party AND rule = OLD.rule
      AND suggested_rule = OLD.suggested_rule AND overridden = (OLD.party <> OLD.suggested_party);
    INSERT INTO decision_days (day, party, rule, suggested_rule, overridden, n)
    SELECT substr(NEW.decided_at, 1, 10), NEW.party, NEW.rule, NEW.suggested_rule, NEW.party <> NEW.suggested_party, COUNT(*)
    FROM incidents i WHERE i.attribution = NEW.id
    GROUP BY 1 HAVING COUNT(*) > 0
    ON CONFLICT (day, party, rule, suggested_rule, overridden) DO UPDATE SET n = n + excluded.n;
END;
