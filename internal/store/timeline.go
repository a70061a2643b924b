package store

import (
	"database/sql"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

const entryColumns = `id, incident, occurred_at, recorded_at, author, kind, text, deleted, revision, updated_at`

func scanEntry(rows interface{ Scan(...any) error }) (incident.Entry, error) {
	var e incident.Entry
	var inc, author, kind string
	err := rows.Scan(&e.ID, &inc, tm(&e.OccurredAt), tm(&e.RecordedAt), &author, &kind, &e.Text, &e.Deleted, &e.Revision, tm(&e.UpdatedAt))
	e.Incident, e.Author, e.Kind = incident.ID(inc), org.Ref(author), incident.EntryKind(kind)
	return e, err
}

// CreateEntry appends a timeline entry.
func (tx *Tx) CreateEntry(e *incident.Entry) error {
	tx.touch("timeline_entries", e.ID)
	_, err := tx.exec("add timeline entry", `
INSERT INTO timeline_entries (id, incident, occurred_at, recorded_at, author, kind, text, deleted, revision, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		e.ID, string(e.Incident), tx.t(e.OccurredAt), tx.t(e.RecordedAt), string(e.Author), string(e.Kind), e.Text,
		e.Deleted, e.Revision, tx.t(e.UpdatedAt))
	return err
}

// UpdateEntry writes an entry's new state together with the revision that
// keeps its old one.
func (tx *Tx) UpdateEntry(e *incident.Entry, rev incident.Revision) error {
	tx.touch("timeline_revisions", rev.Entry)
	tx.touch("timeline_entries", e.ID)
	if _, err := tx.exec("keep timeline revision", `
INSERT INTO timeline_revisions (entry, revision, occurred_at, kind, text, action, changed_at, changed_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		rev.Entry, rev.Revision, tx.t(rev.OccurredAt), string(rev.Kind), rev.Text, rev.Action, tx.t(rev.ChangedAt), string(rev.ChangedBy)); err != nil {
		return err
	}
	_, err := tx.exec("update timeline entry", `
UPDATE timeline_entries SET occurred_at = $2, kind = $3, text = $4, deleted = $5, revision = $6, updated_at = $7
WHERE id = $1`,
		e.ID, tx.t(e.OccurredAt), string(e.Kind), e.Text, e.Deleted, e.Revision, tx.t(e.UpdatedAt))
	return err
}

// Entry returns one timeline entry of an incident.
func (tx *Tx) Entry(id incident.ID, entry string) (incident.Entry, error) {
	var e incident.Entry
	err := tx.one("no timeline entry "+entry+" in "+string(id), `SELECT `+entryColumns+` FROM timeline_entries WHERE incident = $1 AND id = $2`,
		[]any{string(id), entry}, func(rows *sql.Rows) (err error) {
			e, err = scanEntry(rows)
			return err
		})
	return e, err
}

// Entries returns an incident's timeline in order of occurrence, deleted
// entries included when asked.
func (tx *Tx) Entries(id incident.ID, withDeleted bool) ([]incident.Entry, error) {
	q := `SELECT ` + entryColumns + ` FROM timeline_entries WHERE incident = $1`
	if !withDeleted {
		q += ` AND deleted = $2`
	}
	args := []any{string(id)}
	if !withDeleted {
		args = append(args, false)
	}
	var out []incident.Entry
	err := tx.each("list timeline", q+` ORDER BY occurred_at, recorded_at, id`, args, func(rows *sql.Rows) error {
		e, err := scanEntry(rows)
		out = append(out, e)
		return err
	})
	return out, err
}

// Revisions returns the kept earlier states of an incident's entries, by
// entry and revision.
func (tx *Tx) Revisions(id incident.ID) ([]incident.Revision, error) {
	var out []incident.Revision
	err := tx.each("list timeline revisions", `
SELECT r.entry, r.revision, r.occurred_at, r.kind, r.text, r.action, r.changed_at, r.changed_by
FROM timeline_revisions r JOIN timeline_entries e ON e.id = r.entry
WHERE e.incident = $1 ORDER BY r.entry, r.revision`, []any{string(id)}, func(rows *sql.Rows) error {
		var r incident.Revision
		var kind, by string
		err := rows.Scan(&r.Entry, &r.Revision, tm(&r.OccurredAt), &kind, &r.Text, &r.Action, tm(&r.ChangedAt), &by)
		r.Kind, r.ChangedBy = incident.EntryKind(kind), org.Ref(by)
		out = append(out, r)
		return err
	})
	return out, err
}
