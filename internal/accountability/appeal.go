package accountability

import (
	"strings"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// Who decides and who appeals (J2, J4), and what a decision, a correction
// (J8) or an appeal (J4) needs. The checks take the facts as arguments:
// the app gathers them, in a transaction, from the org as it is now.

// MayDecide enforces J2 for actor on an assessment of subject, which
// decider decides (zero when HR does, why saying how): the decider
// decides, never the subject, and HR when nobody above the subject leads.
func MayDecide(actor org.Actor, subject, decider org.Ref, why string) error {
	switch {
	case actor.Ref == subject:
		return errs.Rule(errs.Forbidden, rule.J2, "nobody decides on their own fault")
	case decider.IsZero() && actor.Has(org.RoleHR):
		return nil
	case !decider.IsZero() && actor.Ref == decider:
		return nil
	case decider.IsZero():
		return errs.Rule(errs.Forbidden, rule.J2, "nobody above %s leads a team, so HR decides", subject)
	}
	return errs.Rule(errs.Forbidden, rule.J2, "the assessment of %s is decided by %s (%s)", subject, decider, why)
}

// CheckCorrection enforces J8 on a decision made where one already stands
// (current, nil when none): it is a new record that supersedes the old and
// says why, and while an appeal is pending (J4), only the appeal's outcome
// may change the level. It returns the kind of record to make and what it
// supersedes.
func CheckCorrection(current *Decision, appeal *Appeal, justification string) (Kind, string, error) {
	switch {
	case appeal != nil:
		return "", "", errs.Rule(errs.Conflict, rule.J4, "the decision is under appeal; only the appeal's outcome may change it")
	case current == nil:
		return KindDecision, "", nil
	case strings.TrimSpace(justification) == "":
		return "", "", &errs.Error{Kind: errs.Invalid, Rule: rule.J8, Message: "a correction of a decision must say why",
			Fields: map[string]string{"justification": "is required to correct a decision (J8)"}}
	}
	return KindCorrection, current.ID, nil
}

// MayAppeal enforces who appeals (J4): the subject — a person themselves,
// a team through its leader (teamLeader, zero for a person or a team
// without one).
func MayAppeal(actor org.Actor, subject, teamLeader org.Ref) error {
	switch {
	case actor.Ref == subject, subject.IsTeam() && !teamLeader.IsZero() && actor.Ref == teamLeader:
		return nil
	case subject.IsTeam():
		return errs.Rule(errs.Forbidden, rule.J4, "only the subject may appeal: for %s, a team, its leader", subject)
	}
	return errs.Rule(errs.Forbidden, rule.J4, "only the subject (%s) may appeal", subject)
}

// CheckAppeal enforces what an appeal needs (J4): a decision to appeal
// against, no earlier appeal, and a reason.
func CheckAppeal(current *Decision, earlier *Appeal, reason string) error {
	switch {
	case earlier != nil:
		return errs.Rule(errs.Conflict, rule.J4, "the decision was already appealed on %s; a decision may be appealed once", earlier.FiledAt.Format("2006-01-02"))
	case current == nil:
		return errs.E(errs.Conflict, "nothing to appeal: no level is decided yet")
	case strings.TrimSpace(reason) == "":
		return &errs.Error{Kind: errs.Invalid, Rule: rule.J4, Message: "an appeal needs a reason", Fields: map[string]string{"reason": "is required"}}
	}
	return nil
}

// Hearer is who hears an appeal against decider's decision (J4): the
// decider's leader, zero when HR does. An appeal already filed stays with
// the reviewer it was filed to, whatever the org has become since.
func Hearer(decider org.Ref, pending *Appeal, chart *org.Chart) org.Ref {
	if pending != nil && pending.Outcome == "" {
		return pending.Reviewer
	}
	if decider.IsZero() {
		return ""
	}
	hearer, _ := Decider(decider, chart)
	return hearer
}

// MayHear enforces who gives an appeal's outcome (J4): hearer, or HR when
// hearer is zero. It does not depend on whether an appeal was filed, so a
// refusal says nothing about it.
func MayHear(actor org.Actor, hearer org.Ref) error {
	switch {
	case hearer.IsZero() && actor.Has(org.RoleHR), !hearer.IsZero() && actor.Ref == hearer:
		return nil
	case hearer.IsZero():
		return errs.Rule(errs.Forbidden, rule.J4, "an appeal is heard by HR: nobody leads above the decider")
	}
	return errs.Rule(errs.Forbidden, rule.J4, "an appeal is heard by %s, the decider's leader", hearer)
}

// CheckOutcome enforces what an appeal's outcome needs (J4): a pending
// appeal, which it closes for good, and a justification.
func CheckOutcome(ap *Appeal, justification string) error {
	switch {
	case ap == nil:
		return errs.E(errs.Conflict, "no appeal is filed")
	case ap.Outcome != "":
		return errs.Rule(errs.Conflict, rule.J4, "the appeal is decided; its outcome is final")
	case strings.TrimSpace(justification) == "":
		return &errs.Error{Kind: errs.Invalid, Rule: rule.J4, Message: "an appeal outcome needs a justification", Fields: map[string]string{"justification": "is required"}}
	}
	return nil
}
