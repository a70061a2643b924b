package store

import (
	"context"
	"database/sql"
	"sync"
)

// stmtCache keeps a pool's statements prepared, by their text, so that
// SQLite parses and plans each statement once per connection rather than
// on every use: before it, compiling the statement was about half of an
// attribution suggestion and of an API read. PostgreSQL needs none (pgx
// keeps its own per-connection cache of prepared statements).
//
// A statement is first run the ordinary way, prepared inside its
// transaction, and noted as wanted; once that transaction has given its
// connection back, the statement is prepared on the pool (which the SQLite
// writer, with its single connection, could not do while a transaction held
// it). From then on a transaction takes it with Tx.StmtContext, which reuses
// what is already prepared on its connection and prepares it there once if
// not.
type stmtCache struct {
	pool *sql.DB
	mu   sync.RWMutex
	m    map[string]*sql.Stmt
	// wanted are texts run but not yet prepared on the pool.
	wanted map[string]struct{}
}

// maxCachedStmts bounds the cache. Statements whose text varies with their
// arguments (an IN list of so many values) could otherwise grow it without
// end; past the bound, new texts are prepared per transaction as before.
const maxCachedStmts = 1000

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, wanted: map[string]struct{}{}}
}

// lookup returns the pool's statement for q, or nil when it is not
// prepared yet (and notes it as wanted, when there is room).
func (c *stmtCache) lookup(q string) *sql.Stmt {
	c.mu.RLock()
	st := c.m[q]
	c.mu.RUnlock()
	if st != nil {
		return st
	}
	c.mu.Lock()
	if len(c.m)+len(c.wanted) < maxCachedStmts {
		c.wanted[q] = struct{}{}
	}
	c.mu.Unlock()
	return nil
}

// prepareWanted prepares on the pool the statements noted as wanted. It is
// called with no transaction of the caller open. A statement that fails to
// prepare is forgotten; it will be prepared per transaction, and its error
// reported there.
func (c *stmtCache) prepareWanted(ctx context.Context, bind func(string) string) {
	c.mu.Lock()
	if len(c.wanted) == 0 {
		c.mu.Unlock()
		return
	}
	todo := make([]string, 0, len(c.wanted))
	for q := range c.wanted {
		todo = append(todo, q)
	}
	clear(c.wanted)
	c.mu.Unlock()
	for _, q := range todo {
		st, err := c.pool.PrepareContext(context.WithoutCancel(ctx), bind(q))
		if err != nil {
			continue
		}
		c.mu.Lock()
		if _, ok := c.m[q]; ok {
			c.mu.Unlock()
			_ = st.Close()
			continue
		}
		c.m[q] = st
		c.mu.Unlock()
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for q, st := range c.m {
		_ = st.Close()
		delete(c.m, q)
	}
}

// readRow runs q, a one-row read outside any transaction, on the read pool
// and scans it into dest; on SQLite through the statement cache.
func (db *DB) readRow(ctx context.Context, q string, args []any, dest ...any) error {
	if c := db.readStmts; c != nil {
		if st := c.lookup(q); st != nil {
			return st.QueryRowContext(ctx, args...).Scan(dest...)
		}
		defer c.prepareWanted(ctx, db.bind)
	}
	return db.read.QueryRowContext(ctx, db.bind(q), args...).Scan(dest...)
}
