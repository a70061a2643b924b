// Package store holds all of blameful's SQL, for SQLite and PostgreSQL.
//
// Queries are written once, with PostgreSQL's $1…$n placeholders, and
// rewritten for SQLite when they run. A DB hands out transactions: View for
// reads, Update for writes; the queries are methods of *Tx, so a use case
// composes any number of them inside one transaction. Store code maps
// driver errors to errs kinds (no rows: NotFound; unique: Conflict;
// foreign key or check: Invalid) and never logs.
package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/errs"
)

// DB is an open database of either engine.
type DB struct {
	dialect
	// write takes every read-write transaction. On SQLite it holds a single
	// connection: SQLite has one writer, and queueing writers in the pool is
	// cheaper than having them fight over the file lock.
	write *sql.DB
	// read serves read-only transactions; on PostgreSQL it is write.
	read *sql.DB
	dsn  string
	// readStmts and writeStmts keep the statements of each SQLite pool
	// prepared (see stmtCache); nil on PostgreSQL.
	readStmts, writeStmts *stmtCache
	// credentialWrites counts the transactions committed through this DB
	// that moved the credential epoch (see CredentialEpoch).
	credentialWrites atomic.Uint64
	// words are the common words of the search documents (PostgreSQL).
	words commonWords
}

// ParseDSN tells which engine a DSN names and returns what its driver needs:
// "postgres://…" or "postgresql://…" is PostgreSQL; "sqlite:PATH", "file:PATH"
// or a plain path is a SQLite file.
func ParseDSN(dsn string) (Engine, string, error) {
	switch {
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		return Postgres, dsn, nil
	case strings.HasPrefix(dsn, "sqlite:"):
		dsn = strings.TrimPrefix(dsn, "sqlite:")
	case strings.HasPrefix(dsn, "file:"):
		dsn = strings.TrimPrefix(dsn, "file:")
	}
	path, _, _ := strings.Cut(dsn, "?")
	if strings.TrimSpace(path) == "" {
		return "", "", errs.E(errs.Invalid, "database: empty SQLite path (use sqlite:PATH or postgres://…)")
	}
	return SQLite, path, nil
}

// Option adjusts how Open opens a database.
type Option func(*options)

type options struct {
	busyTimeout time.Duration
}

// BusyTimeout sets how long a SQLite statement waits for a lock that
// another connection or process holds before it fails as Unavailable; the
// default is 10 seconds. PostgreSQL waits for row locks until the caller's
// context ends, or for the URL's lock_timeout (?lock_timeout=5s) if set.
func BusyTimeout(d time.Duration) Option { return func(o *options) { o.busyTimeout = d } }

// connectTimeout bounds a new PostgreSQL connection when the URL sets no
// connect_timeout. Without it, connecting to a host that drops packets
// waits for the kernel to give up, which takes minutes.
const connectTimeout = 5 * time.Second

// Open opens the database that dsn names. It does not migrate.
func Open(ctx context.Context, dsn string, opts ...Option) (*DB, error) {
	o := options{busyTimeout: 10 * time.Second}
	for _, opt := range opts {
		opt(&o)
	}
	engine, target, err := ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if engine == Postgres {
		return openPostgres(ctx, target)
	}
	return openSQLite(ctx, target, o)
}

func openPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, errs.Wrap(errs.Invalid, err, "database: not a valid PostgreSQL URL")
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = connectTimeout
	}
	pool := stdlib.OpenDB(*cfg)
	pool.SetMaxOpenConns(32)
	pool.SetMaxIdleConns(32)
	if err := pool.PingContext(ctx); err != nil {
		pool.Close()
		return nil, errs.Wrap(errs.Unavailable, err, "cannot reach PostgreSQL at "+redact(dsn))
	}
	return &DB{dialect: dialect{Postgres}, write: pool, read: pool, dsn: dsn}, nil
}

func openSQLite(ctx context.Context, path string, o options) (*DB, error) {
	if dir := filepath.Dir(path); dir != "." {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create directory for %s: %w", path, err)
		}
	}
	q := url.Values{}
	// WAL lets readers go on while the writer commits, and lets a second
	// process (the CLI next to a running server) share the file.
	q.Add("_pragma", "journal_mode(WAL)")
	// Wait for a lock instead of failing at once when another process
	// writes, but not so long that a request hangs: past it the write
	// fails as busy (Unavailable, a 503 the client may retry).
	busy := fmt.Sprintf("busy_timeout(%d)", o.busyTimeout.Milliseconds())
	q.Add("_pragma", busy)
	// SQLite leaves foreign keys off unless asked, per connection.
	q.Add("_pragma", "foreign_keys(1)")
	// With WAL, NORMAL survives a process crash; only an OS crash can lose
	// the last commits, and never corrupts the file.
	q.Add("_pragma", "synchronous(NORMAL)")
	// The one writer keeps 32 MiB of pages (SQLite's default is 2 MiB):
	// a burst of writes (an alert storm) touches every index of the tables
	// it grows, and reading those pages back from the file each time costs
	// more than the memory.
	q.Add("_pragma", "cache_size(-32768)")
	// Copy the write-ahead log back into the database every 8,000 pages
	// (32 MiB) rather than every 1,000: a page a burst rewrites in many
	// commits is copied back once.
	q.Add("_pragma", "wal_autocheckpoint(8000)")
	// Take the write lock at BEGIN, so a transaction never fails halfway on
	// upgrading from a read lock.
	q.Set("_txlock", "immediate")
	w, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, errs.Wrap(errs.Unavailable, err, "cannot open SQLite database "+path)
	}
	rq := url.Values{}
	rq.Add("_pragma", busy)
	rq.Add("_pragma", "foreign_keys(1)")
	// The read pool must never write: writes go through the one writer.
	rq.Add("_pragma", "query_only(1)")
	r, err := sql.Open("sqlite", "file:"+path+"?"+rq.Encode())
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("open sqlite %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(8)
	// Keep every reader open: a connection closed when idle takes its
	// prepared statements and its page cache with it, and under load the
	// default of two idle connections closed and reopened one at a time.
	r.SetMaxIdleConns(8)
	return &DB{dialect: dialect{SQLite}, write: w, read: r, dsn: "sqlite:" + path,
		readStmts: newStmtCache(r), writeStmts: newStmtCache(w)}, nil
}

