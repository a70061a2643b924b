-- 0029_recurrence_words: on PostgreSQL this puts the words of each
-- incident's search document in recurrence_keys, so that the latest
-- incidents holding a word are one range of an index (its GIN index
-- returns matches in no order). SQLite's FTS5 already walks a word's
-- documents newest first and stops, so it needs no change; the migration
-- is here so that both engines keep the same numbers.
SELECT 1;
