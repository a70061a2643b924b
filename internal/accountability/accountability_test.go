package accountability

import (
	"strings"
	"testing"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

func TestGuidance(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name     string
		f        Factors
		want     Level
		notifyHR bool
		step     string // a factor that must appear in the steps
	}{
		{"not expected to prevent: no consequence", Factors{ExpectedToPrevent: NotExpect, Severity: incident.SEV3}, None, false, "expected_to_prevent"},
		{"partially expected: a conversation", Factors{ExpectedToPrevent: Partially, Severity: incident.SEV3}, Conversation, false, "expected_to_prevent"},
		{"one prior fault adds one", Factors{ExpectedToPrevent: Partially, PriorFaults: 1, Severity: incident.SEV3}, ImprovementPlan, false, "prior_faults"},
		{"two or more prior faults add two", Factors{ExpectedToPrevent: Partially, PriorFaults: 5, Severity: incident.SEV3}, Formal, false, "prior_faults"},
		{"SEV1 when expected adds one", Factors{ExpectedToPrevent: Expected, Severity: incident.SEV1}, ImprovementPlan, false, "severity"},
		{"SEV1 when only partially expected does not", Factors{ExpectedToPrevent: Partially, Severity: incident.SEV1}, Conversation, false, "expected_to_prevent"},
		{"recently inherited takes one off", Factors{ExpectedToPrevent: Expected, PriorFaults: 1, RecentlyInherited: true, Severity: incident.SEV3}, Conversation, false, "recently_inherited"},
		{"inherited never goes below zero", Factors{ExpectedToPrevent: NotExpect, RecentlyInherited: true, Severity: incident.SEV3}, None, false, "recently_inherited"},
		{"major violation: at least 3", Factors{ExpectedToPrevent: NotExpect, PolicyViolation: MajorViolation, Severity: incident.SEV3}, Formal, false, "policy_violation"},
		{"major violation on a SEV2: 4", Factors{ExpectedToPrevent: Expected, PolicyViolation: MajorViolation, Severity: incident.SEV2}, TerminationReview, false, "policy_violation"},
		{"integrity violation: at least 3 and HR", Factors{ExpectedToPrevent: Partially, IntegrityViolation: true, Severity: incident.SEV4}, Formal, true, "integrity_violation"},
		{"the default reaches 4 without a cap", Factors{ExpectedToPrevent: Expected, PriorFaults: 3, Severity: incident.SEV1}, TerminationReview, false, "severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := p.Guide(tt.f)
			if g.Level != tt.want || g.NotifyHR != tt.notifyHR {
				t.Fatalf("level %d (HR %v), want %d (HR %v): %s", g.Level, g.NotifyHR, tt.want, tt.notifyHR, g.Arithmetic())
			}
			found := false
			for _, s := range g.Steps {
				found = found || s.Factor == tt.step
			}
			if !found || g.Steps[len(g.Steps)-1].Level != g.Level {
				t.Fatalf("steps %s lack %s or do not end at the level", g.Arithmetic(), tt.step)
			}
		})
	}
	steep := DefaultPolicy()
	steep.PriorMany = 3
	if g := steep.Guide(Factors{ExpectedToPrevent: Expected, PriorFaults: 3, Severity: incident.SEV1}); g.Level != TerminationReview ||
		g.Steps[len(g.Steps)-1].Factor != "cap" || g.Steps[len(g.Steps)-2].Level != 5 {
		t.Fatalf("a policy with steeper steps is capped at 4: %s", g.Arithmetic())
	}
	if g := p.Guide(Factors{Severity: incident.SEV3}); g.Judged || !strings.Contains(g.Steps[0].Why, "not judged") {
		t.Fatalf("unjudged guidance must say so: %+v", g)
	}
}

func TestDecisionRules(t *testing.T) {
	g := Guidance{Level: ImprovementPlan, Judged: true}
	if err := CheckDecision(ImprovementPlan, g, ""); err != nil {
		t.Fatalf("following guidance needs no justification: %v", err)
	}
	e, _ := errs.As(CheckDecision(Formal, g, " "))
	if e == nil || e.Rule != "J3" {
		t.Fatalf("deviating without a justification: %v", e)
	}
	if err := CheckDecision(Formal, g, "Shipped during the freeze twice."); err != nil {
		t.Fatal(err)
	}
	if e, _ := errs.As(CheckDecision(None, Guidance{}, "x")); e == nil || e.Fields["factors.expected_to_prevent"] == "" {
		t.Fatalf("unjudged factors: %v", e)
	}
}

