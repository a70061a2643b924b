package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib" // the floors speak to PostgreSQL directly
	_ "modernc.org/sqlite"           // and to SQLite

	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// rawDB is a database/sql handle opened beside the store, for two jobs the
// product's own code must not do for us: writing generated data in bulk, and
// the floors (the same reads done as plain SQL, with no layer in between).
type rawDB struct {
	*sql.DB
	engine store.Engine
	// copyConn is the connection bulk writers COPY through on PostgreSQL.
	copyConn *sql.Conn
}

// copyFrom writes rows into table with PostgreSQL's COPY, on a connection
// kept for it, outside any transaction.
func (r *rawDB) copyFrom(ctx context.Context, table string, cols []string, rows [][]any) error {
	if r.copyConn == nil {
		c, err := r.DB.Conn(ctx)
		if err != nil {
			return err
		}
		r.copyConn = c
	}
	return r.copyConn.Raw(func(dc any) error {
		_, err := dc.(*stdlib.Conn).Conn().CopyFrom(ctx, pgx.Identifier{table}, cols, pgx.CopyFromRows(rows))
		return err
	})
}

// Close releases the COPY connection, then the pool.
func (r *rawDB) Close() error {
	if r.copyConn != nil {
		r.copyConn.Close()
		r.copyConn = nil
	}
	return r.DB.Close()
}

// sqliteTime is the store's fixed-width text layout for SQLite times.
const sqliteTime = "2006-01-02T15:04:05.000000Z"

