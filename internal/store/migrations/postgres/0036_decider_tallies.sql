-- 0036_decider_tallies: the fairness report (J5) tallies each decider's
-- decision records of the last year: how many, and how far their levels
-- departed from guidance. Read record by record, each guidance decoded, a
-- year of them took 5.1 s at PRODUCT.md section 9's size; summed in the
-- database through the decider index, SQLite still read every record from
-- the table for its levels (1.4 s in C). The index now holds both levels:
-- 65 ms in C.
DROP INDEX assessment_decisions_decider;
CREATE INDEX assessment_decisions_decider ON assessment_decisions (decided_by, decided_at, level, guidance_level);
