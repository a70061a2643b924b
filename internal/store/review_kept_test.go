package store_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/recurrence"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestReviewKeptOverTime: the open postmortems and the count of overdue
// follow-ups the weekly review reads from open_postmortems and
// open_followups_due (0024) equal what the postmortems, incidents and follow-ups
// themselves say, through every write that moves them: a postmortem
// created, sent to review, published; its incident resolved, renamed,
// downgraded; a follow-up created open or done, moved to another day,
// done, reopened; and the alert labels kept beside their incident's start
// (label_signals) through labels set and replaced and a start moved; and
// the incidents and notices counted per day (incident_days, notice_days).
func TestReviewKeptOverTime(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		day := func(d int) time.Time { return now.Truncate(24*time.Hour).AddDate(0, 0, d) }
		write := func(fn func(tx *store.Tx) error) {
			t.Helper()
			if err := db.Update(ctx, func(tx *store.Tx) error { recorded(tx); return fn(tx) }); err != nil {
				t.Fatal(err)
			}
		}
		incidents := map[incident.ID]*incident.Incident{}
		pms := map[incident.ID]*postmortem.Postmortem{}
		fus := map[followup.ID]*followup.FollowUp{}
		write(func(tx *store.Tx) error {
			for i := range 6 {
				id := incident.ID(fmt.Sprintf("INC-2026-%04d", i+1))
				in := sampleIncident(id, day(-20+3*i).Add(2*time.Hour))
				if i%2 == 0 {
					in.Status, in.ResolvedAt = incident.StatusResolved, day(-10+i).Add(time.Hour)
				}
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				incidents[id] = &in
				labels := map[string]string{"service": fmt.Sprintf("svc-%d", i%3), "app": "shop"}
				if err := tx.SetIncidentSignals(id, recurrence.Alerts{Fingerprints: []string{"f" + string(id)}, Labels: labels}); err != nil {
					return err
				}
				p := postmortem.Postmortem{Incident: id, State: []postmortem.State{"draft", "in_review", "published"}[i%3], UpdatedAt: now}
				if err := tx.SavePostmortem(&p); err != nil {
					return err
				}
				pms[id] = &p
				for k := range 3 {
					f := followup.FollowUp{ID: followup.ID(fmt.Sprintf("f-%d-%d", i, k)), Incident: id, Title: "fix it",
						Owner: ref("group:pay"), Due: day(-3 + 2*k - i), Priority: "P2", Status: followup.Open, CreatedAt: now}
					if k == 2 {
						f.Status, f.ClosedAt = "done", now
					}
					if err := tx.CreateFollowUp(&f); err != nil {
						return err
					}
					fus[f.ID] = &f
					for j, kind := range []followup.NoticeKind{followup.ReminderBefore, followup.ReminderDue, followup.Escalation} {
						n := followup.Notice{FollowUp: f.ID, Kind: kind, Due: f.Due, Recipient: ref("user:ada"), Owner: f.Owner,
							SentAt: day(-i - 2*k - j).Add(time.Duration(1+j) * time.Hour)}
						if _, err := tx.AddNotice(&n); err != nil {
							return err
						}
					}
				}
			}
			return nil
		})
		check := func(step string) {
			t.Helper()
			err := db.View(ctx, func(tx *store.Tx) error {
				kept, err := tx.WaitingPostmortems(store.WaitingFilter{})
				if err != nil {
					return err
				}
				rows, err := tx.WaitingPostmortemsFromRows()
				if err != nil {
					return err
				}
				if diff := cmp.Diff(rows, kept); diff != "" {
					t.Errorf("%s: open postmortems (-rows +kept):\n%s", step, diff)
				}
				if len(rows) == 0 {
					t.Errorf("%s: no open postmortems; the test compares nothing", step)
				}
				// Counts per day between UTC midnights equal the counts of
				// the rows between moments a second later (nothing happens
				// in the first second of a day here).
				for _, w := range [][2]int{{-7, 0}, {-21, -7}, {-3, -1}, {-45, 1}} {
					from, to := day(w[0]), day(w[1])
					byDay, err := tx.NoticeCounts(from, to)
					if err != nil {
						return err
					}
					byRow, err := tx.NoticeCounts(from.Add(time.Second), to.Add(time.Second))
					if err != nil {
						return err
					}
					if diff := cmp.Diff(byRow, byDay, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("%s: notices [%s, %s) (-rows +days):\n%s", step, from.Format(time.DateOnly), to.Format(time.DateOnly), diff)
					}
					starts := []time.Time{from, from.AddDate(0, 0, 3), from.AddDate(0, 0, 5)}
					sevDays, err := tx.SeverityWeeks(starts, to)
					if err != nil {
						return err
					}
					for i := range starts {
						starts[i] = starts[i].Add(time.Second)
					}
					sevRows, err := tx.SeverityWeeks(starts, to.Add(time.Second))
					if err != nil {
						return err
					}
					if diff := cmp.Diff(sevRows, sevDays); diff != "" {
						t.Errorf("%s: severity counts from %s (-rows +days):\n%s", step, from.Format(time.DateOnly), diff)
					}
				}
				differ, err := tx.LabelSignalsDiffer()
				if err != nil {
					return err
				}
				if len(differ) > 0 {
					t.Errorf("%s: label_signals differs from the incidents' labels: %v", step, differ)
				}
				for d := -12; d <= 4; d += 2 {
					kept, err := tx.CountOverdue(day(d))
					if err != nil {
						return err
					}
					rows, err := tx.CountFollowUps(followup.Filter{Status: followup.Open, DueBefore: day(d)})
					if err != nil {
						return err
					}
					if kept != rows {
						t.Errorf("%s: %d open follow-ups due before %s kept, %d counted", step, kept, day(d).Format(time.DateOnly), rows)
					}
				}
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
		}
		check("created")

		write(func(tx *store.Tx) error {
			in := incidents["INC-2026-0002"] // unresolved, in review
			in.Status, in.ResolvedAt = incident.StatusResolved, day(-1)
			if err := tx.UpdateIncident(in); err != nil {
				return err
			}
			in = incidents["INC-2026-0001"] // resolved, draft
			in.Title, in.Severity, in.StartedAt = "Checkout down", incident.SEV1, day(-25)
			if err := tx.UpdateIncident(in); err != nil {
				return err
			}
			if err := tx.SetIncidentSignals(in.ID, recurrence.Alerts{Labels: map[string]string{"service": "svc-9"}}); err != nil {
				return err
			}
			in = incidents["INC-2026-0003"] // its labels stay; its start moves
			in.StartedAt = day(-40).Add(3 * time.Hour)
			return tx.UpdateIncident(in)
		})
		check("resolved, renamed, severity and start changed, labels replaced")

		// label_values (0027): a value on one incident only, then on none;
		// and every label gone but the earliest incident's, so each
		// value's latest start moves back.
		write(func(tx *store.Tx) error {
			return tx.SetIncidentSignals("INC-2026-0003", recurrence.Alerts{Labels: map[string]string{"service": "svc-once"}})
		})
		check("a value seen on one incident")
		write(func(tx *store.Tx) error { return tx.SetIncidentSignals("INC-2026-0003", recurrence.Alerts{}) })
		check("that value seen on none")
		write(func(tx *store.Tx) error {
			var earliest *incident.Incident
			for _, in := range incidents {
				if earliest == nil || in.StartedAt.Before(earliest.StartedAt) {
					earliest = in
				}
			}
			for id := range incidents {
				if id != earliest.ID {
					if err := tx.SetIncidentSignals(id, recurrence.Alerts{}); err != nil {
						return err
					}
				}
			}
			return nil
		})
		check("labels left on the earliest incident only")

		write(func(tx *store.Tx) error {
			p := pms["INC-2026-0001"]
			p.State = "in_review"
			if err := tx.SavePostmortem(p); err != nil {
				return err
			}
			p = pms["INC-2026-0005"] // resolved, in review
			p.State = "published"
			return tx.SavePostmortem(p)
		})
		check("sent to review, published")

		write(func(tx *store.Tx) error {
			f := fus["f-0-0"]
			f.Status, f.ClosedAt = "done", now
			if err := tx.UpdateFollowUp(f, now); err != nil {
				return err
			}
			f = fus["f-1-1"]
			f.Due = day(-11)
			if err := tx.UpdateFollowUp(f, now); err != nil {
				return err
			}
			f = fus["f-2-2"] // done: reopened
			f.Status, f.ClosedAt = followup.Open, time.Time{}
			return tx.UpdateFollowUp(f, now)
		})
		check("follow-ups done, moved, reopened")
	})
}
