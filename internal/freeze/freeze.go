package freeze

import (
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/catalog"
	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// Change is one deploy or configuration change.
type Change struct {
	ID     string
	Entity org.Ref
	// Ref is what went out: a version, a tag, a commit.
	Ref   string
	Actor org.Ref
	At    time.Time
	// Source says where the record came from: "ci", "argo", "manual"…
	Source string
	// ExceptionApprovedBy is the leader who let this change through a
	// freeze; zero when nobody did.
	ExceptionApprovedBy org.Ref

	RecordedAt time.Time
	RecordedBy org.Ref
}

// DefaultSource is a change's source when none is given.
const DefaultSource = "manual"

// Validate checks a change's own fields; that its references exist, and
// that an exception's approver may approve it, are the app's to check with
// the org at hand (CheckException).
func (c *Change) Validate() error {
	var p errs.Problems
	if c.Entity.IsZero() {
		p.Add("entity", "is required: the entity that was changed")
	} else if !catalog.Kind(c.Entity.Kind()).IsValid() {
		p.Add("entity", "%s is not an entity of the catalog", c.Entity)
	}
	if strings.TrimSpace(c.Ref) == "" {
		p.Add("ref", "is required: the version or commit that went out")
	}
	freetext.Add(&p, "ref", c.Ref, freetext.Line)
	freetext.Add(&p, "source", c.Source, freetext.Line)
	switch {
	case c.Actor.IsZero():
		p.Add("actor", "is required: the person who made the change")
	case !c.Actor.IsPerson():
		p.Add("actor", "%s is not a person (user:); a change is made by someone", c.Actor)
	}
	if c.At.IsZero() {
		p.Add("at", "is required")
	}
	if !c.ExceptionApprovedBy.IsZero() && !c.ExceptionApprovedBy.IsPerson() {
		p.AddRule(rule.A6, "exception_approved_by", "%s is not a person: an exception is approved by a leader", c.ExceptionApprovedBy)
	}
	if !c.ExceptionApprovedBy.IsZero() && c.ExceptionApprovedBy == c.Actor {
		p.AddRule(rule.A6, "exception_approved_by", "%s cannot approve their own change through a freeze (A6)", c.Actor)
	}
	return p.Err()
}

// CheckException refuses an exception approved by someone who is not a
// leader above the owners of the change's entity, as chart (the org at the
// change's time) has them. A team owner's own leader counts: they answer
// for what the team ships. For a person owner, the leaders of the teams
// they belong to, and above, count. An entity without an owner has no one
// who may approve an exception for it. The error is Invalid and names A6.
func CheckException(c Change, owners []org.Ref, chart *org.Chart) error {
	if c.ExceptionApprovedBy.IsZero() {
		return nil
	}
	if slices.Contains(Approvers(owners, chart), c.ExceptionApprovedBy) {
		return nil
	}
	names := make([]string, len(owners))
	for i, o := range owners {
		names[i] = string(o)
	}
	owner := "nobody (it had no owner)"
	if len(names) > 0 {
		owner = strings.Join(names, " and ")
	}
	return &errs.Error{Kind: errs.Invalid, Rule: rule.A6,
		Message: "exception_approved_by: " + string(c.ExceptionApprovedBy) + " is not a leader above " + owner +
			", the owner of " + string(c.Entity) + " at " + c.At.UTC().Format(time.RFC3339) + "; only they may approve a freeze exception (A6)",
		Fields: map[string]string{"exception_approved_by": "is not a leader above the entity's owner at the change's time (A6)"}}
}

// Approvers returns the leaders who may approve a freeze exception for an
// entity owned by owners: each owning team's leader and every leader above
// it, and for a person owner the leaders of their teams and above.
func Approvers(owners []org.Ref, chart *org.Chart) []org.Ref {
	var out []org.Ref
	add := func(team org.Ref) {
		for _, t := range chart.Ancestors(team) {
			if tm, ok := chart.Team(t); ok {
				if l := tm.Leader(); !l.IsZero() && !slices.Contains(out, l) {
					out = append(out, l)
				}
			}
		}
	}
	for _, o := range owners {
		if o.IsTeam() {
			add(o)
			continue
		}
		for _, t := range chart.TeamsOf(o) {
			add(t)
		}
	}
	return out
}

// Freeze is a code-freeze window.
type Freeze struct {
	ID         string
	Start, End time.Time
	// Everything is true when the freeze covers every entity; Scope is then
	// empty.
	Everything bool
	// Scope lists the entities and teams the freeze covers.
	Scope  []org.Ref
	Reason string

	CreatedAt time.Time
	CreatedBy org.Ref
}

// MaxScope bounds how many references one freeze lists.
const MaxScope = 200

// Validate checks a freeze's fields; that its references exist is the
// app's to check.
func (f *Freeze) Validate() error {
	var p errs.Problems
	if f.Start.IsZero() {
		p.Add("start", "is required")
	}
	if f.End.IsZero() {
		p.Add("end", "is required")
	}
	if !f.Start.IsZero() && !f.End.IsZero() && !f.End.After(f.Start) {
		p.Add("end", "must be after start")
	}
	if strings.TrimSpace(f.Reason) == "" {
		p.Add("reason", "is required: say why changes must wait")
	}
	freetext.Add(&p, "reason", f.Reason, freetext.Note)
	switch {
	case f.Everything && len(f.Scope) > 0:
		p.Add("scope", `is either "all" or a list of entities and teams, not both`)
	case !f.Everything && len(f.Scope) == 0:
		p.Add("scope", `is required: "all", or a list of entities and teams`)
	case len(f.Scope) > MaxScope:
		p.Add("scope", "lists %d references; at most %d", len(f.Scope), MaxScope)
	}
	for _, r := range f.Scope {
		if !r.IsTeam() && !catalog.Kind(r.Kind()).IsValid() {
			p.Add("scope", "%s is neither a team (group:) nor an entity of the catalog", r)
			break
		}
	}
	return p.Err()
}

// Teams returns the teams of the scope.
func (f *Freeze) Teams() []org.Ref {
	var out []org.Ref
	for _, r := range f.Scope {
		if r.IsTeam() {
			out = append(out, r)
		}
	}
	return out
}

// Entities returns the entities of the scope.
func (f *Freeze) Entities() []org.Ref {
	var out []org.Ref
	for _, r := range f.Scope {
		if !r.IsTeam() {
			out = append(out, r)
		}
	}
	return out
}

// Contains reports whether t falls inside the window: from Start, up to but
// not including End.
func (f *Freeze) Contains(t time.Time) bool { return !t.Before(f.Start) && t.Before(f.End) }

// When is where a freeze stands at a moment.
type When string

// The places of a freeze relative to now.
const (
	Past     When = "past"
	Current  When = "current"
	Upcoming When = "upcoming"
)

// At says whether the freeze is past, current or upcoming at now.
func (f *Freeze) At(now time.Time) When {
	switch {
	case f.Contains(now):
		return Current
	case now.Before(f.Start):
		return Upcoming
	}
	return Past
}

// Covers reports whether the freeze covered change c: c was made inside
// the window, and the freeze covers everything, lists c's entity, or lists
// one of answering, the teams that answered for the entity when c was made
// (its owning teams, a person owner's teams, and every team above them).
// An approved exception does not change coverage; IsBrokenBy weighs it.
func (f *Freeze) Covers(c Change, answering []org.Ref) bool {
	return f.Contains(c.At) && ScopeCovers(f.Everything, f.Scope, c.Entity, answering)
}

// ScopeCovers is a freeze scope's reach, whoever asks (the pages, and the
// engine for A6): everything, or the entity listed, or a listed team among
// answering, the teams that answered for the entity at the change's time.
func ScopeCovers(everything bool, scope []org.Ref, entity org.Ref, answering []org.Ref) bool {
	if everything || slices.Contains(scope, entity) {
		return true
	}
	for _, t := range answering {
		if t.IsTeam() && slices.Contains(scope, t) {
			return true
		}
	}
	return false
}

// IsBrokenBy reports whether change c broke the freeze (A6): the freeze
// covered it and no leader approved an exception.
func (f *Freeze) IsBrokenBy(c Change, answering []org.Ref) bool {
	return c.ExceptionApprovedBy.IsZero() && f.Covers(c, answering)
}
