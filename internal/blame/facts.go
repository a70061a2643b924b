package blame

import (
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// Rule is a PRODUCT.md attribution rule identifier.
type Rule string

// The attribution rules.
const (
	A1 Rule = rule.A1 // single party
	A2 Rule = rule.A2 // owner
	A3 Rule = rule.A3 // provider
	A4 Rule = rule.A4 // ambiguous -> leader
	A5 Rule = rule.A5 // inherited
	A6 Rule = rule.A6 // policy violation
	A7 Rule = rule.A7 // missed follow-up
	A8 Rule = rule.A8 // override
	A9 Rule = rule.A9 // precedence
)

// DefaultInheritedDays is how recent a change of owner counts as inherited
// (A5).
const DefaultInheritedDays = 90

// Facts is everything the engine may look at for one incident, all as of
// the incident's StartedAt. The app loads it; the engine never asks for more.
type Facts struct {
	Incident  incident.ID
	Severity  incident.Severity
	StartedAt time.Time
	Failed    []incident.FailedEntity

	// Entities holds each failed entity, the systems they belong to, and
	// whatever they depend on (transitively, as far as the app loaded it),
	// as they stood at StartedAt. A failed entity missing here does not exist.
	Entities map[org.Ref]catalog.EntityAt
	// Chart is the org at StartedAt: at least the owners' teams, their
	// ancestors and the roots.
	Chart *org.Chart

	// InheritedDays is A5's threshold; zero means DefaultInheritedDays.
	InheritedDays int

	// Changes are the deploys and config changes linked to the incident, and
	// Freezes the freeze windows that may cover them (A6).
	Changes []Change
	Freezes []Freeze
	// Missed are follow-ups of earlier incidents that this one is a
	// confirmed recurrence of, and that were still open at StartedAt (A7).
	Missed []MissedFollowUp
}

// Change is a deploy or configuration change linked to the incident.
type Change struct {
	ID     string
	Entity org.Ref
	Actor  org.Ref
	At     time.Time
	// Version is the deployed version or ref, for the evidence.
	Version string
	// ExceptionApproved reports an approved freeze exception.
	ExceptionApproved bool
	// OwnedBy, when not nil, is who answered for Entity at At: its owners,
	// the teams a person owner belonged to, and every team above them, as
	// the org stood at the change's time. A freeze listing one of these
	// teams covered the change. When nil, the engine judges from Entities
	// and Chart, as of the incident's start.
	OwnedBy []org.Ref
}

// Freeze is a code-freeze window [Start, End). It covers a change when it
// covers everything, lists the change's entity, or lists a team that owned
// the entity (or a team above that one) when the change was made.
type Freeze struct {
	ID         string
	Start, End time.Time
	Everything bool
	Entities   []org.Ref
	Teams      []org.Ref
	Reason     string
}

// MissedFollowUp is an earlier incident's follow-up that was open when this
// incident, a confirmed recurrence of that one, started.
type MissedFollowUp struct {
	FollowUp string
	Owner    org.Ref
	Earlier  incident.ID
	Due      time.Time
}

// Evidence is one fact behind a suggestion.
type Evidence struct {
	// Kind is what the fact is about: "ownership", "system", "team",
	// "leader", "dependency", "change", "freeze", "follow_up".
	Kind   string
	Ref    org.Ref
	Detail string
}

// Step records one rule the engine considered, whether its conditions held
// (Fired), whether it decided the party (Applied), and why.
type Step struct {
	Rule    Rule
	Fired   bool
	Applied bool
	Reason  string
}

// Suggestion is the engine's answer: exactly one accountable party (A1), the
// rule that named it, the evidence, and an explanation listing every rule
// considered.
type Suggestion struct {
	// Party is the person or team suggested; it is zero only when the org has
	// no leader anywhere above the candidates, which the explanation says.
	Party       org.Ref
	Rule        Rule
	Evidence    []Evidence
	Explanation []Step
	// RecentlyInherited is A5's mitigating factor for the assessment.
	RecentlyInherited bool
	// PolicyViolation is set by A6: the assessment's policy_violation is
	// major.
	PolicyViolation bool
	// Clarify lists what an A4 suggestion found without a clear owner; the
	// app turns it into a "clarify ownership" follow-up for Party.
	Clarify []org.Ref
}
