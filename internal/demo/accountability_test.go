package demo_test

import (
	"context"
	"errors"
	"testing"

	"blameful.dev/blameful/internal/accountability"
	"blameful.dev/blameful/internal/app"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
)

var (
	lena   = org.MustRef("user:lena.hoffmann")
	margot = org.MustRef("user:margot.chen")
	tomas  = org.MustRef("user:tomas.rivera")
	grace  = org.MustRef("user:grace.obi")
)

// checkAccountability checks the private side of the loaded demo: levels
// decided by the right people (J1–J3), one harsh decider flagged (J5), a
// leader's ambiguous-ownership faults (J6), a confirmed concealment and a
// dismissed flag (I7), appeals (J4) and overdue postmortems (I5).
func checkAccountability(t *testing.T, a *app.App, incs []incident.Incident) {
	t.Helper()
	ctx := context.Background()
	admin := org.System("test")

	attributed, decided, deviations, hrDecided := 0, 0, 0, 0
	judged := map[accountability.Expectation]int{}
	violations := 0
	var heard, pending []app.AssessmentView
	views := map[incident.ID]app.AssessmentView{}
	for _, in := range incs {
		v, err := a.Assessment(ctx, admin, in.ID)
		if errors.Is(err, errs.NotFound) {
			continue // no attribution decided yet
		} else if err != nil {
			t.Fatal(err)
		}
		attributed++
		views[in.ID] = v
		if v.Decision == nil {
			continue
		}
		decided++
		judged[v.Judgement.ExpectedToPrevent]++
		if v.Judgement.PolicyViolation != accountability.NoViolation {
			violations++
		}
		first := v.History[0]
		if v.Decider.IsZero() {
			hrDecided++
		} else if first.DecidedBy != v.Decider {
			t.Errorf("%s decided by %s, not the decider %s (J2)", in.ID, first.DecidedBy, v.Decider)
		}
		if first.Level != first.Guidance.Level {
			deviations++
			if first.Justification == "" {
				t.Errorf("%s departs from guidance without a justification (J3)", in.ID)
			}
		}
		switch {
		case v.Appeal == nil:
		case v.Appeal.Outcome != "":
			heard = append(heard, v)
		default:
			pending = append(pending, v)
		}
	}
	if hrDecided == 0 {
		t.Error("no assessment decided by HR, where nobody above the subject leads (J2)")
	}
	if decided*2 < attributed || deviations == 0 || violations == 0 {
		t.Errorf("assessments: %d of %d decided, %d off guidance, %d policy violations", decided, attributed, deviations, violations)
	}
	for _, e := range []accountability.Expectation{accountability.Expected, accountability.Partially, accountability.NotExpect} {
		if judged[e] == 0 {
			t.Errorf("no assessment judged expected_to_prevent=%s: %v", e, judged)
		}
	}

	// J5: Lena alone is flagged, as harsher, to Margot.
	stats, err := a.Fairness(ctx, admin)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stats {
		switch {
		case s.Decider == lena:
			if s.Flag != "harsher" || s.Decisions < 5 || s.MeanDeviation < 0.75 || s.FlaggedTo != margot {
				t.Errorf("the harsh leader: %+v", s)
			}
		case s.Flag != "":
			t.Errorf("only %s should be flagged: %+v", lena, s)
		}
	}
	mine, err := a.Fairness(ctx, org.Actor{Ref: margot, Roles: []org.Role{org.RoleMember, org.RoleLeader}})
	if err != nil || !flagged(mine, lena) {
		t.Errorf("Margot must see Lena flagged: %+v %v", mine, err)
	}

	// J6: Tomás answers for the ownership gaps in Commerce.
	ledger, err := a.Ledger(ctx, org.Actor{Ref: org.MustRef("user:ana.costa"), Roles: []org.Role{org.RoleMember}}, tomas)
	if err != nil || len(ledger.A4Faults) < 2 {
		t.Errorf("Tomás's ledger: %d A4 faults, %v", len(ledger.A4Faults), err)
	}

	// I7: Grace's late declaration confirmed, with the violation on her
	// assessment; another dismissed with a reason; I5 from the sweep.
	flags, err := a.IntegrityFlags(ctx, admin, "", "")
	if err != nil {
		t.Fatal(err)
	}
	byState := map[integrity.State][]app.FlagView{}
	overdue := 0
	for _, f := range flags {
		byState[f.State] = append(byState[f.State], f)
		if f.Rule == integrity.I5 && f.State == integrity.Open {
			overdue++
		}
	}
	if c := byState[integrity.Confirmed]; len(c) != 1 || c[0].Rule != integrity.I1 || c[0].Subject != grace || c[0].Reason == "" {
		t.Errorf("confirmed flags: %+v", c)
	} else if v := views[c[0].Incident]; v.Subject != grace || !v.Factors.IntegrityViolation || v.Decision == nil || v.Decision.Level < accountability.Formal {
		t.Errorf("Grace's assessment of %s: %+v, decision %+v", c[0].Incident, v.Factors, v.Decision)
	}
	if d := byState[integrity.Dismissed]; len(d) == 0 || d[0].Reason == "" || !d[0].Subject.IsZero() {
		t.Errorf("dismissed flags: %+v", d)
	}
	if overdue == 0 {
		t.Error("no overdue postmortem flagged (I5)")
	}

	// J4: appeals filed for the subject, heard by the decider's leader.
	if len(heard) == 0 || len(pending) == 0 {
		t.Fatalf("appeals: %d heard, %d pending", len(heard), len(pending))
	}
	for _, v := range append(heard, pending...) {
		if v.Appeal.Reason == "" || v.Appeal.Reviewer != margot || (v.Appeal.FiledBy != v.Subject && !v.Subject.IsTeam()) {
			t.Errorf("appeal on %s: %+v", v.Incident, v.Appeal)
		}
	}
	lowered := false
	for _, v := range heard {
		if v.Decision.Kind != accountability.KindAppealOutcome || v.Decision.DecidedBy != v.Appeal.Reviewer || v.Decision.Justification == "" {
			t.Errorf("appeal outcome on %s: %+v", v.Incident, v.Decision)
		}
		appealed := v.History[len(v.History)-2]
		lowered = lowered || (appealed.DecidedBy == lena && v.Decision.Level < appealed.Level)
	}
	if !lowered {
		t.Error("no appeal against the harsh leader was heard and lowered")
	}
}

func flagged(stats []app.DeciderFairness, who org.Ref) bool {
	for _, s := range stats {
		if s.Decider == who && s.Flag != "" {
			return true
		}
	}
	return false
}
