package bench

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// The review data set at a named size, generated once and kept between
// runs: a SQLite file under the user's cache directory and a PostgreSQL
// database per size. A set is migrated forward to the current schema when
// it is opened, as a deployment's database would be, and rebuilt when the
// generator changes or when a migration it has applied is not the one of
// that number now (a placeholder since replaced, say). Benchmarks over the
// large set call largeSet and read it; they must not write to it.

var benchSize = flag.String("size", "", `data set of the review benchmarks: "small" (3,000 incidents, for CI), "large" (PRODUCT.md §9: 1M incidents); empty: the -review.* flags`)

// generatorVersion names the generator's output. Bump it with every change
// to writeHistory, writeOrg or the world that changes what they write, so
// cached sets are rebuilt.
const generatorVersion = 4

// historySeed seeds every review data set.
const historySeed = 9

// sizeSpec returns the history of the -size flag, and its name.
func sizeSpec() (string, historySpec) {
	spec := historySpec{Incidents: *reviewIncidents, FollowUps: *reviewFollowUps, Timeline: *reviewTimeline, Weeks: *reviewWeeks, Seed: historySeed}
	switch *benchSize {
	case "small":
		spec.Incidents = 3000
	case "large":
		spec.Incidents = 1000000
	case "":
		return fmt.Sprintf("n%d", spec.Incidents), spec
	}
	return *benchSize, spec
}

// setKey identifies a generated set: what made it.
func setKey(spec historySpec, o orgSpec) string {
	return fmt.Sprintf("g%d-%d-%d-%d-%d-s%d-o%d.%d.%d", generatorVersion, spec.Incidents, spec.FollowUps,
		spec.Timeline, spec.Weeks, spec.Seed, o.People, o.Teams, o.Entities)
}

var largeMu sync.Mutex

// largeSet returns the DSN of the review data set that -size names (see
// sizeSpec) on engine, over the -org.* organisation, generating it first if
// it is missing or stale. SQLite's file lives in
// ${XDG_CACHE_HOME:-$HOME/.cache}/blameful-bench; PostgreSQL's database is
// blameful_bench_<size> on the server of BLAMEFUL_TEST_POSTGRES (skipped
// when unset). Generating the large set takes minutes and prints progress
// to stderr. The set is shared by every run: read it, do not write to it.
func largeSet(tb testing.TB, engine store.Engine) string {
	tb.Helper()
	largeMu.Lock()
	defer largeMu.Unlock()
	name, spec := sizeSpec()
	o := flagOrg()
	key := setKey(spec, o)
	var dsn string
	var err error
	if engine == store.SQLite {
		dsn, err = sqliteSet(name, key, spec, o)
	} else {
		base := os.Getenv(storetest.EnvPostgres)
		if base == "" {
			tb.Skipf("%s is not set: skipping the PostgreSQL run", storetest.EnvPostgres)
		}
		dsn, err = postgresSet(base, name, key, spec, o)
	}
	if err == nil {
		err = migrateSet(dsn)
	}
	if err != nil {
		tb.Fatalf("%s data set %s: %v", engine, name, err)
	}
	return dsn
}

// errStaleSchema says a set applied a migration that is no longer the one
// of its number.
var errStaleSchema = errors.New("applied a migration that has since changed")

// appliedMatch reports whether every migration the set at dsn applied is,
// by number and name, one of the engine's migrations now.
func appliedMatch(dsn string) (bool, error) {
	engine, _, err := store.ParseDSN(dsn)
	if err != nil {
		return false, err
	}
	files, err := filepath.Glob(filepath.Join("..", "store", "migrations", string(engine), "*.sql"))
	if err != nil || len(files) == 0 {
		return false, fmt.Errorf("the migration files: %v", err)
	}
	known := map[string]bool{}
	for _, f := range files {
		known[strings.TrimSuffix(filepath.Base(f), ".sql")] = true
	}
	raw, err := openRaw(dsn, true)
	if err != nil {
		return false, err
	}
	defer raw.Close()
	rows, err := raw.Query(`SELECT version, name FROM schema_migrations`)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return false, err
		}
		if !known[fmt.Sprintf("%04d_%s", v, name)] {
			return false, nil
		}
	}
	return true, rows.Err()
}

