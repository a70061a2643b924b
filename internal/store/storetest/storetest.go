// Package storetest opens fresh, migrated databases for tests, on every
// engine available: SQLite always, PostgreSQL when BLAMEFUL_TEST_POSTGRES
// holds a DSN (under CI=true a missing DSN fails rather than skips).
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // templates and tampering go through database/sql
	_ "modernc.org/sqlite"

	"blameful.dev/blameful/internal/store"
)

// EnvPostgres names the variable holding the PostgreSQL DSN for tests.
const EnvPostgres = "BLAMEFUL_TEST_POSTGRES"

// Engines returns the engines to test on. Under CI=true PostgreSQL is
// required.
func Engines(t testing.TB) []store.Engine {
	engines := []store.Engine{store.SQLite}
	if os.Getenv(EnvPostgres) != "" {
		return append(engines, store.Postgres)
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("CI=true but %s is not set: the PostgreSQL suite must run in CI", EnvPostgres)
	}
	return engines
}

// Each runs fn as a subtest per engine, each with its own fresh database.
func Each(t *testing.T, fn func(t *testing.T, db *store.DB)) {
	t.Helper()
	for _, e := range Engines(t) {
		t.Run(string(e), func(t *testing.T) {
			fn(t, Open(t, e))
		})
	}
}

// Open returns a fresh, migrated database of the engine, closed and
// removed when the test ends.
func Open(t testing.TB, engine store.Engine) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(), DSN(t, engine))
	if err != nil {
		t.Fatalf("open %s: %v", engine, err)
	}
	t.Cleanup(func() { db.Close() })
	if engine == store.SQLite {
		if _, err := db.Migrate(context.Background()); err != nil {
			t.Fatalf("migrate: %v", err)
		}
	}
	return db
}

// DSN returns the DSN of a fresh database of the engine: an empty SQLite
// file, or a PostgreSQL database cloned from a migrated template. The
// database is dropped when the test ends.
func DSN(t testing.TB, engine store.Engine) string {
	t.Helper()
	if engine == store.SQLite {
		return "sqlite:" + filepath.Join(t.TempDir(), "blameful.db")
	}
	base := os.Getenv(EnvPostgres)
	if base == "" {
		t.Skipf("%s is not set: skipping the PostgreSQL run", EnvPostgres)
	}
	tmpl, err := template(base)
	if err != nil {
		t.Fatalf("postgres template: %v", err)
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	name := "blameful_t_" + randomHex(6)
	if _, err := admin.Exec(`CREATE DATABASE ` + name + ` TEMPLATE ` + tmpl); err != nil {
		t.Fatalf("create test database: %v", err)
	}
	t.Cleanup(func() {
		admin, err := sql.Open("pgx", base)
		if err != nil {
			return
		}
		defer admin.Close()
		_, _ = admin.Exec(`DROP DATABASE IF EXISTS ` + name + ` WITH (FORCE)`)
	})
	return withDatabase(base, name)
}

var (
	templateOnce sync.Once
	templateName string
	templateErr  error
)

// template makes (once per process, and once per migration set across
// processes) a migrated database to clone test databases from.
func template(base string) (string, error) {
	templateOnce.Do(func() {
		templateName = "blameful_tmpl_" + store.MigrationsDigest(store.Postgres)
		templateErr = makeTemplate(base, templateName)
	})
	return templateName, templateErr
}

func makeTemplate(base, name string) error {
	ctx := context.Background()
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return err
	}
	defer admin.Close()
	conn, err := admin.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	// Test binaries of several packages start at once; one builds the
	// template while the others wait.
	if _, err := conn.ExecContext(ctx, `SELECT pg_advisory_lock(7140118228)`); err != nil {
		return err
	}
	defer conn.ExecContext(ctx, `SELECT pg_advisory_unlock(7140118228)`) //nolint:errcheck
	var exists bool
	if err := conn.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	building := name + "_building"
	_, _ = conn.ExecContext(ctx, `DROP DATABASE IF EXISTS `+building+` WITH (FORCE)`)
	if _, err := conn.ExecContext(ctx, `CREATE DATABASE `+building); err != nil {
		return err
	}
	db, err := store.Open(ctx, withDatabase(base, building))
	if err != nil {
		return err
	}
	_, err = db.Migrate(ctx)
	db.Close()
	if err != nil {
		return fmt.Errorf("migrate template: %w", err)
	}
	_, err = conn.ExecContext(ctx, `ALTER DATABASE `+building+` RENAME TO `+name)
	return err
}

// withDatabase returns base with its database name replaced.
func withDatabase(base, name string) string {
	u, err := url.Parse(base)
	if err != nil {
		panic(fmt.Sprintf("storetest: bad %s: %v", EnvPostgres, err))
	}
	u.Path = "/" + name
	return u.String()
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Exec runs raw SQL against the database at dsn behind the product's back,
// through a connection of its own: tests use it to tamper with data the way
// someone with database access could.
func Exec(t testing.TB, dsn, query string, args ...any) {
	t.Helper()
	engine, target, err := store.ParseDSN(dsn)
	if err != nil {
		t.Fatal(err)
	}
	driver := "pgx"
	if engine == store.SQLite {
		driver, target = "sqlite", "file:"+target+"?_pragma=busy_timeout(10000)"
	}
	db, err := sql.Open(driver, target)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("exec %q: %v", query, err)
	}
}
