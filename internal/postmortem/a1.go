package postmortem

import (
	"fmt"
	"regexp"
	"strings"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// A1, exactly one accountable party, is enforced here and nowhere else:
// on what a reviewer puts forward as accountable (SingleParty), on the
// record when a postmortem is published (CheckPublishable calls
// singleDecided), and on contributing factors, which may name others but
// never as at fault (Validate calls factorAtFault).

// Claim is what a reviewer puts forward as the accountable party.
type Claim struct {
	// Named holds each reference given, normally one.
	Named []string
	// List is true when the party came as a list, even of one.
	List bool
	// Parties is true when a field for several parties was sent.
	Parties bool
}

// separators split a text that names several parties in one string: "a
// and b", "a, b", "a & b", "a / b".
var separators = regexp.MustCompile(`\s*(?:,|;|&|\+|\||/\s|\s+and\s+|\s+)\s*`)

// SingleParty enforces A1 on a claim and returns its one party: a list, a
// field for several parties, or a text naming several is refused, and so is
// a party that is neither a person nor a team. A refusal is Invalid naming
// the field "party" and A1; a reference that does not parse is Invalid
// naming the field only.
func SingleParty(c Claim) (org.Ref, error) {
	switch {
	case c.Parties:
		return "", a1("parties is not accepted: name exactly one party in party")
	case c.List:
		return "", a1("party must be one reference, not a list")
	case len(c.Named) == 0 || strings.TrimSpace(c.Named[0]) == "":
		return "", a1("party is required")
	case len(c.Named) > 1:
		return "", a1("%d parties are named (%s); exactly one may be accountable", len(c.Named), strings.Join(c.Named, ", "))
	}
	text := strings.TrimSpace(c.Named[0])
	ref, err := org.ParseRef(text, "")
	if err != nil {
		var named []string
		for _, part := range separators.Split(text, -1) {
			if part != "" {
				named = append(named, part)
			}
		}
		if len(named) > 1 {
			return "", a1("party names %d parties (%s); exactly one may be accountable", len(named), strings.Join(named, ", "))
		}
		return "", errs.Field("party", "%s", message(err))
	}
	if !ref.IsPerson() && !ref.IsTeam() {
		return "", a1("%s is neither a person (user:…) nor a team (group:…)", ref)
	}
	return ref, nil
}

// singleDecided enforces A1 on a postmortem's record at publishing: exactly
// one decided party.
func singleDecided(id incident.ID, parties int) error {
	switch {
	case parties == 0:
		return errs.Rule(errs.Conflict, rule.A1, "postmortem of %s cannot be published: no accountable party is decided; decide exactly one first (the attribution)", id)
	case parties > 1:
		return errs.Rule(errs.Conflict, rule.A1, "postmortem of %s cannot be published: %d parties are recorded; exactly one may be accountable", id, parties)
	}
	return nil
}

// factorAtFault enforces A1 on contributing factors: one marked at fault
// would be a second accountable party.
func factorAtFault(p *errs.Problems, field string) {
	p.AddRule(rule.A1, field+".at_fault", "contributing factors may name others, never as at fault: the one accountable party is the attribution's (A1)")
}

func a1(format string, args ...any) error {
	m := fmt.Sprintf(format, args...)
	return &errs.Error{Kind: errs.Invalid, Rule: rule.A1, Message: m + " (A1: exactly one person or team is accountable)",
		Fields: map[string]string{"party": m}}
}

// message is an error's user-safe text.
func message(err error) string {
	if e, ok := errs.As(err); ok {
		return e.Message
	}
	return err.Error()
}
