package demo

import (
	"context"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// Following through (F3, F4, F6, F7, A7). Refunds stall behind the refund
// worker's consumer lag; the review asks Hugo Laurent for an alert on that
// lag, Amara Diallo to retire the worker's hand-rolled Kafka client, and
// Jules Moreau for a throughput dashboard. Amara asks to drop hers and
// Ravi Menon refuses; Jules asks to drop his, and Ravi agrees. Hugo's alert
// is not built: the daily jobs remind him before and on its due date, then
// escalate to Ravi, and two weeks later to Tomás Rivera. Then the lag comes
// back. Ravi confirms the new incident recurs the old one, the open alert
// is recorded as missed against Hugo (F7), and the engine names Hugo (A7
// before A2); the review agrees. Hugo ships the alert, weeks late. Nothing
// here draws from the world's random source.

// recurDaysAgo is when the lag came back; firstLagDaysAgo when it began.
const (
	firstLagDaysAgo = 130
	recurDaysAgo    = 40
)

// The people of the story.
var (
	lagLeader  = "ravi.menon"
	lagOwner   = "hugo.laurent"
	lagRefuser = "amara.diallo"
	lagDropper = "jules.moreau"
)

// The follow-ups' titles, which the demo test looks for.
const (
	lagAlertTitle     = "Alert when the refund worker's consumer lag passes five minutes"
	lagClientTitle    = "Retire the refund worker's hand-rolled Kafka client"
	lagDashboardTitle = "Add a refund throughput dashboard"
	lagFirstTitle     = "Refunds stuck behind consumer lag on the refund worker"
	lagAgainTitle     = "Refunds delayed for hours: refund worker consumer lag again"
)

// followThrough lays out the two incidents and what came between them.
func (w *world) followThrough() []action {
	first := w.today.AddDate(0, 0, -firstLagDaysAgo)
	again := w.today.AddDate(0, 0, -recurDaysAgo)
	w.incidents += 2
	w.followUps += 4
	ravi, worker := leader(lagLeader), org.MustRef("component:refund-worker")
	earlier, later := &incidentState{}, &incidentState{}
	var alert, client, dashboard followup.ID

	acts := w.lagIncident(earlier, first, lagFirstTitle, incident.SEV3, person(lagDropper), worker,
		"Refunds queued for 50 minutes while the refund worker's consumer fell behind a burst of chargebacks.")
	reviewAt := first.Add(2*24*time.Hour + hm(10, 0))
	acts = append(acts,
		action{at: reviewAt, run: func(ctx context.Context, a *app.App) error {
			if _, err := a.EditPostmortem(ctx, person(lagDropper), earlier.id, app.PostmortemDoc{
				Summary:   ptr("A chargeback burst outran the refund worker's consumer; refunds waited until it caught up."),
				Mechanism: ptr("The worker commits offsets one message at a time; under a burst its consumer lag grew for 50 minutes and nothing alerted on it.")}); err != nil {
				return err
			}
			if _, err := a.TransitionPostmortem(ctx, person(lagDropper), earlier.id, postmortem.InReview); err != nil {
				return err
			}
			_, err := decideAttribution(ctx, a, ravi, earlier.id, org.MustRef("group:payments"), "")
			return err
		}},
		action{at: reviewAt.Add(time.Minute), run: func(ctx context.Context, a *app.App) error {
			for _, f := range []struct {
				id    *followup.ID
				title string
				owner string
				days  int
			}{{&alert, lagAlertTitle, lagOwner, 60}, {&client, lagClientTitle, lagRefuser, 90}, {&dashboard, lagDashboardTitle, lagDropper, 60}} {
				fu, err := a.CreateFollowUp(ctx, ravi, app.FollowUpInput{Incident: earlier.id, Title: f.title, Owner: org.MustRef("user:" + f.owner),
					Due: followup.Day(a.Now()).AddDate(0, 0, f.days), Priority: followup.P2})
				if err != nil {
					return err
				}
				*f.id = fu.ID
			}
			_, err := a.TransitionPostmortem(ctx, ravi, earlier.id, postmortem.Published)
			return err
		}},
		// Amara asks to drop hers; Ravi refuses, with his reason (F3).
		action{at: reviewAt.AddDate(0, 0, 9), run: func(ctx context.Context, a *app.App) error {
			return wontDo(ctx, a, person(lagRefuser), client, "The ledger's own consumer replaces the refund worker next quarter.")
		}},
		action{at: reviewAt.AddDate(0, 0, 10), run: func(ctx context.Context, a *app.App) error {
			_, err := a.DecideWontDo(ctx, ravi, client, false, "The replacement is two quarters away; the client's commit bug will bite again before then.")
			return err
		}},
		// Jules asks to drop his; Ravi agrees.
		action{at: reviewAt.AddDate(0, 0, 12), run: func(ctx context.Context, a *app.App) error {
			return wontDo(ctx, a, person(lagDropper), dashboard, "The lag alert covers what the dashboard would show; nobody would watch both.")
		}},
		action{at: reviewAt.AddDate(0, 0, 13), run: func(ctx context.Context, a *app.App) error {
			_, err := a.DecideWontDo(ctx, ravi, dashboard, true, "Agreed: the alert is the one that matters.")
			return err
		}},
		action{at: reviewAt.AddDate(0, 0, 70), run: func(ctx context.Context, a *app.App) error {
			_, err := a.UpdateFollowUp(ctx, person(lagRefuser), client, app.FollowUpPatch{Status: ptr(followup.Done), Reason: ptr("Offsets now commit in batches.")})
			return err
		}},
	)

	// The lag comes back while Hugo's alert is still open.
	acts = append(acts, w.lagIncident(later, again, lagAgainTitle, incident.SEV2, person(lagRefuser), worker,
		"Refunds waited up to three hours: the refund worker's consumer lag grew again during a chargeback burst, and nothing alerted.")...)
	confirmAt := again.Add(26 * time.Hour)
	acts = append(acts,
		action{at: confirmAt, run: func(ctx context.Context, a *app.App) error {
			_, missed, err := a.DecideRecurrence(ctx, ravi, later.id, earlier.id, true,
				"The same consumer lag on the same worker; the alert we agreed in "+string(earlier.id)+" was never built.")
			if err != nil {
				return err
			}
			if len(missed) != 1 || string(missed[0].FollowUp) != string(alert) {
				return fmt.Errorf("%s: the recurrence should find %s missed, found %v", later.id, alert, missed)
			}
			return nil
		}},
		action{at: confirmAt.Add(2 * time.Hour), run: func(ctx context.Context, a *app.App) error {
			if _, err := a.EditPostmortem(ctx, person(lagRefuser), later.id, app.PostmortemDoc{
				Summary:   ptr("The refund worker fell behind a chargeback burst again, for three hours this time, and again nothing alerted."),
				Mechanism: ptr("Unchanged since " + string(earlier.id) + ": consumer lag grows under a burst, and the lag alert agreed then was never built.")}); err != nil {
				return err
			}
			if _, err := a.TransitionPostmortem(ctx, person(lagRefuser), later.id, postmortem.InReview); err != nil {
				return err
			}
			v, err := a.Attribution(ctx, ravi, later.id)
			if err != nil {
				return err
			}
			hugo := org.MustRef("user:" + lagOwner)
			if v.Suggestion.Party != hugo {
				return fmt.Errorf("%s: the missed follow-up did not name %s (A7): %s by %s", later.id, hugo, v.Suggestion.Party, v.Suggestion.Rule)
			}
			if _, err := decideAttribution(ctx, a, ravi, later.id, hugo, ""); err != nil {
				return err
			}
			if _, err := a.CreateFollowUp(ctx, ravi, app.FollowUpInput{Incident: later.id, Title: "Page the payments on-call on refund-worker consumer lag",
				Owner: org.MustRef("group:payments"), Priority: followup.P1}); err != nil {
				return err
			}
			_, err = a.TransitionPostmortem(ctx, ravi, later.id, postmortem.Published)
			return err
		}},
		// Hugo ships the alert, weeks after its due date.
		action{at: again.AddDate(0, 0, 5), run: func(ctx context.Context, a *app.App) error {
			_, err := a.UpdateFollowUp(ctx, person(lagOwner), alert, app.FollowUpPatch{Status: ptr(followup.Done), Reason: ptr("The alert pages at five minutes of lag.")})
			return err
		}},
	)
	return acts
}

// lagIncident declares, works and resolves one refund-worker incident.
func (w *world) lagIncident(st *incidentState, day time.Time, title string, sev incident.Severity, oncallPerson org.Actor, worker org.Ref, summary string) []action {
	started, declared := day.Add(hm(10, 12)), day.Add(hm(10, 31))
	mitigated, resolved := day.Add(hm(11, 2)), day.Add(hm(13, 15))
	return []action{
		{at: declared, run: func(ctx context.Context, a *app.App) error {
			in, err := a.DeclareIncident(ctx, oncallPerson, app.IncidentInput{Title: title, Severity: sev, StartedAt: started,
				DetectedAt: day.Add(hm(10, 25)), DeclaredAt: declared, Entities: []incident.FailedEntity{{Ref: worker, Origin: true}},
				Summary: summary, Impact: impactFor(sev)})
			st.id = in.ID
			return err
		}},
		w.entry(st, oncallPerson, declared.Add(3*time.Minute), day.Add(hm(10, 25)), incident.EntryObservation, "Refund worker consumer lag is climbing; refunds are queueing."),
		w.entry(st, oncallPerson, mitigated, mitigated.Add(-3*time.Minute), incident.EntryAction, "Scaled the refund worker to six replicas; the lag is falling."),
		w.status(st, oncallPerson, mitigated, incident.StatusMitigated),
		w.status(st, oncallPerson, resolved, incident.StatusResolved),
	}
}

// wontDo asks to drop a follow-up (F3); it then waits for the owner's
// leader.
func wontDo(ctx context.Context, a *app.App, who org.Actor, id followup.ID, reason string) error {
	st := followup.WontDo
	_, err := a.UpdateFollowUp(ctx, who, id, app.FollowUpPatch{Status: &st, Reason: &reason})
	return err
}

// jobs are the background jobs a server would have run over the year: one
// pass each morning (reminders and escalations, F4; the postmortem due
// check, F5; the weekly digest) and one at the end of the load. A
// postmortem left overdue (I5) is flagged the morning after its due date,
// as it would have been, so a past week's review shows the flags that
// stood open then.
func jobs(from, now time.Time) []action {
	run := func(ctx context.Context, a *app.App) error {
		_, err := a.RunJobs(ctx, app.Jobs{})
		return err
	}
	var out []action
	for day := from.Truncate(24 * time.Hour).Add(6 * time.Hour); day.Before(now); day = day.AddDate(0, 0, 1) {
		out = append(out, action{at: day, run: run})
	}
	return append(out, action{at: now, run: run})
}
