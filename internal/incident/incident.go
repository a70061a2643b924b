package incident

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/org"
)

// ID names an incident: "INC-" year "-" a sequence of at least four digits,
// for example INC-2026-0042. The year is the year the incident started.
type ID string

// FormatID builds the ID of the n-th incident of year.
func FormatID(year, n int) ID { return ID(fmt.Sprintf("INC-%d-%04d", year, n)) }

// ParseID validates an incident ID, accepting lower case.
func ParseID(s string) (ID, error) {
	up := strings.ToUpper(strings.TrimSpace(s))
	parts := strings.Split(up, "-")
	if len(parts) != 3 || parts[0] != "INC" || len(parts[1]) != 4 || len(parts[2]) < 4 {
		return "", errs.E(errs.Invalid, "%q is not an incident ID (like INC-2026-0042)", s)
	}
	for _, p := range parts[1:] {
		if _, err := strconv.Atoi(p); err != nil {
			return "", errs.E(errs.Invalid, "%q is not an incident ID (like INC-2026-0042)", s)
		}
	}
	return ID(up), nil
}

// Severity ranks how bad an incident is; SEV1 is the worst.
type Severity string

// The severities.
const (
	SEV1 Severity = "SEV1"
	SEV2 Severity = "SEV2"
	SEV3 Severity = "SEV3"
	SEV4 Severity = "SEV4"
)

// Severities lists every severity, worst first.
var Severities = []Severity{SEV1, SEV2, SEV3, SEV4}

// ParseSeverity accepts "SEV2" in any case.
func ParseSeverity(s string) (Severity, error) {
	v := Severity(strings.ToUpper(strings.TrimSpace(s)))
	if !slices.Contains(Severities, v) {
		return "", errs.Field("severity", "%q is not a severity: use SEV1, SEV2, SEV3 or SEV4 (SEV1 is the worst)", s)
	}
	return v, nil
}

// Rank returns 1 for SEV1 through 4 for SEV4.
func (s Severity) Rank() int { return slices.Index(Severities, s) + 1 }

// Status is where an incident is in its lifecycle.
type Status string

// The statuses, in order: an incident only moves forward.
const (
	StatusOpen      Status = "open"
	StatusMitigated Status = "mitigated"
	StatusResolved  Status = "resolved"
)

// ParseStatus validates a status.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	switch v {
	case StatusOpen, StatusMitigated, StatusResolved:
		return v, nil
	}
	return "", errs.Field("status", "%q is not a status: use open, mitigated or resolved", s)
}

func (s Status) order() int {
	return slices.Index([]Status{StatusOpen, StatusMitigated, StatusResolved}, s)
}

// FailedEntity is a catalog entity that failed in an incident. At most one is
// the origin: the one where the failure began.
type FailedEntity struct {
	Ref    org.Ref
	Origin bool
}

