package store

import (
	"database/sql"
	"strings"
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

// Delivery states.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryDead      = "dead"
	// DeliveryFailed is a filter, not a stored state: pending deliveries
	// that have failed at least once.
	DeliveryFailed = "failed"
)

// Delivery is one outbox message on one channel, with its message.
type Delivery struct {
	ID      string
	Message OutboxMessage
	Channel string
	State   string
	// Attempts counts the tries claimed so far.
	Attempts     int
	NextAttempt  time.Time
	ClaimedUntil time.Time
	LastError    string
	DeliveredAt  time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Undispatched returns up to limit messages that have no delivery rows
// yet, oldest first.
func (tx *Tx) Undispatched(limit int) ([]OutboxMessage, error) {
	var out []OutboxMessage
	err := tx.each("list undispatched messages", `
SELECT id, kind, recipient, payload, created_at FROM outbox
WHERE dispatched_at IS NULL ORDER BY created_at, id LIMIT `+itoa(limit), nil, func(rows *sql.Rows) error {
		var m OutboxMessage
		var payload string
		err := rows.Scan(&m.ID, &m.Kind, &m.Recipient, &payload, tm(&m.CreatedAt))
		m.Payload = []byte(payload)
		out = append(out, m)
		return err
	})
	return out, err
}

// Dispatch gives a message its delivery rows, one per channel (ids and
// channels pair up), due at once, and marks it dispatched at now. A
// message already dispatched is left alone: Dispatch reports whether it
// did the work.
func (tx *Tx) Dispatch(message string, ids, channels []string, now time.Time) (bool, error) {
	res, err := tx.exec("dispatch message", `UPDATE outbox SET dispatched_at = $2 WHERE id = $1 AND dispatched_at IS NULL`, message, tx.t(now))
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	for i, ch := range channels {
		_, err := tx.exec("create delivery", `
INSERT INTO outbox_deliveries (id, message, channel, state, next_attempt_at, created_at, updated_at)
VALUES ($1, $2, $3, 'pending', $4, $4, $4)`, ids[i], message, ch, tx.t(now))
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// claimDue differs by engine: PostgreSQL locks the rows it picks and
// skips rows another pass holds locked, so passes of several servers
// claim disjoint sets at the same moment; SQLite has one writer, whose
// transaction already keeps every other pass out.
var claimDue = map[Engine]string{
	Postgres: `
UPDATE outbox_deliveries SET claimed_until = $2, claim = $3, attempts = attempts + 1, updated_at = $1
WHERE id IN (
    SELECT id FROM outbox_deliveries
    WHERE state = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
      AND channel IN ($5, $6, $7, $8)
    ORDER BY next_attempt_at, id
    LIMIT $4
    FOR UPDATE SKIP LOCKED)`,
	SQLite: `
UPDATE outbox_deliveries SET claimed_until = $2, claim = $3, attempts = attempts + 1, updated_at = $1
WHERE id IN (
    SELECT id FROM outbox_deliveries
    WHERE state = 'pending' AND next_attempt_at <= $1 AND (claimed_until IS NULL OR claimed_until <= $1)
      AND channel IN ($5, $6, $7, $8)
    ORDER BY next_attempt_at, id
    LIMIT $4)`,
}

// deliveryColumns are read by scanDelivery, from outbox_deliveries d
// joined to outbox o.
const deliveryColumns = `d.id, d.channel, d.state, d.attempts, d.next_attempt_at, d.claimed_until, d.last_error, d.delivered_at,
d.created_at, d.updated_at, o.id, o.kind, o.recipient, o.payload, o.created_at`

func scanDelivery(rows *sql.Rows) (Delivery, error) {
	var d Delivery
	var payload string
	err := rows.Scan(&d.ID, &d.Channel, &d.State, &d.Attempts, tm(&d.NextAttempt), tm(&d.ClaimedUntil), &d.LastError, tm(&d.DeliveredAt),
		tm(&d.CreatedAt), tm(&d.UpdatedAt), &d.Message.ID, &d.Message.Kind, &d.Message.Recipient, &payload, tm(&d.Message.CreatedAt))
	d.Message.Payload = []byte(payload)
	return d, err
}

// ClaimDeliveries claims up to limit pending deliveries on the given
// channels (at most four) due at now that no live lease holds: each
// counts a try, and is held until now+lease under the token claim. It
// returns them with their messages, longest due first. A pass claims only
// the channels its process can send on, so a process configured with
// fewer channels leaves the others' deliveries alone.
func (tx *Tx) ClaimDeliveries(now time.Time, lease time.Duration, claim string, channels []string, limit int) ([]Delivery, error) {
	if len(channels) == 0 || len(channels) > 4 {
		return nil, nil
	}
	var ch [4]string // '' names no channel
	copy(ch[:], channels)
	if _, err := tx.exec("claim deliveries", claimDue[tx.engine], tx.t(now), tx.t(now.Add(lease)), claim, limit, ch[0], ch[1], ch[2], ch[3]); err != nil {
		return nil, err
	}
	var out []Delivery
	err := tx.each("read claimed deliveries", `SELECT `+deliveryColumns+`
FROM outbox_deliveries d JOIN outbox o ON o.id = d.message
WHERE d.claim = $1 AND d.state = 'pending' ORDER BY d.next_attempt_at, d.id`, []any{claim}, func(rows *sql.Rows) error {
		d, err := scanDelivery(rows)
		out = append(out, d)
		return err
	})
	return out, err
}

// FinishDelivery records the outcome of a claimed try: delivered at now,
// or failed with errText and then pending until next or dead. It does
// nothing unless the claim still holds the delivery (a pass whose lease
// ran out and was taken over records nothing), and reports whether it
// wrote.
func (tx *Tx) FinishDelivery(id, claim, state string, next time.Time, errText string, now time.Time) (bool, error) {
	var delivered any
	if state == DeliveryDelivered {
		delivered = tx.t(now)
	}
	if next.IsZero() {
		next = now
	}
	res, err := tx.exec("finish delivery", `
UPDATE outbox_deliveries
SET state = $3, next_attempt_at = $4, last_error = $5, delivered_at = $6, claimed_until = NULL, claim = '', updated_at = $7
WHERE id = $1 AND claim = $2 AND state = 'pending'`, id, claim, state, tx.t(next), errText, delivered, tx.t(now))
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	return n == 1, err
}

// DeliveryFilter selects deliveries for the admin's list, newest first.
type DeliveryFilter struct {
	// State is pending, failed (pending after a failed try), delivered or
	// dead; all when empty.
	State string
	Kind  string
	// Before is a cursor: only deliveries with a smaller id.
	Before string
	Limit  int
}

// Deliveries lists deliveries with their messages, newest first (ids are
// time-ordered).
func (tx *Tx) Deliveries(f DeliveryFilter) ([]Delivery, error) {
	where := []string{"1 = 1"}
	var args []any
	arg := func(v any) string { args = append(args, v); return "$" + itoa(len(args)) }
	switch f.State {
	case "":
	case DeliveryFailed:
		where = append(where, "d.state = 'pending' AND d.attempts > 0 AND d.last_error <> ''")
	default:
		where = append(where, "d.state = "+arg(f.State))
	}
	if f.Kind != "" {
		where = append(where, "o.kind = "+arg(f.Kind))
	}
	if f.Before != "" {
		where = append(where, "d.id < "+arg(f.Before))
	}
	limit := f.Limit
	if limit <= 0 {
		limit = 100
	}
	var out []Delivery
	err := tx.each("list deliveries", `SELECT `+deliveryColumns+`
FROM outbox_deliveries d JOIN outbox o ON o.id = d.message
WHERE `+strings.Join(where, " AND ")+` ORDER BY d.id DESC LIMIT `+itoa(limit), args, func(rows *sql.Rows) error {
		d, err := scanDelivery(rows)
		out = append(out, d)
		return err
	})
	return out, err
}

// Delivery returns one delivery with its message; an unknown id is
// NotFound.
func (tx *Tx) Delivery(id string) (Delivery, error) {
	var d Delivery
	err := tx.one("no such delivery", `SELECT `+deliveryColumns+`
FROM outbox_deliveries d JOIN outbox o ON o.id = d.message WHERE d.id = $1`, []any{id}, func(rows *sql.Rows) (err error) {
		d, err = scanDelivery(rows)
		return err
	})
	return d, err
}

// RearmDelivery makes a delivery pending again, due at now, with a fresh
// count of tries and no lease; its last error stays until the next try.
func (tx *Tx) RearmDelivery(id string, now time.Time) error {
	_, err := tx.exec("re-arm delivery", `
UPDATE outbox_deliveries SET state = 'pending', attempts = 0, next_attempt_at = $2, claimed_until = NULL, claim = '', updated_at = $2
WHERE id = $1`, id, tx.t(now))
	return err
}

// RoleAddresses returns the email addresses of the people whose enabled
// login accounts hold role, sorted and without repeats: the person's own
// email in the org, else the account's. People who left or were erased
// are not written to.
func (tx *Tx) RoleAddresses(role string) ([]string, error) {
	var out []string
	err := tx.each("list addresses of a role", `
SELECT DISTINCT COALESCE(NULLIF(p.email, ''), a.email) AS address
FROM accounts a JOIN people p ON p.ref = a.person
WHERE a.disabled_at IS NULL AND p.left_at IS NULL AND p.erased_at IS NULL
  AND ',' || a.roles || ',' LIKE $1
ORDER BY address`, []any{"%," + role + ",%"}, func(rows *sql.Rows) error {
		var s string
		err := rows.Scan(&s)
		out = append(out, s)
		return err
	})
	return out, err
}
