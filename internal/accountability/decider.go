package accountability

import (
	"fmt"
	"slices"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// Decider says who decides an assessment of subject (J2), from the org as
// the chart shows it: for a person, the leader of their team — or, when they
// lead that team themselves, the leader one level up; for a team, the
// parent team's leader. Teams with no single leader are passed over on the
// way up, and nobody ever decides on themselves. Zero means nobody above the
// subject has a leader (the subject is the top of the org): HR decides then.
func Decider(subject org.Ref, chart *org.Chart) (decider org.Ref, why string) {
	path, why := upward(subject, chart)
	for _, t := range path {
		if l := leaderOf(chart, t); !l.IsZero() && l != subject {
			return l, why + fmt.Sprintf("; %s leads %s and decides", l, t)
		}
	}
	if len(path) == 0 {
		return "", why + ", so HR decides"
	}
	return "", why + "; nobody above has a single leader, so HR decides"
}

// Decides returns the subjects leader may be the one to decide on (J2):
// the members of each team leader alone leads, the teams under it with
// their leaders, and, below a team with no single leader, its members and
// the teams under it in turn, since its levels pass up to the leader
// above. Decider names leader for no subject this leaves out, and for
// most it holds; a dashboard asks for the undecided assessments of these
// subjects, not of everyone's, and keeps those Decider gives it.
func Decides(leader org.Ref, chart *org.Chart) []org.Ref {
	children := map[org.Ref][]org.Ref{}
	for r, t := range chart.Teams {
		if !t.Parent.IsZero() {
			children[t.Parent] = append(children[t.Parent], r)
		}
	}
	seen := map[org.Ref]bool{leader: true}
	var out []org.Ref
	add := func(refs ...org.Ref) {
		for _, r := range refs {
			if !r.IsZero() && !seen[r] {
				seen[r] = true
				out = append(out, r)
			}
		}
	}
	var below func(team org.Ref)
	below = func(team org.Ref) {
		if seen[team] {
			return // a cycle in the data
		}
		add(team)
		t, _ := chart.Team(team)
		add(t.Leaders...)
		if leaderOf(chart, team).IsZero() {
			add(t.Members...)
			for _, c := range children[team] {
				below(c)
			}
		}
	}
	for _, team := range chart.LedTeams(leader) {
		if leaderOf(chart, team) != leader {
			continue
		}
		t, _ := chart.Team(team)
		add(t.Members...)
		for _, c := range children[team] {
			below(c)
		}
	}
	slices.Sort(out)
	return out
}

// upward returns the teams whose leader may decide on subject, nearest
// first: above a team subject (its own leader is the one accountable), and
// from a person's team up — starting above it when they lead it.
func upward(subject org.Ref, chart *org.Chart) ([]org.Ref, string) {
	if subject.IsTeam() {
		return chart.Ancestors(subject)[1:], fmt.Sprintf("%s is a team: the leader above it decides", subject)
	}
	teams := chart.TeamsOf(subject)
	for _, t := range teams {
		if l := leaderOf(chart, t); !l.IsZero() && l != subject {
			return chart.Ancestors(t), fmt.Sprintf("%s is a member of %s", subject, t)
		}
	}
	if led := chart.LedTeams(subject); len(led) > 0 {
		return chart.Ancestors(led[0])[1:], fmt.Sprintf("%s leads %s, so their own fault is decided one level up", subject, led[0])
	}
	if len(teams) > 0 {
		return chart.Ancestors(teams[0]), fmt.Sprintf("%s is a member of %s", subject, teams[0])
	}
	return nil, fmt.Sprintf("%s belongs to no team", subject)
}

// leaderOf returns a team's single leader, if it has one.
func leaderOf(chart *org.Chart, team org.Ref) org.Ref {
	t, ok := chart.Team(team)
	if !ok {
		return ""
	}
	return t.Leader()
}

// Chain returns the leaders above subject, nearest first: everyone in the
// decider chain, who may see the subject's assessments (section 6). The
// subject is never in their own chain.
func Chain(subject org.Ref, chart *org.Chart) []org.Ref {
	var teams []org.Ref
	if subject.IsTeam() {
		teams = []org.Ref{subject}
	} else {
		teams = append(chart.TeamsOf(subject), chart.LedTeams(subject)...)
	}
	var out []org.Ref
	for _, t := range teams {
		for i, a := range chart.Ancestors(t) {
			if subject.IsTeam() && i == 0 {
				continue // a team's own leader is the subject's side, not above it
			}
			if l := leaderOf(chart, a); !l.IsZero() && l != subject && !slices.Contains(out, l) {
				out = append(out, l)
			}
		}
	}
	return out
}

// IsInSubtree reports whether who (a person or a team) sits in the subtree
// that leader leads: a team at or below one of the leader's teams, or a
// member or leader of such a team. Overriding an A4 fault onto someone in
// the leader's subtree raises a fairness flag (A8).
func IsInSubtree(who, leader org.Ref, chart *org.Chart) bool {
	led := chart.LedTeams(leader)
	var teams []org.Ref
	if who.IsTeam() {
		teams = []org.Ref{who}
	} else {
		teams = append(chart.TeamsOf(who), chart.LedTeams(who)...)
	}
	for _, t := range teams {
		for _, l := range led {
			if chart.IsAncestor(l, t) && who != leader {
				return true
			}
		}
	}
	return false
}

// OverrideFlag is A8's fairness check on a decided attribution whose
// suggestion (suggestedRule, suggested) the reviewer (by) overrode: when an
// A4 suggestion named a leader for ambiguous ownership and the reviewer
// named party, someone in that leader's own organisation, instead, the
// leader one level up is told. It reports false when no flag is due.
func OverrideFlag(incident incident.ID, suggestedRule string, suggested, party, by org.Ref, chart *org.Chart) (FairnessFlag, bool) {
	leader := suggested
	if suggestedRule != rule.A4 || leader.IsZero() || party == leader || !IsInSubtree(party, leader, chart) {
		return FairnessFlag{}, false
	}
	up, _ := Decider(leader, chart)
	return FairnessFlag{Rule: rule.A8, About: leader, RaisedTo: up, Incident: incident,
		Detail: fmt.Sprintf("the ambiguous ownership behind %s was %s's (A4), but %s named %s, who reports to %s", incident, leader, by, party, leader)}, true
}

// LedgerScope is what a leader's ledger covers (J6): the teams they lead,
// and the owners of follow-ups in their organisation — every team at or
// below one they lead, with its members and leaders — sorted, each once.
func LedgerScope(leader org.Ref, chart *org.Chart) (teams, owners []org.Ref) {
	teams = chart.LedTeams(leader)
	for ref, t := range chart.Teams {
		for _, led := range teams {
			if chart.IsAncestor(led, ref) {
				owners = append(owners, ref)
				owners = append(owners, t.Members...)
				owners = append(owners, t.Leaders...)
			}
		}
	}
	slices.Sort(owners)
	return teams, slices.Compact(owners)
}
