package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Verifying reads the whole chain and every accountable row, and on SQLite
// the driver's per-row costs bound it: database/sql converts each value,
// the driver copies every text column into a new Go string, and each
// column is read under the connection's mutex (modernc opens every
// connection SQLITE_OPEN_FULLMUTEX). So verify reads SQLite through
// connections of its own instead, driven through modernc's SQLite (the
// same library the driver uses) directly: opened NOMUTEX, since each is
// used by one goroutine only; values read where SQLite holds them; the
// file's pages memory-mapped. They only read: query_only is set, as on the
// read pool.

// sqliteReader is one such connection. It is not safe for concurrent use.
type sqliteReader struct {
	tls *libc.TLS
	db  uintptr
}

// readerMmap is how much of the database file a reader maps, so that
// reading a page costs no system call and no copy: as much as SQLite
// allows (SQLITE_MAX_MMAP_SIZE, 2 GiB less 64 KiB). Measured on the row
// check (BenchmarkAuditVerify/sqlite/rows, CPU samples): 1.45 s mapped,
// against 4.2 s with SQLite's default page cache and 3.0 s with 32 MiB.
// At 1M events the file is 1.6 GB: a 1 GiB map left a third of it to
// pread and the page cache, and verify took 2.85–3.5 s against 2.42–2.47 s
// mapped whole (2026-12-01, AMD EPYC). The mapped pages are clean pages of
// the file, which the kernel drops first under pressure, but they count in
// the process's RSS while the readers are open (BENCHMARKS.md §2).
const readerMmap = 2<<30 - 1<<16

