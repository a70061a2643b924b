-- 0037_assessments_subject: a leader's dashboard reads the year's
-- undecided assessments of the subjects they decide on. By subject alone,
-- every assessment of a team ever made was read from the table to test
-- its creation: on PostgreSQL at PRODUCT.md section 9's size, 1,839 rows
-- from 1,720 pages for the root leader's sixteen subjects, 114 ms from a
-- cold cache and 471 ms once in the statement log. The index now holds
-- the creation and the rest of what the list shows, so the year's are a
-- range of it, read alone.
DROP INDEX assessments_subject;
CREATE INDEX assessments_subject ON assessments (subject, created_at, id, incident, attribution);
