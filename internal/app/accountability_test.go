package app_test

import (
	"errors"
	"testing"
	"time"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/app/apptest"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/store"
	"blameful.dev/blameful/internal/store/storetest"
)

// The test org (apptest/org.yaml): eng (cto) > product (vp) > payments
// (pay-lead; ada, bob) and checkout (co-lead; cy); eng > platform
// (plat-lead; dee).
var (
	cto, vp, payLead, ada, bob = apptest.Person("cto", org.RoleLeader), apptest.Person("vp", org.RoleLeader),
		apptest.Person("pay-lead", org.RoleLeader), apptest.Person("ada"), apptest.Person("bob")
	platLead = apptest.Person("plat-lead", org.RoleLeader)
	hr       = org.Actor{Ref: "token:default/hr", Roles: []org.Role{org.RoleMember, org.RoleHR}}
)

// attributed declares an incident on entity and decides party for it.
func attributed(t *testing.T, a *app.App, entity, party string, sev incident.Severity) incident.ID {
	t.Helper()
	in, err := a.DeclareIncident(ctx, apptest.Admin(), app.IncidentInput{Title: "x", Severity: sev, StartedAt: a.Now().Add(-time.Hour),
		Entities: []incident.FailedEntity{{Ref: org.MustRef(entity), Origin: true}}})
	if err != nil {
		t.Fatal(err)
	}
	v, err := a.Attribution(ctx, apptest.Admin(), in.ID)
	if err != nil {
		t.Fatal(err)
	}
	why := ""
	if string(v.Suggestion.Party) != string(org.MustRef(party)) {
		why = "the reviewer saw it differently"
	}
	if _, err := a.DecideAttribution(ctx, apptest.Admin(), in.ID, org.MustRef(party), why); err != nil {
		t.Fatal(err)
	}
	return in.ID
}

func judge(t *testing.T, a *app.App, who org.Actor, id incident.ID, exp accountability.Expectation) app.AssessmentView {
	t.Helper()
	v, err := a.SetFactors(ctx, who, id, app.FactorsInput{ExpectedToPrevent: &exp})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func wantRule(t *testing.T, err error, kind errs.Kind, rule string) {
	t.Helper()
	e, ok := errs.As(err)
	if !ok || e.Kind != kind || e.Rule != rule {
		t.Fatalf("got %v, want %s naming %s", err, kind, rule)
	}
}

// wantRefused checks a refused write on an assessment: someone who may see
// the assessment is told the rule; anyone else gets the very refusal that
// reading it gives, which says nothing about its state.
func wantRefused(t *testing.T, a *app.App, actor org.Actor, id incident.ID, err error, rule string) {
	t.Helper()
	if _, rerr := a.Assessment(ctx, actor, id); rerr != nil {
		if err == nil || err.Error() != rerr.Error() {
			t.Fatalf("%s outside the audience: got %v, want the refusal of a read: %v", actor.Ref, err, rerr)
		}
		return
	}
	wantRule(t, err, errs.Forbidden, rule)
}

func TestJ1GuidanceFromFactors(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		// Two earlier faults of payments, one judged "no" (not a fault, J1).
		for i, exp := range []accountability.Expectation{accountability.Expected, accountability.NotExpect, accountability.Partially} {
			clock.Set(apptest.Start.AddDate(0, -3+i, 0))
			id := attributed(t, a, "component:checkout-api", "group:payments", incident.SEV3)
			judge(t, a, vp, id, exp)
		}
		clock.Set(apptest.Start)
		id := attributed(t, a, "component:checkout-api", "group:payments", incident.SEV1)
		v := judge(t, a, vp, id, accountability.Expected)
		if v.Factors.PriorFaults != 2 || v.Factors.Severity != incident.SEV1 {
			t.Fatalf("factors: %+v", v.Factors)
		}
		// 1 (expected) +2 (two prior faults) +1 (SEV1, expected) = 4.
		if v.Guidance.Level != 4 || len(v.Guidance.Steps) < 3 {
			t.Fatalf("guidance %s", v.Guidance.Arithmetic())
		}
		// Recently inherited (A5) takes one off; nothing prior for checkout.
		in := attributed(t, a, "component:search", "group:checkout", incident.SEV3)
		v = judge(t, a, vp, in, accountability.Partially)
		if !v.Factors.RecentlyInherited || v.Guidance.Level != 0 {
			t.Fatalf("inherited: %+v, %s", v.Factors, v.Guidance.Arithmetic())
		}
		// A major policy violation on a SEV2 lifts it to 4.
		major := accountability.MajorViolation
		in = attributed(t, a, "component:checkout-api", "user:ada", incident.SEV2)
		judge(t, a, payLead, in, accountability.NotExpect)
		v, err := a.SetFactors(ctx, payLead, in, app.FactorsInput{PolicyViolation: &major})
		if err != nil || v.Guidance.Level != 4 || v.Judgement.Version != 3 {
			t.Fatalf("major violation: %v %s (version %d)", err, v.Guidance.Arithmetic(), v.Judgement.Version)
		}
	})
}

