package store_test

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestListsInIndexOrder: the incident and change lists (the latest first,
// then by ID) and the follow-up list (by due date, then ID) are the same
// for every length, many sharing a time or a day; and SQLite reads each,
// unfiltered, in the order of an index whatever the length. With only the
// first column indexed, a list of one read and sorted the whole table
// (2 s for the latest incident at a million; GET /api/v1/followups sorted
// five million follow-ups), where a list of 50 incidents read the index.
func TestListsInIndexOrder(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		var incidents []incident.Incident
		var changes []freeze.Change
		var followups []followup.FollowUp
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range 30 {
				in := sampleIncident(incident.FormatID(2026, i+1), now.Add(-time.Duration(i%10)*time.Hour))
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				incidents = append(incidents, in)
				c := freeze.Change{ID: fmt.Sprintf("chg-%02d", (i*7)%30), Entity: ref("component:checkout"), Ref: "v1", Source: "ci",
					Actor: ref("user:ada"), At: now.Add(-time.Duration(i%4) * time.Hour), RecordedAt: now}
				if err := tx.CreateChange(&c); err != nil {
					return err
				}
				changes = append(changes, c)
				f := followup.FollowUp{ID: followup.FormatID(2026, (i*11)%30+1), Incident: in.ID, Title: "t", Owner: ref("user:ada"),
					Due: followup.Day(now.AddDate(0, 0, i%5)), Priority: followup.P2, Status: followup.Open, CreatedAt: now, CreatedBy: ref("user:ada")}
				if i%3 == 0 {
					f.Status = followup.Done
				}
				if err := tx.CreateFollowUp(&f); err != nil {
					return err
				}
				followups = append(followups, f)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(incidents, func(a, b incident.Incident) int {
			return cmp.Or(b.StartedAt.Compare(a.StartedAt), strings.Compare(string(b.ID), string(a.ID)))
		})
		slices.SortFunc(changes, func(a, b freeze.Change) int {
			return cmp.Or(b.At.Compare(a.At), strings.Compare(b.ID, a.ID))
		})
		slices.SortFunc(followups, func(a, b followup.FollowUp) int {
			return cmp.Or(a.Due.Compare(b.Due), strings.Compare(string(a.ID), string(b.ID)))
		})
		for _, limit := range []int{1, 5, 50} {
			var got, want [3]string
			var plans [3]string
			err := db.View(ctx, func(tx *store.Tx) error {
				ins, err := tx.Incidents(incident.Filter{Limit: limit})
				if err != nil {
					return err
				}
				chs, err := tx.Changes(store.ChangeFilter{Limit: limit})
				if err != nil {
					return err
				}
				fus, err := tx.FollowUps(followup.Filter{Limit: limit})
				if err != nil {
					return err
				}
				got = [3]string{listIDs(ins, func(in incident.Incident) string { return string(in.ID) }),
					listIDs(chs, func(c freeze.Change) string { return c.ID }),
					listIDs(fus, func(f followup.FollowUp) string { return string(f.ID) })}
				for i, f := range []any{incident.Filter{Limit: limit}, store.ChangeFilter{Limit: limit}, followup.Filter{Limit: limit}} {
					if plans[i], err = tx.ListPlan(f); err != nil {
						return err
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			n := min(limit, 30)
			want = [3]string{listIDs(incidents[:n], func(in incident.Incident) string { return string(in.ID) }),
				listIDs(changes[:n], func(c freeze.Change) string { return c.ID }),
				listIDs(followups[:n], func(f followup.FollowUp) string { return string(f.ID) })}
			for i, list := range []string{"incidents", "changes", "follow-ups"} {
				if got[i] != want[i] {
					t.Errorf("%s, %d: %s, want %s", list, limit, got[i], want[i])
				}
				if db.Engine() == store.SQLite && strings.Contains(plans[i], "TEMP B-TREE") {
					t.Errorf("%s, %d: sorted, not read in an index's order:\n%s", list, limit, plans[i])
				}
			}
		}
	})
}

func listIDs[T any](list []T, id func(T) string) string {
	var b strings.Builder
	for _, v := range list {
		b.WriteString(id(v) + " ")
	}
	return b.String()
}

// TestTeamFollowUpsOwnerByOwner: a team's follow-ups are listed right,
// and SQLite finds those of a few owners owner by owner, where it walked
// every open follow-up in due order for a page of theirs (450 ms for a
// team of six at a million incidents); a whole organisation's, many
// owners, it may still find by walking.
func TestTeamFollowUpsOwnerByOwner(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		team := []org.Ref{ref("group:payments"), ref("user:ada")}
		var want []string
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			in := sampleIncident(incident.FormatID(2026, 1), now.Add(-time.Hour))
			if err := tx.CreateIncident(&in); err != nil {
				return err
			}
			for i := range 40 {
				owner := []org.Ref{ref("group:payments"), ref("user:ada"), ref("group:platform"), ref("user:grace")}[i%4]
				f := followup.FollowUp{ID: followup.FormatID(2026, i+1), Incident: in.ID, Title: "t", Owner: owner,
					Due: followup.Day(now.AddDate(0, 0, -i%7)), Priority: followup.P2, Status: followup.Open, CreatedAt: now, CreatedBy: ref("user:ada")}
				if i%5 == 0 {
					f.Status = followup.Done
				}
				if err := tx.CreateFollowUp(&f); err != nil {
					return err
				}
				if slices.Contains(team, owner) && f.Status == followup.Open {
					want = append(want, fmt.Sprintf("%s %s", f.Due.Format(time.DateOnly), f.ID))
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(want)
		f := followup.Filter{Owners: team, Status: followup.Open, Limit: 8}
		var got []string
		var plan string
		err = db.View(ctx, func(tx *store.Tx) error {
			list, err := tx.FollowUps(f)
			for _, fu := range list {
				got = append(got, fmt.Sprintf("%s %s", fu.Due.Format(time.DateOnly), fu.ID))
			}
			if err == nil {
				plan, err = tx.ListPlan(f)
			}
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, ", ") != strings.Join(want[:8], ", ") {
			t.Errorf("the team's open follow-ups:\n got %v\nwant %v", got, want[:8])
		}
		if db.Engine() == store.SQLite && !strings.Contains(plan, "followups_owner_status_due (owner=?") {
			t.Errorf("a team's follow-ups are not found owner by owner:\n%s", plan)
		}
	})
}

// TestIncidentsOfAnEntityOrASource: an entity's incidents (as origin or
// not) and one source's come in the list's order, many sharing a start,
// page by page after a cursor, also after an incident's start moved; and
// SQLite reads each in that order, where an entity's were all read and
// sorted (9.3 s at a million incidents for the entity of 39,581) and a
// rare source walked every incident (16.6 s).
func TestIncidentsOfAnEntityOrASource(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		checkout, db2 := ref("component:checkout"), ref("resource:orders-db")
		var all []incident.Incident
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range 40 {
				in := sampleIncident(incident.FormatID(2026, i+1), now.Add(-time.Duration(i%6)*time.Hour))
				switch i % 4 {
				case 0: // checkout alone
					in.Entities = in.Entities[:1]
				case 1: // the database as the origin
					in.Entities = []incident.FailedEntity{{Ref: db2, Origin: true}}
				}
				if i%3 == 0 {
					in.Source = "alertmanager"
				}
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				if i == 7 { // its start moves after its entities were kept
					in.StartedAt = now.Add(-30 * time.Minute)
					if err := tx.UpdateIncident(&in); err != nil {
						return err
					}
				}
				all = append(all, in)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		slices.SortFunc(all, func(a, b incident.Incident) int {
			return cmp.Or(b.StartedAt.Compare(a.StartedAt), strings.Compare(string(b.ID), string(a.ID)))
		})
		for _, tt := range []struct {
			name string
			f    incident.Filter
			keep func(incident.Incident) bool
		}{
			{"the checkout's", incident.Filter{Entity: checkout}, func(in incident.Incident) bool { return in.Entities[0].Ref == checkout }},
			{"the database's", incident.Filter{Entity: db2}, func(in incident.Incident) bool {
				return slices.ContainsFunc(in.Entities, func(e incident.FailedEntity) bool { return e.Ref == db2 })
			}},
			{"the database's, of alertmanager", incident.Filter{Entity: db2, Source: "alertmanager"}, func(in incident.Incident) bool {
				return in.Source == "alertmanager" && slices.ContainsFunc(in.Entities, func(e incident.FailedEntity) bool { return e.Ref == db2 })
			}},
			{"alertmanager's", incident.Filter{Source: "alertmanager"}, func(in incident.Incident) bool { return in.Source == "alertmanager" }},
			{"nobody's", incident.Filter{Source: "pagerduty"}, func(incident.Incident) bool { return false }},
		} {
			var want []incident.ID
			for _, in := range all {
				if tt.keep(in) {
					want = append(want, in.ID)
				}
			}
			// Pages of 4, each after the last of the one before.
			var got []incident.ID
			f := tt.f
			f.Limit = 4
			var plan string
			for {
				var page []incident.Incident
				err := db.View(ctx, func(tx *store.Tx) (err error) {
					if page, err = tx.Incidents(f); err == nil && plan == "" {
						plan, err = tx.ListPlan(f)
					}
					return err
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, in := range page {
					got = append(got, in.ID)
				}
				if len(page) < f.Limit {
					break
				}
				f.AfterStarted, f.AfterID = page[len(page)-1].StartedAt, page[len(page)-1].ID
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s incidents:\n got %v\nwant %v", tt.name, got, want)
			}
			if db.Engine() == store.SQLite && strings.Contains(plan, "TEMP B-TREE") {
				t.Errorf("%s incidents are sorted, not read in the list's order:\n%s", tt.name, plan)
			}
			if db.Engine() == store.SQLite && tt.f.Entity.IsZero() && !strings.Contains(plan, "incidents_source") {
				t.Errorf("%s incidents are not read from incidents_source:\n%s", tt.name, plan)
			}
		}
	})
}
