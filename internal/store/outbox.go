package store

import (
	"database/sql"
	"time"
)

// OutboxMessage is a message to deliver after the transaction that wrote it
// commits: a notification, or an audit checkpoint published outside the
// database. Delivery is at least once; Kind and Recipient tell the worker
// where it goes.
type OutboxMessage struct {
	ID        string
	Kind      string
	Recipient string
	// Payload is JSON.
	Payload     []byte
	CreatedAt   time.Time
	Attempts    int
	NextAttempt time.Time
	DeliveredAt time.Time
	LastError   string
}

// Enqueue adds a message to the outbox in the caller's transaction, so it
// exists exactly when the change that caused it does.
func (tx *Tx) Enqueue(m OutboxMessage) error {
	if m.NextAttempt.IsZero() {
		m.NextAttempt = m.CreatedAt
	}
	_, err := tx.exec("queue message", `
INSERT INTO outbox (id, kind, recipient, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		m.ID, m.Kind, m.Recipient, string(m.Payload), tx.t(m.CreatedAt), tx.t(m.NextAttempt))
	return err
}

// Outbox lists messages of a kind (all kinds when empty), oldest first,
// undelivered ones only unless all is set.
func (tx *Tx) Outbox(kind string, all bool, limit int) ([]OutboxMessage, error) {
	q := `SELECT id, kind, recipient, payload, created_at, attempts, next_attempt_at, delivered_at, last_error FROM outbox WHERE ($1 = '' OR kind = $1)`
	if !all {
		q += ` AND delivered_at IS NULL`
	}
	q += ` ORDER BY created_at, id`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	var out []OutboxMessage
	err := tx.each("list outbox", q, []any{kind}, func(rows *sql.Rows) error {
		var m OutboxMessage
		var payload string
		err := rows.Scan(&m.ID, &m.Kind, &m.Recipient, &payload, tm(&m.CreatedAt), &m.Attempts, tm(&m.NextAttempt), tm(&m.DeliveredAt), &m.LastError)
		m.Payload = []byte(payload)
		out = append(out, m)
		return err
	})
	return out, err
}
