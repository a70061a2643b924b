package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

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
	tables, err := db.RowTables(ctx)
	if err != nil {
		return 0, err
	}
	r, err := db.AuditReader()
	if err != nil {
		return 0, err
	}
	defer r.Close()
	var units int64
	for _, t := range tables {
		n, err := r.CheckTable(ctx, t, fn)
		units += n
		if err != nil {
			return units, err
		}
	}
	return units, nil
}

// RowTables returns the accountable tables the database's schema holds, in
// the order CheckRows checks them: verifying checks them side by side, a
// table to a reader (CheckTable).
func (db *DB) RowTables(ctx context.Context) ([]string, error) {
	applied, _, err := db.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range accountables {
		if t.since <= applied { // an older schema has no such table
			out = append(out, t.name)
		}
	}
	return out, nil
}

// CheckTable is CheckRows for one accountable table, through the reader:
// it calls fn for each unit of the table that is not what the audit log
// last recorded, and returns how many units have rows.
func (r *AuditReader) CheckTable(ctx context.Context, table string, fn func(audit.RowFinding) error) (int64, error) {
	t, ok := accountableNamed(table)
	if !ok {
		return 0, fmt.Errorf("store: %s is not an accountable table", table)
	}
	if r.sq != nil {
		var units int64
		err := r.sq.read(ctx, func() (err error) {
			units, err = r.checkMerged(ctx, t, fn)
			return err
		})
		return units, r.db.mapError(err, "check "+t.name+" against the audit log")
	}
	var units int64
	err := r.db.View(ctx, func(tx *Tx) error {
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
	return units, err
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

// rowIndexQuery reads the row index's entries of a span of events, and
// rowIndexOIDs are its columns' types on PostgreSQL.
const rowIndexQuery = `SELECT seq, tbl, key, hash FROM audit_rows WHERE seq > $1 AND seq <= $2 ORDER BY seq`

var rowIndexOIDs = []uint32{pgtype.Int8OID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID}

// WalkRowIndex calls fn for each entry of audit_rows with after < seq <=
// upto, ordered by seq (the entries of one event in no particular order),
// in a read transaction of its own. Verifying reads it to check that the
// index holds exactly what the chain's events recorded.
func (db *DB) WalkRowIndex(ctx context.Context, after, upto int64, fn func(seq int64, s audit.RowState) error) error {
	return db.View(ctx, func(tx *Tx) error {
		var seq int64
		var s audit.RowState
		return tx.each("read the row index", rowIndexQuery, []any{after, upto}, func(rows *sql.Rows) error {
			if err := rows.Scan(&seq, &s.Table, &s.Key, &s.Hash); err != nil {
				return fmt.Errorf("row index: %w", err)
			}
			return fn(seq, s)
		})
	})
}

// checkMerged is CheckTable on SQLite, through the reader's connection. It
// reads two statements side by side, both in key order: each unit's latest
// recorded state, from the audit_rows_latest index, and the table's rows.
// Merging them in Go finds every unit's rows without a search of the
// table's index per unit (a join spent most of its time there), and the
// rows of units no event recorded in the same pass. Each value is hashed as
// the bytes SQLite holds, and a unit is compared with its recorded state
// without making a string of either: only a unit that differs costs an
// allocation. Keys compare as SQLite's BINARY collation orders them, byte
// by byte.
func (r *AuditReader) checkMerged(ctx context.Context, t accountable, fn func(audit.RowFinding) error) (units int64, err error) {
	var head int64
	if err := r.sq.query(ctx, `SELECT seq FROM audit_head WHERE id = 1`, nil, func(w *sqliteRow) error {
		head = w.int64(0)
		return nil
	}); err != nil {
		return 0, err
	}
	latest, err := newUnitStates(r.sq, t.name)
	if err != nil {
		return 0, err
	}
	defer latest.close()
	order := t.key
	if t.order != "" {
		order += ", " + t.order
	}
	rows, err := r.sq.cursor(`SELECT ` + t.selectList("") + ` FROM ` + t.name + ` ORDER BY ` + order)
	if err != nil {
		return 0, err
	}
	defer rows.close()
	var (
		hasher      = audit.NewRowHasher()
		keyAt, cols = t.keyIndex(), len(t.columns)
		key, hash   []byte
		lok, rok    bool
	)
	// unit hashes the rows of the unit key, which rows is at, and moves
	// past them; it returns how many there were.
	unit := func() (int, error) {
		hasher.Reset()
		n := 0
		for rok && bytes.Equal(rows.bytes(keyAt), key) {
			hasher.StartRow(cols)
			for i := range cols {
				if v := rows.bytes(i); v != nil {
					hasher.Text(v)
				} else {
					hasher.Null()
				}
			}
			hasher.EndRow()
			n++
			if rok, err = rows.next(); err != nil {
				return n, err
			}
		}
		return n, nil
	}
	if lok, err = latest.next(); err != nil {
		return 0, err
	}
	if rok, err = rows.next(); err != nil {
		return 0, err
	}
	for n := 0; lok || rok; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return units, err
			}
		}
		c := -1 // a recorded unit comes first
		switch {
		case !lok:
			c = 1
		case rok:
			c = bytes.Compare(latest.key, rows.bytes(keyAt))
		}
		if c > 0 {
			// Rows of a unit no event recorded.
			key = append(key[:0], rows.bytes(keyAt)...)
			if _, err := unit(); err != nil {
				return units, err
			}
			units++
			f, _ := audit.JudgeRow(t.name, string(key), 0, "", "", head)
			if err := fn(f); err != nil {
				return units, err
			}
			continue
		}
		key, hash = append(key[:0], latest.key...), append(hash[:0], latest.hash...)
		seq := latest.seq
		found := 0
		if c == 0 {
			if found, err = unit(); err != nil {
				return units, err
			}
		} else {
			hasher.Reset()
		}
		if found > 0 {
			units++
		}
		if !(seq >= 1 && seq <= head && hasher.Is(hash)) {
			if f, bad := audit.JudgeRow(t.name, string(key), seq, string(hash), hasher.Sum(), head); bad {
				if err := fn(f); err != nil {
					return units, err
				}
			}
		}
		if lok, err = latest.next(); err != nil {
			return units, err
		}
	}
	return units, nil
}

