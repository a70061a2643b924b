// Package integrity detects concealment signals (PRODUCT.md section 5,
// rules I1–I7): an incident declared late, a timeline rewritten under
// review, a severity lowered after the fact, a fact disclosed only after
// the blame was decided, a postmortem never written, an audit chain that
// does not verify.
//
// A Flag is a signal with its evidence, raised for the weekly review. It
// never blames anyone by itself: a reviewer confirms it, naming the person
// whose integrity it concerns (which feeds their assessment and counts as a
// fault of its own), or dismisses it with a reason (I7). Each detector is a
// pure function of the facts it is given; the app calls them as data
// changes. A flag's Key makes detection idempotent.
package integrity

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// Rule is an integrity rule identifier.
type Rule string

// The rules that raise flags; I7 is the review.
const (
	I1 Rule = rule.I1 // late declaration
	I2 Rule = rule.I2 // rewrite under review
	I3 Rule = rule.I3 // downgrade after resolution
	I4 Rule = rule.I4 // late disclosure
	I5 Rule = rule.I5 // missing postmortem
	I6 Rule = rule.I6 // tampering
)

// State is where a flag is in review.
type State string

// The states.
const (
	Open      State = "open"
	Confirmed State = "confirmed"
	Dismissed State = "dismissed"
)

// Evidence is one fact behind a flag.
type Evidence struct {
	Kind   string
	Ref    string
	At     time.Time
	Detail string
}

// Flag is a concealment signal.
type Flag struct {
	ID       string
	Rule     Rule
	Incident incident.ID // zero for I6
	// Key identifies the fact flagged, so the same fact flags once.
	Key string
	// Suspect is whose action raised the signal, when an action did; a
	// reviewer may confirm someone else.
	Suspect  org.Ref
	Evidence []Evidence
	State    State
	// Subject, Reason, ReviewedBy and ReviewedAt are set by the review.
	Subject    org.Ref
	Reason     string
	ReviewedBy org.Ref
	ReviewedAt time.Time
	RaisedAt   time.Time
}

// Summary says in one sentence what the flag is about.
func (f Flag) Summary() string {
	if len(f.Evidence) == 0 {
		return string(f.Rule)
	}
	return f.Evidence[0].Detail
}

// Review confirms or dismisses an open flag (I7). Confirming needs the
// person whose integrity it concerns; either way a reason is required. The
// reviewer may not review a flag about themselves.
func (f *Flag) Review(confirm bool, subject org.Ref, reason string, reviewer org.Ref, now time.Time) error {
	var p errs.Problems
	if f.State != Open {
		return errs.Rule(errs.Conflict, rule.I7, "flag %s was already %s by %s", f.ID, f.State, f.ReviewedBy)
	}
	if strings.TrimSpace(reason) == "" {
		p.AddRule(rule.I7, "reason", "a review needs a reason")
	}
	if confirm && !subject.IsPerson() {
		p.AddRule(rule.I7, "subject", "confirming a flag needs the person (user:…) whose integrity it concerns")
	}
	if err := p.Err(); err != nil {
		return err
	}
	if reviewer == f.Suspect || (confirm && reviewer == subject) {
		return errs.Rule(errs.Forbidden, rule.I7, "a flag about you is reviewed by someone else")
	}
	f.State, f.Reason, f.ReviewedBy, f.ReviewedAt = Dismissed, strings.TrimSpace(reason), reviewer, now
	if confirm {
		f.State, f.Subject = Confirmed, subject
	}
	return nil
}

// Policy holds the integrity thresholds.
type Policy struct {
	// LateDeclaration is how long a signal may precede the declaration
	// before I1 flags it, for the severities in LateFor.
	LateDeclaration time.Duration
	LateFor         []incident.Severity
}

// DefaultPolicy is PRODUCT.md's: 30 minutes, for SEV1 and SEV2.
func DefaultPolicy() Policy {
	return Policy{LateDeclaration: 30 * time.Minute, LateFor: []incident.Severity{incident.SEV1, incident.SEV2}}
}

