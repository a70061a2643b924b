package demo_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/blame"
	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/demo"
	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/review"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

func TestDemoExercisesEveryRule(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a year of history; skipped with -short")
	}
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		ctx := context.Background()
		a := app.New(db)
		admin := org.System("test")
		sum, err := demo.LoadIfEmpty(ctx, a, nil)
		if err != nil || !sum.Loaded {
			t.Fatalf("load: %+v %v", sum, err)
		}
		if again, err := demo.LoadIfEmpty(ctx, a, nil); err != nil || again.Loaded {
			t.Fatalf("a second load must do nothing: %+v %v", again, err)
		}

		people, _ := a.People(ctx, admin, a.Now())
		teams, _ := a.Teams(ctx, admin, a.Now())
		ents, _ := a.Entities(ctx, admin, "", "", a.Now())
		if len(people) < 40 || len(teams) < 8 || len(ents) < 30 {
			t.Fatalf("sizes: %d people, %d teams, %d entities", len(people), len(teams), len(ents))
		}
		depth := map[org.Ref]int{}
		var level func(org.Ref) int
		parent := map[org.Ref]org.Ref{}
		for _, tm := range teams {
			parent[tm.Ref] = tm.Parent
		}
		level = func(r org.Ref) int {
			if parent[r].IsZero() {
				return 1
			}
			return 1 + level(parent[r])
		}
		deepest := 0
		for _, tm := range teams {
			depth[tm.Ref] = level(tm.Ref)
			deepest = max(deepest, depth[tm.Ref])
		}
		providers, unowned := 0, 0
		for _, e := range ents {
			if e.Kind == catalog.Provider {
				providers++
			}
			if len(e.Owners) == 0 && e.Kind != catalog.Domain {
				unowned++
			}
		}
		if deepest < 3 || providers < 3 || unowned < 1 {
			t.Fatalf("org: %d levels, %d providers, %d unowned", deepest, providers, unowned)
		}

		incs, err := a.Incidents(ctx, admin, incident.Filter{})
		if err != nil || len(incs) < 100 {
			t.Fatalf("%d incidents, %v", len(incs), err)
		}
		rules := map[blame.Rule]int{}
		suggested := map[blame.Rule]int{}
		inherited, states := 0, map[postmortem.State]int{}
		for _, in := range incs {
			v, err := a.Attribution(ctx, admin, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			suggested[v.Suggestion.Rule]++
			if v.Suggestion.RecentlyInherited {
				inherited++
			}
			if v.Decision != nil {
				rules[v.Decision.Rule]++
			}
			pm, err := a.Postmortem(ctx, admin, in.ID)
			if err != nil {
				t.Fatal(err)
			}
			states[pm.State]++
		}
		for _, r := range []blame.Rule{blame.A2, blame.A3, blame.A4, blame.A6, blame.A7, blame.A8} {
			if rules[r] == 0 {
				t.Errorf("no decision by %s: %v", r, rules)
			}
		}
		if inherited == 0 {
			t.Errorf("no recently inherited (A5) suggestion")
		}
		for _, s := range []postmortem.State{postmortem.Draft, postmortem.Published, postmortem.Closed} {
			if states[s] == 0 {
				t.Errorf("no postmortem %s: %v", s, states)
			}
		}
		fus, err := a.FollowUps(ctx, admin, followup.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		status, overdue, clarify := map[followup.Status]int{}, 0, 0
		for _, f := range fus {
			status[f.Status]++
			if f.IsOverdue(a.Now()) {
				overdue++
			}
			if f.Rule == "A4" {
				clarify++
			}
		}
		if status[followup.Done] == 0 || status[followup.WontDo] == 0 || overdue == 0 || clarify == 0 {
			t.Errorf("follow-ups: %v, %d overdue, %d clarify-ownership", status, overdue, clarify)
		}
		checkAccountability(t, a, incs)
		checkFreeze(t, a, incs)
		checkFollowThrough(t, a)
		v, err := a.VerifyAudit(ctx, admin)
		if err != nil || !v.OK {
			t.Fatalf("audit: %+v %v", v, err)
		}
	})
}

// TestDemoHistoryIsDated: the demo's flags carry the moment they would have
// been raised, so a past week's review shows what it showed then: every
// postmortem overdue at a week's end has its I5 flag open in that week's
// review, raised within a day of its due date.
func TestDemoHistoryIsDated(t *testing.T) {
	if testing.Short() {
		t.Skip("loads a year of history; skipped with -short")
	}
	db := storetest.Open(t, store.SQLite)
	ctx := context.Background()
	a := app.New(db)
	if _, err := demo.Load(ctx, a, nil); err != nil {
		t.Fatal(err)
	}
	weeks, overdue := 0, 0
	for w := review.WeekOf(a.Now()).Add(-2); weeks < 40; w = w.Add(-1) {
		weeks++
		rv, err := a.WeeklyReview(ctx, org.System("test"), w)
		if err != nil {
			t.Fatal(err)
		}
		flagged := map[incident.ID]review.FlagLine{}
		for _, f := range rv.Flags {
			if f.Rule == "I5" {
				flagged[f.Incident] = f
			}
			if f.RaisedAt.After(rv.To) {
				t.Errorf("week %s lists a flag raised after it, on %s", w, f.RaisedAt)
			}
		}
		for _, p := range rv.OverduePostmortems {
			overdue++
			f, ok := flagged[p.Incident]
			if !ok && rv.FlagsTotal == len(rv.Flags) {
				t.Errorf("week %s: %s is overdue since %s, but its I5 flag is not open", w, p.Incident, p.Due.Format(time.DateOnly))
				continue
			}
			if ok && (f.RaisedAt.Before(p.Due) || f.RaisedAt.After(p.Due.Add(30*time.Hour))) {
				t.Errorf("week %s: %s was due %s but flagged %s", w, p.Incident, p.Due, f.RaisedAt)
			}
		}
	}
	if overdue == 0 {
		t.Fatal("no past week had an overdue postmortem; the test checks nothing")
	}
}

