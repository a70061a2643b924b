package app

import (
	"slices"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
)

// Who sees what (PRODUCT.md section 6). Incidents, postmortems,
// attributions, follow-ups, weekly reviews and the public part of leader
// ledgers are visible to every member. Assessments, their decisions and
// appeals, confirmed integrity violations and fairness findings are
// private: visible only to the subject (for a team, its members), the
// decider chain above the subject, HR and admins. Every private read in the
// app goes through audience.

// audience is who may see private data about one subject.
type audience struct {
	subject org.Ref
	// members are a team subject's members and leader; chain the leaders
	// above the subject, nearest first.
	members []org.Ref
	chain   []org.Ref
	chart   *org.Chart
}

// audienceOf works out a subject's audience from the org now.
func (a *App) audienceOf(tx *store.Tx, subject org.Ref, now time.Time) (audience, error) {
	chart, err := a.chartFor(tx, []org.Ref{subject}, now)
	if err != nil {
		return audience{}, err
	}
	au := audience{subject: subject, chart: chart, chain: accountability.Chain(subject, chart)}
	if subject.IsTeam() {
		if t, ok := chart.Team(subject); ok {
			au.members = append(slices.Clone(t.Members), t.Leaders...)
		}
	}
	return au, nil
}

// admits reports whether actor may see the subject's private data.
func (au audience) admits(actor org.Actor) bool {
	switch {
	case actor.HasAny(org.RoleHR, org.RoleAdmin):
		return true
	case actor.Ref == au.subject:
		return true
	case slices.Contains(au.members, actor.Ref):
		return true
	}
	return slices.Contains(au.chain, actor.Ref)
}

// mayViewPrivate is the one question most reads ask.
func (a *App) mayViewPrivate(tx *store.Tx, actor org.Actor, subject org.Ref, now time.Time) (bool, error) {
	if actor.HasAny(org.RoleHR, org.RoleAdmin) || actor.Ref == subject {
		return true, nil
	}
	au, err := a.audienceOf(tx, subject, now)
	if err != nil {
		return false, err
	}
	return au.admits(actor), nil
}
