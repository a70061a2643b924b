package accountability

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// Assessment is the private accountability record of one decided
// attribution.
type Assessment struct {
	ID          string
	Incident    incident.ID
	Attribution string
	// Subject is the accountable party. For a team, the level applies to its
	// leader as team accountability, and its members may see it.
	Subject   org.Ref
	CreatedAt time.Time
}

// Judgement is one version of the reviewer's factors.
type Judgement struct {
	Version           int
	ExpectedToPrevent Expectation
	PolicyViolation   Violation
	SetBy             org.Ref
	SetAt             time.Time
}

// Kind says what a decision record is.
type Kind string

// The kinds of decision record.
const (
	KindDecision      Kind = "decision"
	KindAppealOutcome Kind = "appeal_outcome"
	KindCorrection    Kind = "correction"
)

// Decision is a level decided on an assessment, with the guidance it was
// decided against. A later record supersedes it; none is ever changed.
type Decision struct {
	ID            string
	Assessment    string
	Kind          Kind
	Level         Level
	Guidance      Guidance
	Factors       Factors
	Justification string
	DecidedBy     org.Ref
	DecidedAt     time.Time
	Supersedes    string
}

// Deviation is how far the decision departs from guidance (positive:
// harsher).
func (d Decision) Deviation() int { return int(d.Level) - int(d.Guidance.Level) }

// Appeal is the subject's one appeal against a decision.
type Appeal struct {
	Assessment string
	// Decision is the decision appealed against.
	Decision string
	Reason   string
	FiledBy  org.Ref
	FiledAt  time.Time
	// Reviewer is the decider's leader, whose outcome is final.
	Reviewer org.Ref
	// Outcome is the appeal outcome's decision record, once decided.
	Outcome string
}

// CheckDecision enforces what a decision needs: judged factors, and a
// written justification when the level departs from guidance (J3).
func CheckDecision(level Level, g Guidance, justification string) error {
	if !g.Judged {
		return &errs.Error{Kind: errs.Invalid, Rule: rule.J1,
			Message: "the reviewer's judgement is missing: set factors.expected_to_prevent (yes, partially or no) before deciding",
			Fields:  map[string]string{"factors.expected_to_prevent": "must be judged before deciding"}}
	}
	if level != g.Level && strings.TrimSpace(justification) == "" {
		return &errs.Error{Kind: errs.Invalid, Rule: rule.J3,
			Message: fmt.Sprintf("level %d departs from the guidance level %d: a written justification is required (J3)", level, g.Level),
			Fields:  map[string]string{"justification": "is required when the level differs from guidance (J3)"}}
	}
	return nil
}

// DeciderStats is one decider's consistency with policy (J5).
type DeciderStats struct {
	Decider   org.Ref
	Decisions int
	// MeanDeviation is the mean of (decision − guidance); DeviationShare
	// the share of decisions that departed from guidance at all.
	MeanDeviation  float64
	DeviationShare float64
	// Flag is "harsher" or "more lenient" when the decider is flagged.
	Flag string
}

// Tally is what J5 needs of one decider's decision records: how many
// there are, the sum of their deviations from guidance, and how many
// departed from it at all.
type Tally struct {
	Decider      org.Ref
	Decisions    int
	DeviationSum int
	Departed     int
}

// TallyDecisions tallies decision records by decider, sorted by decider:
// what a store sums for Consistency without reading every record.
func TallyDecisions(ds []Decision) []Tally {
	by := map[org.Ref]*Tally{}
	for _, d := range ds {
		t := by[d.DecidedBy]
		if t == nil {
			t = &Tally{Decider: d.DecidedBy}
			by[d.DecidedBy] = t
		}
		t.Decisions++
		t.DeviationSum += d.Deviation()
		if d.Deviation() != 0 {
			t.Departed++
		}
	}
	out := make([]Tally, 0, len(by))
	for _, t := range by {
		out = append(out, *t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Decider < out[j].Decider })
	return out
}

// Consistency computes J5 per decider from the tallies of their decision
// records, flagging those with at least the policy's number of decisions
// and a mean deviation at least the policy's threshold away from zero. The
// result is sorted by decider.
func Consistency(ts []Tally, p Policy) []DeciderStats {
	out := make([]DeciderStats, 0, len(ts))
	for _, t := range ts {
		if t.Decisions == 0 {
			continue
		}
		s := DeciderStats{Decider: t.Decider, Decisions: t.Decisions,
			MeanDeviation:  float64(t.DeviationSum) / float64(t.Decisions),
			DeviationShare: float64(t.Departed) / float64(t.Decisions)}
		if s.Decisions >= p.FairnessMinDecisions && math.Abs(s.MeanDeviation) >= p.FairnessMeanDeviation-1e-9 {
			s.Flag = "harsher"
			if s.MeanDeviation < 0 {
				s.Flag = "more lenient"
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Decider < out[j].Decider })
	return out
}

// FairnessFlag is a fairness finding raised when it happens: A8, an
// ambiguous-ownership fault (the leader's) pushed onto one of the leader's
// reports. It is about the leader and raised to the leader above.
type FairnessFlag struct {
	ID        string
	Rule      string
	About     org.Ref
	RaisedTo  org.Ref
	Incident  incident.ID
	Detail    string
	CreatedAt time.Time
}

// Fault is one decided attribution naming a party: a fault on its ledger.
type Fault struct {
	Incident  incident.ID
	Title     string
	Severity  incident.Severity
	StartedAt time.Time
	Rule      string
}
