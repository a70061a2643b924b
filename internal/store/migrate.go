package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
)

//go:embed migrations
var migrationFiles embed.FS

// Migration is one forward-only schema step.
type Migration struct {
	Version int
	Name    string
	SQL     string
}

// migrations returns the engine's migrations in order. The file set is part
// of the binary, so a malformed one is a programmer error.
func migrations(engine Engine) []Migration {
	dir := path.Join("migrations", string(engine))
	entries, err := fs.ReadDir(migrationFiles, dir)
	if err != nil {
		panic(fmt.Sprintf("store: read embedded migrations: %v", err))
	}
	var out []Migration
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".sql")
		num, label, ok := strings.Cut(name, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			panic(fmt.Sprintf("store: migration %s/%s is not named NNNN_name.sql", dir, e.Name()))
		}
		body, err := fs.ReadFile(migrationFiles, path.Join(dir, e.Name()))
		if err != nil {
			panic(fmt.Sprintf("store: read migration %s: %v", e.Name(), err))
		}
		out = append(out, Migration{Version: v, Name: label, SQL: string(body)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	for i, m := range out {
		if m.Version != i+1 {
			panic(fmt.Sprintf("store: %s migrations are not numbered 1..n: %d at position %d", engine, m.Version, i+1))
		}
	}
	return out
}

// SchemaVersion returns the highest applied migration (0 for an empty
// database) and the highest this binary knows.
func (db *DB) SchemaVersion(ctx context.Context) (applied, known int, err error) {
	known = len(migrations(db.engine))
	if err := db.ensureMigrationTable(ctx); err != nil {
		return 0, known, err
	}
	row := db.write.QueryRowContext(ctx, "SELECT COALESCE(MAX(version), 0) FROM schema_migrations")
	if err := row.Scan(&applied); err != nil {
		return 0, known, fmt.Errorf("read schema version: %w", err)
	}
	if applied > known {
		return applied, known, errs.E(errs.Unavailable, "the database schema (version %d) is newer than this binary knows (%d); upgrade blameful", applied, known)
	}
	return applied, known, nil
}

func (db *DB) ensureMigrationTable(ctx context.Context) error {
	ts := "TIMESTAMPTZ"
	if db.engine == SQLite {
		ts = "TEXT"
	}
	_, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at `+ts+` NOT NULL
)`)
	if err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	return nil
}

// Migrate applies every pending migration, each in its own transaction, and
// returns how many it applied. On PostgreSQL an advisory lock makes servers
// that start together take turns; the second finds nothing left to do.
func (db *DB) Migrate(ctx context.Context) (int, error) {
	if err := db.ensureMigrationTable(ctx); err != nil {
		return 0, err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return 0, fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if db.engine == Postgres {
		// An arbitrary, fixed key: "blameful migrate".
		if _, err := conn.ExecContext(ctx, "SELECT pg_advisory_lock(7140118227)"); err != nil {
			return 0, fmt.Errorf("migrate: take lock: %w", err)
		}
		defer conn.ExecContext(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7140118227)") //nolint:errcheck // released with the session anyway
	}
	applied := 0
	for _, m := range migrations(db.engine) {
		done, err := db.applyOne(ctx, conn, m)
		if err != nil {
			return applied, err
		}
		if done {
			applied++
		}
	}
	return applied, nil
}

func (db *DB) applyOne(ctx context.Context, conn *sql.Conn, m Migration) (bool, error) {
	tx, err := conn.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("migration %04d: %w", m.Version, err)
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	var n int
	if err := tx.QueryRowContext(ctx, db.bind("SELECT COUNT(*) FROM schema_migrations WHERE version = $1"), m.Version).Scan(&n); err != nil {
		return false, fmt.Errorf("migration %04d: %w", m.Version, err)
	}
	if n > 0 {
		return false, nil
	}
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
	}
	if baselineAfter[m.Version] {
		if err := db.baseline(ctx, tx, m.Version); err != nil {
			return false, fmt.Errorf("migration %04d_%s: %w", m.Version, m.Name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, db.bind("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"),
		m.Version, m.Name, db.t(time.Now())); err != nil {
		return false, fmt.Errorf("migration %04d: record: %w", m.Version, err)
	}
	return true, tx.Commit()
}

// MigrationsDigest identifies the engine's migration set; tests name their
// migrated template databases after it.
func MigrationsDigest(engine Engine) string {
	h := sha256.New()
	for _, m := range migrations(engine) {
		fmt.Fprintf(h, "%d %s\n%s\n", m.Version, m.Name, m.SQL)
	}
	return hex.EncodeToString(h.Sum(nil))[:12]
}
