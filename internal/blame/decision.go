package blame

import (
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
)

// Decision is a reviewer's recorded attribution: the one accountable party,
// the rule behind it (the suggestion's rule, or A8 for an override), the
// justification, and the suggestion as it stood when decided. Decisions are
// never changed: a new one supersedes the one in force.
type Decision struct {
	ID            string
	Incident      incident.ID
	Party         org.Ref
	Rule          Rule
	Justification string
	Suggested     Suggestion
	Supersedes    string
	DecidedBy     org.Ref
	DecidedAt     time.Time
}

// IsOverride reports whether the decision names a party other than the one
// suggested (A8).
func (d Decision) IsOverride() bool { return d.Party != d.Suggested.Party }

// Decide checks a reviewer's choice of party against the suggestion and
// returns the decision's rule: the suggestion's own rule when they agree, A8
// when they differ. An override without a justification is refused naming
// A8; a party that is not one person or one team is refused naming A1.
func Decide(s Suggestion, party org.Ref, justification string) (Rule, error) {
	if _, err := postmortem.SingleParty(postmortem.Claim{Named: []string{string(party)}}); err != nil {
		return "", err
	}
	if party == s.Party && !s.Party.IsZero() {
		return s.Rule, nil
	}
	if strings.TrimSpace(justification) == "" {
		msg := "the suggested party is " + string(s.Party) + " (" + string(s.Rule) + "); naming " + string(party) + " instead needs a justification"
		if s.Party.IsZero() {
			msg = "no party could be suggested; naming " + string(party) + " needs a justification"
		}
		return "", &errs.Error{Kind: errs.Invalid, Rule: string(A8), Message: msg,
			Fields: map[string]string{"justification": "is required when the party differs from the suggestion (A8)"}}
	}
	return A8, nil
}
