package store

import (
	"context"
	"database/sql"
	"time"
)

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

// TextCandidates runs the text lookup of recurrence candidates alone: the
// IDs of the best ranked documents among the latest holding any of terms
// that started in [from, to), other than subject, with their ranks
// (PostgreSQL's ts_rank; SQLite returns documents, ranked in Go).
func (tx *Tx) TextCandidates(terms []string, from, to time.Time, subject string) ([]string, []float64, error) {
	var ids []string
	var ranks []float64
	err := tx.each("candidates by text", textSearch[tx.engine], []any{tx.textQuery(terms), tx.t(from), tx.t(to), subject},
		func(rows *sql.Rows) error {
			var id string
			var rank float64
			if tx.engine == SQLite {
				var doc string
				if err := rows.Scan(&id, &doc); err != nil {
					return err
				}
				rank = textRank(terms, doc)
			} else if err := rows.Scan(&id, &rank); err != nil {
				return err
			}
			ids, ranks = append(ids, id), append(ranks, rank)
			return nil
		})
	return ids, ranks, err
}
