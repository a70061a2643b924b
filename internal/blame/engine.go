package blame

import (
	"fmt"
	"strings"

	"blameful.dev/blameful/internal/org"
)

// verdict is what one rule concluded.
type verdict struct {
	fired    bool
	party    org.Ref
	reason   string
	evidence []Evidence
	clarify  []org.Ref
	policy   bool
}

// namer is one party-naming rule of the engine.
type namer struct {
	id    Rule
	apply func(*analysis) verdict
}

// precedence is A9: A6, then A7, then A3/A2 (they exclude each other: the
// origin is a provider or it is not), then A4. A new rule slots in here.
var precedence = []namer{
	{A6, ruleA6},
	{A7, ruleA7},
	{A3, ruleA3},
	{A2, ruleA2},
	{A4, ruleA4},
}

// Suggest names the one party accountable for an incident from the facts as
// of its start. It is deterministic: the same facts give the same
// suggestion, explanation included.
func Suggest(f Facts) Suggestion {
	if f.InheritedDays <= 0 {
		f.InheritedDays = DefaultInheritedDays
	}
	a := analyse(f)
	var s Suggestion
	for _, r := range precedence {
		v := r.apply(a)
		step := Step{Rule: r.id, Fired: v.fired, Reason: v.reason}
		if v.fired && s.Rule == "" {
			step.Applied = true
			s.Party, s.Rule, s.Evidence, s.Clarify, s.PolicyViolation = v.party, r.id, v.evidence, v.clarify, v.policy
		} else if v.fired {
			step.Reason += fmt.Sprintf("; %s takes precedence", s.Rule)
		}
		s.Explanation = append(s.Explanation, step)
	}
	s.Explanation = append(s.Explanation, inherited(a, &s))
	s.Explanation = append(s.Explanation,
		Step{Rule: A9, Fired: true, Applied: true, Reason: fmt.Sprintf("precedence is A6, A7, A3/A2, A4: %s is the first that fired", s.Rule)},
		single(s))
	return s
}

// single is A1's step: the engine always names exactly one party.
func single(s Suggestion) Step {
	if s.Party.IsZero() {
		return Step{Rule: A1, Reason: "no single party could be named: no team with a leader covers the candidates; a reviewer must decide one"}
	}
	return Step{Rule: A1, Fired: true, Applied: true, Reason: "exactly one party is suggested: " + string(s.Party)}
}

// inherited is A5: it never changes the party, only adds the mitigating
// factor when the owner took over recently.
func inherited(a *analysis, s *Suggestion) Step {
	if s.Rule != A2 && s.Rule != A3 {
		return Step{Rule: A5, Reason: fmt.Sprintf("applies to an owner named by A2 or A3, not %s", s.Rule)}
	}
	since := a.ownerSince
	if since.IsZero() {
		return Step{Rule: A5, Reason: fmt.Sprintf("%s owned it since the beginning of the record", s.Party)}
	}
	days := int(a.f.StartedAt.Sub(since).Hours() / 24)
	if days >= a.f.InheritedDays {
		return Step{Rule: A5, Reason: fmt.Sprintf("%s took ownership on %s, %d days before the incident (not under %d)", s.Party, day(since), days, a.f.InheritedDays)}
	}
	s.RecentlyInherited = true
	s.Evidence = append(s.Evidence, Evidence{Kind: "ownership", Ref: s.Party,
		Detail: fmt.Sprintf("took ownership on %s, %d days before the incident", day(since), days)})
	return Step{Rule: A5, Fired: true, Applied: true, Reason: fmt.Sprintf(
		"%s took ownership on %s, %d days before the incident (under %d): the party stays, with the mitigating factor recently_inherited",
		s.Party, day(since), days, a.f.InheritedDays)}
}

