package store

import "context"

// MigrateTo applies the migrations up to version and no further: tests
// build an older database with it to see what a later migration does.
func (db *DB) MigrateTo(ctx context.Context, version int) error {
	if err := db.ensureMigrationTable(ctx); err != nil {
		return err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, m := range migrations(db.engine)[:version] {
		if _, err := db.applyOne(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// Baseline records the state of every accountable unit afresh, as
// migration 0005 does, in a transaction of its own.
func (db *DB) Baseline(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := db.baseline(ctx, tx, 5); err != nil {
		return err
	}
	return tx.Commit()
}
