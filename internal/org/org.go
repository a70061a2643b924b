package org

import (
	"slices"
	"time"
)

// Person is someone in the organisation. People are never deleted: one who
// left keeps their history, marked by Left.
type Person struct {
	Ref    Ref
	Name   string
	Email  string
	Handle string
	// Left is when the person left the organisation; zero while they are here.
	Left time.Time
	// Erased is when their personal fields were erased on request; their
	// reference, and the history that points at it, remain.
	Erased time.Time
}

// IsActiveAt reports whether the person was in the organisation at t.
func (p Person) IsActiveAt(t time.Time) bool { return p.Left.IsZero() || t.Before(p.Left) }

// Team is an org unit. Its parent, leader and members are effective-dated
// edges (ChildOf, Leads, MemberOf), not fields, so that the team as it was on
// any day can be rebuilt.
type Team struct {
	Ref         Ref
	Name        string
	Description string
}

// TeamAt is a team as it stood at one moment.
type TeamAt struct {
	Ref    Ref
	Name   string
	Parent Ref // zero for a root team
	// Leaders holds everyone who led the team at that moment; a well-formed
	// org has exactly one.
	Leaders []Ref
	Members []Ref
}

// Leader returns the team's single leader, or zero when it had none or more
// than one.
func (t TeamAt) Leader() Ref {
	if len(t.Leaders) == 1 {
		return t.Leaders[0]
	}
	return ""
}

// IsDefunct reports whether the team had, in effect, ceased to exist: no
// leader or no members (PRODUCT.md A4).
func (t TeamAt) IsDefunct() bool { return t.Leader().IsZero() || len(t.Members) == 0 }

// Chart is the organisation as it stood at one moment: the teams and people
// a question is about, with their edges resolved for At. It may be partial:
// the app loads the teams on the paths from the ones asked about to the
// root, which is all that the blame and accountability rules walk. Chart is
// read-only after construction.
type Chart struct {
	At     time.Time
	Teams  map[Ref]TeamAt
	People map[Ref]Person
	// Roots are the teams with no parent at At, sorted.
	Roots []Ref

	// memberOf and leaderOf index Teams by person, sorted, for TeamsOf and
	// LedTeams: the fairness report asks them for each of 2,000 deciders,
	// and a walk of every team's members was 0.5 s of it at PRODUCT.md
	// section 9's size. NewChart builds them; without them (a chart made
	// otherwise) the walk is done.
	memberOf, leaderOf map[Ref][]Ref
}

// NewChart builds a chart at t from teams, people and the edges among them.
// Edges not in effect at t are ignored, so callers may pass whole histories.
func NewChart(t time.Time, teams []Team, people []Person, edges []Edge, roots []Ref) *Chart {
	c := &Chart{At: t, Teams: make(map[Ref]TeamAt, len(teams)), People: make(map[Ref]Person, len(people))}
	for _, tm := range teams {
		c.Teams[tm.Ref] = TeamAt{Ref: tm.Ref, Name: tm.Name}
	}
	for _, p := range people {
		c.People[p.Ref] = p
	}
	for _, e := range edges {
		if !e.ActiveAt(t) {
			continue
		}
		switch e.Relation {
		case ChildOf:
			if tm, ok := c.Teams[e.Subject]; ok {
				tm.Parent = e.Object
				c.Teams[e.Subject] = tm
			}
		case Leads:
			if tm, ok := c.Teams[e.Object]; ok && !slices.Contains(tm.Leaders, e.Subject) {
				tm.Leaders = append(tm.Leaders, e.Subject)
				slices.Sort(tm.Leaders)
				c.Teams[e.Object] = tm
			}
		case MemberOf:
			if tm, ok := c.Teams[e.Object]; ok && !slices.Contains(tm.Members, e.Subject) {
				tm.Members = append(tm.Members, e.Subject)
				slices.Sort(tm.Members)
				c.Teams[e.Object] = tm
			}
		}
	}
	c.Roots = slices.Clone(roots)
	slices.Sort(c.Roots)
	c.memberOf, c.leaderOf = map[Ref][]Ref{}, map[Ref][]Ref{}
	for r, t := range c.Teams {
		for _, p := range t.Members {
			c.memberOf[p] = append(c.memberOf[p], r)
		}
		for _, p := range t.Leaders {
			c.leaderOf[p] = append(c.leaderOf[p], r)
		}
	}
	for _, m := range []map[Ref][]Ref{c.memberOf, c.leaderOf} {
		for _, teams := range m {
			slices.Sort(teams)
		}
	}
	return c
}

// Team returns the team as it stood at the chart's moment.
func (c *Chart) Team(r Ref) (TeamAt, bool) {
	t, ok := c.Teams[r]
	return t, ok
}

// Ancestors returns r followed by its parents up to the root, as far as the
// chart knows them. A cycle in the data stops the walk rather than looping.
func (c *Chart) Ancestors(r Ref) []Ref {
	var path []Ref
	for cur := r; !cur.IsZero(); {
		if slices.Contains(path, cur) {
			break
		}
		path = append(path, cur)
		t, ok := c.Teams[cur]
		if !ok {
			break
		}
		cur = t.Parent
	}
	return path
}

// LowestCommonAncestor returns the lowest team that is r or an ancestor of r
// for every r in teams, and false when they share none (they sit in
// different trees, or teams is empty).
func (c *Chart) LowestCommonAncestor(teams []Ref) (Ref, bool) {
	if len(teams) == 0 {
		return "", false
	}
	common := c.Ancestors(teams[0])
	for _, t := range teams[1:] {
		anc := c.Ancestors(t)
		common = slices.DeleteFunc(common, func(r Ref) bool { return !slices.Contains(anc, r) })
	}
	if len(common) == 0 {
		return "", false
	}
	return common[0], true
}

// TeamsOf returns the teams person was a member of at the chart's moment,
// sorted.
func (c *Chart) TeamsOf(person Ref) []Ref {
	if c.memberOf != nil {
		return slices.Clone(c.memberOf[person])
	}
	var out []Ref
	for r, t := range c.Teams {
		if slices.Contains(t.Members, person) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// LedTeams returns the teams person led at the chart's moment, sorted.
func (c *Chart) LedTeams(person Ref) []Ref {
	if c.leaderOf != nil {
		return slices.Clone(c.leaderOf[person])
	}
	var out []Ref
	for r, t := range c.Teams {
		if slices.Contains(t.Leaders, person) {
			out = append(out, r)
		}
	}
	slices.Sort(out)
	return out
}

// IsAncestor reports whether a is b or one of b's ancestors.
func (c *Chart) IsAncestor(a, b Ref) bool { return slices.Contains(c.Ancestors(b), a) }