// migrateSet applies the migrations the set at dsn has not.
func migrateSet(dsn string) error {
	ok, err := appliedMatch(dsn)
	if err != nil {
		return err
	}
	if !ok {
		return errStaleSchema
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	n, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	judged, err := judgeStale(ctx, db)
	if err != nil || (n == 0 && judged == 0) || db.Engine() != store.Postgres {
		return err
	}
	// As after generating: what autovacuum would have done since (a
	// migration that fills a table and then updates it leaves a dead row
	// version behind for each row, which index scans read until a vacuum).
	raw, err := openRaw(dsn, false)
	if err != nil {
		return err
	}
	defer raw.Close()
	_, err = raw.ExecContext(ctx, "VACUUM ANALYZE")
	return err
}

// judgeStale judges the drift of every change whose verdict is stale, as a
// running server's jobs do (app.JudgeDrift, from the server's copy of the
// org): the generator writes changes after the migrations, so each is
// stale when written, and a set migrated from before 0023 was judged by
// it. Without this the weekly review judges the window's stale changes
// itself, the exact but slow way a server takes only until its jobs have
// run.
func judgeStale(ctx context.Context, db *store.DB) (int, error) {
	a := app.New(db, fixedClock())
	defer a.Close()
	if err := a.LoadOrg(ctx); err != nil {
		return 0, err
	}
	total := 0
	for {
		n, err := a.JudgeDrift(ctx)
		total += n
		if err != nil || n == 0 {
			return total, err
		}
	}
}

func cacheDir() (string, error) {
	dir := os.Getenv("XDG_CACHE_HOME")
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		dir = filepath.Join(home, ".cache")
	}
	dir = filepath.Join(dir, "blameful-bench")
	return dir, os.MkdirAll(dir, 0o755)
}

// sqliteSet returns the cached SQLite set, generating it into a temporary
// file renamed into place when done, so an interrupted run leaves nothing
// that looks complete. Older files of the same size are removed.
func sqliteSet(name, key string, spec historySpec, o orgSpec) (string, error) {
	dir, err := cacheDir()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "review-"+name+"-"+key+".db")
	if _, err := os.Stat(path); err == nil {
		if ok, err := appliedMatch("sqlite:" + path); err != nil || ok {
			return "sqlite:" + path, err
		}
	}
	old, _ := filepath.Glob(filepath.Join(dir, "review-"+name+"-*"))
	for _, p := range old {
		os.Remove(p)
	}
	tmp := path + ".tmp"
	for _, p := range []string{tmp, tmp + "-wal", tmp + "-shm"} {
		os.Remove(p)
	}
	if err := generateSet("sqlite:"+tmp, spec, o); err != nil {
		return "", err
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", err
	}
	return "sqlite:" + path, nil
}

// postgresSet returns the PostgreSQL set: the database blameful_bench_NAME
// when its bench_set table holds key, else a new one generated in its
// place.
func postgresSet(base, name, key string, spec historySpec, o orgSpec) (string, error) {
	db := "blameful_bench_" + strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, name)
	u, err := url.Parse(base)
	if err != nil {
		return "", err
	}
	u.Path = "/" + db
	dsn := u.String()
	if got, err := readSetKey(dsn); err == nil && got == key {
		if ok, err := appliedMatch(dsn); err != nil || ok {
			return dsn, err
		}
	}
	admin, err := sql.Open("pgx", base)
	if err != nil {
		return "", err
	}
	defer admin.Close()
	if _, err := admin.Exec(`DROP DATABASE IF EXISTS ` + db + ` WITH (FORCE)`); err != nil {
		return "", err
	}
	if _, err := admin.Exec(`CREATE DATABASE ` + db); err != nil {
		return "", err
	}
	if err := generateSet(dsn, spec, o); err != nil {
		return "", err
	}
	raw, err := openRaw(dsn, false)
	if err != nil {
		return "", err
	}
	defer raw.Close()
	// Written last: a set without it is incomplete and is rebuilt.
	if _, err := raw.Exec(`CREATE TABLE bench_set (key TEXT NOT NULL)`); err != nil {
		return "", err
	}
	_, err = raw.Exec(`INSERT INTO bench_set (key) VALUES ($1)`, key)
	return dsn, err
}

func readSetKey(dsn string) (string, error) {
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return "", err
	}
	defer db.Close()
	var key string
	err = db.QueryRow(`SELECT key FROM bench_set`).Scan(&key)
	return key, err
}

// generateSet migrates the empty database at dsn and fills it with the
// organisation and the history, printing progress to stderr.
func generateSet(dsn string, spec historySpec, o orgSpec) error {
	ctx := context.Background()
	engine, _, err := store.ParseDSN(dsn)
	if err != nil {
		return err
	}
	start := time.Now()
	say := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "bench: %s %d incidents: %6.1fs %s\n", engine, spec.Incidents, time.Since(start).Seconds(), fmt.Sprintf(format, args...))
	}
	db, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	if _, err := db.Migrate(ctx); err != nil {
		db.Close()
		return err
	}
	db.Close()
	raw, err := openRaw(dsn, false)
	if err != nil {
		return err
	}
	defer raw.Close()
	if engine == store.SQLite {
		// Nothing else has the file open, and a failed run throws it
		// away: write pages straight into it rather than through the
		// write-ahead log, which writes each page twice (into the log,
		// then back) in three or four system calls instead of one. The
		// pool's one connection keeps the setting; the file goes back
		// to WAL at the end.
		if _, err := raw.ExecContext(ctx, "PRAGMA journal_mode = OFF"); err != nil {
			return err
		}
	}
	w := worldFor(o)
	if err := writeOrg(ctx, raw, w); err != nil {
		return err
	}
	say("organisation written")
	c, err := writeHistory(ctx, raw, w, spec, func(step string) { say("%s", step) })
	if err != nil {
		return err
	}
	say("history written: %+v", c)
	if engine == store.Postgres {
		// What autovacuum would have done over the years: statistics, and
		// the visibility map that lets index-only scans skip the heap.
		if _, err := raw.ExecContext(ctx, "VACUUM ANALYZE"); err != nil {
			return err
		}
		say("vacuumed and analysed")
	} else {
		if _, err := raw.ExecContext(ctx, "PRAGMA journal_mode = WAL"); err != nil {
			return err
		}
	}
	say("done%s", fileSize(dsn))
	return nil
}