// WalkRowIndex is DB.WalkRowIndex through the reader, with each entry's
// table, key and hash as bytes that are valid only until fn returns.
func (r *AuditReader) WalkRowIndex(ctx context.Context, after, upto int64, fn func(seq int64, table, key, hash []byte) error) error {
	if r.sq == nil {
		return r.db.pgxRead(ctx, "read the row index", func(c *pgx.Conn) error {
			return queryPgx(ctx, c, rowIndexQuery, []any{after, upto}, rowIndexOIDs, func(v [][]byte) error {
				if len(v[0]) != 8 {
					return fmt.Errorf("row index: a seq of %d bytes, want 8", len(v[0]))
				}
				return fn(int64(binary.BigEndian.Uint64(v[0])), v[1], v[2], v[3])
			})
		})
	}
	err := r.sq.query(ctx, rowIndexQuery, []any{after, upto}, func(w *sqliteRow) error {
		return fn(w.int64(0), w.bytes(1), w.bytes(2), w.bytes(3))
	})
	return r.db.mapError(err, "read the row index")
}

// unitStates reads each unit's latest recorded state for one table, in
// key order, from a plain scan of the audit_rows_latest index: the last
// entry of each key's run is its highest seq. Picking it in Go rather than
// with GROUP BY and max() spares SQLite's aggregate steps: the row check of
// 1M events took 1.15 s instead of 1.29-1.35 s.
type unitStates struct {
	c *sqliteCursor
	// more says that c is at an entry not yet read.
	more bool
	// key, seq and hash are the unit next moved to.
	key, hash []byte
	seq       int64
}

func newUnitStates(r *sqliteReader, table string) (*unitStates, error) {
	c, err := r.cursor(`SELECT key, seq, hash FROM audit_rows WHERE tbl = $1 ORDER BY key, seq`, table)
	if err != nil {
		return nil, err
	}
	l := &unitStates{c: c}
	if l.more, err = c.next(); err != nil {
		c.close()
		return nil, err
	}
	return l, nil
}

// next moves to the next unit and reports whether there is one.
func (l *unitStates) next() (bool, error) {
	if !l.more {
		return false, nil
	}
	l.key = append(l.key[:0], l.c.bytes(0)...)
	for {
		l.seq, l.hash = l.c.int64(1), append(l.hash[:0], l.c.bytes(2)...)
		var err error
		if l.more, err = l.c.next(); err != nil || !l.more || !bytes.Equal(l.c.bytes(0), l.key) {
			return true, err
		}
	}
}

func (l *unitStates) close() { l.c.close() }
