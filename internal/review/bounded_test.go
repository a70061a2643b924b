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
// at most, resolved longest ago first, and the totals count the overdue
// the store counted before SureOverdueBefore with those judged after it.
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
	r := Build(Input{AsOf: asOf, PostmortemDueDays: 5, OpenPostmortems: open, AwaitingTotal: 1000, SureOverdueBefore: sure, SureOverdueTotal: 5000})
	if len(r.OverduePostmortems) != ListLimit || r.OverduePostmortems[0].Incident != "INC-2026-0000" {
		t.Errorf("overdue: %d listed, first %s", len(r.OverduePostmortems), r.OverduePostmortems[0].Incident)
	}
	if r.OverduePostmortemsTotal != 5001 || r.AwaitingTotal != 1000 || len(r.AwaitingReview) != (ListLimit+50)/2 {
		t.Errorf("totals: %d overdue, %d awaiting (%d listed)", r.OverduePostmortemsTotal, r.AwaitingTotal, len(r.AwaitingReview))
	}
}
