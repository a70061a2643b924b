package bench

import (
	"context"
	"database/sql"
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var (
	worldsMu sync.Mutex
	worlds   = map[orgSpec]*world{}
)

// worldFor generates a world once per process and spec.
func worldFor(spec orgSpec) *world {
	worldsMu.Lock()
	defer worldsMu.Unlock()
	if w, ok := worlds[spec]; ok {
		return w
	}
	w := newWorld(spec)
	worlds[spec] = w
	return w
}

func flagOrg() orgSpec {
	return orgSpec{People: *orgPeople, Teams: *orgTeams, Entities: *orgEntities, Incidents: *orgIncidents, Seed: 1}
}

// member is an ordinary reader: attribution suggestions are visible to all.
var member = org.Actor{Ref: personRef(42), Roles: []org.Role{org.RoleMember}}

// fixedClock makes an app whose clock stands at benchNow.
func fixedClock() app.Option { return app.WithClock(func() time.Time { return benchNow }) }

var sink any

// heapInUse returns the live heap after a collection.
func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// BenchmarkAttribution measures the attribution suggestion (bar: ≤ 1 ms on
// an org of 10k people, 2k teams, 50k entities):
//
//   - engine/suggest: blame.Suggest on the facts the app would load, built
//     in memory; engine/floor: the bare map lookups of the origin's owner
//     and that team's leader in the same facts.
//   - app/ENGINE/attribution: app.Attribution, which loads the facts with
//     SQL as of the incident's start, runs the engine, and reads the
//     decisions; app/ENGINE/floor: one plain SQL query for the origin's
//     owner at the incident's start, in a read transaction.
func BenchmarkAttribution(b *testing.B) {
	w := worldFor(flagOrg())
	b.Run("engine", func(b *testing.B) {
		facts := make([]blame.Facts, len(w.incidents))
		rules := map[blame.Rule]int{}
		ents, teams := 0, 0
		for i, in := range w.incidents {
			facts[i] = w.facts(in)
			rules[blame.Suggest(facts[i]).Rule]++
			ents += len(facts[i].Entities)
			teams += len(facts[i].Chart.Teams)
		}
		b.Logf("%d incidents; rules %s; on average %.1f entities and %.1f teams per incident's facts",
			len(facts), ruleMix(rules), float64(ents)/float64(len(facts)), float64(teams)/float64(len(facts)))
		b.Run("suggest", func(b *testing.B) {
			i := 0
			for b.Loop() {
				sink = blame.Suggest(facts[i%len(facts)])
				i++
			}
		})
		b.Run("floor", func(b *testing.B) {
			i := 0
			for b.Loop() {
				sink = originOwner(facts[i%len(facts)])
				i++
			}
		})
	})
	for _, engine := range storetest.Engines(b) {
		b.Run("app/"+string(engine), func(b *testing.B) {
			ctx := context.Background()
			dsn, db, raw := freshDB(b, engine)
			start := time.Now()
			if err := writeOrg(ctx, raw, w); err != nil {
				b.Fatal(err)
			}
			if err := writeIncidents(ctx, raw, w.incidents); err != nil {
				b.Fatal(err)
			}
			if engine == store.Postgres {
				if err := analyze(ctx, raw); err != nil {
					b.Fatal(err)
				}
			}
			b.Logf("generated %d people, %d teams, %d entities, %d edges, %d incidents in %s",
				len(w.people), len(w.teams), len(w.ents), len(w.edges), len(w.incidents), time.Since(start).Round(time.Millisecond))
			a := app.New(db, fixedClock())
			// A server reads its copy of the org at start (serve does);
			// the benchmark measures calls after that.
			heap := heapInUse()
			loadStart := time.Now()
			if err := a.LoadOrg(ctx); err != nil {
				b.Fatal(err)
			}
			b.Logf("the org copy read in %s, heap %+d MB", time.Since(loadStart).Round(time.Millisecond), (heapInUse()-heap)>>20)
			floor, err := openRaw(dsn, true)
			if err != nil {
				b.Fatal(err)
			}
			defer floor.Close()
			ids := make([]incident.ID, len(w.incidents))
			for i, in := range w.incidents {
				ids[i] = in.ID
			}
			b.Run("attribution", func(b *testing.B) {
				i := 0
				for b.Loop() {
					v, err := a.Attribution(ctx, member, ids[i%len(ids)])
					if err != nil {
						b.Fatal(err)
					}
					sink = v
					i++
				}
			})
			b.Run("floor", func(b *testing.B) {
				q := floor.q(floorOwnerQuery)
				i := 0
				for b.Loop() {
					owner, err := floorOwner(ctx, floor, q, ids[i%len(ids)])
					if err != nil {
						b.Fatal(err)
					}
					sink = owner
					i++
				}
			})
		})
	}
}

func ruleMix(m map[blame.Rule]int) string {
	var parts []string
	for _, r := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s %d", r, m[r]))
	}
	return strings.Join(parts, ", ")
}

// originOwner is the engine's floor: the origin (marked, else the first
// failed entity), its first owner, and that team's leader — map lookups
// only, no rules, no explanation.
func originOwner(f blame.Facts) org.Ref {
	if len(f.Failed) == 0 {
		return ""
	}
	origin := f.Failed[0].Ref
	for _, fe := range f.Failed {
		if fe.Origin {
			origin = fe.Ref
		}
	}
	e := f.Entities[origin]
	if len(e.Owners) == 0 {
		return ""
	}
	owner := e.Owners[0].Owner
	if t, ok := f.Chart.Teams[owner]; ok && len(t.Leaders) > 0 {
		return t.Leaders[0]
	}
	return owner
}

// floorOwnerQuery reads the owner of an incident's origin (marked, else its
// first failed entity) as of the incident's start.
const floorOwnerQuery = `
SELECT e.object
FROM incidents i
JOIN incident_entities ie ON ie.incident = i.id
JOIN edges e ON e.subject = ie.entity AND e.relation = 'owned_by'
    AND (e.valid_from IS NULL OR e.valid_from <= i.started_at) AND (e.valid_to IS NULL OR e.valid_to > i.started_at)
WHERE i.id = $1
ORDER BY ie.origin DESC, ie.position
LIMIT 1`

func floorOwner(ctx context.Context, db *rawDB, q string, id incident.ID) (string, error) {
	tx, err := db.BeginTx(ctx, readOnly(db))
	if err != nil {
		return "", err
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	var owner string
	err = tx.QueryRowContext(ctx, q, string(id)).Scan(&owner)
	if err == sql.ErrNoRows {
		err = nil // an unowned origin is an answer too
	}
	if err != nil {
		return "", err
	}
	return owner, tx.Commit()
}

// readOnly returns the options the store uses for a read transaction.
func readOnly(db *rawDB) *sql.TxOptions {
	if db.engine == store.SQLite {
		return nil
	}
	return &sql.TxOptions{ReadOnly: true}
}
