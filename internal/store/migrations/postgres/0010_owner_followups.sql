-- 0010_owner_followups: "follow-ups I own", the first thing the dashboard
-- and the board ask, reads one owner's open follow-ups in due order. With
-- only (owner) and (status, due) to choose from, an engine may walk every
-- open follow-up in due order looking for the owner's; this index answers
-- it directly, and replaces the index on owner alone, its prefix.
CREATE INDEX followups_owner_status_due ON followups (owner, status, due);
DROP INDEX followups_owner;
