package blame

import (
	"fmt"
	"slices"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/org"
)

// analysis holds what every rule needs to know about the incident's
// ownership, worked out once.
type analysis struct {
	f Facts

	// origin is the entity where the failure began, when one is known, and
	// originHow says how it was found.
	origin           org.Ref
	originHow        string
	originIsProvider bool

	// owner is the single live owner (of the origin, or common to every
	// failed entity) and ownerSince when it took over; zero when ambiguous.
	owner      org.Ref
	ownerSince time.Time

	// problem says why ownership is ambiguous (A4); empty when it is clear.
	problem         string
	problemEvidence []Evidence
	// candidates are the teams A4 must cover; system is the system whose
	// owning team covers them, when there is one.
	candidates []org.Ref
	system     org.Ref
	clarify    []org.Ref
}

func analyse(f Facts) *analysis {
	a := &analysis{f: f}
	a.findOrigin()
	if !a.origin.IsZero() {
		ev := f.Entities[a.origin]
		a.originIsProvider = ev.Kind == catalog.Provider
		a.system = ev.System
		a.clarify = []org.Ref{a.origin}
		claim, problem := a.ownership(ev)
		if problem == "" {
			a.owner, a.ownerSince = claim.Owner, claim.Since
			return a
		}
		a.problem = problem
		a.problemEvidence = []Evidence{{Kind: "ownership", Ref: a.origin, Detail: problem}}
		a.candidates = a.candidateTeams(ev)
		return a
	}
	a.commonOwner()
	return a
}

// findOrigin picks the origin: the one marked, the only failed entity, or
// the failed entity every other failed entity depends on.
func (a *analysis) findOrigin() {
	for _, fe := range a.f.Failed {
		if fe.Origin {
			a.origin, a.originHow = fe.Ref, "marked as origin"
			return
		}
	}
	if len(a.f.Failed) == 1 {
		a.origin, a.originHow = a.f.Failed[0].Ref, "the only failed entity"
		return
	}
	var found []org.Ref
	for _, x := range a.f.Failed {
		all := true
		for _, y := range a.f.Failed {
			if y.Ref != x.Ref && !a.dependsOn(y.Ref, x.Ref) {
				all = false
				break
			}
		}
		if all {
			found = append(found, x.Ref)
		}
	}
	if len(found) == 1 {
		a.origin, a.originHow = found[0], "the other failed entities depend on it"
	}
}

// dependsOn reports whether from reaches to through depends_on edges.
func (a *analysis) dependsOn(from, to org.Ref) bool {
	seen := map[org.Ref]bool{from: true}
	queue := []org.Ref{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		for _, d := range a.f.Entities[cur].DependsOn {
			if d == to {
				return true
			}
			if !seen[d] {
				seen[d] = true
				queue = append(queue, d)
			}
		}
	}
	return false
}

// commonOwner handles several failed entities with no origin: one live
// owner shared by all of them is clear; anything else is A4 over the owners
// of all of them.
func (a *analysis) commonOwner() {
	if len(a.f.Failed) == 0 {
		a.problem = "no failed entity is recorded, so nobody's job can be identified"
		return
	}
	var owners []catalog.Claim
	problems := 0
	systems := map[org.Ref]bool{}
	for _, fe := range a.f.Failed {
		ev := a.f.Entities[fe.Ref]
		a.clarify = append(a.clarify, fe.Ref)
		systems[ev.System] = true
		claim, problem := a.ownership(ev)
		if problem != "" {
			problems++
			a.problemEvidence = append(a.problemEvidence, Evidence{Kind: "ownership", Ref: fe.Ref, Detail: problem})
		} else if !slices.ContainsFunc(owners, func(c catalog.Claim) bool { return c.Owner == claim.Owner }) {
			owners = append(owners, claim)
		}
		for _, t := range a.candidateTeams(ev) {
			if !slices.Contains(a.candidates, t) {
				a.candidates = append(a.candidates, t)
			}
		}
	}
	if problems == 0 && len(owners) == 1 {
		a.owner, a.ownerSince = owners[0].Owner, owners[0].Since
		a.clarify, a.candidates, a.problemEvidence = nil, nil, nil
		return
	}
	if len(systems) == 1 {
		for s := range systems {
			a.system = s
		}
	}
	names := make([]org.Ref, len(owners))
	for i, c := range owners {
		names[i] = c.Owner
	}
	a.problem = fmt.Sprintf("%d failed entities, none marked as origin, and the dependency graph does not single one out", len(a.f.Failed))
	if len(names) > 1 {
		a.problem += "; their owners differ (" + refList(names) + ")"
	}
}

// ownership returns the single live owner of ev at the incident's start, or
// a sentence saying why there is none.
func (a *analysis) ownership(ev catalog.EntityAt) (catalog.Claim, string) {
	on := day(a.f.StartedAt)
	switch {
	case !ev.Exists:
		return catalog.Claim{}, fmt.Sprintf("%s is not in the catalog", ev.Ref)
	case len(ev.Owners) == 0:
		return catalog.Claim{}, fmt.Sprintf("%s had no owner on %s", ev.Ref, on)
	case len(ev.Owners) > 1:
		owners := make([]org.Ref, len(ev.Owners))
		for i, c := range ev.Owners {
			owners[i] = c.Owner
		}
		return catalog.Claim{}, fmt.Sprintf("%s had %d claimed owners on %s (%s)", ev.Ref, len(owners), on, refList(owners))
	}
	c := ev.Owners[0]
	if c.Owner.IsTeam() {
		t, ok := a.f.Chart.Team(c.Owner)
		switch {
		case !ok:
			return c, fmt.Sprintf("its owner %s did not exist on %s", c.Owner, on)
		case len(t.Leaders) == 0:
			return c, fmt.Sprintf("its owner %s had no leader on %s, so it no longer existed as a team", c.Owner, on)
		case len(t.Leaders) > 1:
			return c, fmt.Sprintf("its owner %s had %d leaders on %s (%s)", c.Owner, len(t.Leaders), on, refList(t.Leaders))
		case len(t.Members) == 0:
			return c, fmt.Sprintf("its owner %s had no members on %s, so it no longer existed as a team", c.Owner, on)
		}
		return c, ""
	}
	p, ok := a.f.Chart.People[c.Owner]
	switch {
	case !ok:
		return c, fmt.Sprintf("its owner %s is not a person of the org", c.Owner)
	case !p.IsActiveAt(a.f.StartedAt):
		return c, fmt.Sprintf("its owner %s had left the org on %s", c.Owner, day(p.Left))
	}
	return c, ""
}

