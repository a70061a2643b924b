package incident

import (
	"strings"
	"time"

	"blameful.dev/blameful/internal/errs"
	"blameful.dev/blameful/internal/freetext"
	"blameful.dev/blameful/internal/org"
)

// EntryKind classifies a timeline entry.
type EntryKind string

// The entry kinds.
const (
	EntryAlert       EntryKind = "alert"
	EntryAction      EntryKind = "action"
	EntryObservation EntryKind = "observation"
	EntryDecision    EntryKind = "decision"
	EntryChange      EntryKind = "change"
)

// EntryKinds lists every kind.
var EntryKinds = []EntryKind{EntryAlert, EntryAction, EntryObservation, EntryDecision, EntryChange}

// ParseEntryKind validates a kind.
func ParseEntryKind(s string) (EntryKind, error) {
	k := EntryKind(strings.ToLower(strings.TrimSpace(s)))
	for _, x := range EntryKinds {
		if k == x {
			return k, nil
		}
	}
	return "", errs.Field("kind", "%q is not an entry kind: use alert, action, observation, decision or change", s)
}

// Entry is a timestamped fact about an incident. The timeline is
// append-mostly: an edit or a deletion keeps the earlier text as a Revision,
// and a deleted entry stays, marked Deleted, so the record of what was said
// and when it was changed survives (the integrity rules read it).
type Entry struct {
	ID       string
	Incident ID
	// OccurredAt is when the fact happened; RecordedAt is when it was written
	// down. The gap between the two is itself evidence (I4).
	OccurredAt time.Time
	RecordedAt time.Time
	Author     org.Ref
	Kind       EntryKind
	Text       string
	Deleted    bool
	// Revision counts edits and deletions: 0 for an untouched entry.
	Revision  int
	UpdatedAt time.Time
}

// Revision is an earlier state of an entry, kept when it was edited or
// deleted.
type Revision struct {
	Entry      string
	Revision   int
	OccurredAt time.Time
	Kind       EntryKind
	Text       string
	// ChangedAt and ChangedBy say when and by whom this state was replaced.
	ChangedAt time.Time
	ChangedBy org.Ref
	// Action is "edit" or "delete".
	Action string
}

// Validate checks an entry at now.
func (e *Entry) Validate(now time.Time) error {
	var p errs.Problems
	if strings.TrimSpace(e.Text) == "" {
		p.Add("text", "is required")
	}
	freetext.Add(&p, "text", e.Text, freetext.Body)
	if _, err := ParseEntryKind(string(e.Kind)); err != nil {
		p.Add("kind", "%q is not an entry kind: use alert, action, observation, decision or change", e.Kind)
	}
	if e.OccurredAt.IsZero() {
		p.Add("occurred_at", "is required")
	} else if e.OccurredAt.After(now.Add(clockSkew)) {
		p.Add("occurred_at", "%s is in the future", e.OccurredAt.UTC().Format(time.RFC3339))
	}
	return p.Err()
}

// Edit replaces the entry's content and returns the revision that keeps the
// old one. Editing a deleted entry is a Conflict.
func (e *Entry) Edit(kind EntryKind, text string, occurredAt time.Time, by org.Ref, now time.Time) (Revision, error) {
	if e.Deleted {
		return Revision{}, errs.E(errs.Conflict, "timeline entry %s was deleted; it cannot be edited", e.ID)
	}
	rev := e.revision("edit", by, now)
	e.Kind, e.Text, e.OccurredAt = kind, text, occurredAt
	e.Revision++
	e.UpdatedAt = now
	return rev, nil
}

// Delete marks the entry deleted and returns the revision that keeps its
// content. Deleting twice is a Conflict.
func (e *Entry) Delete(by org.Ref, now time.Time) (Revision, error) {
	if e.Deleted {
		return Revision{}, errs.E(errs.Conflict, "timeline entry %s is already deleted", e.ID)
	}
	rev := e.revision("delete", by, now)
	e.Deleted = true
	e.Revision++
	e.UpdatedAt = now
	return rev, nil
}

func (e *Entry) revision(action string, by org.Ref, now time.Time) Revision {
	return Revision{
		Entry: e.ID, Revision: e.Revision, OccurredAt: e.OccurredAt, Kind: e.Kind, Text: e.Text,
		ChangedAt: now, ChangedBy: by, Action: action,
	}
}
