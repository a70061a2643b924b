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
		// Each of the review's reads is of a range whose size decides
		// its best plan.
		if err := tx.PlanWithValues(); err != nil {
			return err
		}
		if err := weekCounts(tx, week, &in); err != nil {
			return err
		}
		var err error
		if in.Incidents, err = tx.WeekIncidents(from, to, review.ListLimit); err != nil {
			return err
		}
		if err := a.waitingPostmortems(tx, &in); err != nil {
			return err
		}
		if in.Attributions, err = tx.DecidedAttributions(from, to, review.ListLimit); err != nil {
			return err
		}
		named, err := tx.PartyRules(from, to)
		if err != nil {
			return err
		}
		parties := map[org.Ref]int{}
		in.A4Week = map[org.Ref]int{}
		for _, l := range named {
			parties[l.Party] += l.Count
			in.AttributionsTotal += l.Count
			if l.Rule == string(blame.A4) {
				in.A4Week[l.Party] += l.Count
			}
		}
		if in.Trend, err = reviewTrends(tx, week, review.TrendTeamsNamed(parties)); err != nil {
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
		if in.LateTotal, err = tx.CountOverdue(today); err != nil {
			return err
		}
		if in.Gaps, err = tx.FollowUps(followup.Filter{Rule: string(blame.A4), CreatedFrom: from, CreatedBefore: to, Limit: review.ListLimit}); err != nil {
			return err
		}
		if in.Unowned, in.UnownedTotal, err = tx.Unowned(asOf, review.ListLimit); err != nil {
			return err
		}
		if in.Drift, in.DriftTotal, err = a.reviewDrift(tx, asOf, review.DefaultDriftDays, review.ListLimit); err != nil {
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

// reviewTrends is teamTrends read from the kept counts (store.TeamWeeks).
func reviewTrends(tx *store.Tx, week review.Week, teams []org.Ref) ([]review.TeamTrend, error) {
	_, starts := weeksTo(week, review.TrendWeeks)
	counts, err := tx.TeamWeeks(teams, starts)
	if err != nil {
		return nil, err
	}
	out := make([]review.TeamTrend, len(teams))
	for i, t := range teams {
		out[i] = review.TeamTrend{Team: t, Counts: counts[t]}
	}
	return out, nil
}

// weekCounts counts the incidents of week and the four before it by
// severity, in one read.
func weekCounts(tx *store.Tx, week review.Week, in *review.Input) error {
	starts := make([]time.Time, len(in.Counts))
	for i := range starts {
		starts[i] = week.Add(i - len(starts) + 1).Start()
	}
	counts, err := tx.SeverityWeeks(starts, week.End())
	if err != nil {
		return err
	}
	for i := range in.Counts {
		in.Counts[i] = counts[len(counts)-1-i]
	}
	for _, n := range in.Counts[0] {
		in.IncidentsTotal += n
	}
	return nil
}

// waitingPostmortems reads what the review's postmortem lists need, and no
// more, from open_postmortems (0024) through its index by resolution: the
// ListLimit in review resolved first and their count, and the ListLimit
// overdue resolved first and their count, from the spans of resolution
// times that are overdue (review.OverdueSpans). A backlog of open
// postmortems no longer grows what a review reads: reading all of them
// took 64 ms for 14,612 at a million incidents on a slow machine, and
// judging those of the last week one by one, 5,819 of them, 27 ms.
func (a *App) waitingPostmortems(tx *store.Tx, in *review.Input) error {
	list, err := tx.WaitingPostmortems(store.WaitingFilter{InReview: true, Limit: review.ListLimit})
	if err != nil {
		return err
	}
	in.OpenPostmortems = list
	if in.AwaitingTotal, err = tx.CountWaitingPostmortems(store.WaitingFilter{InReview: true}); err != nil {
		return err
	}
	overdue, total, err := tx.WaitingInSpans(review.OverdueSpans(in.AsOf, in.PostmortemDueDays), review.ListLimit)
	in.OpenPostmortems, in.OverdueTotal = append(in.OpenPostmortems, overdue...), total
	return err
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

// driftBatch is how many stale change verdicts one transaction of
// JudgeDrift judges, and driftBatches how many batches one run of the
// jobs takes at most: a team moved near the root of a large org makes
// the changes of everyone under it stale at once.
const driftBatch, driftBatches = 5000, 40

// JudgeDrift judges again the changes whose drift verdict went stale when
// an edge they depend on was written (review.JudgeChanges), up to what one
// run of the jobs takes, and returns how many it judged. The weekly review
// is exact without it: it judges the entities of stale changes itself,
// which costs time the longer they stay stale. The edges come from the
// server's copy of the org when it is current, which a batch's transaction
// holds still (store.HoldOrg).
func (a *App) JudgeDrift(ctx context.Context) (int, error) {
	total := 0
	for range driftBatches {
		var read, n int
		if err := a.db.Update(ctx, func(tx *store.Tx) error {
			if err := tx.HoldOrg(); err != nil {
				return err
			}
			changes, err := tx.StaleDriftChanges(driftBatch)
			if err != nil || len(changes) == 0 {
				return err
			}
			read = len(changes)
			src, _, err := a.driftSources(tx)
			if err != nil {
				return err
			}
			edges, err := store.ChangeEdges(src, changes)
			if err != nil {
				return err
			}
			n, err = tx.RecordDriftVerdicts(changes, review.JudgeChanges(changes, edges))
			return err
		}); err != nil {
			return total, err
		}
		total += n
		if read < driftBatch {
			break
		}
	}
	return total, nil
}
