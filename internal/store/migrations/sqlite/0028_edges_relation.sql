-- 0028_edges_relation: drop the index of edges by relation alone (0024).
-- SQLite plans without statistics, and with it chose that index for
-- "these subjects' edges of these relations" (every Tx.Edges by subject)
-- over edges_subject: EXPLAIN QUERY PLAN at the full size showed a search
-- of every owned_by edge for one entity's owner, and the attribution
-- floor's one-row read took 40 ms instead of 0.09. The team tree drift
-- reads by relation comes from the server's copy of the org when it is
-- current, and from a scan of edges otherwise.
DROP INDEX edges_relation;