// LateDeclaration is I1: the earliest signal (detection, or an alert on the
// timeline) came more than the policy's limit before the incident was
// declared, for a severe incident. The declarer is the suspect.
func LateDeclaration(in *incident.Incident, entries []incident.Entry, p Policy, now time.Time) (Flag, bool) {
	if !slices.Contains(p.LateFor, in.Severity) || in.DeclaredAt.IsZero() {
		return Flag{}, false
	}
	first, what := in.DetectedAt, "detected"
	for _, e := range entries {
		if e.Kind == incident.EntryAlert && !e.Deleted && (first.IsZero() || e.OccurredAt.Before(first)) {
			first, what = e.OccurredAt, "alert: "+e.Text
		}
	}
	if first.IsZero() || in.DeclaredAt.Sub(first) <= p.LateDeclaration {
		return Flag{}, false
	}
	gap := in.DeclaredAt.Sub(first).Round(time.Minute)
	return Flag{Rule: I1, Incident: in.ID, Key: "I1:" + string(in.ID), Suspect: in.CreatedBy, State: Open, RaisedAt: now,
		Evidence: []Evidence{
			{Kind: "signal", Ref: string(in.ID), At: first, Detail: fmt.Sprintf("%s %s was declared %s after the first signal (%s), more than %s", in.Severity, in.ID, gap, what, p.LateDeclaration)},
			{Kind: "declared", Ref: string(in.ID), At: in.DeclaredAt, Detail: "declared by " + string(in.CreatedBy)},
		}}, true
}

// Rewrite is I2: a timeline entry edited or deleted after the postmortem
// entered review. The editor is the suspect.
func Rewrite(in incident.ID, rev incident.Revision, reviewStarted time.Time, now time.Time) (Flag, bool) {
	if reviewStarted.IsZero() || rev.ChangedAt.Before(reviewStarted) {
		return Flag{}, false
	}
	return Flag{Rule: I2, Incident: in, Key: fmt.Sprintf("I2:%s:%d", rev.Entry, rev.Revision), Suspect: rev.ChangedBy, State: Open, RaisedAt: now,
		Evidence: []Evidence{{Kind: "timeline_" + rev.Action, Ref: rev.Entry, At: rev.ChangedAt,
			Detail: fmt.Sprintf("timeline entry %s of %s was %sed by %s after the postmortem went into review (%s); it said: %q", rev.Entry, in,
				strings.TrimSuffix(rev.Action, "e"), rev.ChangedBy, reviewStarted.UTC().Format(time.RFC3339), rev.Text)}}}, true
}

// Downgrade is I3: the severity was lowered after the incident was resolved.
// Whoever lowered it is the suspect.
func Downgrade(before, after *incident.Incident, by org.Ref, now time.Time) (Flag, bool) {
	if before.ResolvedAt.IsZero() || after.Severity.Rank() <= before.Severity.Rank() {
		return Flag{}, false
	}
	return Flag{Rule: I3, Incident: after.ID, Key: fmt.Sprintf("I3:%s:%s>%s:%d", after.ID, before.Severity, after.Severity, now.UnixMicro()),
		Suspect: by, State: Open, RaisedAt: now,
		Evidence: []Evidence{{Kind: "severity", Ref: string(after.ID), At: now,
			Detail: fmt.Sprintf("%s was lowered from %s to %s by %s after it was resolved", after.ID, before.Severity, after.Severity, by)}}}, true
}

