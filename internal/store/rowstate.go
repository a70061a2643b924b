package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"blameful.dev/blameful/internal/audit"
)

// An accountable table is one whose rows the audit log vouches for: every
// write to it records, in its audit event, the state hash of each unit it
// touched (audit.RowState), and audit verify holds every current unit to
// the last state recorded for it.
//
// A unit is one row keyed by its primary key, except in the tables of
// child rows that a write adds to or replaces as a set (an incident's failed
// entities, an entry's revisions, an assessment's factors): there a unit is
// every row under one parent key, in the order of the rest of the primary
// key.
type accountable struct {
	name string
	// key is the column whose value keys a unit.
	key string
	// order sorts the rows of one unit; "" when a unit is one row.
	order string
	// columns are hashed in this order. Every column of the table is
	// here: TestRowStatesCoverSchema fails otherwise. A migration that
	// adds one, or changes what a column holds, must add itself to
	// baselineAfter, since every recorded state of the table changes.
	columns []string
	// since is the migration that created the table, when later than the
	// first baseline's: an earlier baseline has no such table to read.
	since int
}

// accountables are the accountable tables. Tokens, login accounts, sessions,
// password links, the outbox, counters, checkpoints, migrations and the
// audit tables themselves are not: they are credentials, delivery
// bookkeeping or the record itself.
var accountables = []accountable{
	{name: "people", key: "ref", columns: []string{"ref", "name", "email", "handle", "left_at", "created_at", "updated_at", "erased_at", "nonce"}},
	{name: "teams", key: "ref", columns: []string{"ref", "name", "description", "created_at", "updated_at"}},
	{name: "entities", key: "ref", columns: []string{"ref", "kind", "title", "description", "type", "lifecycle", "code_paths", "created_at", "updated_at"}},
	{name: "edges", key: "id", columns: []string{"id", "relation", "subject", "object", "source", "valid_from", "valid_to", "recorded_at"}},
	{name: "incidents", key: "id", columns: []string{"id", "title", "severity", "status", "summary", "impact", "source", "started_at",
		"detected_at", "declared_at", "mitigated_at", "resolved_at", "created_by", "created_at", "updated_at", "attribution"}},
	{name: "incident_entities", key: "incident", order: "entity", columns: []string{"incident", "entity", "origin", "position"}},
	{name: "timeline_entries", key: "id", columns: []string{"id", "incident", "occurred_at", "recorded_at", "author", "kind", "text",
		"deleted", "revision", "updated_at"}},
	{name: "timeline_revisions", key: "entry", order: "revision", columns: []string{"entry", "revision", "occurred_at", "kind", "text",
		"action", "changed_at", "changed_by"}},
	{name: "postmortems", key: "incident", columns: []string{"incident", "state", "summary", "impact", "mechanism", "factors", "went_well",
		"went_poorly", "updated_at", "updated_by", "review_started_at", "published_at", "closed_at"}},
	{name: "attributions", key: "id", columns: []string{"id", "incident", "party", "rule", "justification", "suggested_party",
		"suggested_rule", "suggestion", "supersedes", "decided_by", "decided_at"}},
	{name: "followups", key: "id", columns: []string{"id", "incident", "title", "owner", "due", "priority", "status", "reason",
		"tracker_url", "rule", "created_at", "created_by", "closed_at", "updated_at"}},
	{name: "assessments", key: "id", columns: []string{"id", "incident", "attribution", "subject", "created_at"}},
	{name: "assessment_factors", key: "assessment", order: "version", columns: []string{"assessment", "version", "expected_to_prevent",
		"policy_violation", "set_by", "set_at"}},
	{name: "assessment_decisions", key: "id", columns: []string{"id", "assessment", "kind", "level", "guidance_level", "guidance",
		"justification", "decided_by", "decided_at", "supersedes"}},
	{name: "appeals", key: "assessment", columns: []string{"assessment", "decision", "reason", "filed_by", "filed_at", "reviewer", "outcome"}},
	{name: "fairness_flags", key: "id", columns: []string{"id", "rule", "about", "raised_to", "incident", "detail", "created_at"}},
	{name: "changes", key: "id", since: 12, columns: []string{"id", "entity", "version", "actor", "at", "source", "exception_approved_by",
		"recorded_at", "recorded_by"}},
	{name: "freezes", key: "id", since: 12, columns: []string{"id", "starts_at", "ends_at", "scope", "reason", "created_at", "created_by"}},
	{name: "freeze_scope", key: "freeze_id", order: "position", since: 12, columns: []string{"freeze_id", "target", "position"}},
	{name: "incident_changes", key: "incident", order: "change_id", since: 12, columns: []string{"incident", "change_id", "linked_at",
		"linked_by"}},
	{name: "incident_signals", key: "incident", order: "kind, value", since: 13, columns: []string{"incident", "kind", "value"}},
	{name: "recurrences", key: "incident", order: "earlier", since: 13, columns: []string{"incident", "earlier", "state", "reason",
		"decided_by", "decided_at"}},
	{name: "missed_followups", key: "incident", order: "followup", since: 13, columns: []string{"incident", "followup", "earlier",
		"owner", "due", "recorded_at", "withdrawn_at"}},
	{name: "codeowners", key: "repo", since: 16, columns: []string{"repo", "unknown_owners", "imported_at", "imported_by"}},
	{name: "codeowners_rules", key: "repo", order: "position", since: 16, columns: []string{"repo", "position", "line", "pattern",
		"owners", "refs", "text"}},
	{name: "followup_requests", key: "id", since: 14, columns: []string{"id", "followup", "reason", "requested_by", "requested_at",
		"approver", "outcome", "decided_by", "decided_at", "note"}},
	{name: "followup_notices", key: "id", since: 14, columns: []string{"id", "followup", "kind", "due", "owner", "recipient", "sent_at"}},
	{name: "followup_entities", key: "followup", order: "entity", since: 14, columns: []string{"followup", "entity"}},
	{name: "followup_exports", key: "followup", since: 18, columns: []string{"followup", "tracker", "repo", "state", "issue_number",
		"url", "issue_state", "message", "requested_by", "requested_at", "exported_at"}},
	{name: "alert_groups", key: "incident", order: "source, group_key", since: 17, columns: []string{"source", "group_key", "incident",
		"current", "opened_at", "resolved_at"}},
	{name: "alert_events", key: "entry", since: 17, columns: []string{"entry", "incident", "source", "event_key", "fingerprint", "status",
		"at", "labels", "received_at"}},
	{name: "integrity_flags", key: "id", columns: []string{"id", "rule", "incident", "key", "suspect", "evidence", "state", "subject",
		"reason", "reviewed_by", "reviewed_at", "raised_at"}},
}

