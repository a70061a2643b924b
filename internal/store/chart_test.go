package store_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// burnFollowUps makes follow-ups around twelve weekly moments ending at
// now: created, closed and due on either side of each moment and exactly
// on it, open, done and abandoned, some closed at no known time, and some
// closed before they were created.
func burnFollowUps(inc incident.ID, moments []time.Time) []followup.FollowUp {
	rng := rand.New(rand.NewPCG(7, 47))
	owners := []org.Ref{ref("group:payments"), ref("group:platform"), ref("user:ada")}
	first := moments[0]
	when := func() time.Time {
		switch rng.IntN(4) {
		case 0: // exactly a moment
			return moments[rng.IntN(len(moments))]
		case 1: // a microsecond either side of one
			return moments[rng.IntN(len(moments))].Add(time.Duration(rng.IntN(3)-1) * time.Microsecond)
		}
		return first.Add(time.Duration(rng.Int64N(int64(now.Sub(first)+60*24*time.Hour))) - 30*24*time.Hour).Truncate(time.Microsecond)
	}
	var out []followup.FollowUp
	for i := range 400 {
		created := when()
		f := followup.FollowUp{ID: followup.FormatID(2026, i+1), Incident: inc, Title: "t", Owner: owners[rng.IntN(len(owners))],
			Due: followup.Day(created.AddDate(0, 0, rng.IntN(60)-10)), Priority: followup.P2, Status: followup.Open,
			CreatedAt: created, CreatedBy: ref("user:ada")}
		if rng.IntN(5) == 0 {
			f.Due = followup.Day(moments[rng.IntN(len(moments))]) // due the very day of a moment
		}
		switch rng.IntN(6) {
		case 0, 1: // open
		case 2: // open, once closed and reopened
			f.ClosedAt = created.Add(time.Duration(rng.Int64N(int64(40 * 24 * time.Hour))))
		case 3: // closed at no known time
			f.Status = followup.Done
		case 4: // closed before it was created (a clock gone wrong)
			f.Status, f.ClosedAt = followup.WontDo, created.Add(-time.Hour)
		default:
			f.Status, f.ClosedAt = followup.Done, when()
			if f.ClosedAt.Before(f.CreatedAt) {
				f.ClosedAt = f.CreatedAt.Add(time.Duration(rng.Int64N(int64(50 * 24 * time.Hour))))
			}
		}
		out = append(out, f)
	}
	// Open since about the first moment and due about its day: the edges
	// between the parts FollowUpBurndown counts apart.
	for i := range 9 {
		created := first.Add(time.Duration(i%3-1) * time.Microsecond)
		out = append(out, followup.FollowUp{ID: followup.FormatID(2026, len(out)+1), Incident: inc, Title: "t", Owner: owners[i%len(owners)],
			Due: followup.Day(first).AddDate(0, 0, i/3-1), Priority: followup.P2, Status: followup.Open, CreatedAt: created, CreatedBy: ref("user:ada")})
	}
	return out
}

// TestFollowUpBurndownMatchesReport: the burn-down aggregate gives what
// report.Burndown gives over the same follow-ups, for all of them and for
// some owners.
func TestFollowUpBurndownMatchesReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		const n, step = 12, 7 * 24 * time.Hour
		reference := report.Burndown(nil, now, n, step)
		moments := make([]time.Time, n)
		for i, p := range reference {
			moments[i] = p.At
		}
		in := sampleIncident("INC-2026-0001", moments[0].AddDate(0, 0, -60))
		items := burnFollowUps(in.ID, moments)
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			if err := tx.CreateIncident(&in); err != nil {
				return err
			}
			for i := range items {
				if err := tx.CreateFollowUp(&items[i]); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		// Each of the four parts the statement counts apart holds some.
		parts := map[string]int{}
		for _, f := range items {
			open := f.Status == followup.Open && f.ClosedAt.IsZero()
			switch {
			case open && !f.CreatedAt.After(moments[0]) && f.Due.Before(followup.Day(moments[0])):
				parts["open and overdue throughout"]++
			case open && !f.CreatedAt.After(moments[0]):
				parts["open throughout, due since"]++
			case open:
				parts["opened since"]++
			case f.ClosedAt.After(moments[0]):
				parts["closed since"]++
			}
		}
		if len(parts) != 4 || slices.Min(slices.Collect(maps.Values(parts))) < 5 {
			t.Fatalf("the data tests too little of some part: %v", parts)
		}
		// A leader's whole organisation: more owners than go as
		// placeholders, so they go as one parameter (inRefs).
		var whole []org.Ref
		for i := range 100 {
			whole = append(whole, ref(fmt.Sprintf("user:nobody%03d", i)))
		}
		whole = append(whole, ref("group:payments"), ref("user:ada"))
		for _, owners := range [][]org.Ref{nil, {ref("user:ada")}, {ref("group:payments"), ref("group:platform")}, {}, whole} {
			name := fmt.Sprint(owners)
			if len(owners) > 3 {
				name = fmt.Sprintf("%d owners", len(owners))
			}
			t.Run(name, func(t *testing.T) {
				var mine []followup.FollowUp
				for _, f := range items {
					if owners == nil || slices.Contains(owners, f.Owner) {
						mine = append(mine, f)
					}
				}
				want := report.Burndown(mine, now, n, step)
				if len(owners) > 3 {
					// Read as a large organisation's are.
					defer store.SetBurndownOwners(len(owners) - 1)()
				}
				// More runs than PostgreSQL plans a named statement for
				// before it settles on a generic plan.
				for range 7 {
					var got []report.BurnPoint
					if err := db.View(ctx, func(tx *store.Tx) (err error) {
						got, err = tx.FollowUpBurndown(moments, owners)
						return err
					}); err != nil {
						t.Fatal(err)
					}
					if diff := cmp.Diff(want, got); diff != "" {
						t.Fatalf("burn-down (-report +store):\n%s", diff)
					}
				}
				if owners == nil && (want[n-1].Open == 0 || want[0].Overdue == 0) {
					t.Errorf("the data tests too little: %+v", want)
				}
			})
		}
	})
}

