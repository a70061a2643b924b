package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
	"unsafe"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"blameful.dev/blameful/internal/audit"
)

// The head of the chain is read with a row lock on PostgreSQL, so that two
// servers appending at once take turns; SQLite's single writer already
// serialises them (and has no FOR UPDATE).
var headQuery = map[Engine]string{
	SQLite:   `SELECT seq, hash FROM audit_head WHERE id = 1`,
	Postgres: `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`,
}

// RecordAudit queues an audit entry for this transaction. Update appends
// the queued entries to the chain, in order, as the transaction's last step
// before commit: the audit events commit with the writes they record, or
// neither does. Taking the chain's head last, after every other lock the
// transaction holds, means two writers can never wait on each other in
// opposite orders.
func (tx *Tx) RecordAudit(e audit.Entry) { tx.pending = append(tx.pending, e) }

// flushAudit links the queued entries after the chain's head and stores
// them. The last one also records the state of every accountable unit the
// transaction touched (audit.RowState), in its States and in audit_rows;
// the states are read before the head is locked, so the lock is held for
// the inserts only. A transaction that touched a unit without recording an
// event is refused: nothing would vouch for what it wrote.
func (tx *Tx) flushAudit() error {
	if len(tx.pending) == 0 {
		if len(tx.touched) > 0 {
			return fmt.Errorf("store: %s %s was written with no audit event to record it", tx.touched[0].table, tx.touched[0].key)
		}
		return nil
	}
	states, err := tx.touchedStates()
	if err != nil {
		return err
	}
	last := &tx.pending[len(tx.pending)-1]
	last.States = audit.EncodeStates(states)
	var head audit.Head
	if err := tx.get("audit head", headQuery[tx.engine], nil, &head.Seq, &head.Hash); err != nil {
		return err
	}
	for _, entry := range tx.pending {
		ev := audit.Link(head, entry)
		if _, err := tx.exec("append audit event", `
INSERT INTO audit_events (seq, id, at, actor, action, subject, data, version, prev_hash, hash, states)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
			ev.Seq, ev.ID, tx.t(ev.At), ev.Actor, ev.Action, ev.Subject, string(ev.Data), ev.Version, ev.PrevHash, ev.Hash,
			string(ev.States)); err != nil {
			return err
		}
		head = audit.Head{Seq: ev.Seq, Hash: ev.Hash}
	}
	if err := tx.storeStates(head.Seq, states); err != nil {
		return err
	}
	tx.pending, tx.touched = nil, nil
	_, err = tx.exec("advance audit head", `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, head.Seq, head.Hash)
	return err
}

const auditColumns = `seq, id, at, actor, action, subject, data, version, prev_hash, hash, states`

func scanAudit(rows *sql.Rows) (audit.Event, error) {
	var ev audit.Event
	var data, states string
	err := rows.Scan(&ev.Seq, &ev.ID, tm(&ev.At), &ev.Actor, &ev.Action, &ev.Subject, &data, &ev.Version, &ev.PrevHash, &ev.Hash, &states)
	ev.Data = []byte(data)
	if states != "" {
		ev.States = []byte(states)
	}
	return ev, err
}

// AuditEvents calls fn for each event with seq > after, in order, at most
// limit of them (all when limit is 0).
func (tx *Tx) AuditEvents(after int64, limit int, fn func(audit.Event) error) error {
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE seq > $1 ORDER BY seq`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	return tx.each("read audit events", q, []any{after}, func(rows *sql.Rows) error {
		ev, err := scanAudit(rows)
		if err != nil {
			return err
		}
		return fn(ev)
	})
}

// WalkAudit calls fn for each event with seq > after, in order, at most
// limit of them (all when limit is 0), in a read-only transaction of its
// own. It is AuditEvents for reading the chain in bulk, as verifying it
// does: the *audit.Event passed to fn, its Data and its States, are reused
// for later rows, so all are valid only until fn returns (the event's
// strings may be kept).
//
// It is a method of DB, not Tx, because on PostgreSQL it reads through
// pgx's own interface rather than database/sql: rows arrive in binary and
// are decoded in place, which reads the chain about 1.5 times as fast.
func (db *DB) WalkAudit(ctx context.Context, after int64, limit int, fn func(*audit.Event) error) error {
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE seq > $1 ORDER BY seq`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	return db.walkAudit(ctx, q, []any{after}, fn)
}

// WalkAuditSpan is WalkAudit over the events with after < seq <= upto: one
// span of the chain, which verifying reads beside the others, each in a
// read transaction (and on PostgreSQL a connection) of its own.
func (db *DB) WalkAuditSpan(ctx context.Context, after, upto int64, fn func(*audit.Event) error) error {
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq`
	return db.walkAudit(ctx, q, []any{after, upto}, fn)
}

func (db *DB) walkAudit(ctx context.Context, q string, args []any, fn func(*audit.Event) error) error {
	return db.walkAuditIn(ctx, q, args, false, fn)
}

// walkAuditIn is walkAudit; inPlace makes the strings of the events passed
// to fn point into the row as read, valid only until fn returns, where
// otherwise they may be kept. Only PostgreSQL tells the two apart.
func (db *DB) walkAuditIn(ctx context.Context, q string, args []any, inPlace bool, fn func(*audit.Event) error) error {
	if db.engine != Postgres {
		return db.View(ctx, func(tx *Tx) error { return tx.walkAudit(q, args, fn) })
	}
	return db.pgxRead(ctx, "read audit events", func(c *pgx.Conn) error {
		return walkAuditPgx(ctx, c, q, args, inPlace, fn)
	})
}

// pgxRead runs fn with a connection of the read pool as pgx's own, for
// reads too long for database/sql's cost per row (verifying). Its errors
// are mapped as what.
func (db *DB) pgxRead(ctx context.Context, what string, fn func(*pgx.Conn) error) error {
	conn, err := db.read.Conn(ctx)
	if err != nil {
		return db.mapError(err, what)
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("%s: unexpected driver connection %T", what, dc)
		}
		return db.mapError(fn(c.Conn()), what)
	})
}

func (tx *Tx) walkAudit(q string, args []any, fn func(*audit.Event) error) error {
	var ev audit.Event
	dest := []any{&ev.Seq, &ev.ID, tm(&ev.At), &ev.Actor, &ev.Action, &ev.Subject, (*sql.RawBytes)(&ev.Data), &ev.Version, &ev.PrevHash, &ev.Hash,
		(*sql.RawBytes)(&ev.States)}
	return tx.each("read audit events", q, args, func(rows *sql.Rows) error {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		return fn(&ev)
	})
}

// auditOIDs are the types of auditColumns on PostgreSQL, which the binary
// decoding below relies on.
var auditOIDs = [...]uint32{pgtype.Int8OID, pgtype.TextOID, pgtype.TimestamptzOID, pgtype.TextOID, pgtype.TextOID,
	pgtype.TextOID, pgtype.TextOID, pgtype.Int4OID, pgtype.TextOID, pgtype.TextOID, pgtype.TextOID}

// walkAuditPgx reads q's events on c (queryPgx), and decodes each row in
// place. The six text columns other than data and states are copied into
// one string per row, unless inPlace: then they are the row's bytes.
func walkAuditPgx(ctx context.Context, c *pgx.Conn, q string, args []any, inPlace bool, fn func(*audit.Event) error) error {
	var (
		ev   audit.Event
		text []byte
	)
	return queryPgx(ctx, c, q, args, auditOIDs[:], func(v [][]byte) error {
		if len(v[0]) != 8 || len(v[2]) != 8 || len(v[7]) != 4 {
			return fmt.Errorf("a row of %d, %d and %d bytes for seq, at and version, want 8, 8 and 4", len(v[0]), len(v[2]), len(v[7]))
		}
		ev.Seq = int64(binary.BigEndian.Uint64(v[0]))
		us := int64(binary.BigEndian.Uint64(v[2]))
		if us == math.MaxInt64 || us == math.MinInt64 {
			return fmt.Errorf("event %d: an infinite time", ev.Seq)
		}
		ev.At = time.UnixMicro(us + pgEpochMicros).UTC()
		ev.Version = int(int32(binary.BigEndian.Uint32(v[7])))
		ev.Data, ev.States = v[6], v[10]
		if inPlace {
			ev.ID, ev.Actor, ev.Action, ev.Subject = view(v[1]), view(v[3]), view(v[4]), view(v[5])
			ev.PrevHash, ev.Hash = view(v[8]), view(v[9])
			return fn(&ev)
		}
		text = append(append(append(append(append(append(text[:0], v[1]...), v[3]...), v[4]...), v[5]...), v[8]...), v[9]...)
		all := string(text)
		all, ev.ID = all[len(v[1]):], all[:len(v[1])]
		all, ev.Actor = all[len(v[3]):], all[:len(v[3])]
		all, ev.Action = all[len(v[4]):], all[:len(v[4])]
		all, ev.Subject = all[len(v[5]):], all[:len(v[5])]
		ev.PrevHash, ev.Hash = all[:len(v[8])], all[len(v[8]):]
		return fn(&ev)
	})
}

// view is b as a string over the same bytes, for as long as b stays put.
func view(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

// queryPgx runs q in a read-only transaction on c, with every column in
// binary, checks that the columns are of the types oids, and calls fn with
// each row's values as PostgreSQL sent them (NULL as nil), valid only
// until fn returns. An error from fn stops it and is returned.
func queryPgx(ctx context.Context, c *pgx.Conn, q string, args []any, oids []uint32, fn func([][]byte) error) (err error) {
	tx, err := c.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return err
	}
	defer func() {
		if rerr := tx.Rollback(ctx); rerr != nil && !errors.Is(rerr, pgx.ErrTxClosed) {
			// A connection left inside a transaction must not be reused.
			_ = c.Close(context.Background())
			err = errors.Join(err, rerr)
		}
	}()
	rows, err := tx.Query(ctx, q, append([]any{pgx.QueryResultFormats{pgx.BinaryFormatCode}}, args...)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	fields := rows.FieldDescriptions()
	if len(fields) != len(oids) {
		return fmt.Errorf("%d columns, want %d", len(fields), len(oids))
	}
	for i, f := range fields {
		if f.DataTypeOID != oids[i] || f.Format != pgx.BinaryFormatCode {
			return fmt.Errorf("column %s is of type %d in format %d, want type %d in binary", f.Name, f.DataTypeOID, f.Format, oids[i])
		}
	}
	for rows.Next() {
		if err := fn(rows.RawValues()); err != nil {
			return err
		}
	}
	return rows.Err()
}

// pgEpochMicros is PostgreSQL's epoch, 2000-01-01 UTC, in microseconds
// since the Unix epoch.
const pgEpochMicros = 946684800 * 1000000

// AuditEventsFor returns the events about one subject, oldest first.
func (tx *Tx) AuditEventsFor(subject string, limit int) ([]audit.Event, error) {
	var out []audit.Event
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE subject = $1 ORDER BY seq`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	err := tx.each("read audit events", q, []any{subject}, func(rows *sql.Rows) error {
		ev, err := scanAudit(rows)
		out = append(out, ev)
		return err
	})
	return out, err
}

// AuditHead returns the recorded head of the chain.
func (tx *Tx) AuditHead() (audit.Head, error) {
	var h audit.Head
	err := tx.get("audit head", `SELECT seq, hash FROM audit_head WHERE id = 1`, nil, &h.Seq, &h.Hash)
	return h, err
}

// AuditReader reads spans of the chain for verifying them side by side:
// one reader per goroutine. On SQLite it holds a connection of its own
// (auditraw.go), opened once for all the spans it reads; on PostgreSQL it
// takes a connection from the pool per span, as WalkAuditSpan does.
type AuditReader struct {
	db *DB
	sq *sqliteReader
}

// AuditReader opens a reader of the chain. Close it when done.
func (db *DB) AuditReader() (*AuditReader, error) {
	r := &AuditReader{db: db}
	if db.engine != SQLite {
		return r, nil
	}
	_, path, err := ParseDSN(db.dsn)
	if err != nil {
		return nil, err
	}
	if r.sq, err = openSQLiteReader(path, 10*time.Second); err != nil {
		return nil, db.mapError(err, "open a reader of the audit log")
	}
	return r, nil
}

// Close releases the reader's connection.
func (r *AuditReader) Close() {
	if r.sq != nil {
		r.sq.close()
		r.sq = nil
	}
}

// WalkSpan is DB.WalkAuditSpan through the reader: the events with after <
// seq <= upto, in order, in one read transaction. The *audit.Event passed
// to fn, its strings, its Data and its States are valid only until fn
// returns: they are SQLite's own memory, or the row as PostgreSQL sent it,
// which the next event reuses, so walking a span allocates nothing per
// event. Clone what must be kept (strings.Clone, bytes.Clone).
func (r *AuditReader) WalkSpan(ctx context.Context, after, upto int64, fn func(*audit.Event) error) error {
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE seq > $1 AND seq <= $2 ORDER BY seq`
	if r.sq == nil {
		return r.db.walkAuditIn(ctx, q, []any{after, upto}, true, fn)
	}
	var ev audit.Event
	err := r.sq.query(ctx, q, []any{after, upto}, func(w *sqliteRow) error {
		ev.Seq, ev.Version = w.int64(0), int(w.int64(7))
		at, err := parseStoredTime(w.bytes(2))
		if err != nil {
			return fmt.Errorf("event %d: %w", ev.Seq, err)
		}
		ev.At = at
		ev.Data, ev.States = w.bytes(6), w.bytes(10)
		ev.ID, ev.Actor, ev.Action, ev.Subject = w.text(1), w.text(3), w.text(4), w.text(5)
		ev.PrevHash, ev.Hash = w.text(8), w.text(9)
		return fn(&ev)
	})
	return r.db.mapError(err, "read audit events")
}

// parseStoredTime reads a time as SQLite keeps it (timeLayout), without
// the general parser for that layout, and any other RFC 3339 text with it.
func parseStoredTime(b []byte) (time.Time, error) {
	if len(b) == len(timeLayout) && b[4] == '-' && b[7] == '-' && b[10] == 'T' && b[13] == ':' && b[16] == ':' && b[19] == '.' && b[26] == 'Z' {
		n := func(from, to int) (int, bool) {
			v := 0
			for _, c := range b[from:to] {
				if c < '0' || c > '9' {
					return 0, false
				}
				v = v*10 + int(c-'0')
			}
			return v, true
		}
		y, ok1 := n(0, 4)
		mo, ok2 := n(5, 7)
		d, ok3 := n(8, 10)
		h, ok4 := n(11, 13)
		mi, ok5 := n(14, 16)
		s, ok6 := n(17, 19)
		us, ok7 := n(20, 26)
		if ok1 && ok2 && ok3 && ok4 && ok5 && ok6 && ok7 && mo >= 1 && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 60 {
			t := time.Date(y, time.Month(mo), d, h, mi, s, us*1000, time.UTC)
			if t.Day() == d { // not 31 February
				return t, nil
			}
		}
	}
	t, err := time.Parse(time.RFC3339Nano, string(b))
	if err != nil {
		return time.Time{}, fmt.Errorf("read time %q: %w", b, err)
	}
	return t.UTC(), nil
}
