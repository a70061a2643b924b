package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/integrity"
	"blameful.dev/blameful/internal/org"
)

type evidenceRow struct {
	Kind   string    `json:"kind"`
	Ref    string    `json:"ref,omitempty"`
	At     time.Time `json:"at"`
	Detail string    `json:"detail"`
}

// RaiseFlag stores a new integrity flag unless one with the same key exists,
// and reports whether it did. Detection can therefore run as often as data
// changes without raising the same flag twice.
func (tx *Tx) RaiseFlag(f *integrity.Flag) (bool, error) {
	ev := make([]evidenceRow, len(f.Evidence))
	for i, e := range f.Evidence {
		ev[i] = evidenceRow{Kind: e.Kind, Ref: e.Ref, At: e.At.UTC(), Detail: e.Detail}
	}
	b, err := json.Marshal(ev)
	if err != nil {
		return false, fmt.Errorf("encode evidence: %w", err)
	}
	res, err := tx.exec("raise integrity flag", `
INSERT INTO integrity_flags (id, rule, incident, key, suspect, evidence, state, raised_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
ON CONFLICT (key) DO NOTHING`,
		f.ID, string(f.Rule), nullStr(string(f.Incident)), f.Key, string(f.Suspect), string(b), string(f.State), tx.t(f.RaisedAt))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if n == 1 {
		tx.touch("integrity_flags", f.ID)
	}
	return n == 1, err
}

// ReviewFlag stores a flag's review.
func (tx *Tx) ReviewFlag(f *integrity.Flag) error {
	tx.touch("integrity_flags", f.ID)
	res, err := tx.exec("review integrity flag", `
UPDATE integrity_flags SET state = $2, subject = $3, reason = $4, reviewed_by = $5, reviewed_at = $6
WHERE id = $1 AND state = 'open'`,
		f.ID, string(f.State), string(f.Subject), f.Reason, string(f.ReviewedBy), tx.t(f.ReviewedAt))
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return notFound("no open integrity flag %s", f.ID)
	}
	return nil
}

const flagColumns = `id, rule, incident, key, suspect, evidence, state, subject, reason, reviewed_by, reviewed_at, raised_at`

func scanFlag(rows *sql.Rows) (integrity.Flag, error) {
	var f integrity.Flag
	var rule, inc, suspect, ev, state, subject, by string
	if err := rows.Scan(&f.ID, &rule, str(&inc), &f.Key, &suspect, &ev, &state, &subject, &f.Reason, &by, tm(&f.ReviewedAt), tm(&f.RaisedAt)); err != nil {
		return f, err
	}
	f.Rule, f.Incident, f.Suspect, f.State = integrity.Rule(rule), incident.ID(inc), org.Ref(suspect), integrity.State(state)
	f.Subject, f.ReviewedBy = org.Ref(subject), org.Ref(by)
	var rows2 []evidenceRow
	if err := json.Unmarshal([]byte(ev), &rows2); err != nil {
		return f, fmt.Errorf("flag %s evidence: %w", f.ID, err)
	}
	for _, e := range rows2 {
		f.Evidence = append(f.Evidence, integrity.Evidence{Kind: e.Kind, Ref: e.Ref, At: e.At, Detail: e.Detail})
	}
	return f, nil
}

// FlagFilter selects integrity flags.
type FlagFilter struct {
	Incident incident.ID
	State    integrity.State
	Subject  org.Ref
	// OpenAt selects the flags that were open at that moment: raised
	// before it, and not reviewed by then.
	OpenAt time.Time
	Limit  int
}

// flagWhere builds the WHERE clause of a flag listing.
func flagWhere(tx *Tx, f FlagFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Incident != "" {
		add("incident = ?", string(f.Incident))
	}
	if f.State != "" {
		add("state = ?", string(f.State))
	}
	if !f.Subject.IsZero() {
		add("subject = ?", string(f.Subject))
	}
	if !f.OpenAt.IsZero() {
		add("raised_at <= ?", tx.t(f.OpenAt))
		add("(state = 'open' OR reviewed_at > ?)", tx.t(f.OpenAt))
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// Flags lists integrity flags, newest first.
func (tx *Tx) Flags(f FlagFilter) ([]integrity.Flag, error) {
	where, args := flagWhere(tx, f)
	q := `SELECT ` + flagColumns + ` FROM integrity_flags` + where + " ORDER BY raised_at DESC, id"
	if f.Limit > 0 {
		q += " LIMIT " + itoa(f.Limit)
	}
	var out []integrity.Flag
	err := tx.each("list integrity flags", q, args, func(rows *sql.Rows) error {
		fl, err := scanFlag(rows)
		out = append(out, fl)
		return err
	})
	return out, err
}

// CountFlags counts the integrity flags matching f (Limit is ignored).
func (tx *Tx) CountFlags(f FlagFilter) (int, error) {
	where, args := flagWhere(tx, f)
	var n int
	err := tx.get("count integrity flags", `SELECT COUNT(*) FROM integrity_flags`+where, args, &n)
	return n, err
}

// Flag returns one integrity flag.
func (tx *Tx) Flag(id string) (integrity.Flag, error) {
	var f integrity.Flag
	err := tx.one("no integrity flag "+id, `SELECT `+flagColumns+` FROM integrity_flags WHERE id = $1`, []any{id},
		func(rows *sql.Rows) (err error) {
			f, err = scanFlag(rows)
			return err
		})
	return f, err
}

// ReviewStartedAt returns when an incident's postmortem first entered
// review, zero if it never did.
func (tx *Tx) ReviewStartedAt(id incident.ID) (time.Time, error) {
	var t time.Time
	err := tx.get("postmortem review time", `SELECT review_started_at FROM postmortems WHERE incident = $1`, []any{string(id)}, tm(&t))
	return t, err
}

// OverdueCandidates lists incidents whose postmortem is still a draft or in
// review and that were resolved before the moment: those that may be past
// F5's due date.
func (tx *Tx) OverdueCandidates(resolvedBefore time.Time) ([]incident.Incident, error) {
	var ids []any
	err := tx.each("list unpublished postmortems", `
SELECT i.id FROM postmortems p JOIN incidents i ON i.id = p.incident
WHERE p.state IN ('draft', 'in_review') AND i.resolved_at IS NOT NULL AND i.resolved_at < $1
  AND NOT EXISTS (SELECT 1 FROM integrity_flags g WHERE g.key = 'I5:' || i.id)`,
		[]any{tx.t(resolvedBefore)}, func(rows *sql.Rows) error {
			var id string
			err := rows.Scan(&id)
			ids = append(ids, id)
			return err
		})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	var out []incident.Incident
	for _, c := range chunks(ids, 400) {
		err := tx.each("load incidents", `SELECT `+incidentColumns+` FROM incidents WHERE id IN `+inList(1, len(c)), c, func(rows *sql.Rows) error {
			in, err := scanIncident(rows)
			out = append(out, in)
			return err
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