// openRaw opens dsn (as storetest hands it out) for bulk writes, or, with
// readOnly, with the same settings as the store's SQLite read pool: 8
// connections, query_only, busy_timeout, foreign_keys.
func openRaw(dsn string, readOnly bool) (*rawDB, error) {
	engine, target, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if engine == store.Postgres {
		db, err := sql.Open("pgx", target)
		if err != nil {
			return nil, err
		}
		db.SetMaxOpenConns(32)
		db.SetMaxIdleConns(32)
		return &rawDB{DB: db, engine: engine}, nil
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Add("_pragma", "foreign_keys(1)")
		q.Add("_pragma", "query_only(1)")
	} else {
		// Generated data is thrown away with the file: no need to survive a
		// crash while writing it. Foreign keys stay off; the generators
		// write rows in an order that satisfies them anyway, as PostgreSQL
		// checks.
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(OFF)")
		q.Add("_pragma", "cache_size(-200000)")
	}
	db, err := sql.Open("sqlite", "file:"+target+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	if readOnly {
		db.SetMaxOpenConns(8)
	} else {
		db.SetMaxOpenConns(1)
	}
	return &rawDB{DB: db, engine: engine}, nil
}

// q rewrites $n placeholders for SQLite. The queries here hold no '$'
// anywhere else.
func (r *rawDB) q(s string) string {
	if r.engine == store.SQLite {
		return strings.ReplaceAll(s, "$", "?")
	}
	return s
}

// ts converts a time the way the store stores it: NULL for zero, fixed-width
// text on SQLite, a microsecond UTC time on PostgreSQL.
func (r *rawDB) ts(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	t = t.UTC().Truncate(time.Microsecond)
	if r.engine == store.SQLite {
		return t.Format(sqliteTime)
	}
	return t
}

// txn is a write transaction shared by bulk writers, committed every
// maxInTx rows so no transaction grows without bound.
type txn struct {
	db      *rawDB
	ctx     context.Context
	tx      *sql.Tx
	rows    int
	maxInTx int
}

func newTxn(ctx context.Context, db *rawDB) *txn { return &txn{db: db, ctx: ctx, maxInTx: 200000} }

func (t *txn) begin() (*sql.Tx, error) {
	if t.tx == nil {
		tx, err := t.db.BeginTx(t.ctx, nil)
		if err != nil {
			return nil, err
		}
		t.tx = tx
	}
	return t.tx, nil
}

func (t *txn) commit() error {
	if t.tx == nil {
		return nil
	}
	err := t.tx.Commit()
	t.tx, t.rows = nil, 0
	return err
}

// bulk inserts rows into one table with multi-row INSERTs, or on
// PostgreSQL with COPY (then outside the txn's transaction, each flush on
// its own; a group's flush order still satisfies foreign keys).
type bulk struct {
	t       *txn
	alone   bool // flushes and commits by itself; else a group does
	table   string
	cols    []string
	perStmt int
	args    []any
	full    *sql.Stmt
	fullTx  *sql.Tx
	total   int
}

// newBulk returns a writer for one table with a transaction of its own.
func newBulk(ctx context.Context, db *rawDB, table string, cols ...string) *bulk {
	b := newTxn(ctx, db).bulk(table, cols...)
	b.alone = true
	return b
}

// bulk returns a writer for one table inside t; a group flushes it.
func (t *txn) bulk(table string, cols ...string) *bulk {
	if t.db.engine == store.Postgres {
		return &bulk{t: t, table: table, cols: cols, perStmt: 10000}
	}
	return &bulk{t: t, table: table, cols: cols, perStmt: min(500, 30000/len(cols))}
}

func (b *bulk) stmt(rows int) string {
	var s strings.Builder
	fmt.Fprintf(&s, "INSERT INTO %s (%s) VALUES ", b.table, strings.Join(b.cols, ", "))
	n := 1
	for r := range rows {
		if r > 0 {
			s.WriteString(", ")
		}
		s.WriteByte('(')
		for c := range b.cols {
			if c > 0 {
				s.WriteString(", ")
			}
			// SQLite gets anonymous '?': the modernc driver looks up every
			// numbered parameter's name by a linear search, which makes
			// binding thousands of '?NNN' quadratic.
			if b.db().engine == store.SQLite {
				s.WriteByte('?')
			} else {
				fmt.Fprintf(&s, "$%d", n)
			}
			n++
		}
		s.WriteByte(')')
	}
	return s.String()
}

func (b *bulk) db() *rawDB { return b.t.db }

func (b *bulk) buffered() int { return len(b.args) / len(b.cols) }

// add queues one row; its values must match cols.
func (b *bulk) add(vals ...any) error {
	if len(vals) != len(b.cols) {
		return fmt.Errorf("%s: %d values for %d columns", b.table, len(vals), len(b.cols))
	}
	b.args = append(b.args, vals...)
	if b.alone && b.buffered() >= b.perStmt {
		if err := b.flush(); err != nil {
			return err
		}
		if b.t.rows >= b.t.maxInTx {
			return b.t.commit()
		}
	}
	return nil
}

// flush writes every queued row into the transaction.
func (b *bulk) flush() error {
	if len(b.args) == 0 {
		return nil
	}
	if b.db().engine == store.Postgres {
		return b.copy()
	}
	tx, err := b.t.begin()
	if err != nil {
		return err
	}
	width := len(b.cols)
	done := 0
	for done < len(b.args) {
		rows := min((len(b.args)-done)/width, b.perStmt)
		chunk := b.args[done : done+rows*width]
		if rows == b.perStmt {
			if b.full == nil || b.fullTx != tx {
				if b.full, err = tx.PrepareContext(b.t.ctx, b.stmt(rows)); err != nil {
					return fmt.Errorf("prepare insert into %s: %w", b.table, err)
				}
				b.fullTx = tx
			}
			_, err = b.full.ExecContext(b.t.ctx, chunk...)
		} else {
			_, err = tx.ExecContext(b.t.ctx, b.stmt(rows), chunk...)
		}
		if err != nil {
			return fmt.Errorf("insert into %s: %w", b.table, err)
		}
		done += rows * width
		b.t.rows += rows
		b.total += rows
	}
	b.args = b.args[:0]
	return nil
}

// copy writes every queued row with COPY.
func (b *bulk) copy() error {
	width := len(b.cols)
	rows := make([][]any, 0, len(b.args)/width)
	for i := 0; i < len(b.args); i += width {
		rows = append(rows, b.args[i:i+width:i+width])
	}
	if err := b.db().copyFrom(b.t.ctx, b.table, b.cols, rows); err != nil {
		return fmt.Errorf("copy into %s: %w", b.table, err)
	}
	b.total += len(rows)
	b.args = b.args[:0]
	return nil
}

// close writes what is queued and, for a writer on its own, commits.
func (b *bulk) close() error {
	if err := b.flush(); err != nil {
		return err
	}
	if b.alone {
		return b.t.commit()
	}
	return nil
}

// group is several bulk writers sharing one transaction, flushed together
// in the order given, so that rows referring to others (by foreign key)
// always land after them.
type group struct {
	t     *txn
	bulks []*bulk
}

// step flushes every writer once one of them has a full statement queued,
// and commits every maxInTx rows. Call it between related rows.
func (g *group) step() error {
	full := false
	for _, b := range g.bulks {
		full = full || b.buffered() >= b.perStmt
	}
	if !full {
		return nil
	}
	for _, b := range g.bulks {
		if err := b.flush(); err != nil {
			return err
		}
	}
	if g.t.rows >= g.t.maxInTx {
		return g.t.commit()
	}
	return nil
}

// close flushes every writer and commits.
func (g *group) close() error {
	for _, b := range g.bulks {
		if err := b.flush(); err != nil {
			return err
		}
	}
	return g.t.commit()
}

// freshDB returns the DSN of a new, migrated database of the engine, the
// store opened on it, and a raw handle for bulk writes. Everything is closed
// and removed when the benchmark ends.
func freshDB(tb testing.TB, engine store.Engine) (string, *store.DB, *rawDB) {
	tb.Helper()
	dsn := storetest.DSN(tb, engine)
	db, raw := openSet(tb, dsn)
	return dsn, db, raw
}

// openSet opens the database at dsn, migrated to this build's schema, as
// the product and as plain SQL; both close when the benchmark ends.
func openSet(tb testing.TB, dsn string) (*store.DB, *rawDB) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		tb.Fatalf("open %s: %v", dsn, err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatalf("migrate: %v", err)
	}
	raw, err := openRaw(dsn, false)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { raw.Close() })
	return db, raw
}