func ruleA6(a *analysis) verdict {
	if len(a.f.Changes) == 0 {
		return verdict{reason: "no change is linked to this incident"}
	}
	c, fz, ok := a.frozenChange()
	if !ok {
		return verdict{reason: fmt.Sprintf("%d linked change(s), none made inside a freeze covering its entity without an approved exception", len(a.f.Changes))}
	}
	return verdict{
		fired:  true,
		party:  c.Actor,
		policy: true,
		reason: fmt.Sprintf("%s changed %s at %s inside freeze %s without an approved exception", c.Actor, c.Entity, c.At.UTC().Format("2006-01-02 15:04Z"), fz.ID),
		evidence: []Evidence{
			{Kind: "change", Ref: c.Entity, Detail: fmt.Sprintf("change %s (%s) by %s at %s", c.ID, c.Version, c.Actor, c.At.UTC().Format("2006-01-02 15:04Z"))},
			{Kind: "freeze", Detail: fmt.Sprintf("freeze %s from %s to %s: %s", fz.ID, fz.Start.UTC().Format("2006-01-02 15:04Z"), fz.End.UTC().Format("2006-01-02 15:04Z"), fz.Reason)},
		},
	}
}

func ruleA7(a *analysis) verdict {
	if len(a.f.Missed) == 0 {
		return verdict{reason: "not a confirmed recurrence of an incident whose follow-up was still open"}
	}
	m := a.f.Missed[0]
	for _, x := range a.f.Missed[1:] {
		if x.Due.Before(m.Due) || (x.Due.Equal(m.Due) && x.FollowUp < m.FollowUp) {
			m = x
		}
	}
	return verdict{
		fired:  true,
		party:  m.Owner,
		reason: fmt.Sprintf("recurrence of %s, whose follow-up %s owned by %s was still open (due %s)", m.Earlier, m.FollowUp, m.Owner, day(m.Due)),
		evidence: []Evidence{{Kind: "follow_up", Ref: m.Owner,
			Detail: fmt.Sprintf("follow-up %s of %s, due %s, open at the start of this incident", m.FollowUp, m.Earlier, day(m.Due))}},
	}
}

func ruleA3(a *analysis) verdict {
	if a.origin.IsZero() {
		return verdict{reason: "no single origin entity"}
	}
	if !a.originIsProvider {
		return verdict{reason: fmt.Sprintf("origin %s is not a provider", a.origin)}
	}
	if a.problem != "" {
		return verdict{reason: fmt.Sprintf("origin %s is a provider, but %s", a.origin, a.problem)}
	}
	return verdict{
		fired:    true,
		party:    a.owner,
		reason:   fmt.Sprintf("origin %s is a third-party provider; %s owns the relationship with it", a.origin, a.owner),
		evidence: a.ownerEvidence("owned the relationship with the provider"),
	}
}

func ruleA2(a *analysis) verdict {
	switch {
	case a.origin.IsZero() && a.owner.IsZero():
		return verdict{reason: "no single origin entity and no common owner"}
	case a.originIsProvider:
		return verdict{reason: fmt.Sprintf("origin %s is a provider (A3)", a.origin)}
	case a.problem != "":
		return verdict{reason: a.problem}
	case a.origin.IsZero():
		return verdict{fired: true, party: a.owner,
			reason:   fmt.Sprintf("no origin is marked, but every failed entity was owned by %s", a.owner),
			evidence: a.ownerEvidence("owned every failed entity")}
	}
	return verdict{
		fired:    true,
		party:    a.owner,
		reason:   fmt.Sprintf("%s owned the origin %s on %s (%s)", a.owner, a.origin, day(a.f.StartedAt), a.originHow),
		evidence: a.ownerEvidence("owned the origin entity"),
	}
}

func ruleA4(a *analysis) verdict {
	if a.problem == "" {
		return verdict{reason: "ownership is clear"}
	}
	leader, team, ev, why := a.coveringLeader()
	v := verdict{fired: true, party: leader, evidence: append(a.problemEvidence, ev...), clarify: a.clarify}
	if leader.IsZero() {
		v.reason = fmt.Sprintf("%s; %s", a.problem, why)
		return v
	}
	v.reason = fmt.Sprintf("%s; the party is %s, leader of %s, %s", a.problem, leader, team, why)
	return v
}

func day(t interface{ Format(string) string }) string { return t.Format("2006-01-02") }

func refList(rs []org.Ref) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = string(r)
	}
	return strings.Join(s, ", ")
}
