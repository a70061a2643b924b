package web

import (
	"time"

	"blameful.dev/blameful/internal/review"
)

// followThroughJSON is the weekly review's follow-through.
type followThroughJSON struct {
	Reminders         int                   `json:"reminders_sent"`
	Escalations       []escalationLineJSON  `json:"escalations"`
	EscalationsTotal  int                   `json:"escalations_total"`
	Recurrences       []recurrenceLineJSON  `json:"recurrences_confirmed"`
	RecurrencesTotal  int                   `json:"recurrences_confirmed_total"`
	Missed            []missedLineJSON      `json:"missed_followups"`
	MissedTotal       int                   `json:"missed_followups_total"`
	FreezeBreaks      []freezeBreakLineJSON `json:"changes_inside_freezes"`
	FreezeBreaksTotal int                   `json:"changes_inside_freezes_total"`
}

type escalationLineJSON struct {
	FollowUp  string  `json:"followup"`
	Owner     string  `json:"owner"`
	Recipient string  `json:"recipient"`
	Due       string  `json:"due"`
	Further   bool    `json:"further_up"`
	SentAt    *string `json:"sent_at"`
}

type recurrenceLineJSON struct {
	Incident  string  `json:"incident"`
	Earlier   string  `json:"earlier"`
	DecidedBy string  `json:"decided_by"`
	DecidedAt *string `json:"decided_at"`
}

type missedLineJSON struct {
	FollowUp string `json:"followup"`
	Owner    string `json:"owner"`
	Incident string `json:"incident"`
	Earlier  string `json:"earlier"`
	Due      string `json:"due"`
}

type freezeBreakLineJSON struct {
	Change string  `json:"change"`
	Entity string  `json:"entity"`
	Actor  string  `json:"actor"`
	Ref    string  `json:"ref"`
	At     *string `json:"at"`
	Freeze string  `json:"freeze_reason"`
}

func toFollowThroughJSON(f review.FollowThrough) followThroughJSON {
	j := followThroughJSON{Reminders: f.Reminders, EscalationsTotal: f.EscalationsTotal, RecurrencesTotal: f.RecurrencesTotal,
		MissedTotal: f.MissedTotal, FreezeBreaksTotal: f.FreezeBreaksTotal, Escalations: []escalationLineJSON{},
		Recurrences: []recurrenceLineJSON{}, Missed: []missedLineJSON{}, FreezeBreaks: []freezeBreakLineJSON{}}
	for _, e := range f.Escalations {
		j.Escalations = append(j.Escalations, escalationLineJSON{FollowUp: string(e.FollowUp), Owner: string(e.Owner),
			Recipient: string(e.Recipient), Due: e.Due.Format(time.DateOnly), Further: e.Further, SentAt: rfc3339(e.SentAt)})
	}
	for _, l := range f.Recurrences {
		j.Recurrences = append(j.Recurrences, recurrenceLineJSON{Incident: string(l.Incident), Earlier: string(l.Earlier),
			DecidedBy: string(l.DecidedBy), DecidedAt: rfc3339(l.DecidedAt)})
	}
	for _, m := range f.Missed {
		j.Missed = append(j.Missed, missedLineJSON{FollowUp: m.FollowUp, Owner: string(m.Owner), Incident: string(m.Incident),
			Earlier: string(m.Earlier), Due: m.Due.Format(time.DateOnly)})
	}
	for _, c := range f.FreezeBreaks {
		j.FreezeBreaks = append(j.FreezeBreaks, freezeBreakLineJSON{Change: c.Change, Entity: string(c.Entity), Actor: string(c.Actor),
			Ref: c.Ref, At: rfc3339(c.At), Freeze: c.Freeze})
	}
	return j
}
