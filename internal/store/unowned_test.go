package store_test

import (
	"fmt"
	"testing"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestUnownedOverTime: the entities without an owner at a moment, as the
// triggers of entity_owned_since keep its candidates through every way an
// ownership edge or an entity is written: owned forever, never, from a
// moment, until a moment, an edge opened before its entity exists, one
// closed, one corrected, and an entity deleted.
func TestUnownedOverTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		early, late := now.AddDate(0, -6, 0), now.AddDate(0, -1, 0)
		ents := []string{"forever", "never", "from", "until", "late-entity", "closed", "corrected", "domain"}
		edge := func(id, subj string, from, to time.Time) org.Edge {
			return org.Edge{ID: id, Relation: org.OwnedBy, Subject: ref("component:" + subj), Object: ref("group:payments"), Source: "org", From: from, To: to}
		}
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			if err := tx.SaveTeam(org.Team{Ref: ref("group:payments"), Name: "Payments"}, now); err != nil {
				return err
			}
			// An edge before its entity: the entity's own trigger finds it.
			if err := tx.OpenEdge(edge("e0", "late-entity", time.Time{}, time.Time{}), now); err != nil {
				return err
			}
			for _, e := range ents {
				kind := catalog.Component
				if e == "domain" {
					kind = catalog.Domain
				}
				if err := tx.SaveEntity(catalog.Entity{Ref: ref(string(kind) + ":" + e), Kind: kind}, now); err != nil {
					return err
				}
			}
			for _, e := range []org.Edge{edge("e1", "forever", time.Time{}, time.Time{}), edge("e2", "from", late, time.Time{}),
				edge("e3", "until", time.Time{}, late), edge("e4", "closed", early, time.Time{}), edge("e5", "corrected", late, time.Time{})} {
				if err := tx.OpenEdge(e, now); err != nil {
					return err
				}
			}
			if err := tx.CloseEdge(edge("e4", "closed", early, late)); err != nil {
				return err
			}
			return tx.CorrectEdge(edge("e5", "corrected", early, time.Time{}))
		})
		if err != nil {
			t.Fatal(err)
		}
		unowned := func(at time.Time, limit int) string {
			var list []org.Ref
			var n int
			err := db.View(ctx, func(tx *store.Tx) error {
				var err error
				list, n, err = tx.Unowned(at, limit)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(n, list)
		}
		for _, c := range []struct {
			at    time.Time
			limit int
			want  string
		}{
			{early.Add(-time.Hour), 10, "4 [component:default/closed component:default/corrected component:default/from component:default/never]"},
			{early.Add(time.Hour), 10, "2 [component:default/from component:default/never]"},
			{late.Add(time.Hour), 10, "3 [component:default/closed component:default/never component:default/until]"},
			{late.Add(time.Hour), 1, "3 [component:default/closed]"},
		} {
			if got := unowned(c.at, c.limit); got != c.want {
				t.Errorf("unowned at %s (limit %d) = %s, want %s", c.at.Format(time.DateOnly), c.limit, got, c.want)
			}
		}
	})
}
