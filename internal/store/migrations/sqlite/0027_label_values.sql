-- 0027_label_values: each alert label value with the latest start of an
-- incident carrying it, kept from label_signals by trigger. Drift's "alert
-- labels that name no entity" needs the values seen in the review's 90
-- days; reading them from label_signals read every incident's label of
-- the window (83,000 rows for 12,478 values, 190-200 ms at a million
-- incidents). A value whose latest start is inside the window was seen
-- there; one whose latest is before it was not; only one seen after the
-- window's end (a review of an earlier week) needs a probe of
-- label_signals to say whether it was seen inside too.
CREATE TABLE label_values (
    value           TEXT PRIMARY KEY,
    last_started_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX label_values_last ON label_values (last_started_at);

INSERT INTO label_values (value, last_started_at)
SELECT value, MAX(started_at) FROM label_signals GROUP BY value;

CREATE TRIGGER label_values_insert AFTER INSERT ON label_signals BEGIN
    INSERT INTO label_values (value, last_started_at) VALUES (NEW.value, NEW.started_at)
    ON CONFLICT (value) DO UPDATE SET last_started_at = excluded.last_started_at
    WHERE excluded.last_started_at > label_values.last_started_at;
END;
CREATE TRIGGER label_values_delete AFTER DELETE ON label_signals BEGIN
    UPDATE label_values SET last_started_at = (SELECT MAX(started_at) FROM label_signals WHERE value = OLD.value)
    WHERE value = OLD.value AND EXISTS (SELECT 1 FROM label_signals WHERE value = OLD.value);
    DELETE FROM label_values WHERE value = OLD.value AND NOT EXISTS (SELECT 1 FROM label_signals WHERE value = OLD.value);
END;
CREATE TRIGGER label_values_update AFTER UPDATE ON label_signals BEGIN
    UPDATE label_values SET last_started_at = (SELECT MAX(started_at) FROM label_signals WHERE value = OLD.value)
    WHERE value = OLD.value AND EXISTS (SELECT 1 FROM label_signals WHERE value = OLD.value);
    DELETE FROM label_values WHERE value = OLD.value AND NOT EXISTS (SELECT 1 FROM label_signals WHERE value = OLD.value);
    INSERT INTO label_values (value, last_started_at) VALUES (NEW.value, NEW.started_at)
    ON CONFLICT (value) DO UPDATE SET last_started_at = excluded.last_started_at
    WHERE excluded.last_started_at > label_values.last_started_at;
END;
