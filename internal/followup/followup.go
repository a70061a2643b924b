// Package followup models the actions an incident leaves behind: each aimed
// at non-recurrence, with exactly one owner (a person or a team) and a due
// date (F2).
//
// A follow-up is open until it is done or, with a reason, marked wont_do.
// Its due date defaults by the incident's severity. A follow-up is overdue
// from the day after its due date while still open.
package followup

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// ID names a follow-up: "FU-" year "-" a sequence, for example FU-2026-0007.
type ID string

// FormatID builds the ID of the n-th follow-up created in year.
func FormatID(year, n int) ID { return ID(fmt.Sprintf("FU-%d-%04d", year, n)) }

// Status is where a follow-up stands.
type Status string

// The statuses.
const (
	Open   Status = "open"
	Done   Status = "done"
	WontDo Status = "wont_do"
)

// ParseStatus validates a status.
func ParseStatus(s string) (Status, error) {
	v := Status(strings.ToLower(strings.TrimSpace(s)))
	switch v {
	case Open, Done, WontDo:
		return v, nil
	}
	return "", errs.Field("status", "%q is not a follow-up status: use open, done or wont_do", s)
}

// Priority orders follow-ups; P1 is the most urgent.
type Priority string

// The priorities.
const (
	P1 Priority = "P1"
	P2 Priority = "P2"
	P3 Priority = "P3"
)

// ParsePriority validates a priority.
func ParsePriority(s string) (Priority, error) {
	v := Priority(strings.ToUpper(strings.TrimSpace(s)))
	switch v {
	case P1, P2, P3:
		return v, nil
	}
	return "", errs.Field("priority", "%q is not a priority: use P1, P2 or P3", s)
}

// FollowUp is one action aimed at non-recurrence.
type FollowUp struct {
	ID       ID
	Incident incident.ID
	Title    string
	Owner    org.Ref
	// Due is a calendar date (midnight UTC).
	Due      time.Time
	Priority Priority
	Status   Status
	// Reason explains a wont_do (required) or a done (optional).
	Reason     string
	TrackerURL string
	// Rule is set when the product created the follow-up itself, for example
	// rule.A4 for "clarify ownership of X".
	Rule string

	CreatedAt time.Time
	CreatedBy org.Ref
	ClosedAt  time.Time
}

// DuePolicy gives the default number of days to the due date by severity
// (F2). The zero value is not useful; use DefaultDuePolicy.
type DuePolicy map[incident.Severity]int

// DefaultDuePolicy is PRODUCT.md's: SEV1 14 days, SEV2 30, SEV3 60, SEV4 90.
func DefaultDuePolicy() DuePolicy {
	return DuePolicy{incident.SEV1: 14, incident.SEV2: 30, incident.SEV3: 60, incident.SEV4: 90}
}

// DefaultDue returns the default due date for a follow-up created at now for
// an incident of severity sev.
func (p DuePolicy) DefaultDue(sev incident.Severity, now time.Time) time.Time {
	days, ok := p[sev]
	if !ok {
		days = 90
	}
	return Day(now).AddDate(0, 0, days)
}

// Day truncates t to its calendar date in UTC.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// ParseDay parses a calendar date "2006-01-02".
func ParseDay(s string) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, strings.TrimSpace(s))
	if err != nil {
		return time.Time{}, errs.Field("due", "%q is not a date (YYYY-MM-DD)", s)
	}
	return t, nil
}

// IsOverdue reports whether the follow-up is open past its due date at now.
func (f *FollowUp) IsOverdue(now time.Time) bool {
	return f.Status == Open && !Day(now).Before(f.Due.AddDate(0, 0, 1))
}

// DaysOverdue returns how many whole days past due an open follow-up is at
// now, or 0.
func (f *FollowUp) DaysOverdue(now time.Time) int {
	if !f.IsOverdue(now) {
		return 0
	}
	return int(Day(now).Sub(f.Due).Hours() / 24)
}

// Validate checks a follow-up at now.
func (f *FollowUp) Validate(now time.Time) error {
	var p errs.Problems
	if strings.TrimSpace(f.Title) == "" {
		p.Add("title", "is required")
	}
	freetext.Add(&p, "title", f.Title, freetext.Line)
	freetext.Add(&p, "tracker_url", f.TrackerURL, freetext.URL)
	freetext.Add(&p, "reason", f.Reason, freetext.Note)
	switch {
	case f.Owner.IsZero():
		p.Add("owner", "exactly one owner (a person or a team) is required (F2)")
	case !f.Owner.IsPerson() && !f.Owner.IsTeam():
		p.Add("owner", "%s is neither a person (user:) nor a team (group:)", f.Owner)
	}
	if f.Due.IsZero() {
		p.Add("due", "is required (F2)")
	}
	if _, err := ParsePriority(string(f.Priority)); err != nil {
		p.Add("priority", "%q is not a priority: use P1, P2 or P3", f.Priority)
	}
	if f.Status == WontDo && strings.TrimSpace(f.Reason) == "" {
		p.Add("reason", "a wont_do follow-up needs a reason (F3)")
	}
	if f.TrackerURL != "" {
		if u, err := url.Parse(f.TrackerURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.Add("tracker_url", "must be an http or https URL")
		}
	}
	return p.Err()
}

// SetStatus moves the follow-up to status s at now, with a reason (required
// for wont_do). Reopening a closed follow-up is allowed: work turns out not
// to be done.
func (f *FollowUp) SetStatus(s Status, reason string, now time.Time) error {
	if s == f.Status {
		return nil
	}
	if s == WontDo && strings.TrimSpace(reason) == "" {
		return &errs.Error{Kind: errs.Invalid, Rule: rule.F3, Message: "a follow-up marked wont_do needs a reason",
			Fields: map[string]string{"reason": "is required for wont_do (F3)"}}
	}
	f.Status = s
	f.Reason = strings.TrimSpace(reason)
	f.ClosedAt = time.Time{}
	if s != Open {
		f.ClosedAt = now
	}
	return nil
}

// Filter selects follow-ups for a listing.
type Filter struct {
	Incident incident.ID
	Owner    org.Ref
	// Owners, when not nil, keeps follow-ups owned by one of them.
	Owners []org.Ref
	Status Status
	// DueFrom and DueBefore bound the due date (inclusive, exclusive).
	DueFrom   time.Time
	DueBefore time.Time
	// CreatedFrom and CreatedBefore bound the creation time.
	CreatedFrom   time.Time
	CreatedBefore time.Time
	Rule          string
	Limit         int
}
