package recurrence

import (
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

// Link is a person's decision that Incident is (Confirmed) or is not
// (Dismissed) a recurrence of Earlier. A link is re-decided in place; the
// audit log keeps every decision.
type Link struct {
	Incident  incident.ID
	Earlier   incident.ID
	State     State
	Reason    string
	DecidedBy org.Ref
	DecidedAt time.Time
}

// Missed is a follow-up of Earlier that was still open when Incident, a
// confirmed recurrence of it, started (F7): a fault of its Owner. It is
// withdrawn, not deleted, when the link is dismissed.
type Missed struct {
	Incident    incident.ID
	FollowUp    string
	Earlier     incident.ID
	Owner       org.Ref
	Due         time.Time
	RecordedAt  time.Time
	WithdrawnAt time.Time
}

// IsActive reports whether the missed follow-up still counts.
func (m Missed) IsActive() bool { return m.WithdrawnAt.IsZero() }

// WasOpenAt reports whether a follow-up created at created and closed at
// closed (zero when still open) was open at t: created before it and not
// closed by then (F7).
func WasOpenAt(created, closed, t time.Time) bool {
	return created.Before(t) && (closed.IsZero() || closed.After(t))
}

// FollowUp is what F7 needs of an earlier incident's follow-up.
type FollowUp struct {
	ID        string
	Owner     org.Ref
	Due       time.Time
	CreatedAt time.Time
	// ClosedAt is zero while it is open.
	ClosedAt time.Time
}

// MissedBy returns the follow-ups of earlier that later, a confirmed
// recurrence of it that started at started, finds missed (F7): those open
// at started, recorded at now.
func MissedBy(later, earlier incident.ID, started time.Time, list []FollowUp, now time.Time) []Missed {
	var out []Missed
	for _, f := range list {
		if WasOpenAt(f.CreatedAt, f.ClosedAt, started) {
			out = append(out, Missed{Incident: later, FollowUp: f.ID, Earlier: earlier, Owner: f.Owner, Due: f.Due, RecordedAt: now})
		}
	}
	return out
}
