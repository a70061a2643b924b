package store

import (
	"database/sql"
	"strings"
	"time"

	"blameful.dev/blameful/internal/followup"
	"blameful.dev/blameful/internal/incident"
	"blameful.dev/blameful/internal/org"
)

const followupColumns = `id, incident, title, owner, due, priority, status, reason, tracker_url, rule,
    created_at, created_by, closed_at`

func scanFollowUp(rows interface{ Scan(...any) error }) (followup.FollowUp, error) {
	var f followup.FollowUp
	var id, inc, owner, due, prio, status, by string
	if err := rows.Scan(&id, &inc, &f.Title, &owner, &due, &prio, &status, &f.Reason, &f.TrackerURL, &f.Rule,
		tm(&f.CreatedAt), &by, tm(&f.ClosedAt)); err != nil {
		return f, err
	}
	d, err := time.Parse(time.DateOnly, due)
	if err != nil {
		return f, err
	}
	f.ID, f.Incident, f.Owner, f.Due = followup.ID(id), incident.ID(inc), org.Ref(owner), d
	f.Priority, f.Status, f.CreatedBy = followup.Priority(prio), followup.Status(status), org.Ref(by)
	return f, nil
}

// CreateFollowUp inserts a follow-up.
func (tx *Tx) CreateFollowUp(f *followup.FollowUp) error {
	tx.touch("followups", string(f.ID))
	_, err := tx.exec("create follow-up", `
INSERT INTO followups (id, incident, title, owner, due, priority, status, reason, tracker_url, rule,
    created_at, created_by, closed_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $11)`,
		string(f.ID), string(f.Incident), f.Title, string(f.Owner), f.Due.Format(time.DateOnly), string(f.Priority),
		string(f.Status), f.Reason, f.TrackerURL, f.Rule, tx.t(f.CreatedAt), string(f.CreatedBy), tx.t(f.ClosedAt))
	return err
}

// UpdateFollowUp writes a follow-up's changeable fields.
func (tx *Tx) UpdateFollowUp(f *followup.FollowUp, now time.Time) error {
	tx.touch("followups", string(f.ID))
	_, err := tx.exec("update follow-up "+string(f.ID), `
UPDATE followups SET title = $2, owner = $3, due = $4, priority = $5, status = $6, reason = $7, tracker_url = $8,
    closed_at = $9, updated_at = $10
WHERE id = $1`,
		string(f.ID), f.Title, string(f.Owner), f.Due.Format(time.DateOnly), string(f.Priority), string(f.Status),
		f.Reason, f.TrackerURL, tx.t(f.ClosedAt), tx.t(now))
	return err
}

// FollowUp returns one follow-up.
func (tx *Tx) FollowUp(id followup.ID) (followup.FollowUp, error) {
	var f followup.FollowUp
	err := tx.one("no follow-up "+string(id), `SELECT `+followupColumns+` FROM followups WHERE id = $1`,
		[]any{string(id)}, func(rows *sql.Rows) (err error) {
			f, err = scanFollowUp(rows)
			return err
		})
	return f, err
}

// followUpWhere builds the WHERE clause of a follow-up listing.
func followUpWhere(tx *Tx, f followup.Filter) (string, []any) {
	var where []string
	var args []any
	add := func(cond string, v any) {
		args = append(args, v)
		where = append(where, strings.ReplaceAll(cond, "?", "$"+itoa(len(args))))
	}
	if f.Incident != "" {
		add("incident = ?", string(f.Incident))
	}
	if !f.Owner.IsZero() {
		add("owner = ?", string(f.Owner))
	}
	if f.Owners != nil {
		if len(f.Owners) == 0 {
			where = append(where, "1 = 0")
		} else if len(f.Owners) > manyRefs {
			args = append(args, tx.refsArg(f.Owners))
			where = append(where, tx.inRefs("owner", len(args)))
		} else {
			where = append(where, "owner IN "+inList(len(args)+1, len(f.Owners)))
			args = append(args, refArgs(f.Owners)...)
		}
	}
	if f.Status != "" {
		add("status = ?", string(f.Status))
	}
	if !f.DueFrom.IsZero() {
		add("due >= ?", f.DueFrom.Format(time.DateOnly))
	}
	if !f.DueBefore.IsZero() {
		add("due < ?", f.DueBefore.Format(time.DateOnly))
	}
	if !f.CreatedFrom.IsZero() {
		add("created_at >= ?", tx.t(f.CreatedFrom))
	}
	if !f.CreatedBefore.IsZero() {
		add("created_at < ?", tx.t(f.CreatedBefore))
	}
	if f.Rule != "" {
		add("rule = ?", f.Rule)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// FollowUps returns follow-ups matching f, soonest due first.
func (tx *Tx) FollowUps(f followup.Filter) ([]followup.FollowUp, error) {
	q, args := tx.followUpsQuery(f)
	var out []followup.FollowUp
	err := tx.each("list follow-ups", q, args, func(rows *sql.Rows) error {
		fu, err := scanFollowUp(rows)
		out = append(out, fu)
		return err
	})
	return out, err
}

// followUpsQuery is the statement FollowUps runs for f, and its
// arguments.
func (tx *Tx) followUpsQuery(f followup.Filter) (string, []any) {
	where, args := followUpWhere(tx, f)
	index := ""
	if tx.engine == SQLite && f.Incident == "" && len(f.Owners) > 0 && len(f.Owners) <= listOwners {
		index = " INDEXED BY followups_owner_status_due"
	}
	q := `SELECT ` + followupColumns + ` FROM followups` + index + where + " ORDER BY due, id"
	if f.Limit > 0 {
		q += " LIMIT " + itoa(f.Limit)
	}
	return q, args
}

// listOwners is how many owners a list of their follow-ups is read for
// owner by owner, at most, on SQLite. Without statistics, SQLite took any
// list of owners as most of them, and walked every open follow-up in due
// order through followups_status_due, looking each one's owner up in the
// table, until it had a page of the owners': at PRODUCT.md section 9's
// size, 450 ms in C for a team's six owners, found owner by owner in 4 ms.
// The more owners, the sooner the walk finds a page of theirs, and the
// more rows owner by owner reads and sorts: for random owners the two
// cross at about a hundred (60 owners: 51 against 9 ms; 200: 13 against
// 42 ms).
const listOwners = 100

// CountFollowUps counts the follow-ups matching f (Limit is ignored).
func (tx *Tx) CountFollowUps(f followup.Filter) (int, error) {
	where, args := followUpWhere(tx, f)
	var n int
	err := tx.get("count follow-ups", `SELECT COUNT(*) FROM followups`+where, args, &n)
	return n, err
}
