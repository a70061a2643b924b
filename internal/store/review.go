package store

import (
	"database/sql"
	"time"

	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
	"blameful.dev/blameful/internal/postmortem"
	"blameful.dev/blameful/internal/review"
)

// SeverityCounts counts incidents started in [from, to) by severity. It
// reads only the started_at index range.
func (tx *Tx) SeverityCounts(from, to time.Time) (map[incident.Severity]int, error) {
	out := map[incident.Severity]int{}
	err := tx.each("count incidents", `
SELECT severity, COUNT(*) FROM incidents WHERE started_at >= $1 AND started_at < $2 GROUP BY severity`,
		[]any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
			var sev string
			var n int
			err := rows.Scan(&sev, &n)
			out[incident.Severity(sev)] = n
			return err
		})
	return out, err
}

// WeekIncidents lists up to limit incidents started in [from, to), newest
// first, with their decided party and postmortem state.
func (tx *Tx) WeekIncidents(from, to time.Time, limit int) ([]review.IncidentLine, error) {
	var out []review.IncidentLine
	err := tx.each("list the week's incidents", `
SELECT i.id, i.title, i.severity, i.status, i.started_at, a.party, a.rule, p.state
FROM incidents i
LEFT JOIN attributions a ON a.id = i.attribution
LEFT JOIN postmortems p ON p.incident = i.id
WHERE i.started_at >= $1 AND i.started_at < $2
ORDER BY i.started_at DESC, i.id DESC
LIMIT `+itoa(limit), []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var l review.IncidentLine
		var id, sev, status, party, rule, state string
		err := rows.Scan(&id, &l.Title, &sev, &status, tm(&l.StartedAt), str(&party), str(&rule), str(&state))
		l.ID, l.Severity, l.Status, l.Party, l.Rule, l.State = incident.ID(id), incident.Severity(sev), incident.Status(status),
			org.Ref(party), rule, postmortem.State(state)
		out = append(out, l)
		return err
	})
	return out, err
}

// OpenPostmortems lists postmortems still in draft or review whose incident
// is resolved and either in review or resolved before resolvedBefore (the
// only ones that can be overdue).
func (tx *Tx) OpenPostmortems(resolvedBefore time.Time) ([]review.PostmortemLine, error) {
	var out []review.PostmortemLine
	err := tx.each("list open postmortems", `
SELECT i.id, i.title, i.severity, p.state, i.resolved_at
FROM postmortems p JOIN incidents i ON i.id = p.incident
WHERE p.state IN ('draft', 'in_review') AND i.resolved_at IS NOT NULL
  AND (p.state = 'in_review' OR i.resolved_at < $1)
ORDER BY i.resolved_at, i.id`, []any{tx.t(resolvedBefore)}, func(rows *sql.Rows) error {
		var l review.PostmortemLine
		var id, sev, state string
		err := rows.Scan(&id, &l.Title, &sev, &state, tm(&l.ResolvedAt))
		l.Incident, l.Severity, l.State = incident.ID(id), incident.Severity(sev), postmortem.State(state)
		out = append(out, l)
		return err
	})
	return out, err
}

// DecidedAttributions lists the decisions in force that were made in
// [from, to).
func (tx *Tx) DecidedAttributions(from, to time.Time) ([]review.AttributionLine, error) {
	var out []review.AttributionLine
	err := tx.each("list decided attributions", `
SELECT i.id, i.title, a.party, a.rule, a.suggested_party, a.decided_at
FROM attributions a JOIN incidents i ON i.attribution = a.id
WHERE a.decided_at >= $1 AND a.decided_at < $2
ORDER BY a.decided_at, i.id`, []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var l review.AttributionLine
		var id, party, suggested string
		err := rows.Scan(&id, &l.Title, &party, &l.Rule, &suggested, tm(&l.DecidedAt))
		l.Incident, l.Party, l.Overridden = incident.ID(id), org.Ref(party), party != suggested
		out = append(out, l)
		return err
	})
	return out, err
}

// RuleCounts counts the decisions in force made in [from, to) by the rule
// the engine suggested, and how many of them named another party than the
// suggestion (A8 overrides), by rule.
func (tx *Tx) RuleCounts(from, to time.Time) ([]review.RuleLine, error) {
	var out []review.RuleLine
	err := tx.each("count decisions by rule", `
SELECT a.suggested_rule, COUNT(*), SUM(CASE WHEN a.party <> a.suggested_party THEN 1 ELSE 0 END)
FROM attributions a JOIN incidents i ON i.attribution = a.id
WHERE a.decided_at >= $1 AND a.decided_at < $2
GROUP BY a.suggested_rule ORDER BY a.suggested_rule`, []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var l review.RuleLine
		err := rows.Scan(&l.Rule, &l.Decided, &l.Overridden)
		out = append(out, l)
		return err
	})
	return out, err
}

// LeaderA4Counts counts decisions in force, made in [from, to), that name a
// party under rule A4 (a leader answering for ambiguous ownership).
func (tx *Tx) LeaderA4Counts(from, to time.Time) (map[org.Ref]int, error) {
	out := map[org.Ref]int{}
	err := tx.each("count A4 faults", `
SELECT a.party, COUNT(*)
FROM attributions a JOIN incidents i ON i.attribution = a.id
WHERE a.rule = 'A4' AND a.decided_at >= $1 AND a.decided_at < $2
GROUP BY a.party`, []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var party string
		var n int
		err := rows.Scan(&party, &n)
		out[org.Ref(party)] = n
		return err
	})
	return out, err
}

// FairnessFlagCounts counts the A8 fairness flags raised about each leader
// between from and to.
func (tx *Tx) FairnessFlagCounts(from, to time.Time) (map[org.Ref]int, error) {
	out := map[org.Ref]int{}
	err := tx.each("count fairness flags", `
SELECT about, COUNT(*) FROM fairness_flags
WHERE rule = 'A8' AND created_at >= $1 AND created_at < $2
GROUP BY about`, []any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
		var about string
		var n int
		err := rows.Scan(&about, &n)
		out[org.Ref(about)] = n
		return err
	})
	return out, err
}
