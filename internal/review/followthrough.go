package review

import (
	"strings"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// FollowThrough is how the week's follow-through went (PRODUCT.md section
// 4): the reminders and escalations sent (F4), the recurrences people
// confirmed (F6) with the follow-ups they found missed (F7), and the
// changes made inside a freeze that covered them (A6). Each list holds at
// most ListLimit lines; the totals count them all.
type FollowThrough struct {
	Reminders         int
	Escalations       []NoticeLine
	EscalationsTotal  int
	Recurrences       []RecurrenceLine
	RecurrencesTotal  int
	Missed            []MissedLine
	MissedTotal       int
	FreezeBreaks      []FreezeBreakLine
	FreezeBreaksTotal int
}

// IsEmpty reports whether nothing was followed through this week.
func (f FollowThrough) IsEmpty() bool {
	return f.Reminders == 0 && f.EscalationsTotal == 0 && f.RecurrencesTotal == 0 && f.MissedTotal == 0 && f.FreezeBreaksTotal == 0
}

// NoticeLine is an escalation sent: a follow-up overdue, told to a leader.
type NoticeLine struct {
	FollowUp  followup.ID
	Owner     org.Ref
	Recipient org.Ref
	Due       time.Time
	// Further is set for the second step, to the next leader up.
	Further bool
	SentAt  time.Time
}

// RecurrenceLine is a recurrence confirmed this week.
type RecurrenceLine struct {
	Incident, Earlier incident.ID
	DecidedBy         org.Ref
	DecidedAt         time.Time
}

// MissedLine is a follow-up found missed this week: still open when its
// incident recurred (F7), against its owner.
type MissedLine struct {
	FollowUp          string
	Owner             org.Ref
	Incident, Earlier incident.ID
	Due               time.Time
}

// FreezeBreakLine is a change made this week inside a freeze that covered
// it, without an approved exception (A6).
type FreezeBreakLine struct {
	Change string
	Entity org.Ref
	Actor  org.Ref
	Ref    string
	At     time.Time
	Freeze string
}

// EscalationLines turns escalation notices into lines.
func EscalationLines(ns []followup.Notice) []NoticeLine {
	var out []NoticeLine
	for _, n := range ns {
		out = append(out, NoticeLine{FollowUp: n.FollowUp, Owner: n.Owner, Recipient: n.Recipient, Due: n.Due,
			Further: n.Kind == followup.EscalationUp, SentAt: n.SentAt})
	}
	return out
}

// writeFollowThrough writes the Markdown of the week's follow-through.
func writeFollowThrough(w func(string, ...any), b *strings.Builder, f FollowThrough) {
	w("\n## Follow-through\n\n")
	w("Reminders sent: %d. Escalations: %d. Recurrences confirmed: %d. Follow-ups missed: %d. Changes inside a freeze: %d.\n",
		f.Reminders, f.EscalationsTotal, f.RecurrencesTotal, f.MissedTotal, f.FreezeBreaksTotal)
	if f.IsEmpty() {
		return
	}
	w("\n")
	for _, e := range f.Escalations {
		step := "escalated to"
		if e.Further {
			step = "escalated further up to"
		}
		w("- %s (%s, due %s) %s %s (F4)\n", e.FollowUp, e.Owner.Short(), day(e.Due), step, e.Recipient.Short())
	}
	more(b, len(f.Escalations), f.EscalationsTotal)
	for _, l := range f.Recurrences {
		w("- %s recurs %s, confirmed by %s (F6)\n", l.Incident, l.Earlier, l.DecidedBy.Short())
	}
	more(b, len(f.Recurrences), f.RecurrencesTotal)
	for _, m := range f.Missed {
		w("- **missed**: %s of %s was still open when %s recurred; against %s (F7, A7)\n", m.FollowUp, m.Earlier, m.Incident, m.Owner.Short())
	}
	more(b, len(f.Missed), f.MissedTotal)
	for _, c := range f.FreezeBreaks {
		w("- **inside a freeze**: %s %s by %s on %s (%s) (A6)\n", c.Entity.Short(), md(c.Ref), c.Actor.Short(), day(c.At), md(c.Freeze))
	}
	more(b, len(f.FreezeBreaks), f.FreezeBreaksTotal)
}