// analyze refreshes the planner's statistics after a bulk load, as
// PostgreSQL's autovacuum would have them for a database that grew over
// years. The benchmarks run it on PostgreSQL only: blameful never runs
// ANALYZE on SQLite, so SQLite plans without statistics, as in production.
func analyze(ctx context.Context, raw *rawDB) error {
	_, err := raw.ExecContext(ctx, "ANALYZE")
	return err
}

// keptDB opens a database generated by an earlier run, migrated to this
// build's schema; a run of another engine than the DSN's is skipped.
func keptDB(tb testing.TB, engine store.Engine, dsn string) (*store.DB, *rawDB) {
	tb.Helper()
	if e, _, err := store.ParseDSN(dsn); err != nil {
		tb.Fatal(err)
	} else if e != engine {
		tb.Skipf("%s is a %s database", dsn, e)
	}
	return openSet(tb, dsn)
}

// loadedTables are the tables writeHistory fills whose secondary indexes
// nothing looks rows up by while it writes: no trigger reads them by
// those indexes, and the generator reads nothing back until the load is
// over. Not among them: incidents (each attribution's trigger finds its
// incidents by incidents_attribution), recurrence_keys (on PostgreSQL, the
// trigger of each incident's words looks its keys up by
// recurrence_keys_incident: without it, 2.4 billion rows were read in the
// first 50,000 incidents), and the tables triggers keep up to date by
// upsert.
var loadedTables = []string{
	"timeline_entries", "followups", "followup_notices", "missed_followups", "changes", "change_drift",
	"incident_changes", "incident_entities", "attributions", "postmortems", "recurrences",
	"integrity_flags", "fairness_flags", "assessments", "assessment_factors", "assessment_decisions",
}

// deferIndexes drops the secondary indexes of tables until the returned
// rebuild runs: a bulk load then writes only the tables, and each index is
// built once from its whole table, one sort, instead of being kept up to
// date row by row, out of order, through a cache that cannot hold it.
// Unique indexes stay, since a conflict clause may name them. rebuild
// creates each index again with the statement the schema made it with, so
// the schema after is the schema before.
func deferIndexes(ctx context.Context, raw *rawDB, tables []string) (rebuild func() error, err error) {
	var q string
	var arg any
	if raw.engine == store.SQLite {
		q = `SELECT name, sql FROM sqlite_master
WHERE type = 'index' AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%' AND tbl_name IN (SELECT value FROM json_each(?))`
		list, err := json.Marshal(tables)
		if err != nil {
			return nil, err
		}
		arg = string(list)
	} else {
		q = `SELECT indexname, indexdef FROM pg_indexes i
WHERE schemaname = current_schema() AND tablename = ANY($1) AND indexdef NOT LIKE 'CREATE UNIQUE%'
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)`
		arg = tables
	}
	rows, err := raw.QueryContext(ctx, q, arg)
	if err != nil {
		return nil, fmt.Errorf("list the indexes to defer: %w", err)
	}
	var names, defs []string
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			rows.Close()
			return nil, err
		}
		names, defs = append(names, name), append(defs, def)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, name := range names {
		if _, err := raw.ExecContext(ctx, "DROP INDEX "+name); err != nil {
			return nil, fmt.Errorf("defer index %s: %w", name, err)
		}
	}
	return func() error {
		conn, err := raw.Conn(ctx)
		if err != nil {
			return err
		}
		defer conn.Close()
		if raw.engine == store.Postgres {
			// Room to sort the larger tables' keys in memory.
			if _, err := conn.ExecContext(ctx, "SET maintenance_work_mem = '512MB'"); err != nil {
				return err
			}
		}
		for i, def := range defs {
			if _, err := conn.ExecContext(ctx, def); err != nil {
				return fmt.Errorf("build index %s again: %w", names[i], err)
			}
		}
		return nil
	}, nil
}
