package store

import (
	"database/sql"
	"time"
)

// The figures /metrics reports as gauges, counted when scraped.

// OpenIncidentCounts counts the incidents not yet resolved, by severity.
func (tx *Tx) OpenIncidentCounts() (map[string]int, error) {
	out := map[string]int{}
	err := tx.each("count open incidents", `SELECT severity, COUNT(*) FROM incidents WHERE status <> 'resolved' GROUP BY severity`, nil,
		func(rows *sql.Rows) error {
			var sev string
			var n int
			err := rows.Scan(&sev, &n)
			out[sev] = n
			return err
		})
	return out, err
}

// OverdueFollowUpCount counts the open follow-ups due before day.
func (tx *Tx) OverdueFollowUpCount(day time.Time) (int, error) {
	var n int
	err := tx.get("count overdue follow-ups", `SELECT COUNT(*) FROM followups WHERE status = 'open' AND due < $1`,
		[]any{day.Format(time.DateOnly)}, &n)
	return n, err
}

// OutboxCounts counts the outbox by where each delivery stands: pending
// (not yet tried), failed (pending after a failed try), delivered and dead,
// and the messages no delivery pass has dispatched yet (undispatched).
func (tx *Tx) OutboxCounts() (map[string]int, error) {
	out := map[string]int{"pending": 0, DeliveryFailed: 0, "delivered": 0, "dead": 0, "undispatched": 0}
	err := tx.each("count deliveries", `
SELECT CASE WHEN state = 'pending' AND attempts > 0 AND last_error <> '' THEN 'failed' ELSE state END, COUNT(*)
FROM outbox_deliveries GROUP BY 1`, nil, func(rows *sql.Rows) error {
		var state string
		var n int
		err := rows.Scan(&state, &n)
		out[state] += n
		return err
	})
	if err != nil {
		return out, err
	}
	var n int
	err = tx.get("count undispatched", `SELECT COUNT(*) FROM outbox WHERE dispatched_at IS NULL`, nil, &n)
	out["undispatched"] = n
	return out, err
}
