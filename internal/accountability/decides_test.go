package accountability

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"blameful.dev/blameful/internal/org"
)

// TestDecidesHoldsEverySubjectDecided: over random orgs (teams with one
// leader, several or none, people in no team, one or two, leading their
// own team or another), every subject Decider names a leader for is among
// the subjects Decides gives that leader.
func TestDecidesHoldsEverySubjectDecided(t *testing.T) {
	at := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	for seed := range uint64(200) {
		rng := rand.New(rand.NewPCG(seed, 11))
		nt, np := 2+rng.IntN(12), 3+rng.IntN(25)
		var teams []org.Team
		var people []org.Person
		var edges []org.Edge
		team := func(i int) org.Ref { return org.MustRef(fmt.Sprintf("group:t%02d", i)) }
		person := func(i int) org.Ref { return org.MustRef(fmt.Sprintf("user:p%02d", i)) }
		var roots []org.Ref
		for i := range nt {
			teams = append(teams, org.Team{Ref: team(i)})
			if i == 0 || rng.IntN(6) == 0 {
				roots = append(roots, team(i))
			} else {
				edges = append(edges, org.Edge{Relation: org.ChildOf, Subject: team(i), Object: team(rng.IntN(i))})
			}
		}
		for i := range np {
			people = append(people, org.Person{Ref: person(i)})
			for range rng.IntN(3) {
				edges = append(edges, org.Edge{Relation: org.MemberOf, Subject: person(i), Object: team(rng.IntN(nt))})
			}
		}
		for i := range nt {
			for range []int{0, 1, 1, 1, 2}[rng.IntN(5)] { // most teams have one leader
				edges = append(edges, org.Edge{Relation: org.Leads, Subject: person(rng.IntN(np)), Object: team(i)})
			}
		}
		chart := org.NewChart(at, teams, people, edges, roots)
		var subjects []org.Ref
		for _, p := range people {
			subjects = append(subjects, p.Ref)
		}
		for _, tm := range teams {
			subjects = append(subjects, tm.Ref)
		}
		decides := map[org.Ref][]org.Ref{}
		for _, s := range subjects {
			d, why := Decider(s, chart)
			if d.IsZero() {
				continue
			}
			if _, ok := decides[d]; !ok {
				decides[d] = Decides(d, chart)
			}
			if !slices.Contains(decides[d], s) {
				t.Fatalf("seed %d: %s decides on %s (%s), but Decides(%s) gives %v", seed, d, s, why, d, decides[d])
			}
		}
	}
}