func TestJ2WhoDecides(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		tests := []struct {
			party   string
			decider org.Actor
			others  []org.Actor
		}{
			{"user:ada", payLead, []org.Actor{ada, bob, vp, apptest.Admin(), hr}}, // a member: their leader
			{"user:pay-lead", vp, []org.Actor{payLead, cto, apptest.Admin()}},     // a leader's own fault: one up
			{"group:payments", vp, []org.Actor{payLead, ada, platLead}},           // a team: the parent's leader
			{"user:cto", hr, []org.Actor{cto, vp, apptest.Admin()}},               // the top: HR
		}
		for _, tt := range tests {
			id := attributed(t, a, "component:checkout-api", tt.party, incident.SEV3)
			exp := accountability.Partially
			for _, o := range tt.others {
				_, err := a.SetFactors(ctx, o, id, app.FactorsInput{ExpectedToPrevent: &exp})
				wantRefused(t, a, o, id, err, "J2")
			}
			judge(t, a, tt.decider, id, exp)
			for _, o := range tt.others {
				_, err := a.DecideAssessment(ctx, o, id, accountability.Conversation, "")
				wantRefused(t, a, o, id, err, "J2")
			}
			v, err := a.DecideAssessment(ctx, tt.decider, id, accountability.Conversation, "")
			if err != nil || v.Decision.DecidedBy != tt.decider.Ref {
				t.Fatalf("%s decided by %s: %v", tt.party, tt.decider.Ref, err)
			}
		}
	})
}

func TestJ3J8DeviationAndCorrections(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		id := attributed(t, a, "component:checkout-api", "user:ada", incident.SEV3)
		if _, err := a.DecideAssessment(ctx, payLead, id, accountability.Conversation, ""); errs.KindOf(err) != errs.Invalid {
			t.Fatalf("deciding before judging: %v", err)
		}
		judge(t, a, payLead, id, accountability.Partially) // guidance 1
		_, err := a.DecideAssessment(ctx, payLead, id, accountability.Formal, "")
		wantRule(t, err, errs.Invalid, "J3")
		if _, err := a.DecideAssessment(ctx, payLead, id, accountability.Conversation, ""); err != nil {
			t.Fatalf("following guidance: %v", err)
		}
		_, err = a.DecideAssessment(ctx, payLead, id, accountability.Conversation, "")
		wantRule(t, err, errs.Invalid, "J8")
		v, err := a.DecideAssessment(ctx, payLead, id, accountability.None, "Ada raised the risk in planning and was overruled.")
		if err != nil || len(v.History) != 2 || v.Decision.Kind != accountability.KindCorrection || v.Decision.Supersedes != v.History[0].ID {
			t.Fatalf("correction: %v %+v", err, v.History)
		}
	})
}

func TestJ4AppealOnceToTheDecidersLeader(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, _ := apptest.New(t, db)
		id := attributed(t, a, "component:checkout-api", "user:ada", incident.SEV3)
		if _, err := a.Appeal(ctx, ada, id, "x"); errs.KindOf(err) != errs.Conflict {
			t.Fatalf("appealing before a decision: %v", err)
		}
		judge(t, a, payLead, id, accountability.Expected)
		if _, err := a.DecideAssessment(ctx, payLead, id, accountability.Formal, "Third time this quarter."); err != nil {
			t.Fatal(err)
		}
		_, err := a.Appeal(ctx, bob, id, "unfair")
		wantRefused(t, a, bob, id, err, "J4")
		v, err := a.Appeal(ctx, ada, id, "The runbook said to do exactly this.")
		if err != nil || v.Appeal.Reviewer != vp.Ref {
			t.Fatalf("appeal: %v %+v", err, v.Appeal)
		}
		_, err = a.Appeal(ctx, ada, id, "again")
		wantRule(t, err, errs.Conflict, "J4")
		_, err = a.DecideAssessment(ctx, payLead, id, accountability.ImprovementPlan, "softening")
		wantRule(t, err, errs.Conflict, "J4")
		_, err = a.AppealOutcome(ctx, payLead, id, accountability.Conversation, "x")
		wantRule(t, err, errs.Forbidden, "J4")
		v, err = a.AppealOutcome(ctx, vp, id, accountability.Conversation, "The runbook was wrong; fix it, no record.")
		if err != nil || v.Decision.Kind != accountability.KindAppealOutcome || v.Decision.Level != accountability.Conversation || v.Appeal.Outcome == "" {
			t.Fatalf("outcome: %v %+v", err, v.Decision)
		}
		_, err = a.AppealOutcome(ctx, vp, id, accountability.None, "changed my mind")
		wantRule(t, err, errs.Conflict, "J4")
	})
}

