package org

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestChartIndexesMatchTheWalk: TeamsOf and LedTeams answer from NewChart's
// indexes what a walk of every team gives, for members, leaders, people
// who lead a team they are not in, people with no team, and edges ended
// before the chart's moment.
func TestChartIndexesMatchTheWalk(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	var teams []Team
	var people []Person
	var edges []Edge
	for i := range 30 {
		teams = append(teams, Team{Ref: MustRef(fmt.Sprintf("group:t%02d", i))})
	}
	for i := range 80 {
		people = append(people, Person{Ref: MustRef(fmt.Sprintf("user:p%02d", i))})
	}
	for i := range 200 {
		e := Edge{Relation: MemberOf, Subject: people[rng.IntN(len(people))].Ref, Object: teams[rng.IntN(len(teams))].Ref}
		if i%4 == 0 {
			e.Relation = Leads
		}
		if i%7 == 0 {
			e.To = at.Add(-time.Hour) // over before the chart's moment
		}
		edges = append(edges, e)
	}
	c := NewChart(at, teams, people, edges, nil)
	walk := *c
	walk.memberOf, walk.leaderOf = nil, nil
	someLead, someNone := false, false
	for _, p := range append(people, Person{Ref: MustRef("user:nobody")}) {
		if got, want := c.TeamsOf(p.Ref), walk.TeamsOf(p.Ref); !slices.Equal(got, want) {
			t.Errorf("teams of %s: %v, the walk gives %v", p.Ref, got, want)
		}
		got, want := c.LedTeams(p.Ref), walk.LedTeams(p.Ref)
		if !slices.Equal(got, want) {
			t.Errorf("teams %s leads: %v, the walk gives %v", p.Ref, got, want)
		}
		someLead = someLead || len(want) > 0
		someNone = someNone || len(walk.TeamsOf(p.Ref)) == 0
	}
	if !someLead || !someNone {
		t.Fatal("the chart tests too little")
	}
	// Answers share nothing: what one caller appends, another's append
	// does not overwrite.
	for _, p := range people {
		a := append(c.TeamsOf(p.Ref), MustRef("group:a"))
		_ = append(c.TeamsOf(p.Ref), MustRef("group:b"))
		b := append(c.LedTeams(p.Ref), MustRef("group:a"))
		_ = append(c.LedTeams(p.Ref), MustRef("group:b"))
		if a[len(a)-1] != MustRef("group:a") || b[len(b)-1] != MustRef("group:a") {
			t.Fatalf("two callers' appends to the teams of %s share an array", p.Ref)
		}
	}
}
