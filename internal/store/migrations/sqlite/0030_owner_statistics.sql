-- 0030_owner_statistics: on PostgreSQL this keeps the planner's list of
-- most common follow-up owners short, so that a statement filtering by a
-- whole organisation's owners is planned quickly. SQLite binds such a list
-- as one JSON parameter and estimates nothing per element; the migration
-- is here so that both engines keep the same numbers.
SELECT 1;
