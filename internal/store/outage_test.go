package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"

	"blameful.dev/blameful/internal/errs"
)

// TestOutageIsUnavailable: a database that cannot be reached, is busy or
// does not answer in time is Unavailable, with a message that names no host
// and the cause kept; other failures keep their kinds.
func TestOutageIsUnavailable(t *testing.T) {
	refused := &net.OpError{Op: "dial", Net: "tcp", Addr: &net.TCPAddr{IP: net.IPv4(10, 0, 0, 7), Port: 5432}, Err: syscall.ECONNREFUSED}
	tests := []struct {
		name string
		err  error
		want errs.Kind
		why  string
	}{
		{"connect refused", &pgconn.ConnectError{Config: &pgconn.Config{}}, errs.Unavailable, whyConnect},
		{"network", fmt.Errorf("read: %w", refused), errs.Unavailable, whyLost},
		{"server closed the connection", fmt.Errorf("receive message: %w", io.ErrUnexpectedEOF), errs.Unavailable, whyLost},
		{"bad connection", driver.ErrBadConn, errs.Unavailable, whyLost},
		{"connection done", sql.ErrConnDone, errs.Unavailable, whyLost},
		{"conn closed", pgconn.ErrConnClosed, errs.Unavailable, whyLost},
		{"deadline", context.DeadlineExceeded, errs.Unavailable, whyTimeout},
		{"admin shutdown", &pgconn.PgError{Code: "57P01"}, errs.Unavailable, whyStarting},
		{"starting up", &pgconn.PgError{Code: "57P03"}, errs.Unavailable, whyStarting},
		{"too many connections", &pgconn.PgError{Code: "53300"}, errs.Unavailable, whyFull},
		{"connection failure", &pgconn.PgError{Code: "08006"}, errs.Unavailable, whyLost},
		{"lock timeout", &pgconn.PgError{Code: "55P03"}, errs.Unavailable, whyBusy},
		{"statement timeout", &pgconn.PgError{Code: "57014"}, errs.Unavailable, whyTimeout},
		{"serialization", &pgconn.PgError{Code: "40001"}, errs.Unavailable, whyBusy},
		{"unique", &pgconn.PgError{Code: "23505"}, errs.Conflict, ""},
		{"syntax", &pgconn.PgError{Code: "42601"}, errs.Internal, ""},
		{"cancelled by the caller", context.Canceled, errs.Internal, ""},
		{"anything else", errors.New("boom"), errs.Internal, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := dialect{Postgres}.mapError(tt.err, "read incident")
			if k := errs.KindOf(got); k != tt.want {
				t.Fatalf("kind %s, want %s: %v", k, tt.want, got)
			}
			if !errors.Is(got, tt.err) {
				t.Errorf("the cause is lost: %v", got)
			}
			if e, ok := errs.As(got); ok && tt.why != "" && e.Message != tt.why {
				t.Errorf("message %q, want %q", e.Message, tt.why)
			}
		})
	}
}

// TestSQLiteBusyIsUnavailable holds the write lock from a second handle and
// writes past a short busy timeout: Unavailable, not Internal, and the
// write goes through once the lock is free.
func TestSQLiteBusyIsUnavailable(t *testing.T) {
	dsn := "sqlite:" + t.TempDir() + "/busy.db"
	ctx := t.Context()
	a, err := Open(ctx, dsn, BusyTimeout(50*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	held, release, done := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		done <- b.Update(ctx, func(*Tx) error { close(held); <-release; return nil })
	}()
	<-held
	err = a.Update(ctx, func(*Tx) error { return nil })
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !errors.Is(err, errs.Unavailable) {
		t.Fatalf("write under a held lock: %v (%s), want Unavailable", err, errs.KindOf(err))
	}
	if e, _ := errs.As(err); e.Message != whyBusy {
		t.Errorf("message %q, want %q", e.Message, whyBusy)
	}
	if err := a.Update(ctx, func(*Tx) error { return nil }); err != nil {
		t.Errorf("write after the lock is released: %v", err)
	}
}
