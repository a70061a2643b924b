package review

import (
	"fmt"
	"testing"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/postmortem"
)

// TestSurelyOverdueBefore: every open postmortem resolved before the
// moment is overdue, and one resolved at most a few days after it may not
// be, for every weekday and several deadlines.
func TestSurelyOverdueBefore(t *testing.T) {
	asOf := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
	for _, days := range []int{1, 5, 7, 10} {
		sure := SurelyOverdueBefore(asOf, days)
		pm := postmortem.Postmortem{State: postmortem.Draft}
		for h := 1; h < 24*30; h++ {
			resolved := sure.Add(-time.Duration(h) * time.Hour)
			if !pm.IsOverdue(postmortem.DueAt(resolved, days), asOf) {
				t.Fatalf("%d business days: resolved %s, before %s, is not overdue at %s", days, resolved, sure, asOf)
			}
		}
		late := 0
		for h := range 24 * 7 {
			if !pm.IsOverdue(postmortem.DueAt(sure.Add(time.Duration(h)*time.Hour), days), asOf) {
				late++
			}
		}
		if late == 0 {
			t.Errorf("%d business days: every postmortem of the week after %s is overdue: the bound is not the tightest", days, sure)
		}
	}
}

// TestBuildBoundsPostmortems: the lists of open postmortems hold ListLimit
// at most, resolved longest ago first, and the totals are the store's
// counts.
func TestBuildBoundsPostmortems(t *testing.T) {
	asOf := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) // a Friday
	sure := SurelyOverdueBefore(asOf, 5)
	var open []PostmortemLine
	for i := range ListLimit + 50 {
		state := postmortem.Draft
		if i%2 == 0 {
			state = postmortem.InReview
		}
		open = append(open, PostmortemLine{Incident: incident.ID(fmt.Sprintf("INC-2026-%04d", i)), State: state,
			ResolvedAt: sure.Add(-time.Duration(ListLimit+50-i) * time.Hour)})
	}
	// Two resolved after sure: one overdue (on the Saturday, due the Friday
	// after at 10:00), one not yet.
	open = append(open, PostmortemLine{Incident: "INC-2026-9001", State: postmortem.Draft, ResolvedAt: time.Date(2026, 11, 21, 10, 0, 0, 0, time.UTC)},
		PostmortemLine{Incident: "INC-2026-9002", State: postmortem.Draft, ResolvedAt: asOf.Add(-time.Hour)})
	r := Build(Input{AsOf: asOf, PostmortemDueDays: 5, OpenPostmortems: open, AwaitingTotal: 1000, OverdueTotal: 5001})
	if len(r.OverduePostmortems) != ListLimit || r.OverduePostmortems[0].Incident != "INC-2026-0000" {
		t.Errorf("overdue: %d listed, first %s", len(r.OverduePostmortems), r.OverduePostmortems[0].Incident)
	}
	if r.OverduePostmortemsTotal != 5001 || r.AwaitingTotal != 1000 || len(r.AwaitingReview) != (ListLimit+50)/2 {
		t.Errorf("totals: %d overdue, %d awaiting (%d listed)", r.OverduePostmortemsTotal, r.AwaitingTotal, len(r.AwaitingReview))
	}
}

// TestOverdueSpans: a postmortem resolved at a time within the spans is
// overdue if still open, and one resolved outside them is not, to the
// microsecond, for every weekday, times of day on both sides of each
// bound, a moment with nanoseconds, and several deadlines.
func TestOverdueSpans(t *testing.T) {
	pm := postmortem.Postmortem{State: postmortem.Draft}
	for _, asOf := range []time.Time{
		time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC),           // a Friday
		time.Date(2026, 11, 29, 23, 59, 59, 999999999, time.UTC), // a Sunday, nanoseconds
		time.Date(2026, 12, 1, 0, 0, 0, 1500, time.UTC),          // a Tuesday, 1.5 µs past midnight
	} {
		for _, days := range []int{1, 5, 7} {
			spans := OverdueSpans(asOf, days)
			// As the store compares: its bounds kept to the microsecond.
			in := func(r time.Time) bool {
				for _, s := range spans {
					if !r.Before(s.From.Truncate(time.Microsecond)) && r.Before(s.To.Truncate(time.Microsecond)) {
						return true
					}
				}
				return false
			}
			check := func(r time.Time) {
				t.Helper()
				r = r.Truncate(time.Microsecond)
				if want := pm.IsOverdue(postmortem.DueAt(r, days), asOf); in(r) != want {
					t.Fatalf("as of %s, %d business days: resolved %s overdue %v, in the spans %v: %v", asOf, days, r, want, in(r), spans)
				}
			}
			for m := 0; m < 60*24*21; m += 7 {
				check(asOf.Add(-time.Duration(m) * time.Minute))
			}
			for _, s := range spans {
				for _, b := range []time.Time{s.From, s.To} {
					if b.IsZero() {
						continue // no bound below
					}
					for d := -2; d <= 2; d++ {
						check(b.Add(time.Duration(d) * time.Microsecond))
					}
				}
			}
			for i := 1; i < len(spans); i++ {
				if !spans[i-1].To.Before(spans[i].From) {
					t.Errorf("as of %s, %d business days: spans %v overlap or touch", asOf, days, spans)
				}
			}
		}
	}
}
