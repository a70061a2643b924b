package app_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/report"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// TestFollowUpBurndownIsReports: follow-ups made, closed, abandoned and
// reopened over three months give the burn-down report.Burndown draws
// from the same follow-ups, for everyone's and for one team's.
func TestFollowUpBurndownIsReports(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		admin, ada := apptest.Admin(), apptest.Person("ada")
		in := declare(t, a, "component:checkout-api")
		owners := []org.Ref{org.MustRef("group:payments"), org.MustRef("group:platform"), org.MustRef("user:ada")}
		var made []followup.ID
		for day := range 90 {
			clock.Advance(24*time.Hour + 37*time.Minute)
			if day%3 == 0 {
				f, err := a.CreateFollowUp(ctx, ada, app.FollowUpInput{Incident: in.ID, Title: "Add a breaker", Owner: owners[day%len(owners)],
					Due: followup.Day(a.Now()).AddDate(0, 0, 5+day%20)})
				if err != nil {
					t.Fatal(err)
				}
				made = append(made, f.ID)
			}
			var status followup.Status
			switch day % 7 {
			case 2:
				status = followup.Done
			case 4:
				status = followup.WontDo
			case 6:
				status = followup.Open // reopens what was closed
			default:
				continue
			}
			id := made[(day*5)%len(made)]
			by := admin
			if status == followup.WontDo {
				// Only an open follow-up can be dropped, and the leader at the
				// top approves at once (F3).
				if f, err := a.FollowUp(ctx, admin, id); err != nil || f.Status != followup.Open {
					continue
				}
				by = apptest.Person("cto")
			}
			if _, err := a.UpdateFollowUp(ctx, by, id, app.FollowUpPatch{Status: &status, Reason: ptr("not worth it")}); err != nil {
				t.Fatal(err)
			}
		}
		all, err := a.FollowUps(ctx, admin, followup.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		for _, mine := range [][]org.Ref{nil, owners[:1]} {
			got, err := a.FollowUpBurndown(ctx, ada, mine, app.BurndownWeeks)
			if err != nil {
				t.Fatal(err)
			}
			var items []followup.FollowUp
			for _, f := range all {
				if mine == nil || slices.Contains(mine, f.Owner) {
					items = append(items, f)
				}
			}
			want := report.Burndown(items, a.Now(), app.BurndownWeeks, 7*24*time.Hour)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("owners %v (-report +app):\n%s", mine, diff)
			}
			if want[len(want)-1].Open == 0 || want[len(want)-1].Overdue == 0 {
				t.Errorf("owners %v: the history tests too little: %+v", mine, want)
			}
		}
		if _, err := a.FollowUpBurndown(ctx, org.Actor{}, nil, app.BurndownWeeks); !errors.Is(err, errs.Unauthenticated) {
			t.Errorf("signed out: %v, want Unauthenticated", err)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// TestOrganisation: a leader's organisation is every team at or below
// theirs with its people; someone who leads no team has none; Narrow
// keeps a filter's own owners within it.
func TestOrganisation(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		dee := apptest.Person("dee")
		o, err := a.Organisation(ctx, dee, org.MustRef("user:vp"))
		if err != nil {
			t.Fatal(err)
		}
		refs := func(names ...string) []org.Ref {
			var out []org.Ref
			for _, n := range names {
				out = append(out, org.MustRef(n))
			}
			slices.Sort(out)
			return out
		}
		want := refs("group:product", "group:payments", "group:checkout", "group:ghosts",
			"user:vp", "user:pay-lead", "user:ada", "user:bob", "user:co-lead", "user:cy")
		if diff := cmp.Diff(want, o.Owners); diff != "" || !slices.Equal(o.Teams, refs("group:product")) {
			t.Errorf("vp's organisation: teams %v, owners (-want +got):\n%s", o.Teams, diff)
		}
		f := o.Narrow(followup.Filter{Status: followup.Open, Owners: refs("user:ada", "user:dee")})
		if !slices.Equal(f.Owners, refs("user:ada")) || f.Status != followup.Open {
			t.Errorf("narrowed %+v", f)
		}
		if f := o.Narrow(followup.Filter{Owners: refs("user:dee")}); f.Owners == nil || len(f.Owners) != 0 {
			t.Errorf("nothing in common must select nothing: %#v", f.Owners)
		}
		_, err = a.Organisation(ctx, dee, org.MustRef("user:dee"))
		if e, ok := errs.As(err); !ok || e.Kind != errs.Invalid || e.Fields["leader"] == "" {
			t.Errorf("someone who leads no team: %v", err)
		}
	})
}

// TestTeamWeeks: incidents per week count for the party of the decision in
// force, in the teams' order, and an incident before the weeks does not;
// the weekly review carries the trend of the teams its week's decisions
// name.
func TestTeamWeeks(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		admin := apptest.Admin()
		decide := func(weeksAgo int, party string) {
			t.Helper()
			in, err := a.DeclareIncident(ctx, admin, app.IncidentInput{Title: "x", Severity: incident.SEV3,
				StartedAt: a.Now().AddDate(0, 0, -7*weeksAgo), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := a.DecideAttribution(ctx, admin, in.ID, org.MustRef(party), "as the review found"); err != nil {
				t.Fatal(err)
			}
		}
		decide(0, "group:payments")
		decide(0, "group:payments")
		decide(2, "group:checkout")
		decide(3, "group:payments")
		decide(9, "group:payments") // before the weeks shown
		decide(1, "user:ada")
		clock.Advance(time.Hour)
		labels, counts, err := a.TeamWeeks(ctx, apptest.Person("dee"), []org.Ref{org.MustRef("group:checkout"), org.MustRef("group:payments"), org.MustRef("group:ghosts")},
			review.WeekOf(a.Now()), 4)
		if err != nil {
			t.Fatal(err)
		}
		if want := []string{"2026-W44", "2026-W45", "2026-W46", "2026-W47"}; !slices.Equal(labels, want) {
			t.Errorf("weeks %v, want %v", labels, want)
		}
		want := []report.TeamCounts{{Team: "checkout", Counts: []int{0, 1, 0, 0}}, {Team: "payments", Counts: []int{1, 0, 0, 2}},
			{Team: "ghosts", Counts: []int{0, 0, 0, 0}}}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("counts (-want +got):\n%s", diff)
		}

		// The review's trend: the teams its week's decisions name (not
		// Ada), the most named first, over the eight weeks to its own.
		rv, err := a.WeeklyReview(ctx, apptest.Person("dee"), review.WeekOf(a.Now()))
		if err != nil {
			t.Fatal(err)
		}
		wantTrend := []review.TeamTrend{{Team: org.MustRef("group:payments"), Counts: []int{0, 0, 0, 0, 1, 0, 0, 2}},
			{Team: org.MustRef("group:checkout"), Counts: []int{0, 0, 0, 0, 0, 1, 0, 0}}}
		if diff := cmp.Diff(wantTrend, rv.Trend); diff != "" {
			t.Errorf("the review's trend (-want +got):\n%s", diff)
		}
	})
}
