package demo

import (
	"context"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// story is one incident's life: declared, worked on the timeline, mitigated,
// resolved, then reviewed — as far as its age allows. Recent incidents are
// still open or awaiting their postmortem; old ones are published and their
// follow-ups mostly done.
func (w *world) story(sc scenario, started time.Time) []action {
	st := &incidentState{}
	sev := w.severity()
	who := person(w.choose(oncall))
	title := w.choose(sc.titles)
	detected := started.Add(w.minutes(1, 12))
	declared := detected.Add(w.minutes(2, 25))
	mitigated := declared.Add(w.minutes(15, 180))
	resolved := mitigated.Add(w.minutes(10, 360))
	var failed []incident.FailedEntity
	for _, f := range sc.failed {
		failed = append(failed, incident.FailedEntity{Ref: org.MustRef(strings.TrimSuffix(f, "*")), Origin: strings.HasSuffix(f, "*")})
	}
	acts := []action{{at: declared, run: func(ctx context.Context, a *app.App) error {
		in, err := a.DeclareIncident(ctx, who, app.IncidentInput{
			Title: title, Severity: sev, StartedAt: started, DetectedAt: detected, DeclaredAt: declared, Entities: failed,
			Summary: fmt.Sprintf("%s. Declared by %s.", title, who.Ref.Name()),
			Impact:  impactFor(sev),
		})
		st.id = in.ID
		return err
	}}}
	acts = append(acts,
		w.entry(st, who, declared.Add(time.Minute), detected, incident.EntryAlert, "Alert fired: "+strings.ToLower(title)),
		w.entry(st, who, declared.Add(w.minutes(1, 5)), declared, incident.EntryDecision, fmt.Sprintf("Declared %s; %s is incident commander.", sev, who.Ref.Name())),
		w.entry(st, who, mitigated, mitigated.Add(-w.minutes(1, 5)), incident.EntryAction, "Rolled back the last change and shed non-essential traffic."),
	)
	if mitigated.Before(w.today) {
		acts = append(acts, action{at: mitigated, run: func(ctx context.Context, a *app.App) error {
			s := incident.StatusMitigated
			_, err := a.UpdateIncident(ctx, who, st.id, app.IncidentPatch{Status: &s, MitigatedAt: &mitigated})
			return err
		}})
	}
	if resolved.Before(w.today) {
		acts = append(acts, action{at: resolved, run: func(ctx context.Context, a *app.App) error {
			s := incident.StatusResolved
			_, err := a.UpdateIncident(ctx, who, st.id, app.IncidentPatch{Status: &s, ResolvedAt: &resolved})
			return err
		}})
	}
	return append(acts, w.review(st, sc, sev, resolved)...)
}

// incidentState carries what later steps need from earlier ones.
type incidentState struct {
	id        incident.ID
	party     org.Ref
	rule      blame.Rule
	followUps []followup.ID
}

func (w *world) entry(st *incidentState, who org.Actor, recorded, occurred time.Time, kind incident.EntryKind, text string) action {
	return action{at: recorded, run: func(ctx context.Context, a *app.App) error {
		_, err := a.AddEntry(ctx, who, st.id, app.EntryInput{OccurredAt: occurred, Kind: kind, Text: text})
		return err
	}}
}

func impactFor(sev incident.Severity) string {
	switch sev {
	case incident.SEV1:
		return "Most shoppers could not complete an order."
	case incident.SEV2:
		return "A visible share of shoppers saw errors or slowness."
	case incident.SEV3:
		return "Some shoppers were affected; a workaround existed."
	}
	return "Internal only; no shopper noticed."
}

// review plays the postmortem: drafted, attributed at the weekly review,
// follow-ups agreed, published, and later closed — or, for recent or
// neglected incidents, left part of the way.
func (w *world) review(st *incidentState, sc scenario, sev incident.Severity, resolved time.Time) []action {
	age := w.today.Sub(resolved)
	if age < 36*time.Hour {
		return nil // still fresh: the postmortem is an untouched draft
	}
	writer := person(w.choose(oncall))
	chair := leader(w.choose(facilitators))
	drafted := resolved.Add(w.minutes(60, 24*60))
	acts := []action{{at: drafted, run: func(ctx context.Context, a *app.App) error {
		summary, mech := "What happened, in order, is in the timeline.", sc.mechanism
		_, err := a.EditPostmortem(ctx, writer, st.id, app.PostmortemDoc{Summary: &summary, Mechanism: &mech,
			WentWell: ptr("The alert fired within minutes and the rollback worked."), WentPoorly: ptr("It took too long to find who owned it.")})
		return err
	}}}
	neglected := w.rng.Float64() < 0.025
	if age < 6*24*time.Hour || neglected {
		return acts // a draft; the neglected ones become overdue (F5)
	}
	reviewAt := drafted.Add(w.minutes(24*60, 4*24*60))
	if reviewAt.After(w.today) {
		return acts
	}
	acts = append(acts, action{at: reviewAt, run: func(ctx context.Context, a *app.App) error {
		_, err := a.TransitionPostmortem(ctx, writer, st.id, postmortem.InReview)
		return err
	}})
	decideAt := reviewAt.Add(w.minutes(60, 2*24*60))
	if decideAt.After(w.today) {
		return acts
	}
	override := w.rng.Float64() < 0.08
	acts = append(acts, action{at: decideAt, run: func(ctx context.Context, a *app.App) error {
		view, err := a.Attribution(ctx, chair, st.id)
		if err != nil {
			return err
		}
		party, why := view.Suggestion.Party, ""
		if override || party.IsZero() {
			party, why = overrideParty(view.Suggestion)
		}
		st.party = party
		d, err := decideAttribution(ctx, a, chair, st.id, party, why)
		st.rule = d.Rule
		return err
	}})
	w.decided = append(w.decided, decided{st: st, at: decideAt})
	acts = append(acts, w.agreeFollowUps(st, sc, sev, decideAt)...)
	publishAt := decideAt.Add(w.minutes(30, 6*60))
	if publishAt.After(w.today) {
		return acts
	}
	acts = append(acts, action{at: publishAt, run: func(ctx context.Context, a *app.App) error {
		_, err := a.TransitionPostmortem(ctx, chair, st.id, postmortem.Published)
		return err
	}})
	if closeAt := publishAt.AddDate(0, 0, 45); closeAt.Before(w.today) {
		acts = append(acts, action{at: closeAt, run: func(ctx context.Context, a *app.App) error {
			_, err := a.TransitionPostmortem(ctx, chair, st.id, postmortem.Closed)
			return err
		}})
	}
	return acts
}

// overrideParty is a reviewer disagreeing with the engine, with reasons: the
// evidence pointed elsewhere than the owner.
func overrideParty(s blame.Suggestion) (org.Ref, string) {
	switch s.Rule {
	case blame.A3:
		return org.MustRef("group:sre"), "The provider's outage was survivable; SRE owns the failover runbook that was never exercised."
	case blame.A4:
		return org.MustRef("group:checkout"), "Checkout wrote the code that failed and ran it for a year; ownership was ambiguous on paper only."
	}
	return org.MustRef("group:infra"), "The change that broke it was an infrastructure migration run by Infra, not the service owner's code."
}

func (w *world) agreeFollowUps(st *incidentState, sc scenario, sev incident.Severity, at time.Time) []action {
	n := 1 + w.rng.IntN(3)
	titles := []string{"Add an alert on the symptom we missed", "Write the runbook for this failure", "Load-test the fix at twice the peak",
		"Add a circuit breaker on the dependency", "Remove the single point of failure", "Add an idempotency key to retries"}
	var acts []action
	for i := range n {
		title := titles[(w.rng.IntN(len(titles))+i)%len(titles)]
		createdAt := at.Add(time.Duration(i+1) * time.Minute)
		fate := w.rng.Float64()
		acts = append(acts, action{at: createdAt, run: func(ctx context.Context, a *app.App) error {
			owner := st.party
			f, err := a.CreateFollowUp(ctx, person("daniel.mensah"), app.FollowUpInput{Incident: st.id, Title: title, Owner: owner, Priority: priority(sev)})
			st.followUps = append(st.followUps, f.ID)
			return err
		}})
		w.followUps++
		due := followup.DefaultDuePolicy().DefaultDue(sev, createdAt)
		switch {
		case fate < 0.84: // done, usually before the due date
			doneAt := createdAt.Add(time.Duration(float64(due.Sub(createdAt)) * (0.2 + 0.9*w.rng.Float64())))
			if doneAt.Before(w.today) {
				acts = append(acts, w.closeFollowUp(st, i, doneAt, followup.Done, "Shipped."))
			}
		case fate < 0.92: // decided against, with a reason (F3)
			acts = append(acts, w.closeFollowUp(st, i, createdAt.AddDate(0, 0, 7), followup.WontDo, "Superseded by the platform migration; tracked there."))
		}
		// the rest stay open, and the old ones among them are overdue
	}
	return acts
}

func (w *world) closeFollowUp(st *incidentState, i int, at time.Time, status followup.Status, reason string) action {
	if at.After(w.today) {
		at = w.today.Add(-time.Hour)
	}
	return action{at: at, run: func(ctx context.Context, a *app.App) error {
		if i >= len(st.followUps) {
			return nil
		}
		id := st.followUps[i]
		if _, err := a.UpdateFollowUp(ctx, person("daniel.mensah"), id, app.FollowUpPatch{Status: &status, Reason: &reason}); err != nil {
			return err
		}
		return approveWontDo(ctx, a, id)
	}}
}

// approveWontDo has the leader above a follow-up's owner approve its
// pending wont_do, if one waits (F3): HR when nobody is above.
func approveWontDo(ctx context.Context, a *app.App, id followup.ID) error {
	d, err := a.FollowUpDetail(ctx, hrDesk, id)
	if err != nil || d.Pending == nil {
		return err
	}
	by := hrDesk
	if !d.Approver.IsZero() {
		by = org.Actor{Ref: d.Approver, Roles: []org.Role{org.RoleMember, org.RoleLeader}}
	}
	_, err = a.DecideWontDo(ctx, by, id, true, "")
	return err
}

func priority(sev incident.Severity) followup.Priority {
	switch sev {
	case incident.SEV1, incident.SEV2:
		return followup.P1
	case incident.SEV3:
		return followup.P2
	}
	return followup.P3
}

func ptr[T any](v T) *T { return &v }