// AccountableTables returns the names of the accountable tables, in the
// order audit verify checks them.
func AccountableTables() []string {
	out := make([]string, len(accountables))
	for i, t := range accountables {
		out[i] = t.name
	}
	return out
}

// AccountableColumns returns the columns of an accountable table in the
// order its rows are hashed, and nil for any other table.
func AccountableColumns(table string) []string {
	if t, ok := accountableNamed(table); ok {
		return slices.Clone(t.columns)
	}
	return nil
}

func accountableNamed(name string) (accountable, bool) {
	for _, t := range accountables {
		if t.name == name {
			return t, true
		}
	}
	return accountable{}, false
}

// selectList is the table's columns, each prefixed with alias.
func (t accountable) selectList(alias string) string {
	return alias + strings.Join(t.columns, ", "+alias)
}

// keyIndex is the position of the key among the columns.
func (t accountable) keyIndex() int { return slices.Index(t.columns, t.key) }

// rowRef names one unit of an accountable table.
type rowRef struct{ table, key string }

// touch notes that the transaction wrote the unit of table under key:
// flushAudit records the state the transaction leaves it in. Every store
// method that writes an accountable table calls it.
func (tx *Tx) touch(table, key string) {
	ref := rowRef{table, key}
	delete(tx.written, ref) // what it becomes is read back
	tx.touched = append(tx.touched, ref)
}

// touchWritten is touch for a row the transaction has just inserted whole
// and will not change again, given as the values of its table's columns:
// flushAudit hashes those rather than reading the row back, which an
// alert storm would otherwise do for every alert. The values are what the
// row holds as the hasher takes them (audit.RowHasher): times at the
// microseconds the store keeps, int64 and bool, text as written. Only
// for tables whose unit is one row.
func (tx *Tx) touchWritten(table, key string, values []any) {
	if tx.written == nil {
		tx.written = map[rowRef][]any{}
	}
	ref := rowRef{table, key}
	tx.touched = append(tx.touched, ref)
	tx.written[ref] = values
}

