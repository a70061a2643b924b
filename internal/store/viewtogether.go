package store

import (
	"context"
	"database/sql"
	"sync"
)

// A web page makes a dozen reads, each in a read transaction of its own:
// on PostgreSQL each a BEGIN and a COMMIT beside its statements. Reads
// made together (ViewTogether) share one transaction instead, begun at
// the first and ended with them.

// together is the transaction the reads of a ViewTogether share.
type together struct {
	// mu is held while a read uses the transaction: a read that finds it
	// taken (another goroutine's, or a read inside a read) runs in a
	// transaction of its own, as it would without ViewTogether.
	mu  sync.Mutex
	ctx context.Context
	tx  *Tx
	sql *sql.Tx
	// over is set once the shared transaction must not be used again:
	// the reads are done, one of them failed (on PostgreSQL a failed
	// statement spoils the transaction), or a write was made, after which
	// a read must see it (a SQLite read transaction keeps its snapshot).
	over bool
}

type togetherKey struct{ db *DB }

// ViewTogether runs fn with a context in which View shares one read
// transaction: begun at the first View, ended when fn returns. Views made
// at once from several goroutines, and any after an Update with the same
// context, get transactions of their own. It is for short runs of reads,
// a page's: the transaction holds a connection, and on SQLite a snapshot
// that checkpoints wait for, until fn returns.
func (db *DB) ViewTogether(ctx context.Context, fn func(context.Context) error) error {
	t := &together{ctx: ctx}
	err := fn(context.WithValue(ctx, togetherKey{db}, t))
	t.mu.Lock()
	defer t.mu.Unlock()
	t.end()
	if db.readStmts != nil {
		db.readStmts.prepareWanted(ctx, db.bind)
	}
	return err
}

// end ends the shared transaction, if begun; mu must be held.
func (t *together) end() {
	if t.sql != nil {
		_ = t.sql.Rollback() // it only read: ending it either way is the same
		t.sql, t.tx = nil, nil
	}
	t.over = true
}

// viewTogether runs fn on the shared transaction of ctx, when it has one
// free to use, and reports whether it did.
func (db *DB) viewTogether(ctx context.Context, fn func(*Tx) error) (bool, error) {
	t, ok := ctx.Value(togetherKey{db}).(*together)
	if !ok || !t.mu.TryLock() {
		return false, nil
	}
	defer t.mu.Unlock()
	if t.over {
		return false, nil
	}
	if t.sql == nil {
		opts := &sql.TxOptions{ReadOnly: true}
		if db.engine == SQLite {
			opts = nil // the read pool is read-only by mode; SQLite rejects the option
		}
		// Begun under the context of the whole run: a read's own
		// context may end (a timeout) before the others are made.
		sqlTx, err := db.read.BeginTx(t.ctx, opts)
		if err != nil {
			t.over = true
			return true, db.mapError(err, "begin transaction")
		}
		t.sql = sqlTx
		t.tx = &Tx{dialect: db.dialect, tx: sqlTx, cache: db.readStmts, words: &db.words}
	}
	t.tx.ctx = ctx
	err := fn(t.tx)
	if err != nil {
		t.end()
	}
	return true, err
}

// endTogether ends the shared transaction of ctx before a write.
func (db *DB) endTogether(ctx context.Context) {
	if t, ok := ctx.Value(togetherKey{db}).(*together); ok {
		t.mu.Lock()
		t.end()
		t.mu.Unlock()
	}
}
