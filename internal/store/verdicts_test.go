package store_test

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// judgeStale judges up to limit stale drift verdicts in Go, as the jobs
// do (app.judgeDrift), from the tables' edges.
func judgeStale(tx *store.Tx, limit int) (int, error) {
	if err := tx.HoldOrg(); err != nil {
		return 0, err
	}
	changes, err := tx.StaleDriftChanges(limit)
	if err != nil || len(changes) == 0 {
		return 0, err
	}
	edges, err := store.ChangeEdges(tx, changes)
	if err != nil {
		return 0, err
	}
	return tx.RecordDriftVerdicts(changes, review.JudgeChanges(changes, edges))
}

// TestVerdictsAgree: recording a change judges it in SQL; the jobs judge
// stale verdicts again in Go (review.JudgeChanges). Over a random org with
// history (teams moved between parents, memberships and leaderships that
// start and end, owners that change, people and teams as owners, entities
// without one for a while) and 400 random changes, some without an actor,
// the two give every change the same verdict.
func TestVerdictsAgree(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rng := rand.New(rand.NewPCG(7, 10))
		start := now.AddDate(-1, 0, 0)
		at := func() time.Time {
			return start.Add(time.Duration(rng.Int64N(int64(now.Sub(start))))).Truncate(time.Second)
		}
		team := func(i int) string { return fmt.Sprintf("group:t%02d", i) }
		person := func(i int) string { return fmt.Sprintf("user:p%02d", i) }
		entity := func(i int) string { return fmt.Sprintf("component:e%02d", i) }
		var edges []org.Edge
		n := 0
		add := func(rel org.Relation, subj, obj string, from, to time.Time) {
			n++
			edges = append(edges, org.Edge{ID: fmt.Sprintf("x%d", n), Relation: rel, Subject: ref(subj), Object: ref(obj), Source: "org", From: from, To: to})
		}
		// Some periods: [zero, t), [t, zero), or the whole time.
		split := func(fn func(from, to time.Time)) {
			switch t := at(); rng.IntN(3) {
			case 0:
				fn(time.Time{}, t)
				fn(t, time.Time{})
			case 1:
				fn(t, time.Time{})
			default:
				fn(time.Time{}, time.Time{})
			}
		}
		const teams, people, entities = 6, 10, 12
		for i := 1; i < teams; i++ {
			// A tree at every moment: a team's parents come before it.
			split(func(from, to time.Time) { add(org.ChildOf, team(i), team(rng.IntN(i)), from, to) })
		}
		for i := range people {
			for range 1 + rng.IntN(3) {
				rel := org.MemberOf
				if rng.IntN(5) == 0 {
					rel = org.Leads
				}
				tm := team(rng.IntN(teams))
				split(func(from, to time.Time) {
					if rng.IntN(4) > 0 {
						add(rel, person(i), tm, from, to)
					}
				})
			}
		}
		for i := range entities {
			split(func(from, to time.Time) {
				switch rng.IntN(5) {
				case 0: // no owner then
				case 1:
					add(org.OwnedBy, entity(i), person(rng.IntN(people)), from, to)
				default:
					add(org.OwnedBy, entity(i), team(rng.IntN(teams)), from, to)
				}
			})
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range teams {
				if err := tx.SaveTeam(org.Team{Ref: ref(team(i)), Name: team(i)}, now); err != nil {
					return err
				}
			}
			for i := range people {
				if err := tx.SavePerson(org.Person{Ref: ref(person(i)), Name: person(i)}, now); err != nil {
					return err
				}
			}
			for i := range entities {
				if err := tx.SaveEntity(catalog.Entity{Ref: ref(entity(i)), Kind: catalog.Component}, now); err != nil {
					return err
				}
			}
			for _, e := range edges {
				if err := tx.OpenEdge(e, now); err != nil {
					return err
				}
			}
			for i := range 400 {
				c := freeze.Change{ID: fmt.Sprintf("c%03d", i), Entity: ref(entity(rng.IntN(entities))), Ref: "v1", Source: "ci",
					At: at(), RecordedAt: now}
				if rng.IntN(8) > 0 {
					c.Actor = ref(person(rng.IntN(people)))
				}
				if err := tx.CreateChange(&c); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		var bySQL, byGo map[string]string
		if err := db.View(ctx, func(tx *store.Tx) (err error) { bySQL, err = tx.ChangeDriftStates(); return err }); err != nil {
			t.Fatal(err)
		}
		count := map[string]int{}
		for _, v := range bySQL {
			count[v]++
		}
		if count["inside"] < 40 || count["outside"] < 40 || count["unjudged"] < 40 {
			t.Fatalf("verdicts when recorded: %v; the test needs each kind", count)
		}
		judged := 0
		err = db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.MarkDriftStale(); err != nil {
				return err
			}
			// In batches, as the jobs judge.
			for {
				n, err := judgeStale(tx, 150)
				judged += n
				if err != nil || n == 0 {
					return err
				}
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.View(ctx, func(tx *store.Tx) (err error) { byGo, err = tx.ChangeDriftStates(); return err }); err != nil {
			t.Fatal(err)
		}
		if judged != len(bySQL) {
			t.Errorf("judged %d of %d changes", judged, len(bySQL))
		}
		if diff := cmp.Diff(bySQL, byGo); diff != "" {
			t.Errorf("verdicts when recorded (SQL) and judged again (Go) differ (-sql +go):\n%s", diff)
		}
	})
}

// TestHoldOrgKeepsOrgWritesWaiting: a write transaction that judged drift
// from the org it read keeps an org write of another transaction waiting
// until it ends, so no verdict outlives the edges it was judged from.
func TestHoldOrgKeepsOrgWritesWaiting(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		if err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			return tx.SaveTeam(org.Team{Ref: ref("group:a"), Name: "a"}, now)
		}); err != nil {
			t.Fatal(err)
		}
		written := make(chan error, 1)
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.HoldOrg(); err != nil {
				return err
			}
			go func() {
				written <- db.Update(ctx, func(tx *store.Tx) error {
					recorded(tx)
					return tx.SaveTeam(org.Team{Ref: ref("group:b"), Name: "b"}, now)
				})
			}()
			select {
			case err := <-written:
				return fmt.Errorf("an org write ended while the org was held: %v", err)
			case <-time.After(300 * time.Millisecond):
				return nil
			}
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := <-written; err != nil {
			t.Fatalf("the org write after the hold: %v", err)
		}
	})
}
