package app_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

var ctx = context.Background()

func declare(t *testing.T, a *app.App, entity string) incident.Incident {
	t.Helper()
	in, err := a.DeclareIncident(ctx, apptest.Admin(), app.IncidentInput{
		Title: "x", Severity: incident.SEV3, StartedAt: a.Now().Add(-time.Hour),
		Entities: []incident.FailedEntity{{Ref: org.MustRef(entity), Origin: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return in
}

// TestServersShareOneDatabase runs two apps, as two serve processes would,
// writing at once to the same database: IDs stay unique and gap-free, and
// the audit chain stays one unbroken chain.
func TestServersShareOneDatabase(t *testing.T) {
	for _, engine := range storetest.Engines(t) {
		t.Run(string(engine), func(t *testing.T) {
			dsn := storetest.DSN(t, engine)
			db1, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db1.Close()
			if _, err := db1.Migrate(ctx); err != nil {
				t.Fatal(err)
			}
			db2, err := store.Open(ctx, dsn)
			if err != nil {
				t.Fatal(err)
			}
			defer db2.Close()
			a1, _ := apptest.New(t, db1)
			a2 := app.New(db2, app.WithClock(a1.Now))
			first := declare(t, a1, "component:checkout-api")

			const each = 15
			var wg sync.WaitGroup
			ids := make(chan incident.ID, 2*each)
			errc := make(chan error, 2*each)
			for i, a := range []*app.App{a1, a2} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for range each {
						if i == 1 {
							// Follow-ups take the follow-up counter, as the A4
							// follow-up inside the other writer's declare does.
							_, err := a.CreateFollowUp(ctx, apptest.Admin(), app.FollowUpInput{Incident: first.ID, Title: "Add an alert", Owner: org.MustRef("group:payments")})
							if err != nil && !errors.Is(err, errs.Unavailable) {
								errc <- err
								return
							}
						}
						in, err := a.DeclareIncident(ctx, apptest.Admin(), app.IncidentInput{Title: "concurrent", Severity: incident.SEV4,
							StartedAt: a.Now().Add(-time.Minute), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:orphan"), Origin: true}}})
						if errors.Is(err, errs.Unavailable) {
							continue // SQLite's busy timeout can still expire under contention; retrying is the caller's call
						}
						if err != nil {
							errc <- err
							return
						}
						ids <- in.ID
					}
				}()
			}
			wg.Wait()
			close(ids)
			close(errc)
			for err := range errc {
				t.Fatal(err)
			}
			seen := map[incident.ID]bool{}
			for id := range ids {
				if seen[id] {
					t.Fatalf("ID %s given out twice", id)
				}
				seen[id] = true
			}
			seen[first.ID] = true
			for n := 1; n <= len(seen); n++ {
				if !seen[incident.FormatID(2026, n)] {
					t.Fatalf("IDs have a gap at %d: %v", n, seen)
				}
			}
			v, err := a1.VerifyAudit(ctx, apptest.Admin())
			if err != nil || !v.OK {
				t.Fatalf("audit chain after concurrent writers: %+v %v", v, err)
			}
		})
	}
}

func TestDecisionsAreNeverLost(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		in := declare(t, a, "component:checkout-api")
		lead := apptest.Person("vp", org.RoleLeader)
		if _, err := a.DecideAttribution(ctx, lead, in.ID, org.MustRef("group:payments"), ""); err != nil {
			t.Fatal(err)
		}
		clock.Advance(time.Hour)
		if _, err := a.DecideAttribution(ctx, lead, in.ID, org.MustRef("user:ada"), "Ada shipped the change alone."); err != nil {
			t.Fatal(err)
		}
		v, err := a.Attribution(ctx, lead, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(v.History) != 2 || v.Decision.Party != "user:default/ada" || v.Decision.Rule != "A8" || v.Decision.Supersedes != v.History[0].ID {
			t.Fatalf("history: %+v, current %+v", v.History, v.Decision)
		}
	})
}

func TestMembersCannotDecide(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		in := declare(t, a, "component:checkout-api")
		_, err := a.DecideAttribution(ctx, apptest.Person("ada"), in.ID, org.MustRef("group:payments"), "")
		if !errors.Is(err, errs.Forbidden) {
			t.Fatalf("a member deciding: %v", err)
		}
		if _, err := a.Incident(ctx, org.Actor{}, in.ID); !errors.Is(err, errs.Unauthenticated) {
			t.Fatalf("no actor: %v", err)
		}
	})
}

func TestA4FollowUpIsCreatedOnce(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		in := declare(t, a, "component:orphan")
		title := "renamed"
		if _, err := a.UpdateIncident(ctx, apptest.Admin(), in.ID, app.IncidentPatch{Title: &title, Entities: &in.Entities}); err != nil {
			t.Fatal(err)
		}
		fus, err := a.FollowUps(ctx, apptest.Admin(), followup.Filter{Incident: in.ID})
		if err != nil || len(fus) != 1 || fus[0].Owner != "user:default/co-lead" || fus[0].Rule != "A4" {
			t.Fatalf("A4 follow-ups: %+v %v", fus, err)
		}
		// Due by severity: SEV3 is 60 days (F2).
		if want := followup.Day(a.Now()).AddDate(0, 0, 60); !fus[0].Due.Equal(want) {
			t.Fatalf("due %s, want %s", fus[0].Due, want)
		}
	})
}

