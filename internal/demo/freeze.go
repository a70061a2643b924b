package demo

import (
	"context"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// The code freeze (A6). Tomás Rivera freezes Payments' area over a sale
// weekend; Felix Wagner ships the payment gateway inside it anyway, with
// no exception approved, and card payments start failing a quarter of an
// hour later. The on-call links the deploy to the incident, the engine
// names Felix rather than Payments (A6 before A2), the review accepts it,
// and his assessment opens with policy_violation major, waiting for Ravi
// Menon, his team's leader, to decide (J2). Nothing here draws from the
// world's random source, so the rest of the year stays as it was.

// frozenDaysAgo is how many days before today the deploy went out.
const frozenDaysAgo = 19

// The people of the story.
var (
	freezeLeader = "tomas.rivera"
	frozenActor  = "felix.wagner"
	frozenOnCall = "jules.moreau"
)

// frozenDeploy lays out the freeze, the deploy, the incident it caused and
// its review as timed actions.
func (w *world) frozenDeploy() []action {
	day := w.today.AddDate(0, 0, -frozenDaysAgo)
	at := func(d time.Duration) time.Time { return day.Add(d) }
	if at(100 * time.Hour).After(w.today) {
		return nil
	}
	w.incidents++
	w.followUps++
	st := &incidentState{}
	var changeID string
	chair, oncallPerson, felix := leader(freezeLeader), person(frozenOnCall), org.MustRef("user:"+frozenActor)
	gateway := org.MustRef("component:payment-gateway")
	started, detected, declared := at(hm(16, 20)), at(hm(16, 24)), at(hm(16, 31))
	mitigated, resolved := at(hm(17, 5)), at(hm(17, 40))
	acts := []action{
		{at: at(-3*24*time.Hour + hm(9, 0)), run: func(ctx context.Context, a *app.App) error {
			_, err := a.CreateFreeze(ctx, chair, app.FreezeInput{Start: day.AddDate(0, 0, -1), End: day.AddDate(0, 0, 2),
				Scope:  []org.Ref{org.MustRef("group:payments")},
				Reason: "Sale weekend: payments changes wait until Monday unless a leader approves an exception."})
			return err
		}},
		{at: at(hm(16, 5)), run: func(ctx context.Context, a *app.App) error {
			c, err := a.RecordChange(ctx, org.System("ci"), app.ChangeInput{Entity: gateway, Ref: "v8.14.0", Actor: felix,
				At: at(hm(16, 5)), Source: "ci"})
			changeID = c.ID
			return err
		}},
		{at: declared, run: func(ctx context.Context, a *app.App) error {
			in, err := a.DeclareIncident(ctx, oncallPerson, app.IncidentInput{Title: "Card payments declined after a gateway deploy",
				Severity: incident.SEV2, StartedAt: started, DetectedAt: detected, DeclaredAt: declared,
				Entities: []incident.FailedEntity{{Ref: gateway, Origin: true}},
				Summary:  "Card payments declined after a gateway deploy. Declared by " + frozenOnCall + ".", Impact: impactFor(incident.SEV2)})
			st.id = in.ID
			return err
		}},
		w.entry(st, oncallPerson, declared.Add(2*time.Minute), at(hm(16, 5)), incident.EntryChange, "payment-gateway v8.14.0 deployed by felix.wagner from CI."),
		w.entry(st, oncallPerson, mitigated, mitigated.Add(-2*time.Minute), incident.EntryAction, "Rolled payment-gateway back to v8.13.2; authorisations recovered."),
		{at: declared.Add(20 * time.Minute), run: func(ctx context.Context, a *app.App) error {
			_, err := a.LinkChange(ctx, oncallPerson, st.id, changeID)
			return err
		}},
		w.status(st, oncallPerson, mitigated, incident.StatusMitigated),
		w.status(st, oncallPerson, resolved, incident.StatusResolved),
	}
	drafted := resolved.Add(22 * time.Hour)
	reviewAt := resolved.Add(3 * 24 * time.Hour)
	decideAt := reviewAt.Add(2 * time.Hour)
	publishAt := decideAt.Add(2 * time.Hour)
	return append(acts,
		action{at: drafted, run: func(ctx context.Context, a *app.App) error {
			_, err := a.EditPostmortem(ctx, oncallPerson, st.id, app.PostmortemDoc{
				Summary:    ptr("A gateway release went out during the sale-weekend freeze and broke card authorisations until it was rolled back."),
				Mechanism:  ptr("v8.14.0 changed how the acquirer's decline codes were parsed; a soft decline was read as a hard one."),
				WentWell:   ptr("The rollback took minutes once the deploy was on the timeline."),
				WentPoorly: ptr("The pipeline let a deploy through a freeze with no approved exception.")})
			return err
		}},
		action{at: reviewAt, run: func(ctx context.Context, a *app.App) error {
			_, err := a.TransitionPostmortem(ctx, oncallPerson, st.id, postmortem.InReview)
			return err
		}},
		action{at: decideAt, run: func(ctx context.Context, a *app.App) error {
			v, err := a.Attribution(ctx, chair, st.id)
			if err != nil {
				return err
			}
			if v.Suggestion.Party != felix {
				return fmt.Errorf("%s: the freeze did not name %s (A6): %s by %s", st.id, felix, v.Suggestion.Party, v.Suggestion.Rule)
			}
			_, err = decideAttribution(ctx, a, chair, st.id, felix, "")
			return err
		}},
		action{at: decideAt.Add(time.Minute), run: func(ctx context.Context, a *app.App) error {
			_, err := a.CreateFollowUp(ctx, chair, app.FollowUpInput{Incident: st.id, Title: "Make the deploy pipeline refuse a release while a freeze covers the service",
				Owner: org.MustRef("group:payments"), Priority: priority(incident.SEV2)})
			return err
		}},
		action{at: publishAt, run: func(ctx context.Context, a *app.App) error {
			_, err := a.TransitionPostmortem(ctx, chair, st.id, postmortem.Published)
			return err
		}},
	)
}
