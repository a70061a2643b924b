-- 0004_review_indexes: indexes that keep the weekly review bounded by the
-- week's data rather than the whole history (BENCHMARKS.md, section 4).
--
-- The review joins the week's attribution decisions (found by
-- attributions_decided) to the incidents they are in force for, through
-- incidents.attribution; and it lists the follow-ups the engine opened this
-- week to clarify ownership, by rule and creation time.

CREATE INDEX incidents_attribution ON incidents (attribution);
-- The leader corner counts the A4 decisions of the week and of 90 days.
CREATE INDEX attributions_rule_decided ON attributions (rule, decided_at);
CREATE INDEX followups_rule_created ON followups (rule, created_at);

-- The review also lists the entities with no owner today: one probe of
-- edges per entity. With the period in the index, a probe never reads the
-- table. It serves every lookup the narrower edges_subject did.
DROP INDEX edges_subject;
CREATE INDEX edges_subject ON edges (subject, relation, valid_from, valid_to);
