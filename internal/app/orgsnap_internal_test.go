package app

import (
	"context"
	"errors"
	"testing"
	"time"

	"blameful.dev/blameful/internal/audit"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestOrgEpochMovesWithEveryOrgWrite checks that each way of writing the
// org or the catalog moves the org epoch in its own transaction, and that a
// write rolled back leaves it where it was.
func TestOrgEpochMovesWithEveryOrgWrite(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
		epoch := func() int64 {
			var n int64
			if err := db.View(ctx, func(tx *store.Tx) (err error) { n, err = tx.OrgEpoch(); return err }); err != nil {
				t.Fatal(err)
			}
			return n
		}
		edge := org.Edge{ID: "e1", Relation: org.MemberOf, Subject: "user:default/ada", Object: "group:default/payments", Source: "test"}
		writes := []struct {
			name  string
			write func(tx *store.Tx) error
		}{
			{"save a team", func(tx *store.Tx) error {
				return tx.SaveTeam(org.Team{Ref: "group:default/payments", Name: "Payments"}, now)
			}},
			{"save a person", func(tx *store.Tx) error {
				return tx.SavePerson(org.Person{Ref: "user:default/ada", Name: "Ada", Email: "ada@example.com"}, now)
			}},
			{"save an entity", func(tx *store.Tx) error {
				return tx.SaveEntity(catalog.Entity{Ref: "component:default/api", Kind: catalog.Component, Title: "API"}, now)
			}},
			{"open an edge", func(tx *store.Tx) error { return tx.OpenEdge(edge, now) }},
			{"correct an edge", func(tx *store.Tx) error { e := edge; e.From = now.Add(-time.Hour); return tx.CorrectEdge(e) }},
			{"close an edge", func(tx *store.Tx) error { e := edge; e.To = now.Add(time.Hour); return tx.CloseEdge(e) }},
			{"erase a person", func(tx *store.Tx) error { return tx.ErasePerson("user:default/ada", now) }},
		}
		for _, w := range writes {
			before := epoch()
			err := db.Update(ctx, func(tx *store.Tx) error {
				tx.RecordAudit(audit.Entry{ID: "a-" + w.name, At: now, Actor: "system:default/test", Action: "test.write"})
				return w.write(tx)
			})
			if err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			if after := epoch(); after <= before {
				t.Errorf("%s: the org epoch stayed at %d", w.name, before)
			}
		}
		before := epoch()
		undone := errors.New("undone")
		err := db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.SaveTeam(org.Team{Ref: "group:default/ghosts", Name: "Ghosts"}, now); err != nil {
				return err
			}
			return undone
		})
		if !errors.Is(err, undone) {
			t.Fatal(err)
		}
		if after := epoch(); after != before {
			t.Errorf("a write rolled back moved the org epoch from %d to %d", before, after)
		}
	})
}

// TestOrgCopyIsNeverStale runs two servers over one database: after the
// org changes through one, the other's next transaction walks the tables
// (its copy is behind), gets the new answer, and reads a fresh copy in the
// background that gives the same; a transaction that has written the org
// itself never walks the copy.
func TestOrgCopyIsNeverStale(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			ctx := context.Background()
			dsn := storetest.DSN(t, engine)
			open := func() *store.DB {
				db, err := store.Open(ctx, dsn)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { db.Close() })
				if _, err := db.Migrate(ctx); err != nil {
					t.Fatal(err)
				}
				return db
			}
			base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
			api := org.Ref("component:default/api")
			owned := func(team string, id string, from time.Time) org.Edge {
				return org.Edge{ID: id, Relation: org.OwnedBy, Subject: api, Object: org.Ref("group:default/" + team), Source: "test", From: from}
			}
			one, other := New(open()), New(open())
			err := other.db.Update(ctx, func(tx *store.Tx) error {
				tx.RecordAudit(audit.Entry{ID: "seed", At: base, Actor: "system:default/test", Action: "test.seed"})
				for _, tm := range []string{"payments", "platform"} {
					if err := tx.SaveTeam(org.Team{Ref: org.Ref("group:default/" + tm), Name: tm}, base); err != nil {
						return err
					}
				}
				if err := tx.SaveEntity(catalog.Entity{Ref: api, Kind: catalog.Component, Title: "API"}, base); err != nil {
					return err
				}
				return tx.OpenEdge(owned("payments", "o1", base), base)
			})
			if err != nil {
				t.Fatal(err)
			}
			in := incident.Incident{ID: "i1", Severity: incident.SEV2, StartedAt: base.Add(2 * time.Hour),
				Entities: []incident.FailedEntity{{Ref: api}}}
			// owner reads the owner of api as of the incident's start on
			// one, and says whether the copy answered.
			owner := func() (org.Ref, bool) {
				var got org.Ref
				var fromCopy bool
				err := one.db.View(ctx, func(tx *store.Tx) error {
					v, err := one.orgView(tx)
					if err != nil {
						return err
					}
					f, err := one.factsFrom(tx, v, &in)
					if err != nil {
						return err
					}
					if c := f.Entities[api].Owners; len(c) == 1 {
						got = c[0].Owner
					}
					fromCopy = v.snap != nil
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
				return got, fromCopy
			}
			if err := one.LoadOrg(ctx); err != nil {
				t.Fatal(err)
			}
			if got, fromCopy := owner(); got != "group:default/payments" || !fromCopy {
				t.Fatalf("after loading: owner %s, from the copy %v; want payments from the copy", got, fromCopy)
			}

			// Through the other server, platform owns api from an hour in.
			err = other.db.Update(ctx, func(tx *store.Tx) error {
				tx.RecordAudit(audit.Entry{ID: "move", At: base, Actor: "system:default/test", Action: "test.move"})
				old := owned("payments", "o1", base)
				old.To = base.Add(time.Hour)
				if err := tx.CloseEdge(old); err != nil {
					return err
				}
				return tx.OpenEdge(owned("platform", "o2", base.Add(time.Hour)), base)
			})
			if err != nil {
				t.Fatal(err)
			}
			if got, fromCopy := owner(); got != "group:default/platform" || fromCopy {
				t.Fatalf("just after the change: owner %s, from the copy %v; want platform from the tables", got, fromCopy)
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				got, fromCopy := owner()
				if got != "group:default/platform" {
					t.Fatalf("owner %s after the change; want platform", got)
				}
				if fromCopy {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("no fresh copy of the org was read within 10 s")
				}
				time.Sleep(20 * time.Millisecond)
			}

			// A transaction that writes the org sees its own write, never
			// the copy.
			err = one.db.Update(ctx, func(tx *store.Tx) error {
				tx.RecordAudit(audit.Entry{ID: "own", At: base, Actor: "system:default/test", Action: "test.own"})
				if err := tx.SaveTeam(org.Team{Ref: "group:default/sre", Name: "SRE"}, base); err != nil {
					return err
				}
				v, err := one.orgView(tx)
				if err != nil {
					return err
				}
				if v.snap != nil {
					t.Error("a transaction that wrote a team was given the copy")
				}
				rows, err := v.at(base).teams([]org.Ref{"group:default/sre"})
				if err != nil {
					return err
				}
				if len(rows) != 1 {
					t.Errorf("the writing transaction does not see its own team: %v", rows)
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		})
	}
}