// candidateTeams returns the teams an ambiguous entity's ownership points at:
// its claimed team owners (defunct or not), and the teams of its person
// owners.
func (a *analysis) candidateTeams(ev catalog.EntityAt) []org.Ref {
	var out []org.Ref
	for _, c := range ev.Owners {
		if c.Owner.IsTeam() {
			out = append(out, c.Owner)
			continue
		}
		out = append(out, a.f.Chart.TeamsOf(c.Owner)...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// coveringLeader finds the leader of the lowest team that covers every
// candidate: the system's owning team, else the candidates' lowest common
// ancestor, else the root. A team without a single leader, or one of the
// defunct candidates, covers nothing; the search then goes up.
func (a *analysis) coveringLeader() (leader, team org.Ref, ev []Evidence, why string) {
	start, why := a.coveringTeam()
	if start.IsZero() {
		return "", "", nil, why
	}
	chart := a.f.Chart
	for _, t := range chart.Ancestors(start) {
		tm, ok := chart.Team(t)
		if ok && !tm.IsDefunct() {
			ev = append(ev,
				Evidence{Kind: "team", Ref: t, Detail: why},
				Evidence{Kind: "leader", Ref: tm.Leader(), Detail: fmt.Sprintf("led %s on %s", t, day(a.f.StartedAt))})
			if t != start {
				why += fmt.Sprintf("; %s had no single leader or no members, so it went up to %s", start, t)
			}
			return tm.Leader(), t, ev, why
		}
	}
	return "", "", nil, why + fmt.Sprintf("; no team from %s up to the root had a single leader", start)
}

// coveringTeam returns the lowest team to start from and why it covers.
func (a *analysis) coveringTeam() (org.Ref, string) {
	chart := a.f.Chart
	if !a.system.IsZero() {
		sys := a.f.Entities[a.system]
		if len(sys.Owners) == 1 && sys.Owners[0].Owner.IsTeam() {
			if t, ok := chart.Team(sys.Owners[0].Owner); ok && !t.IsDefunct() {
				return t.Ref, fmt.Sprintf("which owned the system %s", a.system)
			}
		}
	}
	known := slices.DeleteFunc(slices.Clone(a.candidates), func(r org.Ref) bool { _, ok := chart.Team(r); return !ok })
	if lca, ok := chart.LowestCommonAncestor(known); ok {
		return lca, fmt.Sprintf("the lowest team covering %s", refList(known))
	}
	switch len(chart.Roots) {
	case 0:
		return "", "the org has no root team"
	case 1:
		if len(a.candidates) > 1 {
			return chart.Roots[0], fmt.Sprintf("the root team, as %s share no lower team", refList(a.candidates))
		}
		return chart.Roots[0], "the root team, as nothing lower covers it"
	}
	return chart.Roots[0], fmt.Sprintf("the first of %d root teams (%s), as nothing lower covers it", len(chart.Roots), refList(chart.Roots))
}

// ownerEvidence describes the single owner found.
func (a *analysis) ownerEvidence(role string) []Evidence {
	subject := a.origin
	if subject.IsZero() {
		subject = a.owner
	}
	detail := role + " since the beginning of the record"
	if !a.ownerSince.IsZero() {
		detail = fmt.Sprintf("%s since %s", role, day(a.ownerSince))
	}
	return []Evidence{{Kind: "ownership", Ref: subject, Detail: fmt.Sprintf("%s %s", a.owner, detail)}}
}

// frozenChange returns the linked change made inside a covering freeze
// without an approved exception, preferring the latest before the start.
func (a *analysis) frozenChange() (Change, Freeze, bool) {
	var best Change
	var bestFreeze Freeze
	found := false
	for _, c := range a.f.Changes {
		if c.ExceptionApproved || c.Actor.IsZero() {
			continue
		}
		for _, fz := range a.f.Freezes {
			if c.At.Before(fz.Start) || !c.At.Before(fz.End) || !a.covers(fz, c) {
				continue
			}
			if !found || better(c, best, a.f.StartedAt) {
				best, bestFreeze, found = c, fz, true
			}
		}
	}
	return best, bestFreeze, found
}

// better prefers changes made before the start, then the latest.
func better(c, than Change, start time.Time) bool {
	cb, tb := !c.At.After(start), !than.At.After(start)
	if cb != tb {
		return cb
	}
	return c.At.After(than.At)
}

// covers reports whether freeze fz covered change ch: by its entity, or by
// a team answering for that entity when the change was made (ch.OwnedBy),
// else as of the incident's start.
func (a *analysis) covers(fz Freeze, ch Change) bool {
	answering := ch.OwnedBy
	if answering == nil {
		for _, c := range a.f.Entities[ch.Entity].Owners {
			answering = append(answering, a.f.Chart.Ancestors(c.Owner)...)
		}
	}
	return freeze.ScopeCovers(fz.Everything, append(slices.Clone(fz.Entities), fz.Teams...), ch.Entity, answering)
}
