package app_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/policy"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestReviewReadsBoundedPostmortems: the review reads only the open
// postmortems its lists and counts need, and says what reading them all
// and building from that would: the same lists, the same totals.
func TestReviewReadsBoundedPostmortems(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		n := review.ListLimit + 100
		// End on a Friday afternoon, when the postmortems of the week
		// before are overdue and this week's are not yet.
		end := apptest.Start.AddDate(0, 0, 40)
		for end.Weekday() != time.Friday {
			end = end.AddDate(0, 0, 1)
		}
		end = time.Date(end.Year(), end.Month(), end.Day(), 17, 0, 0, 0, time.UTC)
		clock.Set(end.Add(-time.Duration(n) * 3 * time.Hour))
		for i := range n {
			in := declareAt(t, a, incident.SEV3, 10*time.Minute)
			resolve(t, a, in.ID)
			if i%3 == 0 {
				if _, err := a.TransitionPostmortem(ctx, ada, in.ID, postmortem.InReview); err != nil {
					t.Fatal(err)
				}
			}
			clock.Advance(3 * time.Hour)
		}
		rv, err := a.WeeklyReview(ctx, ada, weekOf(clock.Now()))
		if err != nil {
			t.Fatal(err)
		}
		var all []review.PostmortemLine
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			all, err = tx.WaitingPostmortems(store.WaitingFilter{})
			return err
		}); err != nil {
			t.Fatal(err)
		}
		want := review.Build(review.Input{Week: weekOf(clock.Now()), AsOf: clock.Now(), PostmortemDueDays: policy.Default().PostmortemDueDays, OpenPostmortems: all})
		// Some resolved since SurelyOverdueBefore are overdue and some
		// not, so that the spans of overdue resolutions must cut each day
		// where DueAt does (review.OverdueSpans).
		sure := review.SurelyOverdueBefore(clock.Now(), policy.Default().PostmortemDueDays)
		recent, recentLate := 0, 0
		for _, p := range all {
			if !p.ResolvedAt.Before(sure) {
				recent++
				if !clock.Now().Before(postmortem.DueAt(p.ResolvedAt, policy.Default().PostmortemDueDays)) {
					recentLate++
				}
			}
		}
		if len(all) != n || want.OverduePostmortemsTotal <= review.ListLimit || want.AwaitingTotal != (n+2)/3 || recentLate < 10 || recent == recentLate {
			t.Fatalf("the data tests too little: %d open, %d overdue, %d awaiting, %d of %d resolved since %s overdue",
				len(all), want.OverduePostmortemsTotal, want.AwaitingTotal, recentLate, recent, sure)
		}
		got := []any{rv.AwaitingReview, rv.AwaitingTotal, rv.OverduePostmortems, rv.OverduePostmortemsTotal}
		if diff := cmp.Diff([]any{want.AwaitingReview, want.AwaitingTotal, want.OverduePostmortems, want.OverduePostmortemsTotal}, got); diff != "" {
			t.Errorf("postmortem lists and totals (-all read +bounded):\n%s", diff)
		}
	})
}