// Incident is something that went wrong.
type Incident struct {
	ID       ID
	Title    string
	Severity Severity
	Status   Status
	Summary  string
	Impact   string
	// Source says where the incident came from: "manual", "alertmanager", …
	Source string

	StartedAt   time.Time
	DetectedAt  time.Time // zero when unknown
	DeclaredAt  time.Time
	MitigatedAt time.Time // zero until mitigated
	ResolvedAt  time.Time // zero until resolved

	Entities []FailedEntity

	CreatedBy org.Ref
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Origin returns the failed entity marked as origin, if any.
func (in *Incident) Origin() (org.Ref, bool) {
	for _, e := range in.Entities {
		if e.Origin {
			return e.Ref, true
		}
	}
	return "", false
}

// EntityRefs returns the failed entities' references in order.
func (in *Incident) EntityRefs() []org.Ref {
	out := make([]org.Ref, len(in.Entities))
	for i, e := range in.Entities {
		out[i] = e.Ref
	}
	return out
}

// clockSkew is how far into the future a reported time may lie, to absorb
// clocks that disagree a little.
const clockSkew = 5 * time.Minute

// Validate checks everything that must hold of an incident at now, and names
// every field that is wrong.
func (in *Incident) Validate(now time.Time) error {
	var p errs.Problems
	if strings.TrimSpace(in.Title) == "" {
		p.Add("title", "is required")
	}
	freetext.Add(&p, "title", in.Title, freetext.Line)
	if !slices.Contains(Severities, in.Severity) {
		p.Add("severity", "%q is not a severity: use SEV1, SEV2, SEV3 or SEV4", in.Severity)
	}
	if in.Status.order() < 0 {
		p.Add("status", "%q is not a status", in.Status)
	}
	freetext.Add(&p, "summary", in.Summary, freetext.Body)
	freetext.Add(&p, "impact", in.Impact, freetext.Body)
	freetext.Add(&p, "source", in.Source, freetext.Line)
	in.validateTimes(&p, now)
	validateEntities(&p, in.Entities)
	return p.Err()
}

// validateTimes checks that the times are in lifecycle order
// (started <= detected <= declared <= mitigated <= resolved, where present),
// that none lies in the future, and that the status agrees with them.
func (in *Incident) validateTimes(p *errs.Problems, now time.Time) {
	if in.StartedAt.IsZero() {
		p.Add("started_at", "is required")
		return
	}
	times := []struct {
		name string
		t    time.Time
	}{
		{"started_at", in.StartedAt},
		{"detected_at", in.DetectedAt},
		{"declared_at", in.DeclaredAt},
		{"mitigated_at", in.MitigatedAt},
		{"resolved_at", in.ResolvedAt},
	}
	prev := times[0]
	for _, cur := range times {
		if cur.t.IsZero() {
			continue
		}
		if cur.t.After(now.Add(clockSkew)) {
			p.Add(cur.name, "%s is in the future", cur.t.UTC().Format(time.RFC3339))
			continue
		}
		if cur.t.Before(prev.t) {
			p.Add(cur.name, "%s is before %s (%s): times must run started, detected, declared, mitigated, resolved",
				cur.t.UTC().Format(time.RFC3339), prev.name, prev.t.UTC().Format(time.RFC3339))
			continue
		}
		prev = cur
	}
	switch in.Status {
	case StatusOpen:
		if !in.MitigatedAt.IsZero() || !in.ResolvedAt.IsZero() {
			p.Add("status", "an open incident has no mitigated_at or resolved_at")
		}
	case StatusMitigated:
		if in.MitigatedAt.IsZero() {
			p.Add("mitigated_at", "is required once the incident is mitigated")
		}
		if !in.ResolvedAt.IsZero() {
			p.Add("status", "a mitigated incident has no resolved_at yet")
		}
	case StatusResolved:
		if in.ResolvedAt.IsZero() {
			p.Add("resolved_at", "is required once the incident is resolved")
		}
	}
}

func validateEntities(p *errs.Problems, es []FailedEntity) {
	origins := 0
	seen := make(map[org.Ref]bool)
	for i, e := range es {
		field := fmt.Sprintf("entities[%d]", i)
		if e.Ref.IsZero() {
			p.Add(field, "ref is required")
			continue
		}
		if seen[e.Ref] {
			p.Add(field, "%s is listed twice", e.Ref)
		}
		seen[e.Ref] = true
		if e.Origin {
			origins++
		}
	}
	if origins > 1 {
		p.Add("entities", "%d entities are marked as origin; at most one may be", origins)
	}
	if len(es) > 50 {
		p.Add("entities", "more than 50 failed entities")
	}
}

// Transition moves the incident to status to at time at. An incident only
// moves forward: open -> mitigated -> resolved, or open -> resolved (which
// records mitigation at the same moment). It returns a Conflict error for
// any other move, and leaves the incident unchanged on error.
func (in *Incident) Transition(to Status, at, now time.Time) error {
	if to.order() < 0 {
		return errs.Field("status", "%q is not a status", to)
	}
	if to.order() <= in.Status.order() {
		return errs.E(errs.Conflict, "incident %s is %s; it cannot move to %s (status only moves forward: open, mitigated, resolved)", in.ID, in.Status, to)
	}
	next := *in
	next.Status = to
	switch to {
	case StatusMitigated:
		next.MitigatedAt = at
	case StatusResolved:
		if next.MitigatedAt.IsZero() {
			next.MitigatedAt = at
		}
		next.ResolvedAt = at
	}
	if err := next.Validate(now); err != nil {
		return err
	}
	*in = next
	return nil
}

// Filter selects incidents for a listing. Results are newest first by
// start.
type Filter struct {
	Status   Status
	Severity Severity
	// StartedFrom and StartedBefore bound started_at (inclusive, exclusive).
	StartedFrom   time.Time
	StartedBefore time.Time
	Entity        org.Ref
	// Source keeps incidents from one source (manual, alertmanager…).
	Source string
	// Party keeps incidents whose decided accountable party it is.
	Party org.Ref
	// Text keeps incidents whose title or summary holds it, ASCII letters
	// matched regardless of case.
	Text string
	// After continues a listing after this (started_at, id) position.
	AfterStarted time.Time
	AfterID      ID
	Limit        int
}
