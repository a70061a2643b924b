package store

import (
	"database/sql"
	"encoding/base64"
	"fmt"

	"blameful.dev/blameful/internal/audit"
)

// LockAuditHead returns the chain's head, holding its row lock on
// PostgreSQL until the transaction ends (SQLite's single writer holds it
// already). Servers sharing a database then take turns to checkpoint, and
// each sees the checkpoint the one before it recorded.
func (tx *Tx) LockAuditHead() (audit.Head, error) {
	var h audit.Head
	err := tx.get("audit head", headQuery[tx.engine], nil, &h.Seq, &h.Hash)
	return h, err
}

// CreateAuditCheckpoint records a signed checkpoint under id. The record
// only schedules the next checkpoint: the copies that prove anything live
// outside the database.
func (tx *Tx) CreateAuditCheckpoint(id string, s audit.SignedCheckpoint) error {
	_, err := tx.exec("record audit checkpoint", `
INSERT INTO audit_checkpoints (id, version, seq, hash, at, key_id, signature) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		id, s.Version, s.Seq, s.Hash, tx.t(s.At), s.KeyID, base64.StdEncoding.EncodeToString(s.Signature))
	return err
}

// LastAuditCheckpoint returns the recorded checkpoint with the highest
// seq (the latest of those, if several), or a NotFound error when none was
// recorded.
func (tx *Tx) LastAuditCheckpoint() (audit.SignedCheckpoint, error) {
	var s audit.SignedCheckpoint
	err := tx.one("no audit checkpoint yet", `
SELECT version, seq, hash, at, key_id, signature FROM audit_checkpoints ORDER BY seq DESC, at DESC LIMIT 1`, nil,
		func(rows *sql.Rows) error {
			var sig string
			if err := rows.Scan(&s.Version, &s.Seq, &s.Hash, tm(&s.At), &s.KeyID, &sig); err != nil {
				return err
			}
			b, err := base64.StdEncoding.DecodeString(sig)
			if err != nil {
				return fmt.Errorf("checkpoint signature: %w", err)
			}
			s.Signature = b
			return nil
		})
	return s, err
}
