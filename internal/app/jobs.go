package app

import (
	"context"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
)

// OutboxDigest is the kind of the weekly review's summary.
const OutboxDigest = "review.weekly"

// Jobs configures the background jobs: when the weekly digest goes out.
// Its zero value posts it on Monday at 09:00 UTC.
type Jobs struct {
	// DigestDay and DigestAt (a time of day, UTC) are when the weekly
	// review of the week before is posted.
	DigestDay time.Weekday
	DigestAt  time.Duration
	// NoDigest turns the weekly digest off.
	NoDigest bool
	// SweepEvery is how often the postmortem due check (F5, I5) runs, at
	// most: once per slot of this length, whichever server takes it. Zero
	// is every 15 minutes.
	SweepEvery time.Duration
	// Deliver, when set, delivers the outbox as the last job.
	Deliver func(ctx context.Context, now time.Time) (string, error)
	// Observe, when set, hears of every scheduled run (monitoring).
	Observe func(JobReport, error)
}

// ParseDigestTime reads "Mon 09:00" (a weekday and a UTC time of day), or
// "off".
func ParseDigestTime(s string) (Jobs, error) {
	var j Jobs
	s = strings.TrimSpace(s)
	if strings.EqualFold(s, "off") {
		j.NoDigest = true
		return j, nil
	}
	day, clock, ok := strings.Cut(s, " ")
	bad := errs.E(errs.Invalid, "%q is not a weekday and a time like \"Mon 09:00\" (or off)", s)
	if !ok {
		return j, bad
	}
	found := false
	for d := time.Sunday; d <= time.Saturday; d++ {
		if strings.EqualFold(day, d.String()[:3]) || strings.EqualFold(day, d.String()) {
			j.DigestDay, found = d, true
		}
	}
	t, err := time.Parse("15:04", strings.TrimSpace(clock))
	if !found || err != nil {
		return j, bad
	}
	j.DigestAt = time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
	return j, nil
}

// String writes the digest time as ParseDigestTime reads it.
func (j Jobs) String() string {
	if j.NoDigest {
		return "off"
	}
	return fmt.Sprintf("%s %02d:%02d", j.digestDay().String()[:3], int(j.DigestAt.Hours()), int(j.DigestAt.Minutes())%60)
}

func (j Jobs) digestDay() time.Weekday {
	if j.DigestDay == time.Sunday && j.DigestAt == 0 {
		return time.Monday // the zero value
	}
	return j.DigestDay
}

func (j Jobs) digestAt() time.Duration {
	if j.DigestDay == time.Sunday && j.DigestAt == 0 {
		return 9 * time.Hour
	}
	return j.DigestAt
}

// lastDigest returns the latest digest time at or before now, and the week
// it reviews: the one before it.
func (j Jobs) lastDigest(now time.Time) (time.Time, review.Week) {
	now = now.UTC()
	day := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC)
	back := (int(day.Weekday()) - int(j.digestDay()) + 7) % 7
	at := day.AddDate(0, 0, -back).Add(j.digestAt())
	if at.After(now) {
		at = at.AddDate(0, 0, -7)
	}
	return at, review.WeekOf(at).Add(-1)
}

// JobReport says what one run of the jobs did.
type JobReport struct {
	At          time.Time
	Reminders   int
	Escalations int
	// Flags counts the I5 flags the postmortem due check raised (F5).
	Flags int
	// Digest is the week whose review was posted, if this run posted one.
	Digest string
	// Delivery is what delivering the outbox did, if it ran.
	Delivery string
}

// String is the report for people, one line.
func (r JobReport) String() string {
	s := fmt.Sprintf("%s: %d reminders, %d escalations, %d postmortems found overdue (I5)",
		r.At.Format(time.RFC3339), r.Reminders, r.Escalations, r.Flags)
	if r.Digest != "" {
		s += ", weekly digest of " + r.Digest + " queued"
	} else {
		s += ", no digest due"
	}
	if r.Delivery != "" {
		s += "; delivery: " + r.Delivery
	}
	return s
}

