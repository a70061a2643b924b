package app

import (
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
)

// followThrough fills in the week's follow-through for the review: the
// reminders and escalations sent (F4), the recurrences confirmed (F6) with
// the follow-ups found missed (F7), and the changes made inside a covering
// freeze (A6), in [from, to).
func (a *App) followThrough(tx *store.Tx, from, to time.Time, ft *review.FollowThrough) error {
	counts, err := tx.NoticeCounts(from, to)
	if err != nil {
		return err
	}
	ft.Reminders = counts[followup.ReminderBefore] + counts[followup.ReminderDue]
	ft.EscalationsTotal = counts[followup.Escalation] + counts[followup.EscalationUp]
	esc, err := tx.Escalations(from, to, review.ListLimit)
	if err != nil {
		return err
	}
	ft.Escalations = review.EscalationLines(esc)

	links, n, err := tx.RecurrencesConfirmed(from, to, review.ListLimit)
	if err != nil {
		return err
	}
	ft.RecurrencesTotal = n
	for _, l := range links {
		ft.Recurrences = append(ft.Recurrences, review.RecurrenceLine{Incident: l.Incident, Earlier: l.Earlier, DecidedBy: l.DecidedBy, DecidedAt: l.DecidedAt})
	}
	week := store.MissedFilter{ActiveOnly: true, Since: from, Before: to, Limit: review.ListLimit}
	missed, err := tx.MissedFollowUps(week)
	if err != nil {
		return err
	}
	if ft.MissedTotal, err = tx.CountMissedFollowUps(week); err != nil {
		return err
	}
	for _, m := range missed {
		ft.Missed = append(ft.Missed, review.MissedLine{FollowUp: m.FollowUp, Owner: m.Owner, Incident: m.Incident, Earlier: m.Earlier, Due: m.Due})
	}

	// Only a change inside a freeze's window, without an exception, can
	// have broken it: the store finds those among the week's changes.
	changes, err := tx.Changes(store.ChangeFilter{Since: from, Before: to, Unexcused: true})
	if err != nil {
		return err
	}
	views, err := a.breaches(tx, changes)
	if err != nil {
		return err
	}
	for i := len(views) - 1; i >= 0; i-- { // oldest first
		v := views[i]
		if !v.IsInFreeze() {
			continue
		}
		ft.FreezeBreaksTotal++
		if len(ft.FreezeBreaks) < review.ListLimit {
			ft.FreezeBreaks = append(ft.FreezeBreaks, review.FreezeBreakLine{Change: v.ID, Entity: v.Entity, Actor: v.Actor, Ref: v.Ref,
				At: v.At, Freeze: v.Breached[0].Reason})
		}
	}
	return nil
}
