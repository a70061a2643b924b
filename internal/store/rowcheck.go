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
// event beyond the chain's end. It returns how many units it compared.
//
// It streams, one read per table, so its memory does not grow with the
// tables. Each statement reads the chain's head in the same snapshot as
// the rows, so a write committed while it runs is judged against its own
// event, never mistaken for tampering. It trusts audit_rows to hold what
// the chain's events recorded: the caller checks that with WalkRowIndex.
func (db *DB) CheckRows(ctx context.Context, fn func(audit.RowFinding) error) (int64, error) {
	var units int64
	for _, t := range accountables {
		err := db.View(ctx, func(tx *Tx) error {
			n, err := tx.checkTable(t, fn)
			units += n
			if err != nil {
				return err
			}
			return tx.checkMissing(t, fn)
		})
		if err != nil {
			return units, err
		}
	}
	return units, nil
}

// headNow is the chain's last event, as a column of the same statement.
const headNow = `(SELECT seq FROM audit_head WHERE id = 1)`

// checkTable compares each unit of t that has rows with the latest state
// recorded for it.
func (tx *Tx) checkTable(t accountable, fn func(audit.RowFinding) error) (int64, error) {
	q := `SELECT ` + headNow + `, r.seq, r.hash, ` + t.selectList("t.") + `
FROM ` + t.name + ` t
LEFT JOIN audit_rows r ON r.tbl = '` + t.name + `' AND r.key = t.` + t.key + `
    AND r.seq = (SELECT max(m.seq) FROM audit_rows m WHERE m.tbl = '` + t.name + `' AND m.key = t.` + t.key + `)`
	if t.order != "" {
		// Rows of one unit must be adjacent to be hashed together.
		q += ` ORDER BY t.` + t.key + `, t.` + t.order
	}
	var (
		units          int64
		head, seq      int64
		recordedAt     sql.NullInt64
		recorded, hash sql.NullString
	)
	u := newUnitReader(t, &head, &recordedAt, &recorded)
	judge := func(key, current string) error {
		units++
		f, bad := audit.JudgeRow(t.name, key, seq, hash.String, current, head)
		if !bad {
			return nil
		}
		return fn(f)
	}
	err := tx.each("check "+t.name+" against the audit log", q, nil, func(rows *sql.Rows) error {
		// The recorded state is the same on every row of a unit; judge
		// keeps the one read with the unit's first row.
		if err := u.scan(rows, judge); err != nil {
			return err
		}
		if u.rows == 1 {
			seq, hash = recordedAt.Int64, recorded
		}
		return nil
	})
	if err != nil {
		return units, err
	}
	return units, u.flush(judge)
}

// checkMissing reports the units whose latest recorded state has rows but
// which have none now.
func (tx *Tx) checkMissing(t accountable, fn func(audit.RowFinding) error) error {
	q := `SELECT ` + headNow + `, r.key, r.seq, r.hash FROM audit_rows r
WHERE r.tbl = '` + t.name + `' AND r.hash <> '` + audit.Gone + `'
    AND NOT EXISTS (SELECT 1 FROM ` + t.name + ` t WHERE t.` + t.key + ` = r.key)
    AND r.seq = (SELECT max(m.seq) FROM audit_rows m WHERE m.tbl = r.tbl AND m.key = r.key)`
	return tx.each("check "+t.name+" for missing rows", q, nil, func(rows *sql.Rows) error {
		var head, seq int64
		var key, hash string
		if err := rows.Scan(&head, &key, &seq, &hash); err != nil {
			return err
		}
		if f, bad := audit.JudgeRow(t.name, key, seq, hash, audit.Gone, head); bad {
			return fn(f)
		}
		return nil
	})
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
