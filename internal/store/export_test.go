package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
)

// MigrateTo applies the migrations up to version and no further: tests
// build an older database with it to see what a later migration does.
func (db *DB) MigrateTo(ctx context.Context, version int) error {
	if err := db.ensureMigrationTable(ctx); err != nil {
		return err
	}
	conn, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	for _, m := range migrations(db.engine)[:version] {
		if _, err := db.applyOne(ctx, conn, m); err != nil {
			return err
		}
	}
	return nil
}

// Baseline records the state of every accountable unit afresh, as
// migration 0005 does, in a transaction of its own.
func (db *DB) Baseline(ctx context.Context) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // a no-op after Commit
	if err := db.baseline(ctx, tx, 5); err != nil {
		return err
	}
	return tx.Commit()
}

// TextCandidates runs the text lookup of recurrence candidates alone: the
// IDs of the best ranked documents among the latest holding any of terms
// that is not common, that started in [from, to), other than subject,
// with their ranks.
func (tx *Tx) TextCandidates(terms []string, from, to time.Time, subject string) ([]string, []float64, error) {
	hits, err := tx.textCandidates(terms, from, to, subject)
	var ids []string
	var ranks []float64
	for _, h := range hits {
		ids, ranks = append(ids, h.id), append(ranks, h.rank)
	}
	return ids, ranks, err
}

// ForgetCommonWords drops the DB's copy of the common words, as a minute
// passing would.
func (db *DB) ForgetCommonWords() {
	db.words.mu.Lock()
	db.words.read = time.Time{}
	db.words.mu.Unlock()
}

// PlanCacheMode is PostgreSQL's plan_cache_mode in this transaction, and
// "" on SQLite.
func (tx *Tx) PlanCacheMode() (string, error) {
	if tx.engine == SQLite {
		return "", nil
	}
	var mode string
	err := tx.get("plan_cache_mode", `SHOW plan_cache_mode`, nil, &mode)
	return mode, err
}

// SetMissedWindow makes MissedFollowUps look for the latest of many owners
// among the n latest of all first, until restore is called.
func SetMissedWindow(n int) (restore func()) {
	old := missedWindow
	missedWindow = n
	return func() { missedWindow = old }
}

// ListPlan is how the engine would run the list f filters (Incidents,
// Changes or FollowUps): SQLite's EXPLAIN QUERY PLAN details, one a line,
// or PostgreSQL's EXPLAIN.
func (tx *Tx) ListPlan(f any) (string, error) {
	var q string
	var args []any
	switch f := f.(type) {
	case incident.Filter:
		q, args = tx.incidentsQuery(f)
	case ChangeFilter:
		q, args = tx.changesQuery(f)
	case followup.Filter:
		q, args = tx.followUpsQuery(f)
	default:
		return "", fmt.Errorf("no list filtered by %T", f)
	}
	var lines []string
	err := tx.each("explain a list", "EXPLAIN "+map[Engine]string{SQLite: "QUERY PLAN "}[tx.engine]+q, args,
		func(rows *sql.Rows) error {
			cols, err := rows.Columns()
			if err != nil {
				return err
			}
			vals := make([]any, len(cols))
			var line string
			for i := range vals {
				vals[i] = new(any)
			}
			vals[len(vals)-1] = &line
			if err := rows.Scan(vals...); err != nil {
				return err
			}
			lines = append(lines, line)
			return nil
		})
	return strings.Join(lines, "\n"), err
}

// SetBurndownOwners makes FollowUpBurndown read the recent follow-ups of
// more than n owners through followups_burndown, as it does a large
// organisation's, until restore is called.
func SetBurndownOwners(n int) (restore func()) {
	old := burndownOwners
	burndownOwners = n
	return func() { burndownOwners = old }
}
