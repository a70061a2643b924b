package bench

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// tinyOrg is small enough for a test to generate and store in well under a
// second.
var tinyOrg = orgSpec{People: 300, Teams: 60, Entities: 600, Incidents: 120, Seed: 7}

// TestFactsMatchApp checks the in-memory facts the engine benchmark uses
// against the app's own loader: for every generated incident, the engine
// must suggest the same thing from both.
func TestFactsMatchApp(t *testing.T) {
	ctx := context.Background()
	w := newWorld(tinyOrg)
	_, db, raw := freshDB(t, store.SQLite)
	if err := writeOrg(ctx, raw, w); err != nil {
		t.Fatal(err)
	}
	if err := writeIncidents(ctx, raw, w.incidents); err != nil {
		t.Fatal(err)
	}
	a := app.New(db, fixedClock())
	rules := map[blame.Rule]int{}
	for _, in := range w.incidents {
		v, err := a.Attribution(ctx, member, in.ID)
		if err != nil {
			t.Fatalf("%s: %v", in.ID, err)
		}
		got := blame.Suggest(w.facts(in))
		if diff := cmp.Diff(v.Suggestion, got); diff != "" {
			t.Fatalf("%s: in-memory facts suggest differently from the app (-app +memory):\n%s", in.ID, diff)
		}
		rules[got.Rule]++
	}
	for _, r := range []blame.Rule{blame.A2, blame.A3, blame.A4} {
		if rules[r] == 0 {
			t.Errorf("no generated incident is attributed by %s (%s): the generator no longer covers it", r, ruleMix(rules))
		}
	}
}

// TestHistoryAndReviewFloor generates a small history and checks that the
// product's review and the floor read the same answer.
func TestHistoryAndReviewFloor(t *testing.T) {
	ctx := context.Background()
	w := newWorld(tinyOrg)
	dsn, db, raw := freshDB(t, store.SQLite)
	if err := writeOrg(ctx, raw, w); err != nil {
		t.Fatal(err)
	}
	c, err := writeHistory(ctx, raw, w, historySpec{Incidents: 1500, FollowUps: 5, Timeline: 4, Weeks: 20, Seed: 1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.Incidents != 1500 || c.FollowUps == 0 || c.Timeline == 0 || c.Attributions == 0 {
		t.Fatalf("generated %+v", c)
	}
	a := app.New(db, fixedClock())
	rv, err := a.WeeklyReview(ctx, member, reviewWeek)
	if err != nil {
		t.Fatal(err)
	}
	floor, err := openRaw(dsn, true)
	if err != nil {
		t.Fatal(err)
	}
	defer floor.Close()
	fa, err := floorReview(ctx, floor, benchNow, reviewWeek)
	if err != nil {
		t.Fatal(err)
	}
	if diff := fa.differs(answerOf(rv)); diff != "" {
		t.Fatalf("review of %s: the floor and the product disagree:\n%s", reviewWeek, diff)
	}
	if rv.IncidentsTotal == 0 || rv.AttributionsTotal == 0 {
		t.Fatalf("review of %s: %s", reviewWeek, answerOf(rv).summary())
	}
}

// TestLoadHarness starts both servers over a small database and runs a
// short round against each.
func TestLoadHarness(t *testing.T) {
	ctx := context.Background()
	w := newWorld(tinyOrg)
	dsn, db, raw := freshDB(t, store.SQLite)
	if err := writeOrg(ctx, raw, w); err != nil {
		t.Fatal(err)
	}
	if err := writeIncidents(ctx, raw, w.incidents); err != nil {
		t.Fatal(err)
	}
	header, err := benchToken(ctx, app.New(db), w.reader().Ref)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, in := range w.incidents {
		paths = append(paths, "/api/v1/incidents/"+string(in.ID))
	}
	for _, s := range []struct {
		mode   string
		header http.Header
	}{{"app", header}, {"floor", nil}} {
		c := startChild(t, s.mode, dsn)
		l := newLoader(c.base, s.header, 4)
		r, err := l.round(40, paths, 10*time.Second)
		l.close()
		if err != nil || r.requests != 40 {
			t.Fatalf("%s: %d requests, %v", s.mode, r.requests, err)
		}
		if peak, _ := c.memoryKB(); peak == 0 {
			t.Errorf("%s: no memory figure from /proc", s.mode)
		}
		c.stop()
	}
}

// TestDeferredIndexesComeBack checks that writeHistory, which drops the
// loaded tables' secondary indexes while it writes, leaves every index of
// the schema as the migrations made it, and that it dropped some.
func TestDeferredIndexesComeBack(t *testing.T) {
	ctx := context.Background()
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			_, _, raw := freshDB(t, engine)
			before := indexDefs(t, raw)
			rebuild, err := deferIndexes(ctx, raw, loadedTables)
			if err != nil {
				t.Fatal(err)
			}
			during := indexDefs(t, raw)
			if len(during) >= len(before) || during["followups_burndown"] != "" || during["timeline_entries_incident"] != "" {
				t.Fatalf("%d indexes before the load and %d during it: the loaded tables' were not deferred", len(before), len(during))
			}
			for _, kept := range []string{"incidents_attribution", "incident_entities_origin"} {
				if during[kept] == "" {
					t.Errorf("%s was dropped for the load; a trigger or a unique check needs it", kept)
				}
			}
			if err := rebuild(); err != nil {
				t.Fatal(err)
			}
			w := newWorld(tinyOrg)
			if err := writeOrg(ctx, raw, w); err != nil {
				t.Fatal(err)
			}
			if _, err := writeHistory(ctx, raw, w, historySpec{Incidents: 300, FollowUps: 3, Timeline: 2, Weeks: 4, Seed: 1}, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(before, indexDefs(t, raw)); diff != "" {
				t.Fatalf("the indexes after a load differ from the schema's (-schema +after):\n%s", diff)
			}
		})
	}
}

// indexDefs maps each index of the database to the statement behind it.
func indexDefs(t *testing.T, raw *rawDB) map[string]string {
	t.Helper()
	q := `SELECT name, COALESCE(sql, '') FROM sqlite_master WHERE type = 'index'`
	if raw.engine == store.Postgres {
		q = `SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()`
	}
	rows, err := raw.QueryContext(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var name, def string
		if err := rows.Scan(&name, &def); err != nil {
			t.Fatal(err)
		}
		out[name] = def
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