// Engine returns the database engine.
func (db *DB) Engine() Engine { return db.engine }

// Close closes the database.
func (db *DB) Close() error {
	for _, c := range []*stmtCache{db.readStmts, db.writeStmts} {
		if c != nil {
			c.close()
		}
	}
	err := db.write.Close()
	if db.read != db.write {
		err = errors.Join(err, db.read.Close())
	}
	return err
}

// Ready checks that the database answers a read and holds the schema this
// binary knows. It only reads, so a readiness probe never queues behind
// writers. Its error is always Unavailable, and the message says why:
// cannot connect, did not answer in time, busy, schema too old or too new.
func (db *DB) Ready(ctx context.Context) error {
	var applied int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&applied)
	if err != nil {
		err = db.mapError(err, "read schema version")
		if !errors.Is(err, errs.Unavailable) {
			return errs.Wrap(errs.Unavailable, err, "cannot read the schema version from the database")
		}
		return err
	}
	switch known := len(migrations(db.engine)); {
	case applied < known:
		return errs.E(errs.Unavailable, "the database schema is at version %d, this binary needs %d: run blameful migrate", applied, known)
	case applied > known:
		return errs.E(errs.Unavailable, "the database schema (version %d) is newer than this binary knows (%d); upgrade blameful", applied, known)
	}
	return nil
}

// Tx is a transaction. Its methods are the queries.
type Tx struct {
	dialect
	tx  *sql.Tx
	ctx context.Context
	// pending are audit entries to link into the chain at commit.
	pending []audit.Entry
	// touched are the accountable units written, whose states the last
	// pending entry records.
	touched []rowRef
	// written are rows touched by touchWritten, with the values that
	// hash their state.
	written map[rowRef][]any
	// stmts are the statements prepared for this transaction, by text.
	stmts map[string]*sql.Stmt
	// cache is the pool's statement cache, nil on PostgreSQL.
	cache *stmtCache
	// credentials is set by writes that may change what a token
	// authenticates as; the commit then moves the credential epoch.
	credentials bool
	// words is the DB's copy of the common words, nil when none is kept.
	words *commonWords
}

// View runs fn in a read-only transaction.
func (db *DB) View(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.read, db.readStmts, &sql.TxOptions{ReadOnly: true}, fn)
}

// Update runs fn in a read-write transaction, committing if fn returns nil
// and rolling back otherwise. Everything fn writes lands together or not at
// all.
func (db *DB) Update(ctx context.Context, fn func(*Tx) error) error {
	return db.run(ctx, db.write, db.writeStmts, nil, fn)
}

func (db *DB) run(ctx context.Context, pool *sql.DB, cache *stmtCache, opts *sql.TxOptions, fn func(*Tx) error) error {
	if cache != nil {
		// Once the transaction has given its connection back, prepare on
		// the pool what it ran for the first time.
		defer cache.prepareWanted(ctx, db.bind)
	}
	if db.engine == SQLite {
		opts = nil // the read pool is read-only by mode; SQLite rejects the option
	}
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return db.mapError(err, "begin transaction")
	}
	tx := &Tx{dialect: db.dialect, tx: sqlTx, ctx: ctx, cache: cache, words: &db.words}
	err = fn(tx)
	if err == nil {
		err = tx.flushAudit()
	}
	if err == nil && tx.credentials {
		err = tx.moveCredentialEpoch()
	}
	if err != nil {
		_ = sqlTx.Rollback() // the error from fn is the one that matters
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		if cerr := ctx.Err(); cerr != nil {
			// Once the context has ended, database/sql may report only
			// that the transaction is over; the context says why.
			err = errors.Join(cerr, err)
		}
		return db.mapError(err, "commit")
	}
	if tx.credentials {
		db.credentialWrites.Add(1)
	}
	return nil
}

