package demo

import (
	"context"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// lateDeclaration is a scripted incident declared well after its first
// signal, so the late-declaration check (I1) flags it once the signal is on
// the timeline, and the weekly review's verdict on that flag (I7).
type lateDeclaration struct {
	daysAgo   int
	sev       incident.Severity
	title     string
	origin    string
	mechanism string
	// declarer is on call; writer drafts the postmortem; chair decides the
	// attribution; reviewer, the declarer's leader, reviews the flag.
	declarer, writer, chair, reviewer string
	// The times of day the declarer gave, and when it ended.
	started, detected, declared, mitigated, resolved time.Duration
	// notes are the timeline, the first signal among them.
	notes []note
	// party and why override the engine's suggestion when set.
	party, why string
	confirm    bool
	verdict    string
}

// note is a timeline entry: what happened at a time of day, recorded by the
// declarer while the incident ran, or by the writer while drafting.
type note struct {
	at      time.Duration
	kind    incident.EntryKind
	text    string
	drafted bool
}

// lateDeclarations: Grace Obi sat on a disk alert for over two hours and
// gave a detection time that left it out, which the review confirms; Jules
// Moreau's early signal was a nightly warning that means nothing on its
// own, which the review dismisses.
var lateDeclarations = []lateDeclaration{
	{
		daysAgo: 83, sev: incident.SEV2, title: "Orders database read-only", origin: "resource:orders-db",
		mechanism: "The primary's volume filled with write-ahead log; segments deleted by hand broke replication, and the database went read-only to protect itself.",
		declarer:  "grace.obi", writer: "ana.costa", chair: "tomas.rivera", reviewer: "sofia.bianchi",
		started: hm(3, 47), detected: hm(3, 50), declared: hm(4, 7), mitigated: hm(4, 52), resolved: hm(6, 15),
		notes: []note{
			{at: hm(1, 40), kind: incident.EntryAlert, text: "Alert fired: orders-db primary disk above 90%", drafted: true},
			{at: hm(1, 44), kind: incident.EntryObservation, text: "The disk alert was acknowledged and silenced for four hours from grace.obi's account.", drafted: true},
			{at: hm(2, 5), kind: incident.EntryAction, text: "Write-ahead log segments deleted by hand on the primary (from the shell history).", drafted: true},
			{at: hm(4, 30), kind: incident.EntryAction, text: "Failed over to the replica and grew the volume."},
		},
		party:   "user:grace.obi",
		why:     "Grace deleted write-ahead log segments by hand on the primary, outside the runbook and without a second pair of eyes. That took orders down, not the way Checkout runs the database.",
		confirm: true,
		verdict: "Grace acknowledged the disk alert at 01:40 and silenced it while freeing space by hand. Orders failed from 03:47, nobody else was paged until 04:07, and the detection time she declared left the earlier alert out. She confirmed this in the review.",
	},
	{
		daysAgo: 151, sev: incident.SEV1, title: "Card payments failing for every shopper", origin: "component:payment-gateway",
		mechanism: "A certificate on the acquirer connection expired; the renewal job had been failing quietly for a week.",
		declarer:  "jules.moreau", writer: "jules.moreau", chair: "tomas.rivera", reviewer: "ravi.menon",
		started: hm(2, 50), detected: hm(3, 52), declared: hm(3, 58), mitigated: hm(4, 35), resolved: hm(5, 30),
		notes: []note{
			{at: hm(2, 56), kind: incident.EntryAlert, text: "Alert fired: reconciliation lag above 15 minutes on payments-db"},
			{at: hm(3, 52), kind: incident.EntryAlert, text: "Alert fired: card authorisation errors above 20%"},
			{at: hm(4, 30), kind: incident.EntryAction, text: "Moved card traffic to the secondary acquirer route."},
		},
		verdict: "The reconciliation-lag warning fires most nights during batch settlement and clears by itself. Nothing pointed at shoppers until the card error alert at 03:52, and Jules declared six minutes later.",
	},
}

func hm(h, m int) time.Duration { return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute }

// concealments lays out the scripted late declarations as timed actions.
func (w *world) concealments() []action {
	var acts []action
	for _, ld := range lateDeclarations {
		if day := w.today.AddDate(0, 0, -ld.daysAgo); day.Add(ld.resolved + 8*24*time.Hour).Before(w.today) {
			w.incidents++
			acts = append(acts, w.lateStory(ld, day)...)
		}
	}
	return acts
}

// lateStory is one scripted incident's life, from the late declaration to
// the flag's review, the attribution and the published postmortem.
func (w *world) lateStory(ld lateDeclaration, day time.Time) []action {
	st := &incidentState{}
	who, writer, chair := person(ld.declarer), person(ld.writer), leader(ld.chair)
	at := func(d time.Duration) time.Time { return day.Add(d) }
	resolved := at(ld.resolved)
	acts := []action{{at: at(ld.declared), run: func(ctx context.Context, a *app.App) error {
		in, err := a.DeclareIncident(ctx, who, app.IncidentInput{Title: ld.title, Severity: ld.sev,
			StartedAt: at(ld.started), DetectedAt: at(ld.detected), DeclaredAt: at(ld.declared),
			Entities: []incident.FailedEntity{{Ref: org.MustRef(ld.origin), Origin: true}},
			Summary:  fmt.Sprintf("%s. Declared by %s.", ld.title, ld.declarer), Impact: impactFor(ld.sev)})
		st.id = in.ID
		return err
	}}}
	acts = append(acts, w.entry(st, who, at(ld.declared+2*time.Minute), at(ld.declared), incident.EntryDecision,
		fmt.Sprintf("Declared %s; %s is incident commander.", ld.sev, ld.declarer)))
	drafted := resolved.Add(28 * time.Hour)
	for i, n := range ld.notes {
		by, recorded := who, at(ld.declared+time.Duration(30+i)*time.Minute)
		if n.drafted {
			by, recorded = writer, drafted.Add(time.Duration(i+1)*time.Minute)
		}
		acts = append(acts, w.entry(st, by, recorded, at(n.at), n.kind, n.text))
	}
	acts = append(acts,
		w.status(st, who, at(ld.mitigated), incident.StatusMitigated),
		w.status(st, who, resolved, incident.StatusResolved),
		action{at: drafted, run: func(ctx context.Context, a *app.App) error {
			_, err := a.EditPostmortem(ctx, writer, st.id, app.PostmortemDoc{Summary: ptr("The timeline was rebuilt from the alert history and the shell logs."),
				Mechanism: &ld.mechanism, WentPoorly: ptr("The first signal came long before anyone declared.")})
			return err
		}})
	reviewAt := resolved.Add(3 * 24 * time.Hour)
	decideAt := reviewAt.Add(3 * time.Hour)
	publishAt := decideAt.Add(3 * time.Hour)
	acts = append(acts,
		action{at: reviewAt, run: func(ctx context.Context, a *app.App) error {
			_, err := a.TransitionPostmortem(ctx, writer, st.id, postmortem.InReview)
			return err
		}},
		action{at: reviewAt.Add(2 * time.Hour), run: func(ctx context.Context, a *app.App) error {
			return reviewLateFlag(ctx, a, st.id, leader(ld.reviewer), ld.confirm, org.MustRef("user:"+ld.declarer), ld.verdict)
		}},
		action{at: decideAt, run: func(ctx context.Context, a *app.App) error {
			v, err := a.Attribution(ctx, chair, st.id)
			if err != nil {
				return err
			}
			party := v.Suggestion.Party
			if ld.party != "" {
				party = org.MustRef(ld.party)
			}
			st.party = party
			d, err := decideAttribution(ctx, a, chair, st.id, party, ld.why)
			st.rule = d.Rule
			return err
		}})
	acts = append(acts, w.agreeFollowUps(st, scenario{}, ld.sev, decideAt)...)
	for _, step := range []struct {
		at time.Time
		to postmortem.State
	}{{publishAt, postmortem.Published}, {publishAt.AddDate(0, 0, 45), postmortem.Closed}} {
		if step.at.Before(w.today) {
			acts = append(acts, action{at: step.at, run: func(ctx context.Context, a *app.App) error {
				_, err := a.TransitionPostmortem(ctx, chair, st.id, step.to)
				return err
			}})
		}
	}
	d := decided{st: st, at: publishAt}
	if ld.confirm {
		d.expect, d.exact = accountability.Expected, true
	}
	w.decided = append(w.decided, d)
	return acts
}

// status moves an incident on.
func (w *world) status(st *incidentState, who org.Actor, at time.Time, s incident.Status) action {
	return action{at: at, run: func(ctx context.Context, a *app.App) error {
		p := app.IncidentPatch{Status: &s}
		if s == incident.StatusResolved {
			p.ResolvedAt = &at
		} else {
			p.MitigatedAt = &at
		}
		_, err := a.UpdateIncident(ctx, who, st.id, p)
		return err
	}}
}

// reviewLateFlag confirms or dismisses the incident's late-declaration flag.
func reviewLateFlag(ctx context.Context, a *app.App, id incident.ID, reviewer org.Actor, confirm bool, subject org.Ref, reason string) error {
	flags, err := a.IntegrityFlags(ctx, org.System("demo"), id, integrity.Open)
	if err != nil {
		return err
	}
	for _, f := range flags {
		if f.Rule == integrity.I1 {
			if !confirm {
				subject = ""
			}
			_, err := a.ReviewFlag(ctx, reviewer, f.ID, confirm, subject, reason)
			return err
		}
	}
	return fmt.Errorf("%s: the late declaration was not flagged (I1)", id)
}
