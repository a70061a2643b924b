package bench

import (
	"context"
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
func BenchmarkAPIRead64(b *testing.B) {
	for _, engine := range storetest.Engines(b) {
		b.Run(string(engine), func(b *testing.B) {
			dsn := storetest.DSN(b, engine)
			header, paths := demoServerData(b, dsn)
			product := startChild(b, "app", dsn)
			floor := startChild(b, "floor", dsn)
			compare(b, product, floor, header, paths)
		})
	}
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
