-- 0022_org_epoch: one counter that moves, in the writing transaction, with
-- every write to the org and the catalog (people, teams, entities, edges).
-- A server keeps the whole org and catalog in memory for attribution
-- suggestions (app/orgsnap.go) and uses that copy only when the counter it
-- reads inside its own read transaction is the one the copy was read at, so
-- the copy is never stale, on this server or any other. Triggers, not the
-- store's code, move it: no write path can forget. They fire once per
-- statement, so a bulk import moves it once per statement, not per row.
CREATE TABLE org_epoch (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    epoch BIGINT NOT NULL
);
INSERT INTO org_epoch (id, epoch) VALUES (1, 0);

CREATE FUNCTION org_epoch_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE org_epoch SET epoch = epoch + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER org_epoch_edges AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON edges
    FOR EACH STATEMENT EXECUTE FUNCTION org_epoch_move();
CREATE TRIGGER org_epoch_entities AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON entities
    FOR EACH STATEMENT EXECUTE FUNCTION org_epoch_move();
CREATE TRIGGER org_epoch_teams AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON teams
    FOR EACH STATEMENT EXECUTE FUNCTION org_epoch_move();
CREATE TRIGGER org_epoch_people AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON people
    FOR EACH STATEMENT EXECUTE FUNCTION org_epoch_move();
