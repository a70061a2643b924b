package accountability

import (
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// refusal is what a rule check should answer: "" for none, else the rule
// a refusal names and its kind.
type refusal struct {
	rule string
	kind errs.Kind
}

func check(t *testing.T, name string, err error, want refusal) {
	t.Helper()
	e, _ := errs.As(err)
	switch {
	case want.kind == "" && err != nil:
		t.Errorf("%s: refused: %v", name, err)
	case want.kind != "" && (e == nil || e.Kind != want.kind || e.Rule != want.rule):
		t.Errorf("%s: got %v, want %s naming %q", name, err, want.kind, want.rule)
	}
}

func TestMayDecide(t *testing.T) {
	ada, lead := org.MustRef("user:ada"), org.MustRef("user:lead")
	hr := org.Actor{Ref: "token:default/hr", Roles: []org.Role{org.RoleMember, org.RoleHR}}
	tests := []struct {
		name           string
		actor          org.Actor
		subject, decid org.Ref
		want           refusal
	}{
		{"the decider", org.Actor{Ref: lead}, ada, lead, refusal{}},
		{"the subject", org.Actor{Ref: ada}, ada, lead, refusal{rule.J2, errs.Forbidden}},
		{"someone else", org.Actor{Ref: org.MustRef("user:bob")}, ada, lead, refusal{rule.J2, errs.Forbidden}},
		{"HR while a leader decides", hr, ada, lead, refusal{rule.J2, errs.Forbidden}},
		{"HR at the top", hr, lead, "", refusal{}},
		{"an admin at the top", org.Actor{Ref: "token:default/root", Roles: []org.Role{org.RoleAdmin}}, lead, "", refusal{rule.J2, errs.Forbidden}},
	}
	for _, tt := range tests {
		check(t, tt.name, MayDecide(tt.actor, tt.subject, tt.decid, "why"), tt.want)
	}
}

func TestAppealAndCorrection(t *testing.T) {
	d := &Decision{ID: "d1"}
	filed := &Appeal{Reviewer: org.MustRef("user:vp"), FiledAt: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}
	heard := &Appeal{Reviewer: org.MustRef("user:vp"), Outcome: "d2"}
	_, _, err := CheckCorrection(nil, nil, "")
	check(t, "a first decision", err, refusal{})
	_, _, err = CheckCorrection(d, nil, "")
	check(t, "a correction without a reason (J8)", err, refusal{rule.J8, errs.Invalid})
	kind, sup, err := CheckCorrection(d, nil, "new facts")
	if err != nil || kind != KindCorrection || sup != "d1" {
		t.Errorf("a correction: %s %s %v", kind, sup, err)
	}
	_, _, err = CheckCorrection(d, filed, "new facts")
	check(t, "a correction under appeal (J4)", err, refusal{rule.J4, errs.Conflict})
	check(t, "an appeal", CheckAppeal(d, nil, "unfair"), refusal{})
	check(t, "a second appeal", CheckAppeal(d, filed, "again"), refusal{rule.J4, errs.Conflict})
	check(t, "an appeal with no decision", CheckAppeal(nil, nil, "early"), refusal{"", errs.Conflict})
	check(t, "an appeal without a reason", CheckAppeal(d, nil, " "), refusal{rule.J4, errs.Invalid})
	check(t, "a team's leader appeals", MayAppeal(org.Actor{Ref: org.MustRef("user:lead")}, org.MustRef("group:pay"), org.MustRef("user:lead")), refusal{})
	check(t, "a team member appeals", MayAppeal(org.Actor{Ref: org.MustRef("user:ada")}, org.MustRef("group:pay"), org.MustRef("user:lead")), refusal{rule.J4, errs.Forbidden})
	check(t, "the outcome", CheckOutcome(filed, "agreed"), refusal{})
	check(t, "a second outcome", CheckOutcome(heard, "again"), refusal{rule.J4, errs.Conflict})
	check(t, "an outcome without a reason", CheckOutcome(filed, ""), refusal{rule.J4, errs.Invalid})
	check(t, "the hearer", MayHear(org.Actor{Ref: org.MustRef("user:vp")}, org.MustRef("user:vp")), refusal{})
	check(t, "not the hearer", MayHear(org.Actor{Ref: org.MustRef("user:ada")}, org.MustRef("user:vp")), refusal{rule.J4, errs.Forbidden})
}

// TestPriorFaultsCountConfirmedViolations: J7, and J1's prior_faults.
func TestPriorFaultsCountConfirmedViolations(t *testing.T) {
	judged := map[Expectation]int{Expected: 1, Partially: 1, NotExpect: 2, Unjudged: 1}
	if got := PriorFaults(judged, 0); got != 3 {
		t.Errorf("faults judged yes, partially and not yet: %d, want 3", got)
	}
	if got := PriorFaults(judged, 2); got != 5 {
		t.Errorf("with two confirmed integrity violations (J7): %d, want 5", got)
	}
}