// hotEntities picks failed entities with a Zipf law over a shuffled
// catalog: a few entities fail again and again, most rarely.
type hotEntities struct {
	refs []org.Ref
	zipf *rand.Zipf
}

func newHotEntities(w *world, rng *rand.Rand) *hotEntities {
	h := &hotEntities{}
	for _, e := range w.ents {
		if e.Kind != "system" {
			h.refs = append(h.refs, e.Ref)
		}
	}
	rng.Shuffle(len(h.refs), func(i, j int) { h.refs[i], h.refs[j] = h.refs[j], h.refs[i] })
	h.zipf = rand.NewZipf(rng, 1.2, 8, uint64(len(h.refs)-1))
	return h
}

func (h *hotEntities) pick() org.Ref { return h.refs[h.zipf.Uint64()] }

// deployer returns who deploys entity: nine times in ten a member of its
// current owning team (or its owner, a person), else anyone.
func (w *world) deployer(entity org.Ref, rng *rand.Rand) string {
	if rng.IntN(10) > 0 {
		for _, e := range w.bySubject[entity] {
			if e.Relation != org.OwnedBy || !e.To.IsZero() {
				continue
			}
			if !e.Object.IsTeam() {
				return string(e.Object)
			}
			var members []org.Ref
			for _, m := range w.byObject[e.Object] {
				if m.Relation == org.MemberOf && m.To.IsZero() {
					members = append(members, m.Subject)
				}
			}
			if len(members) > 0 {
				return string(members[rng.IntN(len(members))])
			}
		}
	}
	return string(personRef(rng.IntN(len(w.people))))
}

// benchFreeze is a generated code freeze.
type benchFreeze struct {
	id, reason string
	start, end time.Time
	scope      []org.Ref // nil: everything
}

type benchFreezeList []benchFreeze

// benchFreezes are the generated freezes: every year end, for everything,
// and in the reviewed week a freeze of the 40 entities that fail most.
func benchFreezes(hot *hotEntities) benchFreezeList {
	var out benchFreezeList
	for y := benchNow.Year() - 4; y < benchNow.Year(); y++ {
		out = append(out, benchFreeze{id: fmt.Sprintf("fz-%d", y), reason: "Year-end freeze",
			start: time.Date(y, 12, 20, 0, 0, 0, 0, time.UTC), end: time.Date(y+1, 1, 3, 0, 0, 0, 0, time.UTC)})
	}
	scope := slices.Clone(hot.refs[:min(40, len(hot.refs))])
	slices.Sort(scope)
	wk := reviewWeek.Start()
	out = append(out, benchFreeze{id: "fz-checkout", reason: "Checkout freeze before the sales weekend",
		start: wk.AddDate(0, 0, 3), end: wk.AddDate(0, 0, 7), scope: scope})
	return out
}

func (l benchFreezeList) covers(entity org.Ref, at time.Time) bool {
	for _, f := range l {
		if !at.Before(f.start) && at.Before(f.end) && (f.scope == nil || slices.Contains(f.scope, entity)) {
			return true
		}
	}
	return false
}

// writeFreezes stores benchFreezes.
func writeFreezes(ctx context.Context, raw *rawDB, list benchFreezeList) error {
	fz := newBulk(ctx, raw, "freezes", "id", "starts_at", "ends_at", "scope", "reason", "created_at", "created_by")
	for _, f := range list {
		scope := "all"
		if f.scope != nil {
			scope = "listed"
		}
		if err := fz.add(f.id, raw.ts(f.start), raw.ts(f.end), scope, f.reason, raw.ts(f.start.AddDate(0, 0, -14)), string(personRef(0))); err != nil {
			return err
		}
	}
	if err := fz.close(); err != nil {
		return err
	}
	sc := newBulk(ctx, raw, "freeze_scope", "freeze_id", "target", "position")
	for _, f := range list {
		for i, r := range f.scope {
			if err := sc.add(f.id, string(r), i); err != nil {
				return err
			}
		}
	}
	return sc.close()
}

// BenchmarkLargeSet only makes sure the -size data set exists on each
// engine, generating it if needed: run it once before the benchmarks that
// read the set, to keep generation out of their time limits.
func BenchmarkLargeSet(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			start := time.Now()
			dsn := largeSet(b, engine)
			b.Logf("%s ready in %s%s", dsn, time.Since(start).Round(time.Second), fileSize(dsn))
			for b.Loop() {
			}
		})
	}
}
