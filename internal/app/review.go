package app

import (
	"context"
	"time"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
)

// WeeklyReview builds the review of an ISO week as it stands at the week's
// end (or now, for the current week). Everything in it is visible to every
// member: parties and rules, never assessment levels.
func (a *App) WeeklyReview(ctx context.Context, actor org.Actor, week review.Week) (review.Review, error) {
	now := a.Now()
	from, to := week.Start(), week.End()
	asOf := to
	if now.Before(to) {
		asOf = now
	}
	in := review.Input{Week: week, AsOf: asOf, PostmortemDueDays: a.cfg.PostmortemDueDays}
	err := a.read(ctx, actor, func(tx *store.Tx) error {
		var err error
		for i := range in.Counts {
			w := week.Add(-i)
			if in.Counts[i], err = tx.SeverityCounts(w.Start(), w.End()); err != nil {
				return err
			}
		}
		for _, n := range in.Counts[0] {
			in.IncidentsTotal += n
		}
		if in.Incidents, err = tx.WeekIncidents(from, to, review.ListLimit); err != nil {
			return err
		}
		// A postmortem is due at least as many calendar days after
		// resolution as business days, so only those resolved that long
		// before asOf can be overdue; review ones are listed regardless.
		if in.OpenPostmortems, err = tx.OpenPostmortems(asOf.AddDate(0, 0, -a.cfg.PostmortemDueDays)); err != nil {
			return err
		}
		if in.Attributions, err = tx.DecidedAttributions(from, to); err != nil {
			return err
		}
		if in.Trend, err = teamTrends(tx, week, in.Attributions); err != nil {
			return err
		}
		today := followup.Day(asOf)
		if in.FollowUpsDue, err = tx.FollowUps(followup.Filter{Status: followup.Open, DueFrom: maxTime(from, today), DueBefore: to, Limit: review.ListLimit}); err != nil {
			return err
		}
		late := followup.Filter{Status: followup.Open, DueBefore: today, Limit: review.ListLimit}
		if in.FollowUpsLate, err = tx.FollowUps(late); err != nil {
			return err
		}
		if in.LateTotal, err = tx.CountFollowUps(late); err != nil {
			return err
		}
		if in.Gaps, err = tx.FollowUps(followup.Filter{Rule: string(blame.A4), CreatedFrom: from, CreatedBefore: to, Limit: review.ListLimit}); err != nil {
			return err
		}
		if in.Unowned, err = tx.Unowned(asOf); err != nil {
			return err
		}
		facts, err := a.driftFacts(tx, asOf, review.DefaultDriftDays)
		if err != nil {
			return err
		}
		in.Drift = review.Drift(facts)
		if in.A4Week, err = tx.LeaderA4Counts(from, to); err != nil {
			return err
		}
		if in.A4Recent, err = tx.LeaderA4Counts(to.AddDate(0, 0, -90), to); err != nil {
			return err
		}
		if in.Rules, err = tx.RuleCounts(to.AddDate(0, 0, -90), to); err != nil {
			return err
		}
		if in.FairnessWeek, err = tx.FairnessFlagCounts(from, to); err != nil {
			return err
		}
		if in.FairnessRecent, err = tx.FairnessFlagCounts(to.AddDate(0, 0, -90), to); err != nil {
			return err
		}
		if err := a.followThrough(tx, from, to, &in.FollowThrough); err != nil {
			return err
		}
		return a.openFlags(tx, &in)
	})
	if err != nil {
		return review.Review{}, err
	}
	return review.Build(in), nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// openFlags loads the integrity flags that were open when the review
// stands (the end of a past week, or now). Open flags are for every member
// to see; a flag reviewed since shows as it was then, without its outcome,
// which is private.
func (a *App) openFlags(tx *store.Tx, in *review.Input) error {
	open := store.FlagFilter{OpenAt: in.AsOf, Limit: review.ListLimit}
	flags, err := tx.Flags(open)
	if err != nil {
		return err
	}
	for _, f := range flags {
		line := review.FlagLine{ID: f.ID, Rule: string(f.Rule), Incident: f.Incident, Suspect: f.Suspect, RaisedAt: f.RaisedAt}
		if len(f.Evidence) > 0 {
			line.Detail = f.Evidence[0].Detail
		}
		in.Flags = append(in.Flags, line)
	}
	in.FlagsTotal, err = tx.CountFlags(open)
	return err
}