// inChunk bounds the keys of one IN list: modernc's SQLite binds numbered
// parameters in time quadratic in their count (BENCHMARKS.md).
const inChunk = 400

// unitRows reads the rows of a table's units, one query per chunk of
// keys, and calls fn once for each unit found, with its state hash. Units
// without rows get no call.
func (tx *Tx) unitRows(t accountable, keys []string, fn func(key, hash string) error) error {
	u := newUnitReader(t)
	for chunk := range slices.Chunk(keys, inChunk) {
		args := make([]any, len(chunk))
		for i, k := range chunk {
			args[i] = k
		}
		q := `SELECT ` + t.selectList("") + ` FROM ` + t.name + ` WHERE ` + t.key + ` IN ` + tx.in(1, len(chunk)) +
			` ORDER BY ` + t.key
		if t.order != "" {
			q += ", " + t.order
		}
		err := tx.eachPrepared("read "+t.name+" for the audit log", q, args, func(rows *sql.Rows) error {
			return u.scan(rows, fn)
		})
		if err != nil {
			return err
		}
		if err := u.flush(fn); err != nil {
			return err
		}
	}
	return nil
}

// unitReader groups the rows of a query, ordered by key, into units and
// hashes each: the rows of one unit are adjacent.
type unitReader struct {
	t     accountable
	keyAt int
	vals  []any
	// dest are the scan destinations: extra ones, then the columns'.
	dest   []any
	hasher *audit.RowHasher
	key    string
	open   bool
	// rows counts the open unit's rows so far.
	rows int
}

// newUnitReader reads rows whose columns are t's, preceded by columns
// scanned into extra.
func newUnitReader(t accountable, extra ...any) *unitReader {
	u := &unitReader{t: t, keyAt: t.keyIndex(), vals: make([]any, len(t.columns)), hasher: audit.NewRowHasher()}
	u.dest = append(u.dest, extra...)
	for i := range u.vals {
		u.dest = append(u.dest, &u.vals[i])
	}
	return u
}

// scan reads one row, all of it the table's, and passes it to next.
func (u *unitReader) scan(rows *sql.Rows, done func(key, hash string) error) error {
	if err := rows.Scan(u.dest...); err != nil {
		return err
	}
	key, err := textOf(u.vals[u.keyAt])
	if err != nil {
		return fmt.Errorf("%s key: %w", u.t.name, err)
	}
	_, err = u.next(key, true, done)
	return err
}

// next takes the row just scanned, of the unit key; present says whether
// it holds one of the unit's rows (a unit without rows comes as one row of
// NULLs from an outer join). When the row starts a new unit, next first
// calls done with the one before, and reports true.
func (u *unitReader) next(key string, present bool, done func(key, hash string) error) (bool, error) {
	opened := false
	if !u.open || key != u.key {
		if err := u.flush(done); err != nil {
			return false, err
		}
		u.key, u.open, u.rows = key, true, 0
		u.hasher.Reset()
		opened = true
	}
	if !present {
		return opened, nil
	}
	u.rows++
	return opened, u.hasher.Add(u.vals)
}

// flush ends the open unit, if any.
func (u *unitReader) flush(done func(key, hash string) error) error {
	if !u.open {
		return nil
	}
	u.open = false
	return done(u.key, u.hasher.Sum())
}

func textOf(v any) (string, error) {
	switch v := v.(type) {
	case string:
		return v, nil
	case []byte:
		return string(v), nil
	}
	return "", fmt.Errorf("a %T, not text", v)
}

