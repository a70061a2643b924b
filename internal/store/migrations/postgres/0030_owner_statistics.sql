-- 0030_owner_statistics: a leader's pages filter follow-ups by the owners
-- of their whole organisation, sent as one array (owner = ANY($n::text[])).
-- With a constant array, PostgreSQL plans each statement by estimating
-- every element against the column's list of most common values, once per
-- index it considers. For a root leader's 12,000 owners against the
-- default hundred values, that took 36 to 72 ms of planning per statement,
-- a statement that then ran in 1 to 30 ms. The list would only sharpen the
-- estimate for an owner of a large share of the follow-ups, and these
-- statements' plans do not turn on it. Keeping one value made planning
-- about ten times cheaper (45 to 4 ms) with the same plans; the number of
-- distinct owners, which the other estimates rest on, is still measured
-- from the whole sample.
ALTER TABLE followups ALTER COLUMN owner SET STATISTICS 1;
ALTER TABLE missed_followups ALTER COLUMN owner SET STATISTICS 1;
ANALYZE followups (owner);
ANALYZE missed_followups (owner);
