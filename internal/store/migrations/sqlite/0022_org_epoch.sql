-- 0022_org_epoch: one counter that moves, in the writing transaction, with
-- every write to the org and the catalog (people, teams, entities, edges).
-- A server keeps the whole org and catalog in memory for attribution
-- suggestions (app/orgsnap.go) and uses that copy only when the counter it
-- reads inside its own read transaction is the one the copy was read at, so
-- the copy is never stale, on this server or any other. Triggers, not the
-- store's code, move it: no write path can forget.
CREATE TABLE org_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch INTEGER NOT NULL
);
INSERT INTO org_epoch (id, epoch) VALUES (1, 0);

CREATE TRIGGER org_epoch_edges_insert AFTER INSERT ON edges BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_edges_update AFTER UPDATE ON edges BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_edges_delete AFTER DELETE ON edges BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_entities_insert AFTER INSERT ON entities BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_entities_update AFTER UPDATE ON entities BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_entities_delete AFTER DELETE ON entities BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_teams_insert AFTER INSERT ON teams BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_teams_update AFTER UPDATE ON teams BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_teams_delete AFTER DELETE ON teams BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_people_insert AFTER INSERT ON people BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_people_update AFTER UPDATE ON people BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
CREATE TRIGGER org_epoch_people_delete AFTER DELETE ON people BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
END;