// openSQLiteReader opens path for reading only.
func openSQLiteReader(path string, busy time.Duration) (*sqliteReader, error) {
	r := &sqliteReader{tls: libc.NewTLS()}
	name, err := libc.CString(path)
	if err != nil {
		r.tls.Close()
		return nil, err
	}
	defer libc.Xfree(r.tls, name)
	pdb := libc.Xmalloc(r.tls, 8)
	if pdb == 0 {
		r.tls.Close()
		return nil, errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(r.tls, pdb)
	rc := sqlite3.Xsqlite3_open_v2(r.tls, name, pdb, sqlite3.SQLITE_OPEN_READWRITE|sqlite3.SQLITE_OPEN_NOMUTEX, 0)
	r.db = *(*uintptr)(cmem(pdb))
	if rc != sqlite3.SQLITE_OK {
		err := r.err(rc)
		r.close()
		return nil, fmt.Errorf("open %s for verifying: %w", path, err)
	}
	sqlite3.Xsqlite3_busy_timeout(r.tls, r.db, int32(busy.Milliseconds()))
	for _, p := range []string{"PRAGMA query_only = 1", fmt.Sprintf("PRAGMA mmap_size = %d", readerMmap)} {
		if err := r.query(context.Background(), p, nil, func(*sqliteRow) error { return nil }); err != nil {
			r.close()
			return nil, fmt.Errorf("open %s for verifying: %w", path, err)
		}
	}
	return r, nil
}

func (r *sqliteReader) close() {
	if r.db != 0 {
		sqlite3.Xsqlite3_close_v2(r.tls, r.db)
		r.db = 0
	}
	r.tls.Close()
}

// err is the connection's last error, for the result code rc.
func (r *sqliteReader) err(rc int32) error {
	msg := ""
	if r.db != 0 {
		msg = libc.GoString(sqlite3.Xsqlite3_errmsg(r.tls, r.db))
	}
	return fmt.Errorf("sqlite: %s (%d)", msg, rc)
}

// cmem turns an address in SQLite's memory into a pointer. That memory is
// libc's, outside Go's heap, so the garbage collector neither moves nor
// frees it: the address stays valid for as long as SQLite keeps it.
func cmem(p uintptr) unsafe.Pointer { return unsafe.Add(unsafe.Pointer(nil), p) }

// sqliteRow is the current row of a query. The bytes it returns are
// SQLite's own and valid only until fn returns.
type sqliteRow struct {
	r    *sqliteReader
	stmt uintptr
}

// int64 returns column i as an integer.
func (w *sqliteRow) int64(i int) int64 {
	return sqlite3.Xsqlite3_column_int64(w.r.tls, w.stmt, int32(i))
}

// null reports whether column i is NULL.
func (w *sqliteRow) null(i int) bool {
	return sqlite3.Xsqlite3_column_type(w.r.tls, w.stmt, int32(i)) == sqlite3.SQLITE_NULL
}

// bytes returns column i as text, in place: an integer as its decimal
// text, NULL as nil.
func (w *sqliteRow) bytes(i int) []byte {
	p := sqlite3.Xsqlite3_column_blob(w.r.tls, w.stmt, int32(i))
	n := sqlite3.Xsqlite3_column_bytes(w.r.tls, w.stmt, int32(i))
	if p == 0 || n <= 0 {
		// SQLite gives no address for an empty value, as for NULL.
		if w.null(i) {
			return nil
		}
		return []byte{}
	}
	return unsafe.Slice((*byte)(cmem(p)), n)
}

// text is bytes as a string over the same memory, equally short-lived:
// whoever keeps it must copy it (strings.Clone).
func (w *sqliteRow) text(i int) string { return view(w.bytes(i)) }

// query runs q, whose parameters are $1…$n (rewritten as SQLite's ?1…?n)
// bound to args, and calls fn for each row, checking ctx every few
// thousand rows. An error from fn stops it and is returned.
func (r *sqliteReader) query(ctx context.Context, q string, args []any, fn func(*sqliteRow) error) (err error) {
	stmt, err := r.prepare(sqliteParams.Replace(q))
	if err != nil {
		return err
	}
	defer func() {
		if rc := sqlite3.Xsqlite3_finalize(r.tls, stmt); rc != sqlite3.SQLITE_OK && err == nil {
			err = r.err(rc)
		}
	}()
	for i, a := range args {
		if err := r.bind(stmt, int32(i+1), a); err != nil {
			return err
		}
	}
	row := &sqliteRow{r: r, stmt: stmt}
	for n := 0; ; n++ {
		if n&4095 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		switch rc := sqlite3.Xsqlite3_step(r.tls, stmt); rc {
		case sqlite3.SQLITE_ROW:
			if err := fn(row); err != nil {
				return err
			}
		case sqlite3.SQLITE_DONE:
			return nil
		default:
			return r.err(rc)
		}
	}
}

// sqliteParams rewrites $1…$9 as ?1…?9: the statements read here have few
// parameters.
var sqliteParams = strings.NewReplacer("$1", "?1", "$2", "?2", "$3", "?3", "$4", "?4", "$5", "?5")

func (r *sqliteReader) prepare(q string) (uintptr, error) {
	z, err := libc.CString(q)
	if err != nil {
		return 0, err
	}
	defer libc.Xfree(r.tls, z)
	pp := libc.Xmalloc(r.tls, 8)
	if pp == 0 {
		return 0, errors.New("sqlite: out of memory")
	}
	defer libc.Xfree(r.tls, pp)
	if rc := sqlite3.Xsqlite3_prepare_v2(r.tls, r.db, z, -1, pp, 0); rc != sqlite3.SQLITE_OK {
		return 0, fmt.Errorf("prepare %q: %w", q, r.err(rc))
	}
	return *(*uintptr)(cmem(pp)), nil
}

// bind binds an int64 or a string.
func (r *sqliteReader) bind(stmt uintptr, i int32, v any) error {
	var rc int32
	switch v := v.(type) {
	case int64:
		rc = sqlite3.Xsqlite3_bind_int64(r.tls, stmt, i, v)
	case string:
		z, err := libc.CString(v)
		if err != nil {
			return err
		}
		defer libc.Xfree(r.tls, z)
		// SQLITE_TRANSIENT (-1): SQLite copies the text before this
		// function frees it.
		rc = sqlite3.Xsqlite3_bind_text(r.tls, stmt, i, z, int32(len(v)), ^uintptr(0))
	default:
		return fmt.Errorf("sqlite: cannot bind a %T", v)
	}
	if rc != sqlite3.SQLITE_OK {
		return r.err(rc)
	}
	return nil
}

// read runs fn inside one read transaction, so that the statements it
// runs see one snapshot.
func (r *sqliteReader) read(ctx context.Context, fn func() error) error {
	none := func(*sqliteRow) error { return nil }
	if err := r.query(ctx, "BEGIN", nil, none); err != nil {
		return err
	}
	err := fn()
	if cerr := r.query(context.Background(), "COMMIT", nil, none); err == nil {
		err = cerr
	}
	return err
}

// sqliteCursor is a statement stepped by its caller, so that two can be
// read side by side on one connection (a merge).
type sqliteCursor struct {
	sqliteRow
}

// cursor prepares q with args bound; next steps it. Close it when done.
func (r *sqliteReader) cursor(q string, args ...any) (*sqliteCursor, error) {
	stmt, err := r.prepare(sqliteParams.Replace(q))
	if err != nil {
		return nil, err
	}
	for i, a := range args {
		if err := r.bind(stmt, int32(i+1), a); err != nil {
			sqlite3.Xsqlite3_finalize(r.tls, stmt)
			return nil, err
		}
	}
	return &sqliteCursor{sqliteRow{r: r, stmt: stmt}}, nil
}

// next moves to the next row and reports whether there is one.
func (c *sqliteCursor) next() (bool, error) {
	switch rc := sqlite3.Xsqlite3_step(c.r.tls, c.stmt); rc {
	case sqlite3.SQLITE_ROW:
		return true, nil
	case sqlite3.SQLITE_DONE:
		return false, nil
	default:
		return false, c.r.err(rc)
	}
}

func (c *sqliteCursor) close() { sqlite3.Xsqlite3_finalize(c.r.tls, c.stmt) }