// checkFreeze: the deploy Felix Wagner shipped inside the freeze over
// Payments is linked to its incident, tagged as inside a freeze, and the
// decided attribution names him by A6, so his assessment opens with
// policy_violation major (A6) for his team's leader to decide (J2).
func checkFreeze(t *testing.T, a *app.App, incs []incident.Incident) {
	t.Helper()
	ctx := context.Background()
	admin := org.System("test")
	felix := org.MustRef("user:felix.wagner")
	found := 0
	for _, in := range incs {
		v, err := a.Attribution(ctx, admin, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if v.Decision == nil || v.Decision.Rule != blame.A6 {
			continue
		}
		found++
		if v.Decision.Party != felix || v.Suggestion.Party != felix {
			t.Errorf("%s: A6 decided %s, suggested %s; want %s", in.ID, v.Decision.Party, v.Suggestion.Party, felix)
		}
		changes, err := a.IncidentChangeViews(ctx, admin, in.ID)
		if err != nil || len(changes) != 1 || !changes[0].IsInFreeze() || changes[0].Actor != felix {
			t.Errorf("%s: linked changes %+v, %v", in.ID, changes, err)
		}
		as, err := a.Assessment(ctx, admin, in.ID)
		if err != nil {
			t.Fatal(err)
		}
		if as.Judgement.PolicyViolation != accountability.MajorViolation || as.Subject != felix || as.Decider != org.MustRef("user:ravi.menon") {
			t.Errorf("%s: assessment %+v, decider %s", in.ID, as.Judgement, as.Decider)
		}
	}
	if found != 1 {
		t.Errorf("%d attributions decided by A6, want the one deploy inside the freeze", found)
	}
}

// checkFollowThrough: Hugo Laurent's lag alert was reminded, escalated to
// Ravi Menon and then to Tomás Rivera, found missed when the lag recurred
// (F7) — so the recurrence was decided by A7 on him — and done late; Amara
// Diallo's wont_do was refused with a reason and Jules Moreau's approved
// (F3).
func checkFollowThrough(t *testing.T, a *app.App) {
	t.Helper()
	ctx := context.Background()
	admin := org.System("test")
	all, err := a.FollowUps(ctx, admin, followup.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	byTitle := map[string]followup.FollowUp{}
	for _, f := range all {
		byTitle[f.Title] = f
	}
	detail := func(title string) app.FollowUpDetail {
		t.Helper()
		f, ok := byTitle[title]
		if !ok {
			t.Fatalf("no follow-up %q", title)
		}
		d, err := a.FollowUpDetail(ctx, admin, f.ID)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	alert := detail("Alert when the refund worker's consumer lag passes five minutes")
	var chain []string
	for _, n := range alert.Notices {
		chain = append(chain, string(n.Kind)+" "+string(n.Recipient))
	}
	want := []string{"reminder_before user:default/hugo.laurent", "reminder_due user:default/hugo.laurent",
		"escalation user:default/ravi.menon", "escalation_up user:default/tomas.rivera"}
	if strings.Join(chain, "; ") != strings.Join(want, "; ") {
		t.Errorf("the lag alert's chase: %v, want %v", chain, want)
	}
	if alert.Status != followup.Done || !followup.Day(alert.ClosedAt).After(alert.Due) {
		t.Errorf("the lag alert should be done late: %s, closed %s, due %s", alert.Status, alert.ClosedAt, alert.Due)
	}
	client := detail("Retire the refund worker's hand-rolled Kafka client")
	if len(client.Requests) != 1 || client.Requests[0].Outcome != followup.Refused || client.Requests[0].Note == "" || client.Status != followup.Done {
		t.Errorf("the refused wont_do: %+v, %s", client.Requests, client.Status)
	}
	dash := detail("Add a refund throughput dashboard")
	if len(dash.Requests) != 1 || dash.Requests[0].Outcome != followup.Approved || dash.Status != followup.WontDo ||
		dash.Requests[0].DecidedBy != org.MustRef("user:ravi.menon") {
		t.Errorf("the approved wont_do: %+v, %s", dash.Requests, dash.Status)
	}
	incs, err := a.Incidents(ctx, admin, incident.Filter{Text: "consumer lag again", Limit: 5})
	if err != nil || len(incs) != 1 {
		t.Fatalf("the recurrence: %v %v", incs, err)
	}
	v, err := a.Attribution(ctx, admin, incs[0].ID)
	if err != nil || v.Decision == nil || v.Decision.Rule != blame.A7 || v.Decision.Party != org.MustRef("user:hugo.laurent") {
		t.Errorf("the recurrence's attribution: %+v %v", v.Decision, err)
	}
}
