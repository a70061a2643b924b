package store_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestMissedFollowUpsOfAnOrganisation: a leader's ledger asks for the
// missed follow-ups of every owner in their organisation (thousands of
// references, which go as one parameter) and lists the latest hundred,
// earliest first, beside the count of all. Many owners' latest are looked
// for among the latest of all first (here the latest 120 of 150, three
// recorded at each minute, so that the window cuts between equal times):
// when the window holds enough of them, and when it does not.
func TestMissedFollowUpsOfAnOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		earlier := sampleIncident("INC-2026-0001", now.AddDate(0, -2, 0))
		later := sampleIncident("INC-2026-0002", now.AddDate(0, 0, -1))
		const n = 150
		owners := make([]org.Ref, n)
		var want []recurrence.Missed
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for _, in := range []*incident.Incident{&earlier, &later} {
				if err := tx.CreateIncident(in); err != nil {
					return err
				}
			}
			for i := range n {
				owners[i] = ref(fmt.Sprintf("user:owner-%03d", i))
				f := followup.FollowUp{ID: followup.FormatID(2026, i+1), Incident: earlier.ID, Title: "t", Owner: owners[i],
					Due: followup.Day(now.AddDate(0, -1, 0)), Priority: followup.P2, Status: followup.Open, CreatedAt: now, CreatedBy: ref("user:ada")}
				if err := tx.CreateFollowUp(&f); err != nil {
					return err
				}
				// Recorded in an order other than the owners'.
				m := recurrence.Missed{Incident: later.ID, FollowUp: string(f.ID), Earlier: earlier.ID, Owner: f.Owner, Due: f.Due,
					RecordedAt: now.Add(time.Duration((i*37)%n/3) * time.Minute)}
				if _, err := tx.RecordMissed(m); err != nil {
					return err
				}
				want = append(want, m)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(want, func(a, b recurrence.Missed) int {
			return cmp.Or(a.RecordedAt.Compare(b.RecordedAt), strings.Compare(a.FollowUp, b.FollowUp))
		})
		// The owners of the 80 earliest: the window of the latest 120
		// holds 50 of theirs.
		var early []org.Ref
		for _, m := range want[:80] {
			early = append(early, m.Owner)
		}
		defer store.SetMissedWindow(120)()
		for _, c := range []struct {
			name   string
			owners []org.Ref
			limit  int
		}{
			{"the whole organisation", owners, 100},
			{"most of it, enough of theirs recent", early, 50},
			{"most of it, too few of theirs recent", early, 60},
			{"a few owners", owners[:10], 4},
		} {
			t.Run(c.name, func(t *testing.T) {
				var mine []recurrence.Missed
				for _, m := range want {
					if slices.Contains(c.owners, m.Owner) {
						mine = append(mine, m)
					}
				}
				f := store.MissedFilter{Owners: c.owners, ActiveOnly: true}
				var total int
				var got []recurrence.Missed
				err := db.View(ctx, func(tx *store.Tx) error {
					var err error
					if total, err = tx.CountMissedFollowUps(f); err != nil {
						return err
					}
					f.Limit, f.Latest = c.limit, true
					got, err = tx.MissedFollowUps(f)
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				if total != len(mine) {
					t.Errorf("counted %d, want %d", total, len(mine))
				}
				latest := mine[len(mine)-c.limit:]
				if len(got) != len(latest) {
					t.Fatalf("listed %d, want the latest %d", len(got), len(latest))
				}
				for i := range got {
					if got[i].FollowUp != latest[i].FollowUp || !got[i].RecordedAt.Equal(latest[i].RecordedAt) {
						t.Errorf("line %d is %s recorded %s, want %s recorded %s", i, got[i].FollowUp, got[i].RecordedAt, latest[i].FollowUp, latest[i].RecordedAt)
					}
				}
			})
		}
	})
}