func TestConsistency(t *testing.T) {
	var ds []Decision
	harsh, fair := org.MustRef("user:harsh"), org.MustRef("user:fair")
	for i := range 5 {
		ds = append(ds, Decision{DecidedBy: harsh, Level: Formal, Guidance: Guidance{Level: ImprovementPlan}})
		level := Conversation
		if i == 0 {
			level = Formal // one harsh call among fair ones
		}
		ds = append(ds, Decision{DecidedBy: fair, Level: level, Guidance: Guidance{Level: Conversation}})
	}
	few := org.MustRef("user:few")
	for range 4 {
		ds = append(ds, Decision{DecidedBy: few, Level: TerminationReview, Guidance: Guidance{Level: None}})
	}
	stats := Consistency(TallyDecisions(ds), DefaultPolicy())
	got := map[org.Ref]DeciderStats{}
	for _, s := range stats {
		got[s.Decider] = s
	}
	if s := got[harsh]; s.Flag != "harsher" || s.MeanDeviation != 1 || s.DeviationShare != 1 {
		t.Errorf("harsh: %+v", s)
	}
	if s := got[fair]; s.Flag != "" || s.MeanDeviation != 0.4 {
		t.Errorf("fair: %+v", s)
	}
	if s := got[few]; s.Flag != "" {
		t.Errorf("four decisions are too few to flag: %+v", s)
	}
	lenient := []Decision{}
	for range 6 {
		lenient = append(lenient, Decision{DecidedBy: fair, Level: None, Guidance: Guidance{Level: Conversation}})
	}
	if s := Consistency(TallyDecisions(lenient), DefaultPolicy())[0]; s.Flag != "more lenient" {
		t.Errorf("lenient: %+v", s)
	}
}

// chart: eng (cto) > product (vp) > payments (lead; ada, bob); lead is also
// a member of payments.
func chart() *org.Chart {
	r := org.MustRef
	teams := []org.Team{{Ref: r("group:eng")}, {Ref: r("group:product")}, {Ref: r("group:payments")}, {Ref: r("group:empty")}}
	edges := []org.Edge{
		{Relation: org.ChildOf, Subject: r("group:product"), Object: r("group:eng")},
		{Relation: org.ChildOf, Subject: r("group:payments"), Object: r("group:product")},
		{Relation: org.ChildOf, Subject: r("group:empty"), Object: r("group:payments")},
		{Relation: org.Leads, Subject: r("user:cto"), Object: r("group:eng")},
		{Relation: org.Leads, Subject: r("user:vp"), Object: r("group:product")},
		{Relation: org.Leads, Subject: r("user:lead"), Object: r("group:payments")},
		{Relation: org.MemberOf, Subject: r("user:lead"), Object: r("group:payments")},
		{Relation: org.MemberOf, Subject: r("user:ada"), Object: r("group:payments")},
		{Relation: org.MemberOf, Subject: r("user:bob"), Object: r("group:payments")},
		{Relation: org.MemberOf, Subject: r("user:cto"), Object: r("group:eng")},
	}
	return org.NewChart(time.Now(), teams, nil, edges, []org.Ref{r("group:eng")})
}

func TestDecider(t *testing.T) {
	c := chart()
	tests := []struct{ subject, want string }{
		{"user:ada", "user:default/lead"},     // a member: their leader
		{"user:lead", "user:default/vp"},      // a leader's own fault: one level up
		{"group:payments", "user:default/vp"}, // a team: the parent's leader
		{"group:empty", "user:default/lead"},  // a team with no leader of its own
		{"group:eng", ""},                     // the top: HR decides
		{"user:cto", ""},                      // the top leader: HR decides
		{"user:stranger", ""},                 // in no team: HR decides
	}
	for _, tt := range tests {
		got, why := Decider(org.MustRef(tt.subject), c)
		if string(got) != tt.want || why == "" {
			t.Errorf("Decider(%s) = %q (%s), want %q", tt.subject, got, why, tt.want)
		}
	}
	if got := Chain(org.MustRef("user:ada"), c); len(got) != 3 || got[0] != "user:default/lead" || got[2] != "user:default/cto" {
		t.Errorf("chain above ada: %v", got)
	}
	if got := Chain(org.MustRef("group:payments"), c); len(got) != 2 || got[0] != "user:default/vp" {
		t.Errorf("chain above payments: %v", got)
	}
	if !IsInSubtree(org.MustRef("user:ada"), org.MustRef("user:vp"), c) || IsInSubtree(org.MustRef("user:ada"), org.MustRef("user:lead"), c) == false {
		t.Error("ada reports to vp and to lead")
	}
	if IsInSubtree(org.MustRef("user:vp"), org.MustRef("user:lead"), c) {
		t.Error("vp does not report to lead")
	}
}
