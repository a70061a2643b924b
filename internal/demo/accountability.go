package demo

import (
	"context"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// The accountability side of the story. A few days after the weekly review
// decides an attribution, the party's leader (J2) judges the factors and
// decides a level (J1): most at guidance, some not, with a reason (J3).
// Lena Hoffmann, who leads Data, goes above guidance nearly every time, so
// the fairness check (J5) flags her to Margot Chen; the teams she was hard
// on appeal (J4). Assessments that HR would decide (nobody above the
// subject leads) are left waiting for HR, which Larkspur's demo lacks.

// harshLeader decides above guidance; every other decider stays near it.
var harshLeader = org.MustRef("user:lena.hoffmann")

// netBound caps how far a fair decider's deviations from guidance add up,
// either way: over the five decisions J5 needs before it flags anyone, the
// mean stays at most 0.6, under the 0.75 threshold.
const netBound = 3

// decided is an attribution the story decides, to be assessed later.
type decided struct {
	st *incidentState
	at time.Time
	// expect, when set, is the decider's judgement; exact keeps the level
	// at guidance.
	expect accountability.Expectation
	exact  bool
}

// draws are an assessment's random choices, made when the history is
// planned so the replay itself draws nothing.
type draws struct {
	skip      bool
	expect    float64
	violation float64
	deviate   float64
	pick      int
}

// bench is what the deciders remember while the history replays: their
// running deviation from guidance, and every level decided, for the
// appeals to choose from.
type bench struct {
	net   map[org.Ref]int
	count map[org.Ref]int
	made  []made
}

// made is one decided level.
type made struct {
	id        incident.ID
	subject   org.Ref
	decider   org.Ref
	level     accountability.Level
	deviation int
	at        time.Time
	appealed  bool
}

// assessments lays out the deciders' work on every decided attribution,
// then the appeals.
func (w *world) assessments() []action {
	b := &bench{net: map[org.Ref]int{}, count: map[org.Ref]int{}}
	var acts []action
	for _, d := range w.decided {
		at := d.at.Add(w.minutes(20*60, 8*24*60))
		dr := draws{skip: w.rng.Float64() < 0.15, expect: w.rng.Float64(), violation: w.rng.Float64(),
			deviate: w.rng.Float64(), pick: w.rng.IntN(1 << 16)}
		if at.Before(w.today) {
			acts = append(acts, b.assess(d, at, dr))
		}
	}
	return append(acts, w.appeals(b)...)
}

// assess is the decider judging the factors and deciding the level.
func (b *bench) assess(d decided, at time.Time, dr draws) action {
	return action{at: at, run: func(ctx context.Context, a *app.App) error {
		v, err := a.Assessment(ctx, org.System("demo"), d.st.id)
		if err != nil {
			return err
		}
		// Nobody above the subject leads: HR decides, at guidance (J2).
		// And some leaders have not got round to deciding.
		decider, exact := leaderRef(v.Decider), d.exact
		if v.Decider.IsZero() {
			decider, exact = hrDesk, true
		} else if dr.skip && v.Decider != harshLeader && !d.exact {
			return nil
		}
		in := app.FactorsInput{ExpectedToPrevent: &d.expect}
		if d.expect == "" {
			exp := expectation(d.st.rule, v.Factors.RecentlyInherited, dr.expect)
			in.ExpectedToPrevent = &exp
		}
		if pv := violation(v.Factors.Severity, dr.violation); pv != accountability.NoViolation {
			in.PolicyViolation = &pv
		}
		if v, err = a.SetFactors(ctx, decider, d.st.id, in); err != nil {
			return err
		}
		dev, why := 0, ""
		if !exact {
			dev, why = b.deviation(decider.Ref, v.Guidance.Level, v.Factors.PriorFaults, dr)
		}
		level := v.Guidance.Level + accountability.Level(dev)
		if _, err := a.DecideAssessment(ctx, decider, d.st.id, level, why); err != nil {
			return err
		}
		b.net[decider.Ref] += dev
		b.count[decider.Ref]++
		b.made = append(b.made, made{id: d.st.id, subject: v.Subject, decider: decider.Ref, level: level, deviation: dev, at: at})
		return nil
	}}
}

// expectation is the decider's view of whether the party could have
// prevented it: rarely for a provider's outage or a service just
// inherited, usually for the ownership gaps a leader left (A4).
func expectation(rule blame.Rule, inherited bool, r float64) accountability.Expectation {
	yes, partly := 0.35, 0.40
	switch {
	case rule == blame.A3:
		yes, partly = 0.10, 0.45
	case rule == blame.A4:
		yes, partly = 0.60, 0.40
	case inherited:
		yes, partly = 0.05, 0.50
	}
	switch {
	case r < yes:
		return accountability.Expected
	case r < yes+partly:
		return accountability.Partially
	}
	return accountability.NotExpect
}

// violation is the occasional broken rule: a skipped checklist now and
// then, and twice or so a year a change shipped around the process.
func violation(sev incident.Severity, r float64) accountability.Violation {
	switch {
	case r < 0.015 && (sev == incident.SEV3 || sev == incident.SEV4):
		return accountability.MajorViolation
	case r < 0.07:
		return accountability.MinorViolation
	}
	return accountability.NoViolation
}

// deviation is how far a decider departs from guidance, and why. The harsh
// leader goes one or two levels above it, to a formal record readily and
// to a termination review when her decisions have lately been closer to
// guidance than she likes (so her mean stays near +1); the others depart one level now and then, in the direction the case invites,
// and never let their departures add up past netBound.
func (b *bench) deviation(decider org.Ref, g accountability.Level, priors int, dr draws) (int, string) {
	if decider == harshLeader {
		dev := 1
		switch {
		case g <= accountability.Conversation && dr.deviate < 0.5:
			dev = 2
		case g == accountability.Formal && float64(b.net[decider]) >= 0.9*float64(b.count[decider]+1):
			dev = 0 // past a formal record she hesitates, unless she has lately been near guidance
		case g == accountability.MaxLevel:
			dev = 0
		}
		if dev == 0 {
			return 0, ""
		}
		return dev, harsher[dr.pick%len(harsher)]
	}
	if dr.deviate >= 0.12 {
		return 0, ""
	}
	dev, reasons := -1, lighter
	switch {
	case g == accountability.None:
		dev, reasons = 1, unanswered
	case g == accountability.Conversation && dr.pick%3 == 0:
		dev, reasons = 1, firmer
	case priors > 0:
		reasons = append(reasons[:len(reasons):len(reasons)], lighterPriors...)
	}
	if n := b.net[decider] + dev; n > netBound || n < -netBound {
		return 0, ""
	}
	return dev, reasons[dr.pick%len(reasons)]
}

// leaderRef acts as the leader a ref names.
// hrDesk is HR, as the service that decides when nobody above the subject
// leads a team.
var hrDesk = org.Actor{Ref: "token:default/hr-desk", Roles: []org.Role{org.RoleMember, org.RoleHR}}

func leaderRef(r org.Ref) org.Actor {
	return org.Actor{Ref: r, Roles: []org.Role{org.RoleMember, org.RoleLeader}}
}

// The reasons deciders give for departing from guidance (J3).
var (
	harsher = []string{
		"Data quality failures end up in the board pack. I hold my teams to a stricter bar than the default policy does.",
		"We agreed at the last quarterly review that this class of failure would not come back. Raising the level so that agreement means something.",
		"The fix was sitting in the backlog for weeks and was pushed down for feature work. That was a choice, and I am treating it as one.",
		"A silent failure on a job the business reads every morning is worse than its severity says. Going above guidance.",
		"The alert existed and was acknowledged without anyone looking at it. I expect more of a team this senior.",
		"Third time this year a model or pipeline went stale without anyone noticing. A conversation has not changed anything.",
	}
	lighter = []string{
		"The team raised this exact risk in planning and I overruled them on priority. I will not put a record on them for my call.",
		"They caught it themselves, rolled back in minutes and wrote the clearest postmortem of the quarter. One level lower is enough.",
		"The on-call had been on the rotation for two weeks and followed the runbook, which was wrong. The runbook is the problem, not them.",
	}
	lighterPriors = []string{
		"Most of the prior faults behind this number share one root cause, and the fix is already half shipped. Counting each again punishes the same gap twice.",
		"Half of the prior faults were provider outages we could only soften. Going one below guidance and watching the next quarter closely.",
	}
	firmer = []string{
		"Same failure as last month, and the follow-up from then was closed without shipping anything. One level up.",
		"The rollback was skipped to save ten minutes during the evening peak. That needs more than the guidance gives.",
	}
	unanswered = []string{
		"Not theirs to prevent, but the page went unacknowledged for forty minutes during peak. That is worth a conversation.",
	}
)
