package store

import (
	"database/sql"

	"blameful.dev/blameful/internal/audit"
)

// The head of the chain is read with a row lock on PostgreSQL, so that two
// servers appending at once take turns; SQLite's single writer already
// serialises them (and has no FOR UPDATE).
var headQuery = map[Engine]string{
	SQLite:   `SELECT seq, hash FROM audit_head WHERE id = 1`,
	Postgres: `SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE`,
}

// RecordAudit queues an audit entry for this transaction. Update appends
// the queued entries to the chain, in order, as the transaction's last step
// before commit: the audit events commit with the writes they record, or
// neither does. Taking the chain's head last, after every other lock the
// transaction holds, means two writers can never wait on each other in
// opposite orders.
func (tx *Tx) RecordAudit(e audit.Entry) { tx.pending = append(tx.pending, e) }

// flushAudit links the queued entries after the chain's head and stores
// them.
func (tx *Tx) flushAudit() error {
	if len(tx.pending) == 0 {
		return nil
	}
	var head audit.Head
	if err := tx.get("audit head", headQuery[tx.engine], nil, &head.Seq, &head.Hash); err != nil {
		return err
	}
	for _, entry := range tx.pending {
		ev := audit.Link(head, entry)
		if _, err := tx.exec("append audit event", `
INSERT INTO audit_events (seq, id, at, actor, action, subject, data, version, prev_hash, hash)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
			ev.Seq, ev.ID, tx.t(ev.At), ev.Actor, ev.Action, ev.Subject, string(ev.Data), ev.Version, ev.PrevHash, ev.Hash); err != nil {
			return err
		}
		head = audit.Head{Seq: ev.Seq, Hash: ev.Hash}
	}
	tx.pending = nil
	_, err := tx.exec("advance audit head", `UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1`, head.Seq, head.Hash)
	return err
}

const auditColumns = `seq, id, at, actor, action, subject, data, version, prev_hash, hash`

func scanAudit(rows *sql.Rows) (audit.Event, error) {
	var ev audit.Event
	var data string
	err := rows.Scan(&ev.Seq, &ev.ID, tm(&ev.At), &ev.Actor, &ev.Action, &ev.Subject, &data, &ev.Version, &ev.PrevHash, &ev.Hash)
	ev.Data = []byte(data)
	return ev, err
}

// AuditEvents calls fn for each event with seq > after, in order, at most
// limit of them (all when limit is 0).
func (tx *Tx) AuditEvents(after int64, limit int, fn func(audit.Event) error) error {
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE seq > $1 ORDER BY seq`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	return tx.each("read audit events", q, []any{after}, func(rows *sql.Rows) error {
		ev, err := scanAudit(rows)
		if err != nil {
			return err
		}
		return fn(ev)
	})
}

// AuditEventsFor returns the events about one subject, oldest first.
func (tx *Tx) AuditEventsFor(subject string, limit int) ([]audit.Event, error) {
	var out []audit.Event
	q := `SELECT ` + auditColumns + ` FROM audit_events WHERE subject = $1 ORDER BY seq`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	err := tx.each("read audit events", q, []any{subject}, func(rows *sql.Rows) error {
		ev, err := scanAudit(rows)
		out = append(out, ev)
		return err
	})
	return out, err
}

// AuditHead returns the recorded head of the chain.
func (tx *Tx) AuditHead() (audit.Head, error) {
	var h audit.Head
	err := tx.get("audit head", `SELECT seq, hash FROM audit_head WHERE id = 1`, nil, &h.Seq, &h.Hash)
	return h, err
}