func TestJ5J6A8FairnessAndLedgers(t *testing.T) {
	storetest.Each(t, func(t *testing.T, db *store.DB) {
		a, clock := apptest.New(t, db)
		// pay-lead decides five of Ada's faults, each a level above guidance.
		for i := range 5 {
			clock.Set(apptest.Start.AddDate(0, 0, -30+i))
			id := attributed(t, a, "component:checkout-api", "user:bob", incident.SEV3)
			judge(t, a, payLead, id, accountability.NotExpect) // guidance 0 (+ prior faults: no, judged "no")
			if _, err := a.DecideAssessment(ctx, payLead, id, accountability.Conversation, "A word is due."); err != nil {
				t.Fatal(err)
			}
		}
		// vp decides four, following guidance: too few to judge anyway.
		for i := range 4 {
			clock.Set(apptest.Start.AddDate(0, 0, -20+i))
			id := attributed(t, a, "component:checkout-api", "group:payments", incident.SEV4)
			judge(t, a, vp, id, accountability.NotExpect)
			if _, err := a.DecideAssessment(ctx, vp, id, accountability.None, ""); err != nil {
				t.Fatal(err)
			}
		}
		clock.Set(apptest.Start)
		got := map[org.Ref]app.DeciderFairness{}
		stats, err := a.Fairness(ctx, hr)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stats {
			got[s.Decider] = s
		}
		if s := got[payLead.Ref]; s.Flag != "harsher" || s.Decisions != 5 || s.MeanDeviation != 1 || s.FlaggedTo != vp.Ref {
			t.Fatalf("pay-lead: %+v", s)
		}
		if s := got[vp.Ref]; s.Flag != "" {
			t.Fatalf("vp is not flagged: %+v", s)
		}
		if _, err := a.Fairness(ctx, ada); errs.KindOf(err) != errs.Forbidden {
			t.Fatalf("a member reading fairness: %v", err)
		}
		if mine, err := a.Fairness(ctx, platLead); err != nil || len(mine) != 0 {
			t.Fatalf("an unrelated leader sees other orgs' deciders: %+v %v", mine, err)
		}

		// A8: an A4 fault of vp's (cart has two claimed owners) overridden
		// onto payments, which reports to vp: flagged to cto. Onto platform,
		// outside vp's organisation: no flag.
		pushed := attributed(t, a, "component:cart", "group:payments", incident.SEV3)
		attributed(t, a, "component:cart", "group:platform", incident.SEV3)
		ledger, err := a.Ledger(ctx, cto, vp.Ref)
		if err != nil {
			t.Fatal(err)
		}
		if !ledger.Private || len(ledger.FairnessFlags) != 1 || ledger.FairnessFlags[0].RaisedTo != cto.Ref || ledger.FairnessFlags[0].Incident != pushed {
			t.Fatalf("A8 flag: %+v", ledger.FairnessFlags)
		}
		// vp's A4 faults count in the ledger once decided on vp.
		attributed(t, a, "component:legacy", "user:vp", incident.SEV4)
		ledger, err = a.Ledger(ctx, ada, vp.Ref)
		if err != nil || len(ledger.A4Faults) != 1 || ledger.A4Total != 1 || ledger.Private || ledger.FairnessFlags != nil || ledger.Fairness != nil {
			t.Fatalf("public ledger: %+v %v", ledger, err)
		}
		// The lists are capped, the counts are not.
		attributed(t, a, "component:legacy", "user:vp", incident.SEV2)
		defer app.SetMaxLedgerLines(1)()
		ledger, err = a.Ledger(ctx, ada, vp.Ref)
		if err != nil || len(ledger.A4Faults) != 1 || ledger.A4Total != 2 ||
			len(ledger.OwnFaults) != 1 || ledger.OwnTotal != 2 {
			t.Fatalf("capped ledger: %d of %d A4, %d of %d own, %v", len(ledger.A4Faults), ledger.A4Total, len(ledger.OwnFaults), ledger.OwnTotal, err)
		}
		lead, err := a.Ledger(ctx, vp, payLead.Ref)
		if err != nil || lead.Fairness == nil || lead.Fairness.Flag != "harsher" {
			t.Fatalf("pay-lead's ledger as their leader sees it: %+v %v", lead.Fairness, err)
		}
		if _, err := a.Ledger(ctx, ada, ada.Ref); !errors.Is(err, errs.NotFound) {
			t.Fatalf("ada leads nothing: %v", err)
		}
	})
}
