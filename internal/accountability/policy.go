package accountability

import (
	"fmt"
	"slices"
	"strings"

	"blameful.dev/blameful/internal/incident"
)

// Policy holds the numbers of the J1 guidance and the J5 fairness check.
// DefaultPolicy is PRODUCT.md's; a policy file may change any of them
// (see internal/policy for the file format).
type Policy struct {
	// Base is the starting level by expected_to_prevent.
	Base map[Expectation]int
	// PriorOne and PriorMany are added for one prior fault, and for
	// PriorManyFrom or more.
	PriorOne      int
	PriorMany     int
	PriorManyFrom int
	// PriorWindowDays is how far back prior faults count.
	PriorWindowDays int
	// SeverityBonus is added by severity when expected_to_prevent is yes.
	SeverityBonus map[incident.Severity]int
	// InheritedRelief is subtracted when recently inherited (never below 0).
	InheritedRelief int
	// MajorAtLeast is the floor for a major policy violation, and
	// MajorSevereAtLeast the floor when the incident was SevereFor.
	MajorAtLeast       int
	MajorSevereAtLeast int
	SevereFor          []incident.Severity
	// MinorAdd is added for a minor policy violation.
	MinorAdd int
	// IntegrityAtLeast is the floor for a confirmed integrity violation,
	// which also notifies HR.
	IntegrityAtLeast int

	// FairnessMinDecisions and FairnessMeanDeviation are J5's thresholds: a
	// decider with at least that many decisions whose mean deviation from
	// guidance is at least that far from zero is flagged.
	FairnessMinDecisions  int
	FairnessMeanDeviation float64
}

// DefaultPolicy returns PRODUCT.md's policy: base 0 if not expected to
// prevent, else 1; +1 for one prior fault, +2 for two or more; +1 for SEV1
// when expected; −1 if recently inherited (floor 0); a major policy
// violation at least 3, and 4 on SEV1 or SEV2; an integrity violation at
// least 3 with HR notified; capped at 4. Fairness: 5 decisions, 0.75.
func DefaultPolicy() Policy {
	return Policy{
		Base:     map[Expectation]int{Expected: 1, Partially: 1, NotExpect: 0},
		PriorOne: 1, PriorMany: 2, PriorManyFrom: 2, PriorWindowDays: 365,
		SeverityBonus:   map[incident.Severity]int{incident.SEV1: 1},
		InheritedRelief: 1,
		MajorAtLeast:    3, MajorSevereAtLeast: 4, SevereFor: []incident.Severity{incident.SEV1, incident.SEV2},
		MinorAdd:             0,
		IntegrityAtLeast:     3,
		FairnessMinDecisions: 5, FairnessMeanDeviation: 0.75,
	}
}

// Validate checks that the policy is usable, naming each problem.
func (p Policy) Validate() []string {
	var out []string
	lvl := func(name string, v int) {
		if v < 0 || v > int(MaxLevel) {
			out = append(out, fmt.Sprintf("%s: %d is not a level (0 to 4)", name, v))
		}
	}
	for _, e := range []Expectation{Expected, Partially, NotExpect} {
		v, ok := p.Base[e]
		if !ok {
			out = append(out, fmt.Sprintf("guidance.base.%s: missing", e))
			continue
		}
		lvl("guidance.base."+string(e), v)
	}
	for name, v := range map[string]int{"guidance.prior_faults.one": p.PriorOne, "guidance.prior_faults.many": p.PriorMany,
		"guidance.recently_inherited_relief": p.InheritedRelief, "guidance.policy_violation.minor_adds": p.MinorAdd} {
		if v < 0 || v > int(MaxLevel) {
			out = append(out, fmt.Sprintf("%s: %d must be from 0 to 4", name, v))
		}
	}
	lvl("guidance.policy_violation.major_at_least", p.MajorAtLeast)
	lvl("guidance.policy_violation.major_severe_at_least", p.MajorSevereAtLeast)
	lvl("guidance.integrity_violation_at_least", p.IntegrityAtLeast)
	if p.PriorManyFrom < 2 {
		out = append(out, fmt.Sprintf("guidance.prior_faults.many_from: %d must be 2 or more", p.PriorManyFrom))
	}
	if p.PriorWindowDays < 1 {
		out = append(out, "guidance.prior_faults.window_days: must be at least 1")
	}
	for sev, v := range p.SeverityBonus {
		if !slices.Contains(incident.Severities, sev) {
			out = append(out, fmt.Sprintf("guidance.severity_bonus: %q is not a severity", sev))
		}
		if v < 0 || v > int(MaxLevel) {
			out = append(out, fmt.Sprintf("guidance.severity_bonus.%s: %d must be from 0 to 4", sev, v))
		}
	}
	for _, sev := range p.SevereFor {
		if !slices.Contains(incident.Severities, sev) {
			out = append(out, fmt.Sprintf("guidance.policy_violation.severe_for: %q is not a severity", sev))
		}
	}
	if p.FairnessMinDecisions < 1 {
		out = append(out, "fairness.min_decisions: must be at least 1")
	}
	if p.FairnessMeanDeviation <= 0 || p.FairnessMeanDeviation > float64(MaxLevel) {
		out = append(out, fmt.Sprintf("fairness.mean_deviation: %g must be above 0 and at most 4", p.FairnessMeanDeviation))
	}
	return out
}