func (tx *Tx) exec(what, q string, args ...any) (sql.Result, error) {
	if tx.cache != nil {
		return tx.execPrepared(what, q, args...)
	}
	res, err := tx.tx.ExecContext(tx.ctx, tx.bind(q), args...)
	return res, tx.mapError(err, what)
}

// prepared returns q prepared once for this transaction: a statement a
// transaction sends many times (the multi-row inserts of an alert storm,
// the audit log's reads and writes of many rows) is parsed once. On SQLite
// it comes from the pool's statement cache when there, so that it is parsed
// once per connection. The statements close with the transaction.
func (tx *Tx) prepared(what, q string) (*sql.Stmt, error) {
	if st, ok := tx.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	var err error
	if shared := tx.cachedStmt(q); shared != nil {
		st = tx.tx.StmtContext(tx.ctx, shared)
	} else if st, err = tx.tx.PrepareContext(tx.ctx, tx.bind(q)); err != nil {
		return nil, tx.mapError(err, what)
	}
	if tx.stmts == nil {
		tx.stmts = map[string]*sql.Stmt{}
	}
	tx.stmts[q] = st
	return st, nil
}

// execPrepared is exec through a statement prepared once per transaction.
func (tx *Tx) execPrepared(what, q string, args ...any) (sql.Result, error) {
	st, err := tx.prepared(what, q)
	if err != nil {
		return nil, err
	}
	res, err := st.ExecContext(tx.ctx, args...)
	return res, tx.mapError(err, what)
}

// eachPrepared is each through a statement prepared once per transaction.
func (tx *Tx) eachPrepared(what, q string, args []any, scan func(*sql.Rows) error) error {
	st, err := tx.prepared(what, q)
	if err != nil {
		return err
	}
	rows, err := st.QueryContext(tx.ctx, args...)
	if err != nil {
		return tx.mapError(err, what)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return tx.mapError(rows.Err(), what)
}

func (tx *Tx) cachedStmt(q string) *sql.Stmt {
	if tx.cache == nil {
		return nil
	}
	return tx.cache.lookup(q)
}

// PlanWithValues has PostgreSQL plan every statement of the rest of the
// transaction with its arguments' values, rather than with a generic plan
// it keeps for a statement after five runs (plan_cache_mode). It is for a
// read of many ranges whose best plans depend on how many rows each range
// holds, like the weekly review: there a generic plan took 94 ms to find
// drift's suspects, by a merge join over an external sort of the window's
// 69,434 inside changes, where the plan for the values probes 2,749
// entities in 16 ms. Nothing on SQLite, which plans each statement alone.
func (tx *Tx) PlanWithValues() error {
	if tx.engine == SQLite {
		return nil
	}
	_, err := tx.tx.ExecContext(tx.ctx, `SET LOCAL plan_cache_mode = force_custom_plan`)
	return tx.mapError(err, "plan with values")
}

// planEachTime returns args led by the option that makes pgx run the
// statement unnamed when one of them is a refArray, and args as they are
// otherwise.
func planEachTime(args []any) []any {
	for _, a := range args {
		if _, ok := a.(refArray); ok {
			return append([]any{pgx.QueryExecModeDescribeExec}, args...)
		}
	}
	return args
}

func (tx *Tx) query(what, q string, args ...any) (*sql.Rows, error) {
	if tx.cache != nil {
		st, err := tx.prepared(what, q)
		if err != nil {
			return nil, err
		}
		rows, err := st.QueryContext(tx.ctx, args...)
		return rows, tx.mapError(err, what)
	}
	rows, err := tx.tx.QueryContext(tx.ctx, tx.bind(q), planEachTime(args)...)
	return rows, tx.mapError(err, what)
}

// get runs a one-row query and scans it; no row is NotFound with message
// notFound.
func (tx *Tx) get(notFound, q string, args []any, dest ...any) error {
	var row *sql.Row
	if tx.cache != nil {
		st, err := tx.prepared(notFound, q)
		if err != nil {
			return err
		}
		row = st.QueryRowContext(tx.ctx, args...)
	} else {
		row = tx.tx.QueryRowContext(tx.ctx, tx.bind(q), planEachTime(args)...)
	}
	err := row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return errs.E(errs.NotFound, "%s", notFound)
	}
	return tx.mapError(err, notFound)
}

// each runs q and calls scan for every row.
func (tx *Tx) each(what, q string, args []any, scan func(*sql.Rows) error) error {
	rows, err := tx.query(what, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return tx.mapError(rows.Err(), what)
}

// redact hides a password in a PostgreSQL URL for messages.
func redact(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "the configured database"
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// notFound is the NotFound error for a missing row.
func notFound(format string, args ...any) error { return errs.E(errs.NotFound, format, args...) }

// one runs q, which selects at most one row, and scans it with scan; no row
// is NotFound with the message missing.
func (tx *Tx) one(missing, q string, args []any, scan func(*sql.Rows) error) error {
	found := false
	err := tx.each(missing, q, args, func(rows *sql.Rows) error {
		found = true
		return scan(rows)
	})
	if err == nil && !found {
		return errs.E(errs.NotFound, "%s", missing)
	}
	return err
}