// touchedStates returns the state of every unit the transaction touched,
// each once, sorted as audit.EncodeStates sorts them.
func (tx *Tx) touchedStates() ([]audit.RowState, error) {
	refs := slices.Clone(tx.touched)
	slices.SortFunc(refs, func(a, b rowRef) int {
		return audit.CompareStates(audit.RowState{Table: a.table, Key: a.key}, audit.RowState{Table: b.table, Key: b.key})
	})
	refs = slices.Compact(refs)
	hasher := audit.NewRowHasher()
	out := make([]audit.RowState, 0, len(refs))
	for i := 0; i < len(refs); {
		j := i
		for j < len(refs) && refs[j].table == refs[i].table {
			j++
		}
		t, ok := accountableNamed(refs[i].table)
		if !ok {
			return nil, fmt.Errorf("store: %s is not an accountable table", refs[i].table)
		}
		keys := make([]string, 0, j-i)
		found := make(map[string]string, j-i)
		for _, ref := range refs[i:j] {
			if vals, ok := tx.written[ref]; ok && t.order == "" {
				hasher.Reset()
				if err := hasher.Add(vals); err != nil {
					return nil, fmt.Errorf("%s %s: %w", t.name, ref.key, err)
				}
				found[ref.key] = hasher.Sum()
				continue
			}
			keys = append(keys, ref.key)
		}
		if err := tx.unitRows(t, keys, func(key, hash string) error { found[key] = hash; return nil }); err != nil {
			return nil, err
		}
		keys = keys[:0]
		for _, ref := range refs[i:j] {
			keys = append(keys, ref.key)
		}
		for _, k := range keys {
			h, ok := found[k]
			if !ok {
				h = audit.Gone
			}
			out = append(out, audit.RowState{Table: t.name, Key: k, Hash: h})
		}
		i = j
	}
	return out, nil
}

// storeStates writes the states an event recorded into audit_rows, the
// index of the latest state of each unit.
func (tx *Tx) storeStates(seq int64, states []audit.RowState) error {
	const perInsert = 100
	for chunk := range slices.Chunk(states, perInsert) {
		var q strings.Builder
		q.WriteString(`INSERT INTO audit_rows (seq, tbl, key, hash) VALUES `)
		args := make([]any, 0, 4*len(chunk))
		for i, s := range chunk {
			tx.values(&q, i, 4)
			args = append(args, seq, s.Table, s.Key, s.Hash)
		}
		if _, err := tx.execPrepared("index row states", q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// baselineAfter lists the migrations that end with a baseline: audit
// events recording the state of every accountable row as it then stands.
// 0005 is the first to record states at all; a later migration that
// changes what a row's state covers (a column added to an accountable
// table) must be listed too.
var baselineAfter = map[int]bool{5: true}

// baselinePage is how many units one baseline event records.
const baselinePage = 1000

// baseline records every unit of every accountable table, a page of units
// per event, inside the migration's transaction: either the schema moves
// on and the rows already there are vouched for, or neither happens. A
// database without rows gets no event.
func (db *DB) baseline(ctx context.Context, sqlTx *sql.Tx, migration int) error {
	tx := &Tx{dialect: db.dialect, tx: sqlTx, ctx: ctx}
	at := time.Now()
	for _, t := range accountables {
		if t.since > migration {
			continue // not created yet
		}
		var after *string
		for {
			keys, err := tx.unitKeys(t, after, baselinePage)
			if err != nil {
				return err
			}
			if len(keys) == 0 {
				break
			}
			for _, k := range keys {
				tx.touch(t.name, k)
			}
			data, err := json.Marshal(map[string]any{"migration": migration, "table": t.name, "units": len(keys)})
			if err != nil {
				return err
			}
			tx.RecordAudit(audit.Entry{ID: "baseline-" + rand.Text(), At: at, Actor: "system:default/migrate",
				Action: "audit.baseline", Subject: t.name, Data: data})
			if err := tx.flushAudit(); err != nil {
				return fmt.Errorf("baseline of %s: %w", t.name, err)
			}
			after = &keys[len(keys)-1]
			if len(keys) < baselinePage {
				break
			}
		}
	}
	return nil
}

// unitKeys returns up to limit keys of a table's units, in order, after
// the key after (from the first when nil).
func (tx *Tx) unitKeys(t accountable, after *string, limit int) ([]string, error) {
	q := `SELECT DISTINCT ` + t.key + ` FROM ` + t.name
	var args []any
	if after != nil {
		q += ` WHERE ` + t.key + ` > $1`
		args = append(args, *after)
	}
	q += ` ORDER BY ` + t.key + ` LIMIT ` + itoa(limit)
	var out []string
	err := tx.each("list "+t.name+" for the baseline", q, args, func(rows *sql.Rows) error {
		var k string
		err := rows.Scan(&k)
		out = append(out, k)
		return err
	})
	return out, err
}
