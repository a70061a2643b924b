// Package postmortem models the written review of an incident and the rules
// for publishing it.
//
// Every incident has exactly one postmortem, created as a draft with the
// incident. Its states run draft -> in_review -> published -> closed; a
// review may send it back (in_review -> draft). It may be published only
// with exactly one accountable party decided (A1) and at least one
// follow-up (F1), and it is due a number of business days after the
// incident is resolved (F5).
//
// Contributing factors may name other people or teams, but only as
// contributing: the single party at fault is the attribution's, never a
// factor's.
package postmortem

import (
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// State is where a postmortem is in review.
type State string

// The states.
const (
	Draft     State = "draft"
	InReview  State = "in_review"
	Published State = "published"
	Closed    State = "closed"
)

// ParseState validates a state name.
func ParseState(s string) (State, error) {
	v := State(strings.ToLower(strings.TrimSpace(s)))
	switch v {
	case Draft, InReview, Published, Closed:
		return v, nil
	}
	return "", errs.Field("to", "%q is not a postmortem state: use draft, in_review, published or closed", s)
}

// moves lists the allowed transitions.
var moves = map[State][]State{
	Draft:     {InReview},
	InReview:  {Draft, Published},
	Published: {Closed},
}

// Factor is a contributing factor. It may name a party, but never as the one
// at fault.
type Factor struct {
	Text  string
	Party org.Ref
	// AtFault is what the writer claimed of the party; Validate refuses it
	// (A1), so a stored factor never has it.
	AtFault bool
}

// Postmortem is the written review of one incident.
type Postmortem struct {
	Incident   incident.ID
	State      State
	Summary    string
	Impact     string
	Mechanism  string
	Factors    []Factor
	WentWell   string
	WentPoorly string

	UpdatedAt   time.Time
	UpdatedBy   org.Ref
	PublishedAt time.Time
	ClosedAt    time.Time
}

// IsEditable reports whether the document may still change. Once published
// it is the record; corrections belong in a new revision of the process, not
// a silent edit.
func (p *Postmortem) IsEditable() bool { return p.State == Draft || p.State == InReview }

// Moves lists the states the postmortem may move to next.
func (p *Postmortem) Moves() []State { return moves[p.State] }

// Validate checks the document's fields.
func (p *Postmortem) Validate() error {
	var pr errs.Problems
	for name, v := range map[string]string{
		"summary": p.Summary, "impact": p.Impact, "mechanism": p.Mechanism,
		"went_well": p.WentWell, "went_poorly": p.WentPoorly,
	} {
		freetext.Add(&pr, name, v, freetext.Section)
	}
	if len(p.Factors) > 100 {
		pr.Add("contributing_factors", "more than 100 factors")
	}
	for i, f := range p.Factors {
		if strings.TrimSpace(f.Text) == "" {
			pr.Add(fmt.Sprintf("contributing_factors[%d].text", i), "is required")
		}
		freetext.Add(&pr, fmt.Sprintf("contributing_factors[%d].text", i), f.Text, freetext.Note)
		if f.AtFault {
			factorAtFault(&pr, fmt.Sprintf("contributing_factors[%d]", i))
		}
	}
	return pr.Err()
}

// Readiness is what publishing depends on outside the document.
type Readiness struct {
	// Parties is how many accountable parties are decided: the A1 rule wants
	// exactly one.
	Parties int
	// FollowUps counts follow-ups that are not wont_do (F1).
	FollowUps int
	// Resolved reports whether the incident is resolved.
	Resolved bool
}

// Transition moves the postmortem to state to at now, checking that the move
// is allowed and, for publishing, that A1 and F1 hold. It returns a Conflict
// naming the rule on refusal and leaves p unchanged.
func (p *Postmortem) Transition(to State, r Readiness, now time.Time) error {
	allowed := false
	for _, s := range moves[p.State] {
		allowed = allowed || s == to
	}
	if !allowed {
		return errs.E(errs.Conflict, "postmortem of %s is %s; it cannot move to %s (%s)", p.Incident, p.State, to, allowedText(p.State))
	}
	if to == Published {
		if err := CheckPublishable(p.Incident, r); err != nil {
			return err
		}
		p.PublishedAt = now
	}
	if to == Closed {
		p.ClosedAt = now
	}
	p.State = to
	p.UpdatedAt = now
	return nil
}

// CheckPublishable returns the first rule that forbids publishing, as a
// Conflict naming it: A1 (exactly one accountable party), then F1 (at least
// one follow-up), then that the incident is resolved.
func CheckPublishable(id incident.ID, r Readiness) error {
	switch {
	case r.Parties != 1:
		return singleDecided(id, r.Parties)
	case r.FollowUps == 0:
		return errs.Rule(errs.Conflict, rule.F1, "postmortem of %s cannot be published without at least one follow-up aimed at non-recurrence", id)
	case !r.Resolved:
		return errs.E(errs.Conflict, "postmortem of %s cannot be published while the incident is not resolved", id)
	}
	return nil
}

func allowedText(from State) string {
	next := moves[from]
	if len(next) == 0 {
		return "a " + string(from) + " postmortem is final"
	}
	names := make([]string, len(next))
	for i, s := range next {
		names[i] = string(s)
	}
	return "from " + string(from) + " it may move to " + strings.Join(names, " or ")
}

// DueAt returns when a postmortem is due: businessDays working days (Monday
// to Friday) after the incident was resolved (F5). It is zero while the
// incident is unresolved.
func DueAt(resolvedAt time.Time, businessDays int) time.Time {
	if resolvedAt.IsZero() {
		return time.Time{}
	}
	t := resolvedAt
	for n := 0; n < businessDays; {
		t = t.AddDate(0, 0, 1)
		if wd := t.Weekday(); wd != time.Saturday && wd != time.Sunday {
			n++
		}
	}
	return t
}

// IsOverdue reports whether a postmortem due at due is overdue at now: it is
// due and not yet published.
func (p *Postmortem) IsOverdue(due, now time.Time) bool {
	return !due.IsZero() && now.After(due) && (p.State == Draft || p.State == InReview)
}
