package accountability

import (
	"fmt"
	"strings"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
)

// Level is a consequence, from none to termination review. Values are
// stored.
type Level int

// The levels.
const (
	None              Level = 0
	Conversation      Level = 1
	ImprovementPlan   Level = 2
	Formal            Level = 3
	TerminationReview Level = 4
)

// MaxLevel is the highest level.
const MaxLevel = TerminationReview

// String names the level.
func (l Level) String() string {
	switch l {
	case None:
		return "none"
	case Conversation:
		return "conversation"
	case ImprovementPlan:
		return "improvement plan"
	case Formal:
		return "formal (performance record)"
	case TerminationReview:
		return "termination review"
	}
	return fmt.Sprintf("level %d", int(l))
}

// ParseLevel validates a level 0–4.
func ParseLevel(n int) (Level, error) {
	if n < int(None) || n > int(MaxLevel) {
		return 0, errs.Field("level", "%d is not a level: use 0 (none) to 4 (termination review)", n)
	}
	return Level(n), nil
}

// Expectation is the reviewer's judgement of whether the party was expected
// to prevent the incident.
type Expectation string

// The expectations; Unjudged until a reviewer says.
const (
	Unjudged  Expectation = ""
	Expected  Expectation = "yes"
	Partially Expectation = "partially"
	NotExpect Expectation = "no"
)

// ParseExpectation validates an expectation.
func ParseExpectation(s string) (Expectation, error) {
	switch e := Expectation(strings.ToLower(strings.TrimSpace(s))); e {
	case Expected, Partially, NotExpect:
		return e, nil
	}
	return "", errs.Field("factors.expected_to_prevent", "%q is not a judgement: use yes, partially or no", s)
}

// Violation grades a broken policy.
type Violation string

// The violations.
const (
	NoViolation    Violation = "none"
	MinorViolation Violation = "minor"
	MajorViolation Violation = "major"
)

// ParseViolation validates a violation.
func ParseViolation(s string) (Violation, error) {
	switch v := Violation(strings.ToLower(strings.TrimSpace(s))); v {
	case NoViolation, MinorViolation, MajorViolation:
		return v, nil
	}
	return "", errs.Field("factors.policy_violation", "%q is not a policy violation: use none, minor or major", s)
}

// Factors are what guidance is computed from.
type Factors struct {
	// ExpectedToPrevent and PolicyViolation are the reviewer's judgement
	// (A6 sets PolicyViolation to major on its own).
	ExpectedToPrevent Expectation
	PolicyViolation   Violation
	// The rest are computed: a confirmed integrity violation by the subject
	// in this incident (I7), the subject's faults in the trailing window
	// before this incident (J7 counts confirmed integrity violations among
	// them), the incident's severity, and A5's mitigating factor.
	IntegrityViolation bool
	PriorFaults        int
	Severity           incident.Severity
	RecentlyInherited  bool
}

// IsJudged reports whether the reviewer's judgement is complete enough to
// decide on.
func (f Factors) IsJudged() bool { return f.ExpectedToPrevent != Unjudged }

// PriorFaults is the prior_faults factor of J1: a party's faults in the
// window before an incident. judged counts the party's decided
// attributions by how their assessment judged expected_to_prevent; all
// count but those judged "no", which were not the party's to prevent.
// J7: each confirmed integrity violation (violations) counts as a fault of
// its own, so gaming the process costs what a fault costs.
func PriorFaults(judged map[Expectation]int, violations int) int {
	n := violations
	for e, k := range judged {
		if e != NotExpect {
			n += k
		}
	}
	return n
}