func TestWeeklyReviewCountsAndPrivacy(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		lead := apptest.Person("vp", org.RoleLeader)
		for i := range 3 {
			clock.Set(apptest.Start.AddDate(0, 0, -7*i))
			in := declare(t, a, "component:checkout-api")
			if i == 0 {
				if _, err := a.DecideAttribution(ctx, lead, in.ID, org.MustRef("group:payments"), ""); err != nil {
					t.Fatal(err)
				}
			}
		}
		clock.Set(apptest.Start)
		orphan := declare(t, a, "component:orphan")
		if _, err := a.DecideAttribution(ctx, lead, orphan.ID, org.MustRef("user:co-lead"), ""); err != nil {
			t.Fatal(err)
		}
		// An A4 suggestion (co-lead) put onto one of co-lead's reports is an
		// A8 fairness flag about co-lead; a late SEV2 is an open I1 flag.
		moved := declare(t, a, "component:orphan")
		if _, err := a.DecideAttribution(ctx, lead, moved.ID, org.MustRef("user:cy"), "Cy wrote the cron job"); err != nil {
			t.Fatal(err)
		}
		declareAt(t, a, incident.SEV2, 2*time.Hour)
		rv, err := a.WeeklyReview(ctx, apptest.Person("ada"), weekOf(apptest.Start))
		if err != nil {
			t.Fatal(err)
		}
		// How the suggestions fared: A2's accepted, one of A4's two
		// overridden (onto Cy).
		if want := []review.RuleLine{{Rule: "A2", Decided: 1}, {Rule: "A4", Decided: 2, Overridden: 1}}; !slices.Equal(rv.Rules, want) {
			t.Errorf("suggestions by rule: %+v, want %+v", rv.Rules, want)
		}
		if rv.Total.Week != 4 || rv.Total.Previous[0] != 1 || rv.Total.Previous[1] != 1 {
			t.Fatalf("counts: %+v", rv.Total)
		}
		// Two A4 incidents on one entity: one clarification while it is open.
		if len(rv.Attributions) != 3 || len(rv.OwnershipGaps) != 1 || len(rv.Leaders) != 1 || rv.Leaders[0].Leader != "user:default/co-lead" ||
			rv.Leaders[0].A4Week != 1 || rv.Leaders[0].FairnessWeek != 1 {
			t.Fatalf("review: attributions %+v gaps %+v leaders %+v", rv.Attributions, rv.OwnershipGaps, rv.Leaders)
		}
		if rv.FlagsTotal != 1 || len(rv.Flags) != 1 || rv.Flags[0].Rule != "I1" || rv.Flags[0].Suspect != ada.Ref {
			t.Fatalf("open flags: %d %+v", rv.FlagsTotal, rv.Flags)
		}
		// Dismissed the week after, the flag still shows in this week's
		// review (it was open then), and no longer in the next one.
		clock.Set(apptest.Start.AddDate(0, 0, 7))
		if _, err := a.ReviewFlag(ctx, hr, rv.Flags[0].ID, false, "", "the pager was down"); err != nil {
			t.Fatal(err)
		}
		for week, want := range map[review.Week]int{weekOf(apptest.Start): 1, weekOf(clock.Now()): 0} {
			rv, err := a.WeeklyReview(ctx, apptest.Person("ada"), week)
			if err != nil || rv.FlagsTotal != want || len(rv.Flags) != want {
				t.Fatalf("%s: %v, %d open flags, want %d", week, err, rv.FlagsTotal, want)
			}
		}
		if fmt.Sprint(rv.Unowned) != "[component:default/orphan]" {
			t.Fatalf("unowned: %v", rv.Unowned)
		}
	})
}

func weekOf(t time.Time) review.Week { return review.WeekOf(t) }

