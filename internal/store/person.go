package store

import (
	"crypto/rand"
	"database/sql"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/org"
)

// personColumnsByTable lists every column that can hold a reference to a
// person, table by table: what a person export reads. TestExportCoversSchema
// fails when a column with a person-like name is missing here.
var personColumnsByTable = []struct {
	table   string
	columns []string
	order   string
}{
	{"people", []string{"ref"}, "ref"},
	{"edges", []string{"subject", "object"}, "recorded_at, id"},
	{"incidents", []string{"created_by"}, "started_at, id"},
	{"timeline_entries", []string{"author"}, "recorded_at, id"},
	{"timeline_revisions", []string{"changed_by"}, "changed_at, entry"},
	{"postmortems", []string{"updated_by"}, "incident"},
	{"attributions", []string{"party", "suggested_party", "decided_by"}, "decided_at, id"},
	{"followups", []string{"owner", "created_by"}, "created_at, id"},
	{"changes", []string{"actor", "exception_approved_by", "recorded_by"}, "at, id"},
	{"freezes", []string{"created_by"}, "created_at, id"},
	{"incident_changes", []string{"linked_by"}, "linked_at, incident"},
	{"recurrences", []string{"decided_by"}, "decided_at, incident"},
	{"missed_followups", []string{"owner"}, "recorded_at, incident"},
	{"followup_requests", []string{"requested_by", "approver", "decided_by"}, "requested_at, id"},
	{"followup_notices", []string{"owner", "recipient"}, "sent_at, id"},
	{"followup_exports", []string{"requested_by"}, "requested_at, followup"},
	{"codeowners", []string{"imported_by"}, "imported_at, repo"},
	{"tokens", []string{"actor"}, "created_at, id"},
	{"accounts", []string{"person"}, "created_at, id"},
	{"assessments", []string{"subject"}, "created_at, id"},
	{"assessment_factors", []string{"set_by"}, "set_at, assessment"},
	{"assessment_decisions", []string{"decided_by"}, "decided_at, id"},
	{"appeals", []string{"filed_by", "reviewer"}, "filed_at, assessment"},
	{"fairness_flags", []string{"about", "raised_to"}, "created_at, id"},
	{"integrity_flags", []string{"suspect", "subject", "reviewed_by"}, "raised_at, id"},
	{"audit_events", []string{"actor", "subject"}, "seq"},
	{"audit_rows", []string{"key"}, "seq, tbl"},
	{"audit_runs", []string{"actor"}, "started_at, id"},
	{"outbox", []string{"recipient"}, "created_at, id"},
	// Derived copies the weekly review reads (0023, 0025), kept from
	// changes and attributions by trigger.
	{"change_drift", []string{"actor"}, "at, change_id"},
	{"decision_days", []string{"party"}, "day, party, rule, suggested_rule, overridden"},
	{"party_starts", []string{"party"}, "party, day"},
}

// PersonColumns returns "table.column" for every column a person export
// reads.
func PersonColumns() []string {
	var out []string
	for _, t := range personColumnsByTable {
		for _, c := range t.columns {
			out = append(out, t.table+"."+c)
		}
	}
	return out
}

// ExportPerson returns every row that references ref, table by table, as
// column/value maps. Token hashes are left out: a secret's hash is not the
// person's data and must not travel.
func (tx *Tx) ExportPerson(ref org.Ref) (map[string][]map[string]any, error) {
	out := map[string][]map[string]any{}
	for _, t := range personColumnsByTable {
		where := ""
		for i, c := range t.columns {
			if i > 0 {
				where += " OR "
			}
			where += c + " = $1"
		}
		rows, err := tx.query("export "+t.table, `SELECT * FROM `+t.table+` WHERE `+where+` ORDER BY `+t.order, string(ref))
		if err != nil {
			return nil, err
		}
		list, err := rowMaps(rows)
		if err != nil {
			return nil, fmt.Errorf("export %s: %w", t.table, err)
		}
		for _, m := range list {
			delete(m, "hash")
			delete(m, "password_hash")
			delete(m, "nonce") // not their data: what keeps their erased data unguessable
			if t.table == "audit_events" {
				delete(m, "prev_hash")
				delete(m, "states")
			}
		}
		out[t.table] = list
	}
	return out, nil
}

// rowMaps reads all rows into column/value maps, text as strings.
func rowMaps(rows *sql.Rows) ([]map[string]any, error) {
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return nil, err
	}
	out := []map[string]any{}
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return nil, err
		}
		m := make(map[string]any, len(cols))
		for i, c := range cols {
			switch v := vals[i].(type) {
			case []byte:
				m[c] = string(v)
			case time.Time:
				m[c] = v.UTC().Format(time.RFC3339Nano)
			default:
				m[c] = v
			}
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// ErasePerson blanks a person's personal fields, revokes their tokens and
// removes their login accounts, keeping their reference so history still
// points somewhere. It also replaces the person's nonce: the states of the
// row the audit log keeps were hashed with the old one, which is then gone,
// so a guessed name cannot be confirmed against them.
func (tx *Tx) ErasePerson(ref org.Ref, now time.Time) error {
	tx.credentialsChanged()
	tx.touch("people", string(ref))
	res, err := tx.exec("erase person", `UPDATE people SET name = '', email = '', handle = '', erased_at = $2, updated_at = $2, nonce = $3
WHERE ref = $1`,
		string(ref), tx.t(now), rand.Text())
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return notFound("no person %s", ref)
	}
	_, err = tx.exec("revoke tokens", `UPDATE tokens SET revoked_at = $2 WHERE actor = $1 AND revoked_at IS NULL`, string(ref), tx.t(now))
	if err != nil {
		return err
	}
	// An account holds a login email: it goes, with its sessions, its
	// links and its provider identities, rather than being blanked.
	for _, q := range []string{
		`DELETE FROM sessions WHERE account IN (SELECT id FROM accounts WHERE person = $1)`,
		`DELETE FROM password_links WHERE account IN (SELECT id FROM accounts WHERE person = $1)`,
		`DELETE FROM oidc_identities WHERE account IN (SELECT id FROM accounts WHERE person = $1)`,
		`DELETE FROM accounts WHERE person = $1`,
	} {
		if _, err := tx.exec("remove accounts", q, string(ref)); err != nil {
			return err
		}
	}
	return nil
}
