-- 0028_edges_relation: drop the index of edges by relation alone (0024),
-- as on SQLite, where planning without statistics chose it over
-- edges_subject for every read of some subjects' edges (at the full size,
-- a search of every owned_by edge for one entity's owner). The team tree
-- drift reads by relation comes from the server's copy of the org when it
-- is current, and from a scan of edges otherwise. The schema stays the
-- same on both engines.
DROP INDEX edges_relation;