// RunJobs runs every background job that is due as of the app's clock,
// once: reminders and escalations (F4), the postmortem due check (F5, I5),
// judging the changes whose drift verdict went stale, the weekly digest,
// then delivery of the outbox. Several servers may run it at the same
// moment: each step is claimed in the database, so each happens once
// (judging twice gives the same verdicts).
func (a *App) RunJobs(ctx context.Context, j Jobs) (JobReport, error) {
	rep := JobReport{At: a.Now()}
	chased, err := a.ChaseFollowUps(ctx)
	rep.Reminders, rep.Escalations = chased.Reminders, chased.Escalations
	if err != nil {
		return rep, fmt.Errorf("chase follow-ups: %w", err)
	}
	if rep.Flags, err = a.sweepOnce(ctx, j); err != nil {
		return rep, fmt.Errorf("postmortem due check: %w", err)
	}
	if _, err := a.JudgeDrift(ctx); err != nil {
		return rep, fmt.Errorf("judge changes for drift: %w", err)
	}
	if !j.NoDigest {
		if rep.Digest, err = a.queueDigest(ctx, j); err != nil {
			return rep, fmt.Errorf("weekly digest: %w", err)
		}
	}
	if j.Deliver != nil {
		if rep.Delivery, err = j.Deliver(ctx, a.Now()); err != nil {
			return rep, fmt.Errorf("deliver: %w", err)
		}
	}
	return rep, nil
}

// RunJobsEvery runs the jobs now and then every interval until ctx ends.
func (a *App) RunJobsEvery(ctx context.Context, interval time.Duration, j Jobs) {
	a.runEvery(ctx, interval, "jobs", func(ctx context.Context) error {
		rep, err := a.RunJobs(ctx, j)
		if j.Observe != nil {
			j.Observe(rep, err)
		}
		if rep.Reminders+rep.Escalations+rep.Flags > 0 || rep.Digest != "" {
			a.log.Info("background jobs", "reminders", rep.Reminders, "escalations", rep.Escalations, "flags", rep.Flags, "digest", rep.Digest)
		}
		return err
	})
}

// sweepOnce runs the postmortem due check unless a server ran it in the
// current slot already; it returns the flags it raised.
func (a *App) sweepOnce(ctx context.Context, j Jobs) (int, error) {
	every := j.SweepEvery
	if every <= 0 {
		every = 15 * time.Minute
	}
	now := a.Now()
	slot := now.Truncate(every).Format(time.RFC3339)
	claimed := false
	if err := a.db.Update(ctx, func(tx *store.Tx) (err error) {
		claimed, err = tx.ClaimJobRun("postmortem-due", slot, now, "", "")
		return err
	}); err != nil || !claimed {
		return 0, err
	}
	return a.SweepIntegrity(ctx)
}

// queueDigest queues the weekly review's summary once per week, after its
// digest time: it returns the week when this call queued it.
func (a *App) queueDigest(ctx context.Context, j Jobs) (string, error) {
	now := a.Now()
	_, week := j.lastDigest(now)
	actor := org.System("digest")
	var done bool
	if err := a.db.View(ctx, func(tx *store.Tx) (err error) {
		done, err = tx.JobRan("digest", week.String())
		return err
	}); err != nil || done {
		return "", err
	}
	r, err := a.WeeklyReview(ctx, actor, week)
	if err != nil {
		return "", err
	}
	queued := ""
	err = a.db.Update(ctx, func(tx *store.Tx) error {
		queued = ""
		claimed, err := tx.ClaimJobRun("digest", week.String(), now, string(actor.Ref), "queued")
		if err != nil || !claimed {
			return err
		}
		queued = week.String()
		return a.notify(tx, OutboxDigest, "channel", DigestMessage(r))
	})
	return queued, err
}

// DigestMessage is the weekly digest's payload: the review's headline
// figures, its link, and the Slack summary's blocks (what review week
// --format slack prints), which the channels lay out.
func DigestMessage(r review.Review) map[string]any {
	return map[string]any{
		"week": r.Week.String(), "link": "/reviews/" + r.Week.String(), "blocks": review.Slack(r, "").Blocks,
		"incidents": r.IncidentsTotal, "attributions": r.AttributionsTotal,
		"postmortems_overdue": r.OverduePostmortemsTotal, "followups_overdue": r.OverdueTotal,
		"integrity_flags_open": r.FlagsTotal,
	}
}

// SettleOutbox marks every message queued before t that was never
// dispatched as dispatched to no channel, so that it is never sent: the
// demo's replayed year of reminders is history, not news for a server
// that is given channels later.
func (a *App) SettleOutbox(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := a.db.Update(ctx, func(tx *store.Tx) (err error) {
		n, err = tx.SettleOutbox(before, a.Now())
		return err
	})
	return n, err
}