// TestPartyWeeksMatchesReport: incidents per week by the party of the
// decision in force agree with report.TeamWeeks over the same incidents;
// a superseded decision and an incident outside the weeks do not count.
func TestPartyWeeksMatchesReport(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		rng := rand.New(rand.NewPCG(3, 14))
		weeks, _ := report.TeamWeeks(nil, now, 8)
		monday := time.Date(2026, 11, 16, 0, 0, 0, 0, time.UTC) // the week of now
		starts := make([]time.Time, len(weeks))
		for i := range starts {
			starts[i] = monday.AddDate(0, 0, -7*(len(weeks)-1-i))
		}
		parties := []org.Ref{ref("group:payments"), ref("group:platform"), ref("user:ada"), ref("group:search")}
		var occ []report.Occurrence
		err := db.Update(ctx, func(tx *store.Tx) error {
			recorded(tx)
			for i := range 150 {
				started := starts[0].Add(time.Duration(rng.Int64N(int64(11*7*24*time.Hour))) - 14*24*time.Hour).Truncate(time.Microsecond)
				if rng.IntN(8) == 0 {
					started = starts[rng.IntN(len(starts))] // the first moment of a week
				}
				in := sampleIncident(incident.ID(fmt.Sprintf("INC-2026-%04d", i+1)), started)
				if err := tx.CreateIncident(&in); err != nil {
					return err
				}
				if rng.IntN(6) == 0 {
					continue // undecided
				}
				party := parties[rng.IntN(len(parties))]
				d := blame.Decision{ID: fmt.Sprintf("d-%d-1", i), Incident: in.ID, Party: parties[(rng.IntN(3)+1)%len(parties)],
					Rule: "A2", DecidedBy: ref("user:vp"), DecidedAt: now}
				if err := tx.CreateDecision(&d); err != nil {
					return err
				}
				if rng.IntN(3) == 0 { // superseded by another party
					d = blame.Decision{ID: fmt.Sprintf("d-%d-2", i), Incident: in.ID, Party: party, Rule: "A8", Justification: "j",
						Supersedes: d.ID, DecidedBy: ref("user:vp"), DecidedAt: now}
					if err := tx.CreateDecision(&d); err != nil {
						return err
					}
				}
				occ = append(occ, report.Occurrence{StartedAt: started, Severity: incident.SEV2, Team: string(d.Party)})
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		_, teams := report.TeamWeeks(occ, now, len(weeks))
		want := map[org.Ref][]int{}
		asked := parties[:3] // group:search is never asked for
		for _, p := range asked {
			want[p] = make([]int, len(weeks))
		}
		for _, tc := range teams {
			if _, ok := want[org.Ref(tc.Team)]; ok {
				want[org.Ref(tc.Team)] = tc.Counts
			}
		}
		var got map[org.Ref][]int
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			got, err = tx.PartyWeeks(asked, starts)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("incidents by party and week (-report +store):\n%s", diff)
		}
		// The last week alone.
		var last map[org.Ref][]int
		if err := db.View(ctx, func(tx *store.Tx) (err error) {
			last, err = tx.PartyWeeks(asked, starts[len(starts)-1:])
			return err
		}); err != nil {
			t.Fatalf("one week: %v", err)
		}
		for _, p := range asked {
			if w := want[p][len(weeks)-1]; len(last[p]) != 1 || last[p][0] != w {
				t.Errorf("%s in the last week alone: %v, want [%d]", p, last[p], w)
			}
		}
		total := 0
		for _, c := range got {
			for _, v := range c {
				total += v
			}
		}
		if total < 40 {
			t.Errorf("the data tests too little: %d incidents counted", total)
		}
	})
}
