package store

import (
	"context"
	"database/sql"
	"fmt"

	"blameful.dev/blameful/internal/audit"
)

// CheckRows holds every unit of every accountable table to the latest
// state the audit log recorded for it (in audit_rows), and calls fn for
// each that differs: changed, missing, never recorded, or recorded by an
// event beyond the chain's end. It returns how many units have rows.
//
// It streams, two statements per table, so its memory does not grow with
// the tables. Each statement reads the chain's head in its own snapshot,
// so a write committed while it runs is judged against its own event,
// never mistaken for tampering. It trusts audit_rows to hold what the
// chain's events recorded: the caller checks that with WalkRowIndex.
func (db *DB) CheckRows(ctx context.Context, fn func(audit.RowFinding) error) (int64, error) {
	var units int64
	applied, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return 0, err
	}
	for _, t := range accountables {
		if t.since > applied {
			continue // an older schema, without the table
		}
		err := db.View(ctx, func(tx *Tx) error {
			recorded, all, err := tx.checkRecorded(t, fn)
			units += recorded
			if err != nil || recorded == all {
				return err
			}
			// Some units have rows that no event recorded: name them.
			n, err := tx.checkUnrecorded(t, fn)
			units += n
			return err
		})
		if err != nil {
			return units, err
		}
	}
	return units, nil
}

// headNow is the chain's last event, as a column of the same statement.
const headNow = `(SELECT seq FROM audit_head WHERE id = 1)`

// latestStates selects each unit's latest recorded state (key, seq, hash)
// for the table $1, in one pass over the audit_rows_latest index.
var latestStates = map[Engine]string{
	// A bare column next to max() comes from the row that holds the max.
	SQLite: `SELECT key, max(seq) AS seq, hash FROM audit_rows WHERE tbl = $1 GROUP BY key`,
	// Both descending, so that a backward scan of the index needs no sort.
	Postgres: `SELECT DISTINCT ON (key) key, seq, hash FROM audit_rows WHERE tbl = $1 ORDER BY key DESC, seq DESC`,
}

// checkRecordedQuery reads the latest recorded state of each unit of t
// with the unit's rows (none: NULLs), the rows of a unit adjacent and in
// order. Every row also carries the chain's head and how many units the
// table holds, read in the same snapshot.
func (tx *Tx) checkRecordedQuery(t accountable) string {
	cols := `SELECT ` + headNow + `, (` + t.countUnits() + `), l.key, l.seq, l.hash, ` + t.selectList("t.")
	if t.order == "" {
		return cols + ` FROM (` + latestStates[tx.engine] + `) l LEFT JOIN ` + t.name + ` t ON t.` + t.key + ` = l.key`
	}
	// A unit of several rows: read in key order from the index, so that
	// only the rows within a unit need sorting.
	return cols + ` FROM audit_rows l LEFT JOIN ` + t.name + ` t ON t.` + t.key + ` = l.key
WHERE l.tbl = $1 AND NOT EXISTS (SELECT 1 FROM audit_rows n WHERE n.tbl = l.tbl AND n.key = l.key AND n.seq > l.seq)
ORDER BY l.key, t.` + t.order
}

// countUnits counts the units of t. A unit of one row is keyed by the
// primary key, so counting rows will do, which SQLite does without reading
// them.
func (t accountable) countUnits() string {
	if t.order == "" {
		return `SELECT count(*) FROM ` + t.name
	}
	return `SELECT count(DISTINCT ` + t.key + `) FROM ` + t.name
}

// checkRecorded compares each unit of t that the log recorded with the
// latest state recorded for it. It returns how many of them have rows, and
// how many units the table holds in all: when the two differ, some units
// were never recorded.
func (tx *Tx) checkRecorded(t accountable, fn func(audit.RowFinding) error) (units, all int64, err error) {
	var (
		head, seq, atSeq  int64
		key, hash, atHash string
	)
	u := newUnitReader(t, &head, &all, &key, &seq, &hash)
	judge := func(unit, current string) error {
		if current != audit.Gone {
			units++
		}
		if f, bad := audit.JudgeRow(t.name, unit, atSeq, atHash, current, head); bad {
			return fn(f)
		}
		return nil
	}
	err = tx.each("check "+t.name+" against the audit log", tx.checkRecordedQuery(t), []any{t.name}, func(rows *sql.Rows) error {
		if err := rows.Scan(u.dest...); err != nil {
			return err
		}
		opened, err := u.next(key, u.vals[u.keyAt] != nil, judge)
		if opened {
			// Every row of a unit carries its recorded state; keep it
			// from the first, for judging the unit once it is read.
			atSeq, atHash = seq, hash
		}
		return err
	})
	if err != nil {
		return units, all, err
	}
	err = u.flush(judge)
	if units == 0 && err == nil {
		// No unit was recorded, so no row carried the count.
		err = tx.get("count "+t.name, t.countUnits(), nil, &all)
	}
	return units, all, err
}

// checkUnrecorded reports the units of t that have rows but that no event
// recorded, and returns how many there are.
func (tx *Tx) checkUnrecorded(t accountable, fn func(audit.RowFinding) error) (int64, error) {
	q := `SELECT DISTINCT ` + headNow + `, t.` + t.key + ` FROM ` + t.name + ` t
WHERE NOT EXISTS (SELECT 1 FROM audit_rows r WHERE r.tbl = $1 AND r.key = t.` + t.key + `)`
	var n int64
	err := tx.each("check "+t.name+" for rows no event recorded", q, []any{t.name}, func(rows *sql.Rows) error {
		var head int64
		var key string
		if err := rows.Scan(&head, &key); err != nil {
			return err
		}
		n++
		f, _ := audit.JudgeRow(t.name, key, 0, "", "", head)
		return fn(f)
	})
	return n, err
}

// WalkRowIndex calls fn for each entry of audit_rows with after < seq <=
// upto, ordered by seq (the entries of one event in no particular order),
// in a read transaction of its own. Verifying reads it to check that the
// index holds exactly what the chain's events recorded.
func (db *DB) WalkRowIndex(ctx context.Context, after, upto int64, fn func(seq int64, s audit.RowState) error) error {
	return db.View(ctx, func(tx *Tx) error {
		var seq int64
		var s audit.RowState
		return tx.each("read the row index", `SELECT seq, tbl, key, hash FROM audit_rows WHERE seq > $1 AND seq <= $2 ORDER BY seq`,
			[]any{after, upto}, func(rows *sql.Rows) error {
				if err := rows.Scan(&seq, &s.Table, &s.Key, &s.Hash); err != nil {
					return fmt.Errorf("row index: %w", err)
				}
				return fn(seq, s)
			})
	})
}