// Step is one line of guidance arithmetic.
type Step struct {
	// Factor is what the step is about ("expected_to_prevent", "cap", …).
	Factor string
	// Change is the arithmetic ("1", "+2", "−1", "at least 3", "at most 4").
	Change string
	// Level is the running level after the step.
	Level Level
	// Why says it in words.
	Why string
}

// Guidance is the level a policy suggests, with its arithmetic.
type Guidance struct {
	Level Level
	Steps []Step
	// NotifyHR is set by a confirmed integrity violation.
	NotifyHR bool
	// Judged is false while expected_to_prevent is unjudged; the level then
	// assumes "yes" and a decision must wait.
	Judged bool
}

// Guide computes the guidance level for factors, showing every step.
func (p Policy) Guide(f Factors) Guidance {
	g := Guidance{Judged: f.IsJudged()}
	lvl := 0
	// add records a step at the running level, which may pass 4 until
	// the final cap.
	add := func(factor, change, why string) {
		g.Steps = append(g.Steps, Step{Factor: factor, Change: change, Level: Level(lvl), Why: why})
	}
	exp := f.ExpectedToPrevent
	if exp == Unjudged {
		exp = Expected
	}
	lvl = p.Base[exp]
	why := fmt.Sprintf("expected to prevent it: %s", exp)
	if f.ExpectedToPrevent == Unjudged {
		why += " (not judged yet; assumed until a reviewer says)"
	}
	add("expected_to_prevent", fmt.Sprint(lvl), why)

	switch {
	case f.PriorFaults >= p.PriorManyFrom:
		lvl += p.PriorMany
		add("prior_faults", signed(p.PriorMany), fmt.Sprintf("%d prior faults in the last %d days", f.PriorFaults, p.PriorWindowDays))
	case f.PriorFaults == 1:
		lvl += p.PriorOne
		add("prior_faults", signed(p.PriorOne), fmt.Sprintf("1 prior fault in the last %d days", p.PriorWindowDays))
	default:
		add("prior_faults", "+0", fmt.Sprintf("no prior fault in the last %d days", p.PriorWindowDays))
	}
	if bonus := p.SeverityBonus[f.Severity]; bonus > 0 && exp == Expected {
		lvl += bonus
		add("severity", signed(bonus), fmt.Sprintf("%s, and expected to prevent it", f.Severity))
	}
	if f.RecentlyInherited && p.InheritedRelief > 0 {
		lvl = max(0, lvl-p.InheritedRelief)
		add("recently_inherited", "−"+fmt.Sprint(p.InheritedRelief), "recently inherited (A5), never below 0")
	}
	switch f.PolicyViolation {
	case MajorViolation:
		floor := p.MajorAtLeast
		why := "major policy violation"
		if slices.Contains(p.SevereFor, f.Severity) {
			floor = p.MajorSevereAtLeast
			why += " on a " + string(f.Severity)
		}
		lvl = max(lvl, floor)
		add("policy_violation", fmt.Sprintf("at least %d", floor), why)
	case MinorViolation:
		if p.MinorAdd > 0 {
			lvl += p.MinorAdd
			add("policy_violation", signed(p.MinorAdd), "minor policy violation")
		}
	}
	if f.IntegrityViolation {
		lvl = max(lvl, p.IntegrityAtLeast)
		g.NotifyHR = true
		add("integrity_violation", fmt.Sprintf("at least %d", p.IntegrityAtLeast), "confirmed integrity violation (HR is notified)")
	}
	if lvl > int(MaxLevel) {
		lvl = int(MaxLevel)
		add("cap", fmt.Sprintf("at most %d", MaxLevel), "the highest level")
	}
	g.Level = Level(lvl)
	return g
}

func signed(n int) string {
	if n < 0 {
		return "−" + fmt.Sprint(-n)
	}
	return "+" + fmt.Sprint(n)
}

// Arithmetic renders the steps in one line, for logs and the CLI:
// "1 (expected) +2 (2 prior faults) = 3".
func (g Guidance) Arithmetic() string {
	var b strings.Builder
	for i, s := range g.Steps {
		if i > 0 {
			b.WriteString(" ")
		}
		fmt.Fprintf(&b, "%s [%s]", s.Change, s.Factor)
	}
	fmt.Fprintf(&b, " = %d", g.Level)
	return b.String()
}
