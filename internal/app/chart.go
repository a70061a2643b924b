package app

import (
	"context"
	"slices"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
)

// The numbers behind the pages' charts. Follow-ups, incidents and
// attributions are every member's to see (PRODUCT.md section 6), so every
// chart here counts all of them for any authenticated actor; none counts
// anything private.

// BurndownWeeks is how many weekly points a follow-up burn-down has.
const BurndownWeeks = 12

// FollowUpBurndown returns how many follow-ups were open, and how many of
// those overdue, now and at the same moment of each of the weeks-1 weeks
// before, oldest first: report.Burndown's points with a step of a week,
// counted by the database. owners, when not nil, keeps the follow-ups
// owned by one of them.
func (a *App) FollowUpBurndown(ctx context.Context, actor org.Actor, owners []org.Ref, weeks int) ([]report.BurnPoint, error) {
	now := a.Now()
	at := make([]time.Time, max(weeks, 0))
	for i := range at {
		at[i] = now.AddDate(0, 0, -7*(len(at)-1-i))
	}
	var points []report.BurnPoint
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		points, err = tx.FollowUpBurndown(at, owners)
		return err
	})
	return points, err
}

// TeamWeeks counts, for each of teams in the order given, the incidents
// started in each of the n ISO weeks ending with last whose decision in
// force names the team. It returns the weeks' labels ("2026-W47"), oldest
// first, and a count per team labelled with the team's name.
func (a *App) TeamWeeks(ctx context.Context, actor org.Actor, teams []org.Ref, last review.Week, n int) ([]string, []report.TeamCounts, error) {
	labels, starts := weeksTo(last, n)
	var counts map[org.Ref][]int
	err := a.read(ctx, actor, func(tx *store.Tx) (err error) {
		counts, err = tx.PartyWeeks(teams, starts)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	out := make([]report.TeamCounts, len(teams))
	for i, t := range teams {
		out[i] = report.TeamCounts{Team: t.Name(), Counts: counts[t]}
	}
	return labels, out, nil
}

// weeksTo returns the labels and the starts of the n ISO weeks ending with
// last, oldest first.
func weeksTo(last review.Week, n int) (labels []string, starts []time.Time) {
	labels, starts = make([]string, max(n, 0)), make([]time.Time, max(n, 0))
	for i := range labels {
		w := last.Add(i - len(labels) + 1)
		labels[i], starts[i] = w.String(), w.Start()
	}
	return labels, starts
}

// teamTrends counts the incidents per week of teams (those the week's
// decisions named most, review.TrendTeamsNamed), for the review of week.
func teamTrends(tx *store.Tx, week review.Week, teams []org.Ref) ([]review.TeamTrend, error) {
	_, starts := weeksTo(week, review.TrendWeeks)
	counts, err := tx.PartyWeeks(teams, starts)
	if err != nil {
		return nil, err
	}
	out := make([]review.TeamTrend, len(teams))
	for i, t := range teams {
		out[i] = review.TeamTrend{Team: t, Counts: counts[t]}
	}
	return out, nil
}

// Organisation is what a leader's organisation covers (J6): the teams
// they lead, and who may own a follow-up within it — every team at or
// below those, with its members and leaders.
type Organisation struct {
	Leader org.Ref
	Teams  []org.Ref
	Owners []org.Ref
}

// Narrow keeps, of what f selects, the follow-ups owned in the
// organisation: f's own owner conditions still apply.
func (o Organisation) Narrow(f followup.Filter) followup.Filter {
	if f.Owners == nil {
		f.Owners = slices.Clone(o.Owners)
		return f
	}
	both := []org.Ref{} // not nil: none in common selects nothing
	for _, r := range f.Owners {
		if _, ok := slices.BinarySearch(o.Owners, r); ok {
			both = append(both, r)
		}
	}
	f.Owners = both
	return f
}

// Organisation returns the organisation leader leads now. Someone who
// leads no team has none: an Invalid error on the field "leader". The org
// is every member's to see.
func (a *App) Organisation(ctx context.Context, actor org.Actor, leader org.Ref) (Organisation, error) {
	o := Organisation{Leader: leader}
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		chart, err := a.orgAt(tx, a.Now())
		if err != nil {
			return err
		}
		o.Teams, o.Owners = accountability.LedgerScope(leader, chart)
		return nil
	})
	if err == nil && len(o.Teams) == 0 {
		err = errs.Field("leader", "%s leads no team", leader)
	}
	return o, err
}