// LateDisclosure is I4: an entry about something that happened during the
// incident was recorded only after the attribution was decided. Its author
// is the suspect.
func LateDisclosure(in *incident.Incident, e incident.Entry, decidedAt time.Time, now time.Time) (Flag, bool) {
	if decidedAt.IsZero() || !e.RecordedAt.After(decidedAt) || e.OccurredAt.Before(in.StartedAt) {
		return Flag{}, false
	}
	if !in.ResolvedAt.IsZero() && e.OccurredAt.After(in.ResolvedAt) {
		return Flag{}, false
	}
	return Flag{Rule: I4, Incident: in.ID, Key: "I4:" + e.ID, Suspect: e.Author, State: Open, RaisedAt: now,
		Evidence: []Evidence{{Kind: "timeline_entry", Ref: e.ID, At: e.RecordedAt,
			Detail: fmt.Sprintf("%s recorded on %s a fact of %s from %s, after the attribution was decided on %s: %q", e.Author,
				e.RecordedAt.UTC().Format("2006-01-02 15:04"), in.ID, e.OccurredAt.UTC().Format("2006-01-02 15:04"),
				decidedAt.UTC().Format("2006-01-02 15:04"), e.Text)}}}, true
}

// MissingPostmortem is I5: the postmortem is past its due date (F5) and not
// published.
func MissingPostmortem(in *incident.Incident, due time.Time, overdue bool, now time.Time) (Flag, bool) {
	if !overdue {
		return Flag{}, false
	}
	return Flag{Rule: I5, Incident: in.ID, Key: "I5:" + string(in.ID), State: Open, RaisedAt: now,
		Evidence: []Evidence{{Kind: "postmortem", Ref: string(in.ID), At: due,
			Detail: fmt.Sprintf("the postmortem of %s was due on %s and is not published", in.ID, due.UTC().Format("2006-01-02"))}}}, true
}

// Tampering is I6: the audit chain does not verify at an event.
func Tampering(seq int64, reason string, now time.Time) Flag {
	return Flag{Rule: I6, Key: fmt.Sprintf("I6:%d", seq), State: Open, RaisedAt: now,
		Evidence: []Evidence{{Kind: "audit_chain", Ref: fmt.Sprint(seq), At: now, Detail: fmt.Sprintf("the audit chain is broken at event %d: %s", seq, reason)}}}
}

// RowTampering is I6 for the current state: rows of the accountable tables
// are not what the audit log says the product left them as. rows holds one
// piece of evidence per row found (its Ref names the table and the row's
// key), at least one; count is how many rows were found in all, which may
// be more. The flag is keyed by the first row, so verifying the same state
// again raises nothing new.
func RowTampering(rows []Evidence, count int64, now time.Time) Flag {
	f := Flag{Rule: I6, Key: "I6:row:" + rows[0].Ref, State: Open, RaisedAt: now}
	for _, e := range rows {
		e.Kind, e.At = "audit_row", now
		f.Evidence = append(f.Evidence, e)
	}
	if more := count - int64(len(rows)); more > 0 {
		f.Evidence = append(f.Evidence, Evidence{Kind: "audit_row", At: now,
			Detail: fmt.Sprintf("and %d more rows that are not what the audit log recorded", more)})
	}
	return f
}

// About returns the people a review of the flag is about: its suspect, and
// on confirming, the subject named.
func (f Flag) About(confirm bool, subject org.Ref) []org.Ref {
	about := []org.Ref{}
	if !f.Suspect.IsZero() && f.Suspect.IsPerson() {
		about = append(about, f.Suspect)
	}
	if confirm && !subject.IsZero() && !slices.Contains(about, subject) {
		about = append(about, subject)
	}
	return about
}

// MayReview enforces who reviews a flag (I7): HR and admins any flag; a
// leader only a flag about people in their own organisation, all of whom
// have the leader among leaders[who], the leaders above them; never the
// people it is about. A flag about nobody in particular (I5, I6) is HR's
// or an admin's.
func MayReview(actor org.Actor, about []org.Ref, leaders map[org.Ref][]org.Ref) error {
	if actor.HasAny(org.RoleHR, org.RoleAdmin) {
		return nil
	}
	if len(about) == 0 {
		return errs.Rule(errs.Forbidden, rule.I7, "a flag about nobody in particular is reviewed by HR or an admin")
	}
	for _, who := range about {
		if !slices.Contains(leaders[who], actor.Ref) {
			return errs.Rule(errs.Forbidden, rule.I7, "%s is not in your organisation; their leaders, HR or an admin review this flag", who)
		}
	}
	return nil
}
