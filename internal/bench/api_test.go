package bench

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/demo"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// BenchmarkAPIRead64 is the API read bar (≥ 0.5 × the floor's requests/s,
// p99 ≤ 2 × the floor's p99, with 64 connections) and the memory bar, over
// the demo organisation and its year of history loaded through the app.
// 64 keep-alive clients cycle through GET /api/v1/incidents/{id} for every
// incident, against the product (with a member's API token) and against the
// floor, a bare handler reading the same row with plain SQL. Each b.Loop
// iteration is one round of -load.requests requests to each, in turn, so
// both see the same background noise.
//
// With -size, it reads the generated data set of that size instead (see
// largeSet): PRODUCT.md §9's million incidents with -size large.
func BenchmarkAPIRead64(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			dsn, header, paths := serverData(b, engine)
			product := startChild(b, "app", dsn)
			floor := startChild(b, "floor", dsn)
			compare(b, product, floor, header, paths)
		})
	}
}

// serverData is the database the API benchmarks read, a member's token
// header and the paths of its incidents: the demo, or the generated set
// when -size names one.
func serverData(b *testing.B, engine store.Engine) (string, http.Header, []string) {
	if *benchSize == "" {
		dsn := storetest.DSN(b, engine)
		header, paths := demoServerData(b, dsn)
		return dsn, header, paths
	}
	dsn := largeSet(b, engine)
	header, paths, err := setServerData(dsn)
	if err != nil {
		b.Fatal(err)
	}
	return dsn, header, paths
}

// benchSecret is the API token the benchmarks read a generated set with.
// The set is shared and generated without the app, so the token is written
// the same way, once, under a fixed secret.
const benchSecret = "bf_bench-read-token-of-a-generated-set"

// setServerData returns, for a generated set, the header of a token acting
// as an ordinary member (no team led, not left), adding the token if the
// set has none, and the path of every incident.
func setServerData(dsn string) (http.Header, []string, error) {
	ctx := context.Background()
	raw, err := openRaw(dsn, false)
	if err != nil {
		return nil, nil, err
	}
	defer raw.Close()
	var member string
	err = raw.QueryRowContext(ctx, `SELECT p.ref FROM people p WHERE p.left_at IS NULL AND NOT EXISTS (
    SELECT 1 FROM edges e WHERE e.subject = p.ref AND e.relation = 'leads') AND EXISTS (
    SELECT 1 FROM edges e WHERE e.subject = p.ref AND e.relation = 'member_of' AND e.valid_to IS NULL)
ORDER BY p.ref LIMIT 1`).Scan(&member)
	if err != nil {
		return nil, nil, fmt.Errorf("find a member to read as: %w", err)
	}
	sum := sha256.Sum256([]byte(benchSecret))
	_, err = raw.ExecContext(ctx, raw.q(`INSERT INTO tokens (id, name, hash, actor, roles, created_at) VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (id) DO NOTHING`), "bench-read", "bench-read", hex.EncodeToString(sum[:]), member, "member", raw.ts(benchNow))
	if err != nil {
		return nil, nil, fmt.Errorf("add the benchmark's token: %w", err)
	}
	rows, err := raw.QueryContext(ctx, `SELECT id FROM incidents ORDER BY id`)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var paths []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, nil, err
		}
		paths = append(paths, "/api/v1/incidents/"+id)
	}
	return http.Header{"Authorization": {"Bearer " + benchSecret}}, paths, rows.Err()
}

// demoServerData loads the demo into the database at dsn and returns a
// member's token header and the path of every incident.
func demoServerData(tb testing.TB, dsn string) (http.Header, []string) {
	tb.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, dsn)
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	a := app.New(db)
	start := time.Now()
	sum, err := demo.Load(ctx, a, nil)
	if err != nil {
		tb.Fatalf("load demo: %v", err)
	}
	admin := org.System("bench")
	people, err := a.People(ctx, admin, time.Time{})
	if err != nil {
		tb.Fatal(err)
	}
	var reader org.Ref
	for _, p := range people {
		if len(p.Leads) == 0 && len(p.Teams) > 0 && p.Left.IsZero() {
			reader = p.Ref
			break
		}
	}
	header, err := benchToken(ctx, a, reader)
	if err != nil {
		tb.Fatal(err)
	}
	list, err := a.Incidents(ctx, admin, incident.Filter{})
	if err != nil {
		tb.Fatal(err)
	}
	paths := make([]string, len(list))
	for i, in := range list {
		paths[i] = "/api/v1/incidents/" + string(in.ID)
	}
	tb.Logf("demo: %d people, %d teams, %d entities, %d incidents, %d follow-ups, loaded in %s; reading as %s",
		sum.People, sum.Teams, sum.Entities, len(list), sum.FollowUps, time.Since(start).Round(time.Millisecond), reader)
	return header, paths
}