// TestWhoDecidesAnAttribution: a leader above the suggested or the decided
// party, HR or an admin; not a leader of another part of the org, and not
// the party's own leader for their own team.
func TestWhoDecidesAnAttribution(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		in := declare(t, a, "component:checkout-api") // suggested: group:payments (A2)
		payments := org.MustRef("group:payments")
		for _, refused := range []org.Actor{
			apptest.Person("plat-lead", org.RoleLeader), // leads platform, elsewhere in the org
			apptest.Person("co-lead", org.RoleLeader),   // leads checkout, a sibling team
			apptest.Person("pay-lead", org.RoleLeader),  // payments' own leader
			apptest.Person("ada"),                       // a member
		} {
			if _, err := a.DecideAttribution(ctx, refused, in.ID, payments, ""); errs.KindOf(err) != errs.Forbidden {
				t.Errorf("%s decided the attribution of %s: %v", refused.Ref, in.ID, err)
			}
		}
		for _, allowed := range []org.Actor{apptest.Person("vp", org.RoleLeader), apptest.Person("cto", org.RoleLeader),
			{Ref: "token:default/hr", Roles: []org.Role{org.RoleMember, org.RoleHR}}, apptest.Admin()} {
			if _, err := a.DecideAttribution(ctx, allowed, in.ID, payments, ""); err != nil {
				t.Errorf("%s may decide: %v", allowed.Ref, err)
			}
		}
		// Once the decision names Ada, her team's leader stands above the
		// decided party and may correct it.
		if _, err := a.DecideAttribution(ctx, apptest.Admin(), in.ID, org.MustRef("user:ada"), "her change"); err != nil {
			t.Fatal(err)
		}
		if _, err := a.DecideAttribution(ctx, apptest.Person("pay-lead", org.RoleLeader), in.ID, payments, ""); err != nil {
			t.Errorf("Ada's leader may decide once she is the decided party: %v", err)
		}
	})
}

// TestWorkFindsEachLeadersDecisions: a leader whose only undecided level
// is newer than the scan of everyone's undecided ones still finds it, as
// does the leader of older ones; HR, who decide nothing here, see none.
// Read from everyone's oldest first, as before, Ada's leader saw nothing
// once the oldest filled the scan.
func TestWorkFindsEachLeadersDecisions(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		defer app.SetUndecidedScan(2)()
		// Three faults of the payments team, decided by its leader's
		// leader (the vp), then one of Ada's, decided by her team's leader.
		for i, party := range []string{"group:payments", "group:payments", "group:payments", "user:ada"} {
			clock.Set(apptest.Start.Add(time.Duration(i) * time.Hour))
			in := declare(t, a, "component:checkout-api")
			if _, err := a.DecideAttribution(ctx, vp, in.ID, org.MustRef(party), "found in review"); err != nil {
				t.Fatal(err)
			}
		}
		for _, tt := range []struct {
			who       org.Actor
			decisions int
		}{{payLead, 1}, {vp, 2}, {ada, 0}, {hr, 0}} {
			w, err := a.Work(ctx, tt.who)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Decisions) != tt.decisions {
				t.Errorf("%s: %d levels to decide, want %d", tt.who.Ref, len(w.Decisions), tt.decisions)
			}
		}
	})
}

// TestWorkWaitingOnMe: the dashboard's "waiting on me" lists the levels an
// actor decides (J2) and the flags they may review (I7), and nobody else's.
func TestWorkWaitingOnMe(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		in, err := a.DeclareIncident(ctx, ada, app.IncidentInput{Title: "Late page", Severity: incident.SEV1, StartedAt: a.Now().Add(-3 * time.Hour),
			DetectedAt: a.Now().Add(-2 * time.Hour), Entities: []incident.FailedEntity{{Ref: org.MustRef("component:checkout-api"), Origin: true}}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.DecideAttribution(ctx, vp, in.ID, org.MustRef("user:ada"), "her change"); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			who              org.Actor
			decisions, flags int
		}{{payLead, 1, 1}, {vp, 0, 1}, {ada, 0, 0}, {bob, 0, 0}, {platLead, 0, 0}, {hr, 0, 1}} {
			w, err := a.Work(ctx, tt.who)
			if err != nil {
				t.Fatal(err)
			}
			if len(w.Decisions) != tt.decisions || len(w.Flags) != tt.flags {
				t.Errorf("%s: %d levels to decide and %d flags, want %d and %d", tt.who.Ref, len(w.Decisions), len(w.Flags), tt.decisions, tt.flags)
			}
		}
	})
}
