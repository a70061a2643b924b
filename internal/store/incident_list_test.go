package store_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestLatestIncidentsInIndexOrder: the incident list, latest first by
// start and then ID, is the same for every length, some incidents
// sharing a start; and SQLite reads it in the order of an index, whatever
// the length. With the start alone indexed, a list of one read and sorted
// every incident (2 s at a million) where a list of 50 read the index.
func TestLatestIncidentsInIndexOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var all []incident.Incident
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range 30 {
				in := sampleIncident(incident.FormatID(2026, i+1), now.Add(-time.Duration(i%10)*time.Hour))
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				all = append(all, in)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(all, func(a, b incident.Incident) int {
			if c := b.StartedAt.Compare(a.StartedAt); c != 0 {
				return c
			}
			return strings.Compare(string(b.ID), string(a.ID))
		})
		for _, limit := range []int{1, 5, 50} {
			var got []incident.Incident
			var plan string
			err := db.View(ctx, func(tx *store.Tx) (err error) {
				if got, err = tx.Incidents(incident.Filter{Limit: limit}); err != nil {
					return err
				}
				plan, err = tx.IncidentsPlan(incident.Filter{Limit: limit})
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			want := all[:min(limit, len(all))]
			if ids(got) != ids(want) {
				t.Errorf("the latest %d: %s, want %s", limit, ids(got), ids(want))
			}
			if db.Engine() == store.SQLite && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("the latest %d are sorted, not read in an index's order:\n%s", limit, plan)
			}
		}
	})
}

func ids(list []incident.Incident) string {
	var b strings.Builder
	for _, in := range list {
		fmt.Fprintf(&b, "%s ", in.ID)
	}
	return b.String()
}
