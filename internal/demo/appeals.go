package demo

import (
	"context"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// appeals are three subjects contesting the level decided on them (J4),
// each heard by the decider's leader: a level at guidance that is upheld,
// one of the harsh leader's that is brought back to guidance, and a recent
// one still waiting for its hearing. Which decisions are appealed is found
// as the history replays: the latest that fits when the appeal is filed.
func (w *world) appeals(b *bench) []action {
	day := func(ago int) time.Time { return w.today.AddDate(0, 0, -ago).Add(10 * time.Hour) }
	fair := func(m made) bool {
		return m.decider != harshLeader && m.deviation == 0 && m.subject.IsTeam() && m.level >= accountability.ImprovementPlan
	}
	harsh := func(m made) bool { return m.decider == harshLeader && m.deviation > 0 }
	upheld, lowered := new(incident.ID), new(incident.ID)
	return []action{
		b.appeal(day(130), fair, upheld,
			"The earlier faults counted against us were small and are fixed. Raising the level for each of them again feels like paying twice for the same thing."),
		b.outcome(day(121), upheld,
			"The level follows policy: repeated faults within a year are what the prior-faults step is for, and each was judged on its own when it was decided. It stands."),
		b.appeal(day(70), harsh, lowered,
			"Our own alert caught it within the hour and we rolled back before anyone outside the team noticed. The decision is above the policy's guidance and gives no reason specific to this incident."),
		b.outcome(day(62), lowered,
			"Going above guidance needs a reason about this incident, and the one given is about the team in general. Back to the guidance level; Lena and I will talk about consistency."),
		b.appeal(day(4), harsh, new(incident.ID),
			"The level is above guidance again, for a failure we found and fixed ourselves. We would like the decider's leader to look at it."),
	}
}

// appeal files an appeal, by the subject (a team's leader for a team), on
// the latest decision made two days or more before that fits, and notes
// which in filed.
func (b *bench) appeal(at time.Time, fits func(made) bool, filed *incident.ID, reason string) action {
	return action{at: at, run: func(ctx context.Context, a *app.App) error {
		for i := len(b.made) - 1; i >= 0; i-- {
			m := &b.made[i]
			if m.appealed || m.at.After(at.Add(-48*time.Hour)) || !fits(*m) {
				continue
			}
			who, err := subjectActor(ctx, a, m.subject)
			if err != nil {
				return err
			}
			if _, err := a.Appeal(ctx, who, m.id, reason); err != nil {
				return err
			}
			m.appealed, *filed = true, m.id
			return nil
		}
		return nil // nothing fits: the demo goes without this appeal
	}}
}

// outcome is the reviewer's final word on the appeal filed, at the
// guidance level: the decision upheld when it was at guidance, lowered to
// it when it was above.
func (b *bench) outcome(at time.Time, filed *incident.ID, justification string) action {
	return action{at: at, run: func(ctx context.Context, a *app.App) error {
		if *filed == "" {
			return nil
		}
		v, err := a.Assessment(ctx, org.System("demo"), *filed)
		if err != nil || v.Appeal == nil || v.Appeal.Reviewer.IsZero() {
			return err
		}
		_, err = a.AppealOutcome(ctx, leaderRef(v.Appeal.Reviewer), *filed, v.Guidance.Level, justification)
		return err
	}}
}

// subjectActor is who speaks for a subject: the person, or a team's
// leader.
func subjectActor(ctx context.Context, a *app.App, subject org.Ref) (org.Actor, error) {
	if !subject.IsTeam() {
		return org.Actor{Ref: subject, Roles: []org.Role{org.RoleMember}}, nil
	}
	t, err := a.Team(ctx, org.System("demo"), subject, time.Time{})
	return leaderRef(t.Leader()), err
}
