package store

import (
	"database/sql"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/recurrence"
)

// The weekly review's follow-through: what the chase sent and which
// recurrences people confirmed, in a window of time.

// NoticeCounts counts the reminders and escalations sent in [from, to), by
// step.
func (tx *Tx) NoticeCounts(from, to time.Time) (map[followup.NoticeKind]int, error) {
	out := map[followup.NoticeKind]int{}
	q, args := `SELECT kind, COUNT(*) FROM followup_notices WHERE sent_at >= $1 AND sent_at < $2 GROUP BY kind`, []any{tx.t(from), tx.t(to)}
	if d0, d1, ok := utcDays(from, to); ok {
		// Between UTC midnights, from the counts per day (notice_days,
		// 0024): a week is 41,000 notices at a million incidents.
		q, args = `SELECT kind, SUM(n) FROM notice_days WHERE day >= $1 AND day < $2 GROUP BY kind HAVING SUM(n) <> 0`, []any{d0, d1}
	}
	err := tx.each("count notices", q, args, func(rows *sql.Rows) error {
		var k string
		var n int
		err := rows.Scan(&k, &n)
		out[followup.NoticeKind(k)] = n
		return err
	})
	return out, err
}

// Escalations returns the escalations sent in [from, to), oldest first, at
// most limit.
func (tx *Tx) Escalations(from, to time.Time, limit int) ([]followup.Notice, error) {
	var out []followup.Notice
	err := tx.each("list escalations", `SELECT followup, kind, due, owner, recipient, sent_at FROM followup_notices
WHERE sent_at >= $1 AND sent_at < $2 AND kind IN ('escalation', 'escalation_up') ORDER BY sent_at, id LIMIT `+itoa(limit),
		[]any{tx.t(from), tx.t(to)}, func(rows *sql.Rows) error {
			n, err := scanNotice(rows)
			out = append(out, n)
			return err
		})
	return out, err
}

// RecurrencesConfirmed returns the recurrences confirmed in [from, to),
// oldest first, at most limit, and how many there are.
func (tx *Tx) RecurrencesConfirmed(from, to time.Time, limit int) ([]recurrence.Link, int, error) {
	var out []recurrence.Link
	args := []any{tx.t(from), tx.t(to)}
	where := ` FROM recurrences WHERE state = 'confirmed' AND decided_at >= $1 AND decided_at < $2`
	err := tx.each("list recurrences confirmed", `SELECT `+linkColumns+where+` ORDER BY decided_at, incident, earlier LIMIT `+itoa(limit), args,
		func(rows *sql.Rows) error {
			l, err := scanLink(rows)
			out = append(out, l)
			return err
		})
	if err != nil {
		return nil, 0, err
	}
	var n int
	err = tx.get("count recurrences confirmed", `SELECT COUNT(*)`+where, args, &n)
	return out, n, err
}
