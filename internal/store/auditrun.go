package store

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"blameful.dev/blameful/internal/audit"
)

// findingRow is a row finding as a run keeps it, in its findings column.
type findingRow struct {
	Table    string `json:"table"`
	Key      string `json:"key"`
	Problem  string `json:"problem"`
	Seq      int64  `json:"seq"`
	Recorded string `json:"recorded,omitempty"`
	Current  string `json:"current,omitempty"`
	Head     int64  `json:"head"`
}

// CreateAuditRun records one verification of the audit chain. The caller
// caps its row findings; all of them are kept.
func (tx *Tx) CreateAuditRun(r audit.Run) error {
	rows := make([]findingRow, len(r.RowFindings))
	for i, f := range r.RowFindings {
		rows[i] = findingRow{Table: f.Table, Key: f.Key, Problem: string(f.Problem), Seq: f.Seq,
			Recorded: f.Recorded, Current: f.Current, Head: f.Head}
	}
	findings, err := json.Marshal(rows)
	if err != nil {
		return fmt.Errorf("encode row findings: %w", err)
	}
	var breakSeq any
	breakReason := ""
	if r.Break != nil {
		breakSeq, breakReason = r.Break.Seq, r.Break.Reason
	}
	_, err = tx.exec("record audit verification", `
INSERT INTO audit_runs (id, started_at, duration_us, actor, ok, events, head_seq, head_hash, checkpoints,
    break_seq, break_reason, rows_checked, units, finding_count, findings)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		r.ID, tx.t(r.At), r.Took.Microseconds(), r.By, r.OK, r.Events, r.Head.Seq, r.Head.Hash, r.Checkpoints,
		breakSeq, breakReason, r.RowsChecked, r.Units, r.RowFindingCount, string(findings))
	return err
}

// LastAuditRun returns the verification that started last (of two at the
// same moment, the one recorded last), or a NotFound error when the chain
// was never verified.
func (tx *Tx) LastAuditRun() (audit.Run, error) {
	var r audit.Run
	err := tx.one("the audit log was never verified", `
SELECT id, started_at, duration_us, actor, ok, events, head_seq, head_hash, checkpoints,
    break_seq, break_reason, rows_checked, units, finding_count, findings
FROM audit_runs ORDER BY started_at DESC, id DESC LIMIT 1`, nil, func(rows *sql.Rows) error {
		var us int64
		var breakSeq sql.NullInt64
		var reason, findings string
		if err := rows.Scan(&r.ID, tm(&r.At), &us, &r.By, &r.OK, &r.Events, &r.Head.Seq, &r.Head.Hash, &r.Checkpoints,
			&breakSeq, &reason, &r.RowsChecked, &r.Units, &r.RowFindingCount, &findings); err != nil {
			return err
		}
		r.Took = time.Duration(us) * time.Microsecond
		if breakSeq.Valid {
			r.Break = &audit.Break{Seq: breakSeq.Int64, Reason: reason}
		}
		var fs []findingRow
		if err := json.Unmarshal([]byte(findings), &fs); err != nil {
			return fmt.Errorf("row findings of verification %s: %w", r.ID, err)
		}
		for _, f := range fs {
			r.RowFindings = append(r.RowFindings, audit.RowFinding{Table: f.Table, Key: f.Key, Problem: audit.RowProblem(f.Problem),
				Seq: f.Seq, Recorded: f.Recorded, Current: f.Current, Head: f.Head})
		}
		return nil
	})
	return r, err
}
