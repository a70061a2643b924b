package store

import (
	"database/sql"
	"strings"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/org"
)

// This file keeps what following a follow-up through writes (migration
// 0014): wont_do requests waiting for a leader (F3), the reminders and
// escalations sent (F4), the entities a clarify-ownership follow-up is
// about, and background job runs.

const requestColumns = `id, followup, reason, requested_by, requested_at, approver, outcome, decided_by, decided_at, note`

func scanRequest(rows interface{ Scan(...any) error }) (followup.Request, error) {
	var r followup.Request
	var fu, by, approver, outcome, decidedBy string
	err := rows.Scan(&r.ID, &fu, &r.Reason, &by, tm(&r.RequestedAt), &approver, &outcome, &decidedBy, tm(&r.DecidedAt), &r.Note)
	r.FollowUp, r.RequestedBy, r.Approver = followup.ID(fu), org.Ref(by), org.Ref(approver)
	r.Outcome, r.DecidedBy = followup.Outcome(outcome), org.Ref(decidedBy)
	return r, err
}

// CreateRequest stores a wont_do request. A second pending request of the
// same follow-up is a Conflict (a unique index).
func (tx *Tx) CreateRequest(r *followup.Request) error {
	tx.touch("followup_requests", r.ID)
	_, err := tx.exec("request wont_do of "+string(r.FollowUp), `
INSERT INTO followup_requests (id, followup, reason, requested_by, requested_at, approver, outcome, decided_by, decided_at, note)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		r.ID, string(r.FollowUp), r.Reason, string(r.RequestedBy), tx.t(r.RequestedAt), string(r.Approver), string(r.Outcome),
		string(r.DecidedBy), tx.t(r.DecidedAt), r.Note)
	return err
}

// DecideRequest writes a request's outcome.
func (tx *Tx) DecideRequest(r *followup.Request) error {
	tx.touch("followup_requests", r.ID)
	_, err := tx.exec("decide wont_do of "+string(r.FollowUp), `
UPDATE followup_requests SET outcome = $2, decided_by = $3, decided_at = $4, note = $5 WHERE id = $1`,
		r.ID, string(r.Outcome), string(r.DecidedBy), tx.t(r.DecidedAt), r.Note)
	return err
}

// PendingRequest returns the follow-up's pending wont_do request, if any.
func (tx *Tx) PendingRequest(id followup.ID) (followup.Request, bool, error) {
	var r followup.Request
	found := false
	err := tx.each("pending request of "+string(id), `SELECT `+requestColumns+` FROM followup_requests
WHERE followup = $1 AND outcome = 'pending'`, []any{string(id)}, func(rows *sql.Rows) (err error) {
		r, err = scanRequest(rows)
		found = true
		return err
	})
	return r, found, err
}

// Requests returns a follow-up's wont_do requests, oldest first.
func (tx *Tx) Requests(id followup.ID) ([]followup.Request, error) {
	var out []followup.Request
	err := tx.each("requests of "+string(id), `SELECT `+requestColumns+` FROM followup_requests
WHERE followup = $1 ORDER BY requested_at, id`, []any{string(id)}, func(rows *sql.Rows) error {
		r, err := scanRequest(rows)
		out = append(out, r)
		return err
	})
	return out, err
}

// PendingRequests returns the pending wont_do requests, oldest first, with
// their follow-ups.
func (tx *Tx) PendingRequests(limit int) ([]followup.Request, []followup.FollowUp, error) {
	var reqs []followup.Request
	var fus []followup.FollowUp
	q := `SELECT r.id, r.followup, r.reason, r.requested_by, r.requested_at, r.approver, r.outcome, r.decided_by, r.decided_at, r.note,
    ` + prefixed("f.", followupColumns) + `
FROM followup_requests r JOIN followups f ON f.id = r.followup
WHERE r.outcome = 'pending' ORDER BY r.requested_at, r.id`
	if limit > 0 {
		q += " LIMIT " + itoa(limit)
	}
	err := tx.each("list pending requests", q, nil, func(rows *sql.Rows) error {
		var r followup.Request
		var fu, by, approver, outcome, decidedBy string
		dest := []any{&r.ID, &fu, &r.Reason, &by, tm(&r.RequestedAt), &approver, &outcome, &decidedBy, tm(&r.DecidedAt), &r.Note}
		f, err := scanFollowUp(rowsAfter{rows, dest})
		r.FollowUp, r.RequestedBy, r.Approver = followup.ID(fu), org.Ref(by), org.Ref(approver)
		r.Outcome, r.DecidedBy = followup.Outcome(outcome), org.Ref(decidedBy)
		reqs, fus = append(reqs, r), append(fus, f)
		return err
	})
	return reqs, fus, err
}

// rowsAfter scans leading columns into dest, then the rest into what Scan
// is given: one row read by two scanners.
type rowsAfter struct {
	rows *sql.Rows
	dest []any
}

func (r rowsAfter) Scan(rest ...any) error { return r.rows.Scan(append(r.dest, rest...)...) }

// ChaseDue returns open follow-ups whose due date is in w (inclusive) and
// that have not had w's step for that due date, soonest due first.
func (tx *Tx) ChaseDue(w followup.Window, limit int) ([]followup.FollowUp, error) {
	q := `SELECT ` + followupColumns + ` FROM followups f
WHERE f.status = 'open' AND f.due >= $1 AND f.due <= $2
  AND NOT EXISTS (SELECT 1 FROM followup_notices n WHERE n.followup = f.id AND n.kind = $3 AND n.due = f.due)
ORDER BY f.due, f.id LIMIT ` + itoa(limit)
	var out []followup.FollowUp
	err := tx.each("follow-ups to chase", q, []any{w.From.Format(time.DateOnly), w.To.Format(time.DateOnly), string(w.Kind)},
		func(rows *sql.Rows) error {
			f, err := scanFollowUp(rows)
			out = append(out, f)
			return err
		})
	return out, err
}

// AddNotice records a reminder or escalation unless the same step for the
// same due date is recorded already (by this server or another): it reports
// whether this call recorded it. Only then may the caller send it.
func (tx *Tx) AddNotice(n *followup.Notice) (bool, error) {
	id := followup.NoticeID(n.FollowUp, n.Kind, n.Due)
	res, err := tx.exec("record notice "+id, `
INSERT INTO followup_notices (id, followup, kind, due, owner, recipient, sent_at) VALUES ($1, $2, $3, $4, $5, $6, $7)
ON CONFLICT (id) DO NOTHING`,
		id, string(n.FollowUp), string(n.Kind), n.Due.Format(time.DateOnly), string(n.Owner), string(n.Recipient), tx.t(n.SentAt))
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	if err != nil || k == 0 {
		return false, err
	}
	tx.touch("followup_notices", id)
	return true, nil
}

// Notices returns a follow-up's reminders and escalations, oldest first.
func (tx *Tx) Notices(id followup.ID) ([]followup.Notice, error) {
	var out []followup.Notice
	err := tx.each("notices of "+string(id), `SELECT followup, kind, due, owner, recipient, sent_at FROM followup_notices
WHERE followup = $1 ORDER BY sent_at, id`, []any{string(id)}, func(rows *sql.Rows) error {
		n, err := scanNotice(rows)
		out = append(out, n)
		return err
	})
	return out, err
}

func scanNotice(rows *sql.Rows) (followup.Notice, error) {
	var n followup.Notice
	var fu, kind, due, owner, to string
	if err := rows.Scan(&fu, &kind, &due, &owner, &to, tm(&n.SentAt)); err != nil {
		return n, err
	}
	d, err := time.Parse(time.DateOnly, due)
	n.FollowUp, n.Kind, n.Due, n.Owner, n.Recipient = followup.ID(fu), followup.NoticeKind(kind), d, org.Ref(owner), org.Ref(to)
	return n, err
}

// SetFollowUpEntities records the entities a clarify-ownership follow-up is
// about.
func (tx *Tx) SetFollowUpEntities(id followup.ID, entities []org.Ref) error {
	tx.touch("followup_entities", string(id))
	for _, e := range entities {
		if _, err := tx.exec("record clarified entity", `INSERT INTO followup_entities (followup, entity) VALUES ($1, $2)`,
			string(id), string(e)); err != nil {
			return err
		}
	}
	return nil
}

// OpenClarifications returns, of entities, those that an open follow-up of
// rule is about already, each with that follow-up.
func (tx *Tx) OpenClarifications(rule string, entities []org.Ref) (map[org.Ref]followup.ID, error) {
	out := map[org.Ref]followup.ID{}
	if len(entities) == 0 {
		return out, nil
	}
	args := []any{rule}
	q := `SELECT fe.entity, f.id FROM followup_entities fe JOIN followups f ON f.id = fe.followup
WHERE f.status = 'open' AND f.rule = $1 AND fe.entity IN ` + inList(2, len(entities)) + ` ORDER BY f.id`
	args = append(args, refArgs(entities)...)
	err := tx.each("open clarifications", q, args, func(rows *sql.Rows) error {
		var e, id string
		if err := rows.Scan(&e, &id); err != nil {
			return err
		}
		if _, ok := out[org.Ref(e)]; !ok {
			out[org.Ref(e)] = followup.ID(id)
		}
		return nil
	})
	return out, err
}

// ClaimJobRun records that job ran for its due time key, unless a run is
// recorded already: it reports whether this call claimed it. Called inside
// the transaction that does the job's work, so a failed run claims
// nothing, and of several servers exactly one does the work.
func (tx *Tx) ClaimJobRun(job, key string, at time.Time, by, result string) (bool, error) {
	res, err := tx.exec("claim job "+job, `INSERT INTO job_runs (job, due_key, ran_at, ran_by, result) VALUES ($1, $2, $3, $4, $5)
ON CONFLICT (job, due_key) DO NOTHING`, job, key, tx.t(at), by, result)
	if err != nil {
		return false, err
	}
	k, err := res.RowsAffected()
	return k > 0, err
}

// JobRan reports whether job has a run recorded for key.
func (tx *Tx) JobRan(job, key string) (bool, error) {
	var n int
	err := tx.get("job run", `SELECT COUNT(*) FROM job_runs WHERE job = $1 AND due_key = $2`, []any{job, key}, &n)
	return n > 0, err
}

// SettleOutbox marks the messages queued before t that no delivery pass
// has seen as dispatched to no channel: they will never be sent. It
// returns how many.
func (tx *Tx) SettleOutbox(before, now time.Time) (int, error) {
	res, err := tx.exec("settle outbox", `UPDATE outbox SET dispatched_at = $1 WHERE dispatched_at IS NULL AND created_at < $2`,
		tx.t(now), tx.t(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// prefixed qualifies each column of a column list with a table alias.
func prefixed(alias, columns string) string {
	parts := strings.Split(columns, ",")
	for i, c := range parts {
		parts[i] = alias + strings.TrimSpace(c)
	}
	return strings.Join(parts, ", ")
}
