package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"blameful.dev/blameful/internal/errs"
)

// Engine names a database engine.
type Engine string

// The engines.
const (
	SQLite   Engine = "sqlite"
	Postgres Engine = "postgres"
)

// timeLayout is how SQLite holds a time: fixed-width RFC 3339 in UTC with
// microseconds, so text order is time order and values round-trip exactly
// like PostgreSQL's microsecond timestamptz.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// dialect holds every difference between the engines that is not SQL text.
// Where the SQL text itself differs, both variants sit side by side in the
// file that uses them, chosen by engine.
type dialect struct {
	engine Engine
}

// bind rewrites PostgreSQL-style $1…$n placeholders into SQLite's ?1…?n.
// Placeholders inside string literals, quoted identifiers and comments are
// left alone.
func (d dialect) bind(q string) string {
	if d.engine != SQLite || !strings.Contains(q, "$") {
		return q
	}
	var b strings.Builder
	b.Grow(len(q))
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '$' && i+1 < len(q) && q[i+1] >= '0' && q[i+1] <= '9':
			b.WriteByte('?')
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// t converts a time for storage: NULL for the zero time, fixed-width text on
// SQLite, a UTC time truncated to PostgreSQL's microseconds otherwise.
func (d dialect) t(v time.Time) any {
	if v.IsZero() {
		return nil
	}
	v = v.UTC().Truncate(time.Microsecond)
	if d.engine == SQLite {
		return v.Format(timeLayout)
	}
	return v
}

// timeScan reads a time column of either engine into *dst; NULL is the zero
// time.
type timeScan struct{ dst *time.Time }

func (s timeScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.dst = time.Time{}
	case time.Time:
		*s.dst = v.UTC()
	case string:
		return s.parse(v)
	case []byte:
		return s.parse(string(v))
	default:
		return fmt.Errorf("cannot read %T as a time", src)
	}
	return nil
}

func (s timeScan) parse(v string) error {
	t, err := time.Parse(time.RFC3339Nano, v)
	if err != nil {
		return fmt.Errorf("read time %q: %w", v, err)
	}
	*s.dst = t.UTC()
	return nil
}

// tm wraps a destination for Scan.
func tm(dst *time.Time) timeScan { return timeScan{dst} }

// nullStr stores "" as NULL, for optional references.
func nullStr(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// strScan reads a nullable text column into *dst ("" for NULL).
type strScan struct{ dst *string }

func (s strScan) Scan(src any) error {
	switch v := src.(type) {
	case nil:
		*s.dst = ""
	case string:
		*s.dst = v
	case []byte:
		*s.dst = string(v)
	default:
		return fmt.Errorf("cannot read %T as text", src)
	}
	return nil
}

func str(dst *string) strScan { return strScan{dst} }

// mapError turns a driver error into an errs kind: a unique violation is a
// Conflict, a foreign-key or check violation Invalid, and a database that
// cannot be reached, is busy or did not answer in time Unavailable (see
// outage). Anything else is returned wrapped as it is (Internal).
func (d dialect) mapError(err error, what string) error {
	if err == nil {
		return nil
	}
	if _, ok := errs.As(err); ok {
		return err
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch pg.Code {
		case "23505":
			return errs.Wrap(errs.Conflict, err, what+" already exists")
		case "23503":
			return errs.Wrap(errs.Invalid, err, what+" refers to something that does not exist")
		case "23514", "23502":
			return errs.Wrap(errs.Invalid, err, what+" breaks a rule of the data")
		}
	}
	var sq *sqlite.Error
	if errors.As(err, &sq) {
		switch sq.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return errs.Wrap(errs.Conflict, err, what+" already exists")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return errs.Wrap(errs.Invalid, err, what+" refers to something that does not exist")
		case sqlite3.SQLITE_CONSTRAINT_CHECK, sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			return errs.Wrap(errs.Invalid, err, what+" breaks a rule of the data")
		}
	}
	if why := outage(err); why != "" {
		return errs.Wrap(errs.Unavailable, fmt.Errorf("%s: %w", what, err), why)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// Why the database could not serve, as users read it: in a 503's message
// and on /readyz. They name no host, user or query; the cause, which does,
// goes only to the log.
const (
	whyConnect  = "cannot connect to the database"
	whyLost     = "lost the connection to the database"
	whyTimeout  = "the database did not answer in time"
	whyBusy     = "the database is busy"
	whyStarting = "the database is starting up or shutting down"
	whyFull     = "the database is out of resources (connections, memory or disk)"
)

// outage says why err means that the database cannot serve just now, or
// returns "" when err is some other failure. Nothing about the request is
// wrong in an outage: the same request may succeed once the database is
// back, and database/sql has already discarded a broken connection, so the
// pool recovers by itself.
func outage(err error) string {
	if errors.Is(err, context.Canceled) {
		return "" // the caller gave up (a client went away): not the database's doing
	}
	var pg *pgconn.PgError
	if errors.As(err, &pg) {
		switch {
		case pg.Code == "40001", pg.Code == "40P01", pg.Code == "55P03": // serialization failure, deadlock, lock_timeout
			return whyBusy
		case pg.Code == "57014": // statement_timeout, or a cancel request
			return whyTimeout
		case pg.Code == "57P01", pg.Code == "57P02", pg.Code == "57P03": // admin or crash shutdown, cannot connect now
			return whyStarting
		case strings.HasPrefix(pg.Code, "08"): // connection exception
			return whyLost
		case strings.HasPrefix(pg.Code, "53"): // insufficient resources: 53300 too many connections, 53100 disk full
			return whyFull
		}
	}
	var sq *sqlite.Error
	if errors.As(err, &sq) {
		// The driver reports extended codes (SQLITE_BUSY_SNAPSHOT…); the
		// low byte is the primary one.
		switch sq.Code() & 0xff {
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return whyBusy
		case sqlite3.SQLITE_INTERRUPT: // the call's context ended
			return whyTimeout
		case sqlite3.SQLITE_FULL:
			return whyFull
		case sqlite3.SQLITE_CANTOPEN:
			return whyConnect
		}
	}
	var connect *pgconn.ConnectError
	var netErr net.Error
	switch {
	case errors.As(err, &connect): // refused, unreachable, or the server turned the session away
		return whyConnect
	case errors.Is(err, context.DeadlineExceeded), pgconn.Timeout(err):
		return whyTimeout
	case errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, pgconn.ErrConnClosed),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), pgconn.SafeToRetry(err):
		return whyLost
	case errors.As(err, &netErr):
		if netErr.Timeout() {
			return whyTimeout
		}
		return whyLost
	}
	return ""
}

// itoa is strconv.Itoa, short for building placeholder lists.
func itoa(n int) string { return strconv.Itoa(n) }
