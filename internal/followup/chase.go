package followup

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/rule"
)

// NoticeKind is one step of chasing an open follow-up (F4).
type NoticeKind string

// The steps, in the order a follow-up meets them.
const (
	// ReminderBefore reminds the owner a few days before the due date.
	ReminderBefore NoticeKind = "reminder_before"
	// ReminderDue reminds the owner on the due date.
	ReminderDue NoticeKind = "reminder_due"
	// Escalation tells the owner's leader the follow-up is overdue.
	Escalation NoticeKind = "escalation"
	// EscalationUp tells the next leader up, long overdue.
	EscalationUp NoticeKind = "escalation_up"
)

// IsEscalation reports whether the step goes to a leader rather than the
// owner.
func (k NoticeKind) IsEscalation() bool { return k == Escalation || k == EscalationUp }

// ChasePolicy holds F4's numbers: remind RemindDaysBefore days before the
// due date and on it; escalate to the owner's leader the day after; to the
// next leader up EscalateUpAfterDays days overdue.
type ChasePolicy struct {
	RemindDaysBefore    int
	EscalateUpAfterDays int
}

// DefaultChasePolicy is PRODUCT.md's: 3 days before, 14 days overdue.
func DefaultChasePolicy() ChasePolicy {
	return ChasePolicy{RemindDaysBefore: 3, EscalateUpAfterDays: 14}
}

// Window is the range of due dates [From, To] for which a step is due on
// one day: a follow-up still open with its due date in the window gets the
// step, once per due date.
type Window struct {
	Kind     NoticeKind
	From, To time.Time
}

// Windows returns, for the calendar day of now, the due dates each step
// applies to. They do not overlap, so one follow-up is at one step on a
// given day: a follow-up nobody chased for a while (the server was down)
// gets the step it is at, not the ones it passed.
func (p ChasePolicy) Windows(now time.Time) []Window {
	today := Day(now)
	day := func(n int) time.Time { return today.AddDate(0, 0, n) }
	var out []Window
	if p.RemindDaysBefore > 0 {
		out = append(out, Window{ReminderBefore, day(1), day(p.RemindDaysBefore)})
	}
	out = append(out,
		Window{ReminderDue, today, today},
		Window{Escalation, day(-p.EscalateUpAfterDays + 1), day(-1)},
		// From the beginning of time: the zero date sorts first.
		Window{EscalationUp, time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC), day(-p.EscalateUpAfterDays)},
	)
	return out
}

// StepAt returns the step an open follow-up is at on now's day, if any.
func (p ChasePolicy) StepAt(f *FollowUp, now time.Time) (NoticeKind, bool) {
	if f.Status != Open {
		return "", false
	}
	for _, w := range p.Windows(now) {
		if !f.Due.Before(w.From) && !f.Due.After(w.To) {
			return w.Kind, true
		}
	}
	return "", false
}

// Notice is one step taken: who was told what about a follow-up, once per
// follow-up, step and due date (moving the due date starts the chase over).
type Notice struct {
	FollowUp  ID
	Kind      NoticeKind
	Due       time.Time
	Recipient org.Ref
	// Owner is the follow-up's owner when the notice went out.
	Owner  org.Ref
	SentAt time.Time
}

// NoticeID is the key that makes each step happen once, whichever server
// takes it.
func NoticeID(f ID, k NoticeKind, due time.Time) string {
	return fmt.Sprintf("%s/%s/%s", f, k, due.Format(time.DateOnly))
}

// Request is a request to close a follow-up as wont_do, which waits for
// the approval of the owner's leader (F3).
type Request struct {
	ID          string
	FollowUp    ID
	Reason      string
	RequestedBy org.Ref
	RequestedAt time.Time
	// Approver is who must decide, found when the request was made: the
	// owner's leader (for a team, the leader above the team). Zero when the
	// owner has no leader above: then HR decides.
	Approver org.Ref
	Outcome  Outcome
	// DecidedBy, DecidedAt and Note record the decision or the withdrawal.
	DecidedBy org.Ref
	DecidedAt time.Time
	Note      string
}

// Outcome is where a wont_do request stands.
type Outcome string

// The outcomes.
const (
	Pending   Outcome = "pending"
	Approved  Outcome = "approved"
	Refused   Outcome = "refused"
	Withdrawn Outcome = "withdrawn"
)

// NewRequest checks a wont_do request of f: it needs a reason, and f must be
// open with no request pending.
func NewRequest(f *FollowUp, pending bool, reason string, by, approver org.Ref, now time.Time) (Request, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case f.Status != Open:
		return Request{}, &errs.Error{Kind: errs.Conflict, Rule: rule.F3,
			Message: fmt.Sprintf("%s is %s already: only an open follow-up can be closed as wont_do", f.ID, f.Status)}
	case pending:
		return Request{}, &errs.Error{Kind: errs.Conflict, Rule: rule.F3,
			Message: fmt.Sprintf("%s already waits for approval of a wont_do", f.ID)}
	case reason == "":
		return Request{}, &errs.Error{Kind: errs.Invalid, Rule: rule.F3, Message: "a follow-up marked wont_do needs a reason",
			Fields: map[string]string{"reason": "is required for wont_do (F3)"}}
	}
	return Request{FollowUp: f.ID, Reason: reason, RequestedBy: by, RequestedAt: now, Approver: approver, Outcome: Pending}, nil
}

// Decide records the approver's answer. A refusal needs a reason, so the
// owner learns why the work still stands.
func (r *Request) Decide(approve bool, by org.Ref, note string, now time.Time) error {
	note = strings.TrimSpace(note)
	if r.Outcome != Pending {
		return &errs.Error{Kind: errs.Conflict, Rule: rule.F3, Message: fmt.Sprintf("the wont_do request of %s was %s already", r.FollowUp, r.Outcome)}
	}
	if !approve && note == "" {
		return &errs.Error{Kind: errs.Invalid, Rule: rule.F3, Message: "refusing a wont_do needs a reason",
			Fields: map[string]string{"reason": "is required to refuse (F3)"}}
	}
	r.Outcome = Refused
	if approve {
		r.Outcome = Approved
	}
	r.DecidedBy, r.DecidedAt, r.Note = by, now, note
	return nil
}

// Withdraw ends a pending request without a decision: the follow-up was
// done, reopened or given another owner.
func (r *Request) Withdraw(by org.Ref, why string, now time.Time) {
	r.Outcome, r.DecidedBy, r.DecidedAt, r.Note = Withdrawn, by, now, why
}

// MayDecide is F3's authority over a wont_do request: a leader above the
// owner (above, nearest first, as the org stands now), never the owner; HR
// when nobody is above the owner. An admin does not decide for a leader.
// It looks at nothing but the org, so a refusal says nothing about whether
// a request waits.
func MayDecide(who, owner org.Ref, above []org.Ref, hr bool) error {
	if who == owner {
		return &errs.Error{Kind: errs.Forbidden, Rule: rule.F3, Message: "the owner of a follow-up cannot approve dropping it: their leader decides"}
	}
	if slices.Contains(above, who) || (len(above) == 0 && hr) {
		return nil
	}
	approver := "HR"
	if len(above) > 0 {
		approver = string(above[0])
	}
	return &errs.Error{Kind: errs.Forbidden, Rule: rule.F3,
		Message: fmt.Sprintf("only a leader above %s decides whether its follow-ups may be dropped (here %s)", owner, approver)}
}
