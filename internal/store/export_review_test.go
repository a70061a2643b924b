package store

import (
	"database/sql"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/review"
)

// ChangeDriftStates returns the state change_drift holds for each change,
// by change ID (tests).
func (tx *Tx) ChangeDriftStates() (map[string]string, error) {
	out := map[string]string{}
	err := tx.each("read change drift", `SELECT change_id, state FROM change_drift`, nil, func(rows *sql.Rows) error {
		var id, state string
		err := rows.Scan(&id, &state)
		out[id] = state
		return err
	})
	return out, err
}

// MarkDriftStale makes every change's drift verdict stale, as writing an
// edge each depends on would (tests).
func (tx *Tx) MarkDriftStale() error {
	_, err := tx.exec("mark drift stale", `UPDATE change_drift SET state = 'stale'`)
	return err
}

// WaitingPostmortemsFromRows reads what WaitingPostmortems reads for the
// zero filter from postmortems and incidents themselves, as it did before
// open_postmortems (tests).
func (tx *Tx) WaitingPostmortemsFromRows() ([]review.PostmortemLine, error) {
	var out []review.PostmortemLine
	err := tx.each("list open postmortems", `
SELECT i.id, i.title, i.severity, p.state, i.resolved_at
FROM postmortems p JOIN incidents i ON i.id = p.incident
WHERE p.state IN ('draft', 'in_review') AND i.resolved_at IS NOT NULL
ORDER BY i.resolved_at, i.id`, nil, func(rows *sql.Rows) error {
		var l review.PostmortemLine
		var id, sev, state string
		err := rows.Scan(&id, &l.Title, &sev, &state, tm(&l.ResolvedAt))
		l.Incident, l.Severity, l.State = incident.ID(id), incident.Severity(sev), postmortem.State(state)
		out = append(out, l)
		return err
	})
	return out, err
}

// LabelSignalsDiffer lists what label_signals holds that incident_signals
// and incidents do not say, and what they say that it misses, and where
// label_values is not each value's latest start in label_signals (tests).
func (tx *Tx) LabelSignalsDiffer() ([]string, error) {
	var out []string
	err := tx.each("compare label signals", `
SELECT 'kept only: ' || k.incident || ' ' || k.value FROM label_signals k
WHERE NOT EXISTS (SELECT 1 FROM incident_signals s JOIN incidents i ON i.id = s.incident
    WHERE s.kind = 'label' AND s.incident = k.incident AND s.value = k.value AND i.started_at = k.started_at)
UNION ALL
SELECT 'missing: ' || s.incident || ' ' || s.value FROM incident_signals s JOIN incidents i ON i.id = s.incident
WHERE s.kind = 'label' AND NOT EXISTS (SELECT 1 FROM label_signals k
    WHERE k.incident = s.incident AND k.value = s.value AND k.started_at = i.started_at)
UNION ALL
SELECT 'value kept wrong: ' || v.value FROM label_values v
WHERE v.last_started_at IS DISTINCT FROM (SELECT MAX(k.started_at) FROM label_signals k WHERE k.value = v.value)
UNION ALL
SELECT DISTINCT 'value missing: ' || k.value FROM label_signals k
WHERE NOT EXISTS (SELECT 1 FROM label_values v WHERE v.value = k.value)`, nil, func(rows *sql.Rows) error {
		var d string
		err := rows.Scan(&d)
		out = append(out, d)
		return err
	})
	return out, err
}
