package store

import (
	"database/sql"
	"strings"
	"time"

	"blameful.dev/blameful/internal/freeze"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

const changeColumns = `c.id, c.entity, c.version, c.actor, c.at, c.source, c.exception_approved_by, c.recorded_at, c.recorded_by`

func scanChange(rows interface{ Scan(...any) error }) (freeze.Change, error) {
	var c freeze.Change
	var entity, actor, approver, by string
	err := rows.Scan(&c.ID, &entity, &c.Ref, &actor, tm(&c.At), &c.Source, &approver, tm(&c.RecordedAt), &by)
	c.Entity, c.Actor, c.ExceptionApprovedBy, c.RecordedBy = org.Ref(entity), org.Ref(actor), org.Ref(approver), org.Ref(by)
	return c, err
}

// CreateChange inserts a change and judges whether it was made from
// inside its entity's owner (change_drift).
func (tx *Tx) CreateChange(c *freeze.Change) error {
	tx.touch("changes", c.ID)
	_, err := tx.exec("record change", `
INSERT INTO changes (id, entity, version, actor, at, source, exception_approved_by, recorded_at, recorded_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		c.ID, string(c.Entity), c.Ref, string(c.Actor), tx.t(c.At), c.Source, string(c.ExceptionApprovedBy),
		tx.t(c.RecordedAt), string(c.RecordedBy))
	if err != nil {
		return err
	}
	// A trigger made its change_drift row (0023); it is judged here, in
	// the same transaction, so the review need not.
	return tx.judgeChange(c.ID)
}

// Change returns one change; NotFound when there is none.
func (tx *Tx) Change(id string) (freeze.Change, error) {
	var c freeze.Change
	err := tx.one("no change "+id, `SELECT `+changeColumns+` FROM changes c WHERE c.id = $1`, []any{id},
		func(rows *sql.Rows) (err error) {
			c, err = scanChange(rows)
			return err
		})
	return c, err
}

// ChangeFilter selects changes; zero fields select everything.
type ChangeFilter struct {
	Entity org.Ref
	// Since and Before bound the change's time: [Since, Before).
	Since, Before time.Time
	// Incident selects the changes linked to one incident.
	Incident incident.ID
	// Unexcused keeps the changes made inside some freeze's window without
	// an approved exception: those that may have broken a freeze,
	// whatever its scope.
	Unexcused bool
	Limit     int
}

// Changes returns the changes matching f, the latest first.
func (tx *Tx) Changes(f ChangeFilter) ([]freeze.Change, error) {
	q, args := tx.changesQuery(f)
	var out []freeze.Change
	err := tx.each("list changes", q, args, func(rows *sql.Rows) error {
		c, err := scanChange(rows)
		out = append(out, c)
		return err
	})
	return out, err
}

// changesQuery is the statement Changes runs for f, and its arguments.
func (tx *Tx) changesQuery(f ChangeFilter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	from := " FROM changes c"
	if f.Incident != "" {
		from += " JOIN incident_changes l ON l.change_id = c.id"
		add("l.incident = ?", string(f.Incident))
	}
	if !f.Entity.IsZero() {
		add("c.entity = ?", string(f.Entity))
	}
	if !f.Since.IsZero() {
		add("c.at >= ?", tx.t(f.Since))
	}
	if !f.Before.IsZero() {
		add("c.at < ?", tx.t(f.Before))
	}
	if f.Unexcused {
		where = append(where, `c.exception_approved_by = '' AND EXISTS (SELECT 1 FROM freezes fz WHERE fz.starts_at <= c.at AND fz.ends_at > c.at)`)
	}
	q := `SELECT ` + changeColumns + from
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY c.at DESC, c.id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + itoa(f.Limit)
	}
	return q, args
}

// LinkChange links an incident to a change. It reports false, writing
// nothing, when they were linked already.
func (tx *Tx) LinkChange(in incident.ID, change string, at time.Time, by org.Ref) (bool, error) {
	var n int
	if err := tx.get("count links", `SELECT COUNT(*) FROM incident_changes WHERE incident = $1 AND change_id = $2`,
		[]any{string(in), change}, &n); err != nil {
		return false, err
	}
	if n > 0 {
		return false, nil
	}
	tx.touch("incident_changes", string(in))
	_, err := tx.exec("link change", `INSERT INTO incident_changes (incident, change_id, linked_at, linked_by) VALUES ($1, $2, $3, $4)`,
		string(in), change, tx.t(at), string(by))
	return err == nil, err
}

const freezeColumns = `id, starts_at, ends_at, scope, reason, created_at, created_by`

// CreateFreeze inserts a freeze with its scope.
func (tx *Tx) CreateFreeze(f *freeze.Freeze) error {
	tx.touch("freezes", f.ID)
	scope := "listed"
	if f.Everything {
		scope = "all"
	}
	if _, err := tx.exec("create freeze", `
INSERT INTO freezes (id, starts_at, ends_at, scope, reason, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		f.ID, tx.t(f.Start), tx.t(f.End), scope, f.Reason, tx.t(f.CreatedAt), string(f.CreatedBy)); err != nil {
		return err
	}
	if len(f.Scope) > 0 {
		tx.touch("freeze_scope", f.ID)
	}
	for i, r := range f.Scope {
		if _, err := tx.exec("create freeze scope", `INSERT INTO freeze_scope (freeze_id, target, position) VALUES ($1, $2, $3)`,
			f.ID, string(r), i); err != nil {
			return err
		}
	}
	return nil
}

// FreezeFilter selects freezes; zero fields select everything.
type FreezeFilter struct {
	// At selects the freezes in force at a moment.
	At time.Time
	// From and To select the freezes overlapping [From, To).
	From, To time.Time
	Limit    int
}

// Freezes returns the freezes matching f with their scopes, the latest
// start first.
func (tx *Tx) Freezes(f FreezeFilter) ([]freeze.Freeze, error) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if !f.At.IsZero() {
		add("starts_at <= ?", tx.t(f.At))
		add("ends_at > ?", tx.t(f.At))
	}
	if !f.To.IsZero() {
		add("starts_at < ?", tx.t(f.To))
	}
	if !f.From.IsZero() {
		add("ends_at > ?", tx.t(f.From))
	}
	q := `SELECT ` + freezeColumns + ` FROM freezes`
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY starts_at DESC, id DESC"
	if f.Limit > 0 {
		q += " LIMIT " + itoa(f.Limit)
	}
	var out []freeze.Freeze
	err := tx.each("list freezes", q, args, func(rows *sql.Rows) error {
		var fz freeze.Freeze
		var scope, by string
		if err := rows.Scan(&fz.ID, tm(&fz.Start), tm(&fz.End), &scope, &fz.Reason, tm(&fz.CreatedAt), &by); err != nil {
			return err
		}
		fz.Everything, fz.CreatedBy = scope == "all", org.Ref(by)
		out = append(out, fz)
		return nil
	})
	if err != nil || len(out) == 0 {
		return out, err
	}
	return out, tx.freezeScopes(out)
}

// freezeScopes fills in the scope of each listed freeze, a chunk of
// freezes per query.
func (tx *Tx) freezeScopes(list []freeze.Freeze) error {
	at := map[string]int{}
	var ids []any
	for i, fz := range list {
		if !fz.Everything {
			at[fz.ID] = i
			ids = append(ids, fz.ID)
		}
	}
	for len(ids) > 0 {
		n := min(len(ids), inChunk)
		chunk := ids[:n]
		ids = ids[n:]
		err := tx.each("list freeze scopes", `SELECT freeze_id, target FROM freeze_scope WHERE freeze_id IN `+inList(1, len(chunk))+
			` ORDER BY freeze_id, position`, chunk, func(rows *sql.Rows) error {
			var id, ref string
			if err := rows.Scan(&id, &ref); err != nil {
				return err
			}
			i := at[id]
			list[i].Scope = append(list[i].Scope, org.Ref(ref))
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}
